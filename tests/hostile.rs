//! The hostile-load acceptance test: against one real `peba serve`, the attacks of the
//! hardening probe run while normal traffic goes on (heartbeat polling, a legacy read, a normal
//! ingest). Normal traffic must stay fast (`/heartbeat` p99 under 100 ms), every hostile request
//! must be answered (refused) within a second, and the server's peak RSS stay under 300 MiB.
//!
//! `attack_N_*` runs one attack with normal traffic; `all_attacks_at_once` runs them together
//! (`PEBA_HOSTILE_ATTACKS=1,3,5` selects some). Every loop is bounded; the whole file runs in
//! well under a minute.

mod support;

use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use support::{COMMUNITY_TOKEN, COMMUNITY_USER, TestApp, alert, message, spawn_app};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long a hostile request may take to be answered.
const ANSWER_WITHIN: Duration = Duration::from_secs(1);
/// Slowest acceptable `/heartbeat` (99th percentile).
const HEARTBEAT_P99: Duration = Duration::from_millis(100);
/// Largest acceptable peak RSS of the server.
const PEAK_RSS_MIB: u64 = 300;
/// Connections the server accepts (as in the probe).
const MAX_CONNECTIONS: &str = "50";
/// Connections one address may hold: the default's share of the default `max_connections`
/// would be under one here, so the test server keeps a third of its slots per address.
const MAX_PER_ADDRESS: usize = 16;
/// Where the slow uploads come from (normal traffic comes from 127.0.0.1).
const SLOW_SENDER: [u8; 4] = [127, 0, 0, 4];

async fn server() -> TestApp {
    spawn_app(&[
        ("max_connections", MAX_CONNECTIONS),
        ("max_connections_per_address", &MAX_PER_ADDRESS.to_string()),
    ])
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn attack_1_fragment_expansion() {
    run(&[1]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn attack_2_xml_attributes() {
    run(&[2]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn attack_3_graphql_body() {
    run(&[3]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn attack_4_slow_uploads() {
    run(&[4]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn attack_5_store_field_cost() {
    run(&[5]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn attack_6_oversized_fields() {
    run(&[6]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn all_attacks_at_once() {
    let selected: Vec<u8> = std::env::var("PEBA_HOSTILE_ATTACKS")
        .ok()
        .map(|list| {
            list.split(',')
                .filter_map(|n| n.trim().parse().ok())
                .collect()
        })
        .unwrap_or_else(|| (1..=6).collect());
    run(&selected).await;
}

/// Runs the `attacks` concurrently with normal traffic against one server and checks the
/// bounds.
async fn run(attacks: &[u8]) {
    let app = Arc::new(server().await);
    let stop = Arc::new(AtomicBool::new(false));
    let normal = tokio::spawn(normal_traffic(app.clone(), stop.clone()));
    // let normal traffic establish itself
    tokio::time::sleep(Duration::from_millis(300)).await;
    let runs = attacks.iter().map(|&n| {
        let app = app.clone();
        async move { (n, attack(n, &app).await) }
    });
    let outcomes = futures::future::join_all(runs).await;
    stop.store(true, Ordering::SeqCst);
    let traffic = normal.await.unwrap();

    let mut failures = Vec::new();
    for (n, outcome) in outcomes {
        if let Err(why) = outcome {
            failures.push(format!("attack {n}: {why}"));
        }
    }
    let p99 = traffic.heartbeat_p99();
    if p99 > HEARTBEAT_P99 {
        failures.push(format!(
            "/heartbeat p99 {p99:?} over {} polls",
            traffic.heartbeats.len()
        ));
    }
    if !traffic.failures.is_empty() {
        failures.push(format!("normal traffic failed: {:?}", traffic.failures));
    }
    let rss = peak_rss_mib(&app);
    if rss >= PEAK_RSS_MIB {
        failures.push(format!("peak RSS {rss} MiB"));
    }
    eprintln!(
        "attacks {attacks:?}: heartbeat p99 {p99:?} over {} polls, peak RSS {rss} MiB",
        traffic.heartbeats.len()
    );
    assert!(failures.is_empty(), "{failures:#?}");
}

/// What normal traffic saw.
#[derive(Default)]
struct Traffic {
    heartbeats: Vec<Duration>,
    failures: Vec<String>,
}

impl Traffic {
    fn heartbeat_p99(&self) -> Duration {
        let mut sorted = self.heartbeats.clone();
        sorted.sort();
        sorted
            .get((sorted.len() * 99 / 100).min(sorted.len().saturating_sub(1)))
            .copied()
            .unwrap_or(Duration::MAX)
    }
}

/// Heartbeat polling every 20 ms, a legacy read every 200 ms, a normal ingest every 500 ms,
/// until `stop`.
async fn normal_traffic(app: Arc<TestApp>, stop: Arc<AtomicBool>) -> Traffic {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut traffic = Traffic::default();
    let mut round: u32 = 0;
    while !stop.load(Ordering::SeqCst) {
        round += 1;
        let started = Instant::now();
        match client.get(app.url("/heartbeat")).send().await {
            Ok(response) if response.status() == 200 => {
                let _ = response.bytes().await;
                traffic.heartbeats.push(started.elapsed());
            }
            Ok(response) => traffic
                .failures
                .push(format!("heartbeat {}", response.status())),
            Err(error) => {
                traffic.failures.push(format!("heartbeat: {error}"));
                traffic.heartbeats.push(started.elapsed());
            }
        }
        if round.is_multiple_of(10) {
            let read = client
                .get(app.url("/alert/retrieveAlertsCount?time=10&out=json"))
                .send()
                .await;
            if !read.as_ref().is_ok_and(|r| r.status() == 200) {
                traffic.failures.push(format!("legacy read: {read:?}"));
            }
        }
        if round.is_multiple_of(25) {
            let body = message(
                COMMUNITY_USER,
                COMMUNITY_TOKEN,
                &alert(
                    "8.8.8.8",
                    10_000 + (round % 50_000) as u16,
                    "2024-07-01 00:10:00",
                ),
            );
            let ingest = client
                .post(app.url("/ews-0.1/alert/postSimpleMessage"))
                .header("Content-Type", "text/xml")
                .body(body)
                .send()
                .await;
            if !ingest.as_ref().is_ok_and(|r| r.status() == 200) {
                traffic.failures.push(format!("ingest: {ingest:?}"));
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    traffic
}

async fn attack(n: u8, app: &TestApp) -> Result<(), String> {
    match n {
        1 => fragment_expansion(app).await,
        2 => xml_attributes(app).await,
        3 => graphql_body(app).await,
        4 => slow_uploads(app).await,
        5 => store_field_cost(app).await,
        6 => oversized_fields(app).await,
        other => Err(format!("no attack {other}")),
    }
}

/// Sends `request`, which must be answered with `accept(status, body)` within
/// [`ANSWER_WITHIN`].
async fn answered(
    what: &str,
    request: reqwest::RequestBuilder,
    accept: impl Fn(u16, &str) -> bool,
) -> Result<(), String> {
    let started = Instant::now();
    let response = tokio::time::timeout(Duration::from_secs(10), request.send())
        .await
        .map_err(|_| format!("{what}: no answer within 10 s"))?
        .map_err(|e| format!("{what}: {e}"))?;
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    let took = started.elapsed();
    if took > ANSWER_WITHIN {
        return Err(format!("{what}: answered after {took:?}"));
    }
    if !accept(status, &body) {
        let head: String = body.chars().take(300).collect();
        return Err(format!("{what}: answered {status}: {head}"));
    }
    Ok(())
}

fn graphql(app: &TestApp, query: &str) -> reqwest::RequestBuilder {
    app.client
        .post(app.url("/graphql"))
        .json(&json!({ "query": query }))
}

/// 1: fragments that each spread the previous one twice (2^29 selections), four at once.
async fn fragment_expansion(app: &TestApp) -> Result<(), String> {
    let mut query = String::from("{ health { ...F29 } } fragment F0 on Health { heartbeat }");
    for i in 1..=29 {
        query.push_str(&format!(
            " fragment F{i} on Health {{ ...F{m} ...F{m} }}",
            m = i - 1
        ));
    }
    let requests = (0..4).map(|_| {
        answered(
            "fragment expansion",
            graphql(app, &query),
            |status, body| status == 200 && body.contains("QUERY_TOO_COMPLEX"),
        )
    });
    futures::future::try_join_all(requests).await.map(drop)
}

/// 2: an ingest message whose element carries 300,000 attributes.
async fn xml_attributes(app: &TestApp) -> Result<(), String> {
    let mut attributes = String::with_capacity(300_000 * 12);
    for i in 0..300_000 {
        attributes.push_str(&format!(" a{i}=\"1\""));
    }
    let body = message(
        COMMUNITY_USER,
        COMMUNITY_TOKEN,
        &format!(
            "<Alert{attributes}><Analyzer id=\"x\"/><CreateTime>2024-07-01 00:10:00</CreateTime></Alert>"
        ),
    );
    let request = app
        .client
        .post(app.url("/ews-0.1/alert/postSimpleMessage"))
        .header("Content-Type", "text/xml")
        .body(body);
    answered("XML attributes", request, |status, _| status != 200).await
}

/// 3: a 100 MB GraphQL body, streamed without a length.
async fn graphql_body(app: &TestApp) -> Result<(), String> {
    let started = Instant::now();
    let status = stream_chunked(
        app,
        [127, 0, 0, 3],
        "/graphql",
        100 << 20,
        1 << 20,
        Duration::ZERO,
    )
    .await;
    let took = started.elapsed();
    match status {
        Some(413) if took <= ANSWER_WITHIN => Ok(()),
        other => Err(format!("100 MB body: {other:?} after {took:?}")),
    }
}

/// The grace every request body gets before the minimum body rate applies (`body_timeout`'s
/// default), and how much later a slow upload may still be running when it is cut.
const BODY_GRACE: Duration = Duration::from_secs(10);
const CUT_MARGIN: Duration = Duration::from_secs(3);

/// 4: 60 uploads from one address sending one small chunk a second (a minute each if nobody
/// stops them): past the per-address limit they are closed at once, the rest are cut off once
/// their body grace is over, while heartbeats and the other attacks' requests go on.
async fn slow_uploads(app: &TestApp) -> Result<(), String> {
    let uploads = (0..60).map(|_| async {
        let started = Instant::now();
        let status = stream_chunked(
            app,
            SLOW_SENDER,
            "/ews-0.1/alert/postSimpleMessage",
            60,
            1,
            Duration::from_secs(1),
        )
        .await;
        (status, started.elapsed())
    });
    let outcomes = futures::future::join_all(uploads).await;
    let mut cut = 0;
    for (status, took) in outcomes {
        match status {
            Some(408) if took <= BODY_GRACE + CUT_MARGIN => cut += 1,
            None if took <= ANSWER_WITHIN => {} // closed at the per-address limit
            other => return Err(format!("slow upload: {other:?} after {took:?}")),
        }
    }
    if cut == 0 || cut > MAX_PER_ADDRESS {
        return Err(format!(
            "{cut} of 60 slow uploads were served, expected 1 to {MAX_PER_ADDRESS}"
        ));
    }
    Ok(())
}

/// 5: 1,000 aliased uncached counts and 600 aliased `honeypotStatistics`.
async fn store_field_cost(app: &TestApp) -> Result<(), String> {
    let aliased = |field: &str, copies: usize| {
        format!(
            "{{ {} }}",
            (0..copies)
                .map(|i| format!("a{i}: {field}"))
                .collect::<Vec<_>>()
                .join(" ")
        )
    };
    let counts = aliased("alertCount(filter: { received: { lastMinutes: 7 } })", 1000);
    let statistics = aliased("honeypotStatistics { totalAlerts totalHoneypots }", 600);
    let accept = |status: u16, body: &str| status == 200 && body.contains("QUERY_TOO_COMPLEX");
    answered("1,000 counts", graphql(app, &counts), accept).await?;
    answered("600 honeypotStatistics", graphql(app, &statistics), accept).await
}

/// Largest acceptable answer of an anonymous legacy read once 36 alerts carry 1 MB URLs.
const MAX_READ_BYTES: usize = 4 << 20;
/// Longest stored text field (`max_field_bytes`' default).
const MAX_FIELD_BYTES: usize = 64 << 10;
/// Largest acceptable answer of the GraphQL read below: its 50 alerts with two text fields and
/// 36 URLs, each at most one stored field long, plus room for the rest of the answer.
const MAX_GRAPHQL_BYTES: usize = (50 * 2 + 36) * MAX_FIELD_BYTES + (64 << 10);

/// 6: 36 alerts with 1 MB URLs (in messages within the body limit), then anonymous reads.
async fn oversized_fields(app: &TestApp) -> Result<(), String> {
    let url = format!("/{}", "a".repeat(1 << 20));
    for batch in 0..6 {
        let alerts: String = (0..6)
            .map(|i| {
                format!(
                    "<Alert><Analyzer id=\"glastopf-{batch}-{i}\"/><CreateTime tz=\"+0000\">2024-07-01 00:1{i}:0{batch}</CreateTime>\
                     <Source category=\"ipv4\" port=\"4{batch}{i}\" protocol=\"tcp\">8.8.4.4</Source>\
                     <Target category=\"ipv4\" port=\"80\" protocol=\"tcp\">87.150.238.182</Target>\
                     <Request type=\"url\">{url}</Request><Request type=\"description\">WebHoneypot</Request></Alert>"
                )
            })
            .collect();
        let (status, _) = app
            .submit(message(COMMUNITY_USER, COMMUNITY_TOKEN, &alerts))
            .await;
        if status != 200 {
            return Err(format!("ingest of large URLs answered {status}"));
        }
    }
    for path in [
        "/alert/retrieveAlertsJson",
        "/alert/retrieveAlertsJson?ci=1&extra=1",
        "/alert/tops?type=urls&days=1&topx=30",
    ] {
        let request = app.client.get(app.url(path));
        answered(path, request, |status, body| {
            status == 200 && body.len() <= MAX_READ_BYTES
        })
        .await?;
    }
    let query =
        "{ alerts(first: 50) { nodes { request displayRequest } } topUrls(first: 36) { value } }";
    answered("GraphQL alerts", graphql(app, query), |status, body| {
        status == 200 && body.len() <= MAX_GRAPHQL_BYTES
    })
    .await
}

/// Posts `total` bytes to `path` from the loopback address `from` with chunked encoding,
/// `chunk` bytes every `pause`; the answer's status, or none when the server closed without one
/// (or sent nothing for longer than a slow body may last).
async fn stream_chunked(
    app: &TestApp,
    from: [u8; 4],
    path: &str,
    total: usize,
    chunk: usize,
    pause: Duration,
) -> Option<u16> {
    let socket = tokio::net::TcpSocket::new_v4().ok()?;
    socket
        .bind((std::net::Ipv4Addr::from(from), 0).into())
        .ok()?;
    let stream = socket.connect(app.addr).await.ok()?;
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n",
        app.addr
    );
    let upload = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await?;
        let data = vec![b' '; chunk];
        let mut sent = 0;
        while sent < total {
            writer
                .write_all(format!("{chunk:x}\r\n").as_bytes())
                .await?;
            writer.write_all(&data).await?;
            writer.write_all(b"\r\n").await?;
            sent += chunk;
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
        }
        writer.write_all(b"0\r\n\r\n").await?;
        // keep the connection open until the server answers or closes it
        std::future::pending::<std::io::Result<()>>().await
    });
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    let _ = tokio::time::timeout(BODY_GRACE + CUT_MARGIN * 2, async {
        while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    upload.abort();
    let text = String::from_utf8_lossy(&answer);
    text.split_whitespace().nth(1)?.parse().ok()
}

/// The server's peak resident set size (VmHWM), in MiB.
fn peak_rss_mib(app: &TestApp) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", app.pid())).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib / 1024
}
