//! Faults of the search cluster while `peba serve` runs over it, on a node of the test's own
//! (the shared test node is never disturbed).
//!
//! The test starts a dedicated node with `tests/search-node/start.sh` (state in
//! `PEBA_TEST_FAULT_NODE_STATE`, engine `PEBA_TEST_SEARCH_ENGINE`, both set by
//! `tests/run-all.sh`), checks that a red cluster is reported down by the heartbeats, then,
//! while senders that retry like ewsposter submit alerts:
//!
//! 1. freezes the node (SIGSTOP: connections hang): ingest answers 503 `Handling failed`,
//!    legacy reads answer their documented error forms, heartbeats report the store down, all
//!    within the configured timeout, never hanging;
//! 2. thaws it: peba recovers by itself;
//! 3. kills it (SIGKILL) and keeps it down for a while: the same non-OK answers, at once;
//! 4. restarts it on the same port and data: the senders finish, and every alert they sent is
//!    stored exactly once.
//!
//! Without `PEBA_TEST_SEARCH_ENGINE` the test is skipped with a notice, unless `CI` is set.

mod support;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use support::backend::{Backend, elastic_config, unique_prefix};
use support::*;

const OK: &str = "<Result><StatusCode>OK</StatusCode><Text></Text></Result>";
const ROUTE: &str = "/ews-0.1/alert/postSimpleMessage";
/// `elastictimeout` of the server under test, seconds.
const TIMEOUT: u64 = 3;

fn engine() -> Option<String> {
    match std::env::var("PEBA_TEST_SEARCH_ENGINE") {
        Ok(e) if !e.is_empty() => Some(e),
        _ if std::env::var_os("CI").is_some() => panic!(
            "PEBA_TEST_SEARCH_ENGINE is not set: CI must run the fault tests on a node of their \
             own (tests/run-all.sh sets it)"
        ),
        _ => {
            eprintln!(
                "notice: PEBA_TEST_SEARCH_ENGINE is not set; skipping the fault test \
                 (tests/run-all.sh runs it, or set it to opensearch or elasticsearch7)"
            );
            None
        }
    }
}

fn launcher(script: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/search-node")
        .join(script)
}

/// A dedicated search node, stopped (and its data removed) when dropped.
struct Node {
    engine: String,
    state: PathBuf,
    port: u16,
}

impl Node {
    fn start(engine: &str) -> Node {
        let state = std::env::var_os("PEBA_TEST_FAULT_NODE_STATE")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                std::env::temp_dir().join(format!("peba-fault-node-{}", std::process::id()))
            });
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let node = Node {
            engine: engine.to_owned(),
            state,
            port,
        };
        node.run_start(false);
        node
    }

    fn run_start(&self, keep_data: bool) {
        let started = Instant::now();
        let out = Command::new(launcher("start.sh"))
            .arg(&self.engine)
            .env("SEARCH_NODE_STATE", &self.state)
            .env("SEARCH_NODE_PORT", self.port.to_string())
            .env("SEARCH_NODE_KEEP_DATA", if keep_data { "1" } else { "0" })
            .output()
            .expect("start.sh runs");
        assert!(
            out.status.success(),
            "the fault node did not start:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!("fault node ({}) up in {:?}", self.engine, started.elapsed());
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn pid(&self) -> i32 {
        std::fs::read_to_string(self.state.join("pid"))
            .expect("pid file")
            .trim()
            .parse()
            .expect("pid")
    }

    /// Sends a signal to the node's process group.
    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg("--")
            .arg(format!("-{}", self.pid()))
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal}");
    }

    fn stop(&self, args: &[&str]) {
        let started = Instant::now();
        let out = Command::new(launcher("stop.sh"))
            .args(args)
            .env("SEARCH_NODE_STATE", &self.state)
            .output()
            .expect("stop.sh runs");
        assert!(out.status.success(), "stop.sh {args:?} failed");
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "stopping took {:?}",
            started.elapsed()
        );
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        // A frozen node must be thawed to terminate.
        if let Ok(pid) = std::fs::read_to_string(self.state.join("pid")) {
            let _ = Command::new("kill")
                .args(["-CONT", "--", &format!("-{}", pid.trim())])
                .status();
        }
        let _ = Command::new(launcher("stop.sh"))
            .arg("--kill")
            .env("SEARCH_NODE_STATE", &self.state)
            .output();
    }
}

fn community(alerts: &str) -> String {
    message(COMMUNITY_USER, COMMUNITY_TOKEN, alerts)
}

/// One message of `ALERTS_PER_MESSAGE` alerts with distinct sources (PEBA's id covers the
/// source address, not the port).
fn sender_message(sender: u32, n: u32) -> (String, Vec<u32>) {
    let numbers: Vec<u32> = (0..ALERTS_PER_MESSAGE)
        .map(|i| sender * 10_000 + n * ALERTS_PER_MESSAGE + i)
        .collect();
    let alerts: String = numbers
        .iter()
        .map(|k| {
            alert(
                &format!("11.{}.{}.{}", k / 65_536, k / 256 % 256, k % 256),
                (k % 60_000) as u16 + 1,
                "2024-06-24 12:00:00",
            )
        })
        .collect();
    (community(&alerts), numbers)
}

const SENDERS: u32 = 4;
const MESSAGES: u32 = 30;
const ALERTS_PER_MESSAGE: u32 = 10;

#[derive(Default)]
struct Tally {
    acknowledged: AtomicUsize,
    refused: AtomicUsize,
}

/// Sends `MESSAGES` messages one after another, each retried (after a pause, as ewsposter
/// does) until it is answered OK or the deadline passes; returns the numbers acknowledged.
async fn sender(
    client: reqwest::Client,
    url: String,
    id: u32,
    tally: Arc<Tally>,
    deadline: Instant,
) -> Vec<u32> {
    let mut acknowledged = Vec::new();
    for n in 0..MESSAGES {
        let (body, numbers) = sender_message(id, n);
        loop {
            assert!(
                Instant::now() < deadline,
                "sender {id}: message {n} not acknowledged before the deadline"
            );
            let answer = client
                .post(&url)
                .timeout(Duration::from_secs(60))
                .body(body.clone())
                .send()
                .await;
            let ok = match answer {
                Ok(r) => {
                    let status = r.status().as_u16();
                    let text = r.text().await.unwrap_or_default();
                    if status == 200 {
                        assert_eq!(text, OK);
                        true
                    } else {
                        assert_eq!(status, 503, "{text}");
                        assert!(text.contains("Handling failed"), "{text}");
                        false
                    }
                }
                Err(e) => panic!("the server must answer even when the cluster is down: {e}"),
            };
            if ok {
                tally.acknowledged.fetch_add(1, Ordering::Relaxed);
                acknowledged.extend(numbers);
                break;
            }
            tally.refused.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    acknowledged
}

/// Reads answered while the cluster is down: the documented error forms, in bounded time.
async fn check_down(app: &TestApp, phase: &str) {
    let bound = Duration::from_secs(3 * TIMEOUT + 3);
    let cases: &[(&str, u16, &str)] = &[
        (
            "/alert/retrieveAlertsCount?time=10",
            200,
            "<AlertCount>0</AlertCount>",
        ),
        (
            "/alert/retrieveAlertsCount?time=10&out=json",
            200,
            "{\"AlertCount\":false}",
        ),
        ("/alert/topCountriesAttacks", 200, "\"Nope\""),
        ("/heartbeat", 401, ""),
    ];
    for (path, status, body) in cases {
        let started = Instant::now();
        let response = app
            .client
            .get(app.url(path))
            .timeout(Duration::from_secs(60))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{phase} {path}: {e}"));
        let got_status = response.status().as_u16();
        let text = response.text().await.expect("body");
        let took = started.elapsed();
        assert!(took < bound, "{phase} {path}: answered after {took:?}");
        assert_eq!(got_status, *status, "{phase} {path}: {text}");
        if !body.is_empty() {
            assert!(
                text.trim() == *body || text.contains(body),
                "{phase} {path}: {text:?}"
            );
        }
    }
    // The store is down (no `e`); ingest too, once a write or write probe failed.
    let said = heartbeat(app).await;
    assert!(
        ["m", "flatline"].contains(&said.as_str()),
        "{phase}: {said:?}"
    );
    let started = Instant::now();
    let (status, text) = app
        .submit(community(&alert("9.9.9.9", 9, "2024-06-24 12:00:00")))
        .await;
    assert_eq!(status, 503, "{phase} ingest: {text}");
    assert!(text.contains("Handling failed"), "{phase} ingest: {text}");
    assert!(
        started.elapsed() < bound,
        "{phase} ingest answered after {:?}",
        started.elapsed()
    );
}

async fn heartbeat(app: &TestApp) -> String {
    app.get("/alert/heartbeat")
        .await
        .text()
        .await
        .expect("heartbeat")
}

/// Waits until the heartbeat says `me` again (peba recovers by itself).
async fn wait_recovered(app: &TestApp, node: &Node, phase: &str) -> Duration {
    let started = Instant::now();
    while heartbeat(app).await != "me" {
        if started.elapsed() > Duration::from_secs(90) {
            let health = match reqwest::get(format!("{}/_cluster/health", node.url())).await {
                Ok(r) => r.text().await.unwrap_or_default(),
                Err(e) => format!("no answer: {e}"),
            };
            // The store's own view, through a store opened anew.
            let settings = peba::config::Settings::load(None, |_| None, &app.backend.settings())
                .expect("settings");
            let ping = match peba::app::open_store(&settings).await {
                Ok(store) => format!("{:?}", store.ping().await),
                Err(e) => format!("cannot open: {e}"),
            };
            panic!(
                "{phase}: peba did not recover (heartbeat {:?}); a new store's ping: {ping}; \
                 the node's health: {health}",
                heartbeat(app).await
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    started.elapsed()
}

async fn wait_for(tally: &Tally, at_least: usize) {
    let started = Instant::now();
    while tally.acknowledged.load(Ordering::Relaxed) < at_least {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "senders made no progress"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_and_reads_survive_a_frozen_and_a_killed_cluster() {
    let Some(engine) = engine() else { return };
    let node = Node::start(&engine);
    let mut config = elastic_config(&node.url(), &unique_prefix("fault"));
    config.timeout = Duration::from_secs(TIMEOUT);
    let backend = Backend::Elastic(config);
    // The server's log would repeat every refused write; errors only.
    let app = spawn_on(
        &backend,
        &[("cache", "false"), ("log", "error,tower_http=off")],
    )
    .await;
    assert_eq!(heartbeat(&app).await, "me");

    // 0. A red cluster (an index whose primary cannot be allocated) counts as down.
    let http = reqwest::Client::new();
    let red = format!("{}/peba-red-probe?wait_for_active_shards=0", node.url());
    let created = http
        .put(&red)
        .json(&serde_json::json!({"settings": {"index": {
            "number_of_replicas": 0,
            "routing.allocation.require._name": "no-such-node"}}}))
        .send()
        .await
        .expect("create index");
    assert!(created.status().is_success(), "{:?}", created.text().await);
    let started = Instant::now();
    while !["m", "flatline"].contains(&heartbeat(&app).await.as_str()) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "a red cluster is reported healthy"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(app.get("/heartbeat").await.status(), 401);
    http.delete(format!("{}/peba-red-probe", node.url()))
        .send()
        .await
        .expect("delete index");
    wait_recovered(&app, &node, "green again").await;

    let tally = Arc::new(Tally::default());
    let deadline = Instant::now() + Duration::from_secs(400);
    let senders: Vec<_> = (0..SENDERS)
        .map(|id| {
            tokio::spawn(sender(
                app.client.clone(),
                app.url(ROUTE),
                id,
                tally.clone(),
                deadline,
            ))
        })
        .collect();

    // 1. Frozen: connections hang; every answer comes within the timeout.
    wait_for(&tally, 8).await;
    node.signal("STOP");
    tokio::time::sleep(Duration::from_secs(1)).await;
    check_down(&app, "frozen").await;
    let refused_frozen = tally.refused.load(Ordering::Relaxed);
    node.signal("CONT");
    let recovered = wait_recovered(&app, &node, "thawed").await;
    eprintln!("thawed: recovered in {recovered:?}; {refused_frozen} submissions refused so far");

    // 2. Killed and down for a while, then back on the same port and data.
    let before_kill = tally.acknowledged.load(Ordering::Relaxed);
    wait_for(&tally, before_kill + 8).await;
    node.stop(&["--keep-data", "--kill"]);
    let down_since = Instant::now();
    check_down(&app, "killed").await;
    while down_since.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let refused_down = tally.refused.load(Ordering::Relaxed) - refused_frozen;
    assert!(
        refused_down > 0,
        "submissions were refused while the node was down"
    );
    node.run_start(true);
    let recovered = wait_recovered(&app, &node, "restarted").await;
    eprintln!(
        "restarted: recovered in {recovered:?}; {refused_down} submissions refused while down"
    );

    let mut acknowledged = Vec::new();
    for s in senders {
        acknowledged.extend(s.await.expect("sender"));
    }
    assert_eq!(
        acknowledged.len(),
        (SENDERS * MESSAGES * ALERTS_PER_MESSAGE) as usize
    );

    // Every alert once: as many stored alerts as were sent, all distinct. (A probe refused
    // while the node was frozen may still have been applied by the node after it thawed.)
    let mut stored = app.stored().await;
    let probes = stored
        .iter()
        .filter(|a| a.source_entry_ip.to_string() == "9.9.9.9")
        .count();
    assert!(probes <= 1, "the probe alert is stored {probes} times");
    stored.retain(|a| a.source_entry_ip.to_string() != "9.9.9.9");
    let ids: HashSet<&str> = stored.iter().map(|a| a.id.as_str()).collect();
    let sources: HashSet<String> = stored
        .iter()
        .map(|a| a.source_entry_ip.to_string())
        .collect();
    assert_eq!(ids.len(), stored.len(), "an alert is stored twice");
    assert_eq!(
        stored.len(),
        acknowledged.len(),
        "stored alerts = alerts sent"
    );
    for k in &acknowledged {
        let ip = format!("11.{}.{}.{}", k / 65_536, k / 256 % 256, k % 256);
        assert!(sources.contains(&ip), "acknowledged alert {ip} is missing");
    }
    let count = app
        .get("/alert/retrieveAlertsCount?time=60&out=json")
        .await
        .text()
        .await
        .expect("count");
    eprintln!(
        "{} alerts stored once each; {} submissions refused in all; count route: {count}",
        stored.len(),
        tally.refused.load(Ordering::Relaxed)
    );
    drop(app);
    drop(node);
}
