//! Ingest on Elasticsearch: peba's HTTP ingest route against the `_bulk` requests it sends,
//! replayed directly, each into fresh indices.
//!
//! The alerts go to their own indices (`benchingest-*` behind `benchingest2017.1`), not to
//! the query data set. Fresh indices are made before every timed run, untimed, by opening
//! peba's store (template and first daily index, as `peba serve` does at start).

use super::node::Node;
use super::proxy::{Exchange, Proxy};
use super::replay::{Plan, Replayer};
use crate::measure::{self, IngestResult};
use crate::server::Server;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

/// The write alias of the ingest indices.
const ALIAS: &str = "benchingest2017.1";
/// Their read prefix.
const PREFIX: &str = "benchingest";
/// Alerts per ingested message.
pub const MESSAGE_ALERTS: usize = 100;

/// What peba sent to the node while ingesting, split by kind.
#[derive(Debug, Clone, Default)]
pub struct Capture {
    /// The `_bulk` requests writing alerts and CVE copies, replayed as the raw side.
    pub bulks: Plan,
    /// Alert documents in those bulks (actions on the write alias).
    pub alerts: u64,
    /// CVE copies in those bulks (actions on the CVE index).
    pub cve_copies: u64,
    /// The other requests (id look-ups before writes, user look-ups, alias checks), as
    /// method and path without the query string, with their count.
    pub others: Vec<(String, usize)>,
    /// Milliseconds the node spent answering the `_bulk` requests while peba sent them.
    pub bulk_ms: f64,
    /// Milliseconds the node spent answering the other requests.
    pub other_ms: f64,
}

/// One interleaved round: peba and the raw replay, each into fresh indices.
#[derive(Debug, Clone)]
pub struct Round {
    /// peba through its HTTP route.
    pub peba: IngestResult,
    /// Alert documents in the indices after peba's run.
    pub peba_stored: u64,
    /// Seconds the replayed `_bulk` requests took.
    pub raw_seconds: f64,
    /// Alert documents in the indices after the replay.
    pub raw_stored: u64,
}

/// Where the ingest runs write.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The node's URL.
    pub url: &'a str,
    /// The node's address.
    pub addr: SocketAddr,
    /// The data set directory (GeoIP databases; peba's data directory).
    pub data_dir: &'a Path,
}

/// The settings of a peba ingesting into the benchmark's ingest indices at `url`.
pub fn settings(data_dir: &Path, url: &str) -> Vec<(String, String)> {
    let mut s = crate::report::settings(data_dir, true, None);
    s.push(("elasticsearch_host".to_owned(), url.to_owned()));
    s.push(("alertindex".to_owned(), ALIAS.to_owned()));
    s.push(("alertreadprefix".to_owned(), PREFIX.to_owned()));
    s
}

/// Deletes the ingest indices and creates them again the way peba does at start.
pub async fn fresh_indices(node: &mut Node, target: Target<'_>) {
    node.delete_indices(&[&format!("{PREFIX}-*")])
        .await
        .expect("ingest indices deleted");
    peba::app::open_store(&super::data::settings(&settings(
        target.data_dir,
        target.url,
    )))
    .await
    .expect("ingest indices created");
}

/// Alert documents in the ingest indices, after a refresh.
async fn stored(node: &mut Node) -> u64 {
    let pattern = format!("{PREFIX}-*");
    node.send("POST", &format!("/{pattern}/_refresh"), None)
        .await
        .expect("refresh");
    let answer = node
        .send("GET", &format!("/{pattern}/_count"), None)
        .await
        .expect("count");
    serde_json::from_slice::<serde_json::Value>(&answer.body)
        .map_or(0, |v| v["count"].as_u64().unwrap_or(0))
}

/// Posts `alerts` alerts in messages of `size` alerts from `senders` concurrent senders to
/// `server`.
async fn post(
    server: SocketAddr,
    size: usize,
    senders: usize,
    alerts: u64,
    seed: u64,
) -> IngestResult {
    measure::ingest(
        server,
        size,
        senders,
        Duration::from_secs(3600),
        alerts,
        seed,
    )
    .await
}

/// Ingests `alerts` alerts through a peba pointed at the proxy and returns what it sent.
pub async fn capture(
    node: &mut Node,
    proxy: &Proxy,
    target: Target<'_>,
    senders: usize,
    alerts: u64,
) -> Capture {
    fresh_indices(node, target).await;
    let server = Server::start(target.data_dir, &settings(target.data_dir, &proxy.url()));
    proxy.take();
    let result = post(server.addr, MESSAGE_ALERTS, senders, alerts, 7).await;
    assert_eq!(result.failed, 0, "every message is acknowledged");
    drop(server);
    let exchanges = proxy.take();
    let mut capture = Capture::default();
    let mut bulks: Vec<Exchange> = Vec::new();
    let ms = |e: &Exchange| e.answered.duration_since(e.sent).as_secs_f64() * 1000.0;
    for e in exchanges {
        if e.target.starts_with("/_bulk") {
            capture.bulk_ms += ms(&e);
            for line in e.body.split(|b| *b == b'\n') {
                // Alerts are written through the alias with `create` (`index` when replacing
                // a copy of the same id), CVE copies with `create` into the CVE index.
                if !(line.starts_with(b"{\"index\"") || line.starts_with(b"{\"create\"")) {
                    continue;
                }
                let action: serde_json::Value = serde_json::from_slice(line).expect("action");
                let target = action.as_object().and_then(|o| o.values().next());
                if target.and_then(|t| t["_index"].as_str()) == Some(ALIAS) {
                    capture.alerts += 1;
                } else {
                    capture.cve_copies += 1;
                }
            }
            bulks.push(e);
        } else {
            capture.other_ms += ms(&e);
            let path = e.target.split('?').next().unwrap_or_default();
            let kind = format!("{} {path}", e.method);
            match capture.others.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, n)) => *n += 1,
                None => capture.others.push((kind, 1)),
            }
        }
    }
    capture.bulks = Plan::new(bulks);
    capture
}

/// `rounds` rounds, each timing peba ingesting `alerts` alerts and the replay of the captured
/// `_bulk` requests, each into fresh indices; the order alternates per round.
pub async fn compare(
    node: &mut Node,
    target: Target<'_>,
    capture: &Capture,
    senders: usize,
    alerts: u64,
    rounds: usize,
) -> Vec<Round> {
    let mut replayer = Replayer::connect(target.addr)
        .await
        .expect("node connection");
    let mut out = Vec::new();
    for round in 0..rounds {
        let (mut raw, mut peba) = (None, None);
        for side in 0..2 {
            fresh_indices(node, target).await;
            if (side + round) % 2 == 0 {
                let elapsed = replayer.run_window(&capture.bulks).await.expect("replay");
                raw = Some((elapsed.as_secs_f64(), stored(node).await));
            } else {
                let server = Server::start(target.data_dir, &settings(target.data_dir, target.url));
                let result = post(
                    server.addr,
                    MESSAGE_ALERTS,
                    senders,
                    alerts,
                    1000 + round as u64,
                )
                .await;
                drop(server);
                assert_eq!(result.failed, 0, "every message is acknowledged");
                peba = Some((result, stored(node).await));
            }
        }
        let ((raw_seconds, raw_stored), (peba, peba_stored)) =
            (raw.expect("a replay"), peba.expect("a peba run"));
        eprintln!(
            "  round {}: peba {:.0} alerts/s, raw _bulk {:.0} alerts/s",
            round + 1,
            peba.rate(),
            capture.alerts as f64 / raw_seconds
        );
        out.push(Round {
            peba,
            peba_stored,
            raw_seconds,
            raw_stored,
        });
    }
    out
}

/// Alerts per message of the acknowledgement-latency run (a typical ewsposter message).
pub const SMALL_MESSAGE_ALERTS: usize = 3;

/// The acknowledgement latency of `messages` messages of [`SMALL_MESSAGE_ALERTS`] alerts sent
/// one after another by a single sender into fresh indices.
pub async fn small_message_latency(
    node: &mut Node,
    target: Target<'_>,
    messages: u64,
) -> IngestResult {
    fresh_indices(node, target).await;
    let server = Server::start(target.data_dir, &settings(target.data_dir, target.url));
    let result = post(
        server.addr,
        SMALL_MESSAGE_ALERTS,
        1,
        messages * SMALL_MESSAGE_ALERTS as u64,
        99,
    )
    .await;
    drop(server);
    assert_eq!(result.failed, 0, "every message is acknowledged");
    result
}
