//! The measurements: per-route latency, cached throughput under a loopback load generator,
//! and ingest through the real HTTP route.

use crate::client::{Conn, Response};
use crate::load::{READER, SENDER};
use crate::synth::{self, Rng, SENSORS};
use peba::domain::Timestamp;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// One request of a route benchmark.
#[derive(Debug, Clone)]
pub struct Case {
    /// Short name for the tables.
    pub name: String,
    /// `GET` or `POST`.
    pub method: &'static str,
    /// Path and query.
    pub path: String,
    /// The body (credentials of the private routes, GraphQL requests) and its content type.
    pub body: Option<(&'static str, String)>,
}

impl Case {
    /// Sends the request on `conn`.
    pub async fn send(&self, conn: &mut Conn) -> std::io::Result<Response> {
        let (content_type, body) = match &self.body {
            Some((content_type, body)) => (Some(*content_type), body.as_bytes()),
            None => (None, &b""[..]),
        };
        conn.send(self.method, &self.path, content_type, body).await
    }
}

fn get(name: &str, path: &str) -> Case {
    Case {
        name: name.to_owned(),
        method: "GET",
        path: path.to_owned(),
        body: None,
    }
}

/// A GraphQL request without a token, named `GraphQL <name>`.
pub fn graphql(name: &str, query: &str) -> Case {
    Case {
        name: format!("GraphQL {name}"),
        method: "POST",
        path: "/graphql".to_owned(),
        body: Some((
            "application/json",
            serde_json::json!({ "query": query }).to_string(),
        )),
    }
}

fn post(name: &str, path: &str) -> Case {
    Case {
        name: name.to_owned(),
        method: "POST",
        path: path.to_owned(),
        body: Some((
            "text/xml",
            format!(
                "<EWS-SimpleMessage version=\"2.0\"><Authentication><username>{}</username><token>{}</token></Authentication></EWS-SimpleMessage>",
                READER.0, READER.1
            ),
        )),
    }
}

/// Every legacy read route, with the parameters the dashboards and clients use (`end` is the
/// server's "now": the newest data).
pub fn legacy_cases(end: Timestamp, heavy_ip: &str) -> Vec<Case> {
    let yesterday = end
        .plus_seconds(-Timestamp::DAY)
        .to_datetime()
        .format("%Y%m%d");
    vec![
        get("heartbeat", "/heartbeat"),
        get(
            "retrieveAlertsCount time=1",
            "/alert/retrieveAlertsCount?time=1&ci=-1",
        ),
        get(
            "retrieveAlertsCount time=day",
            "/alert/retrieveAlertsCount?time=day",
        ),
        get(
            "retrieveAlertsCount time=1440 json",
            "/alert/retrieveAlertsCount?time=1440&ci=-1&out=json",
        ),
        get(
            "retrieveAlertsCount time=46080",
            "/alert/retrieveAlertsCount?time=46080&ci=-1",
        ),
        get(
            "retrieveAlertsCountWithType time=1 (dashboard)",
            "/alert/retrieveAlertsCountWithType?time=1&ci=1",
        ),
        get(
            "retrieveAlertsCountWithType time=1440",
            "/alert/retrieveAlertsCountWithType?time=1440&ci=-1",
        ),
        get(
            "retrieveAlertsJson topx=35 (dashboard)",
            "/alert/retrieveAlertsJson?ci=1&topx=35",
        ),
        get(
            "retrieveAlertsJson ci=-1",
            "/alert/retrieveAlertsJson?ci=-1",
        ),
        get(
            "datasetAlertsPerMonth",
            "/alert/datasetAlertsPerMonth?ci=-1",
        ),
        get(
            "datasetAlertsPerMonth days=40",
            "/alert/datasetAlertsPerMonth?days=40&ci=-1",
        ),
        get(
            "datasetAlertTypesPerMonth",
            "/alert/datasetAlertTypesPerMonth?ci=-1",
        ),
        get(
            "retrieveAlertStats (dashboard)",
            "/alert/retrieveAlertStats?ci=1",
        ),
        get(
            "retrieveAlertStats ci=-1",
            "/alert/retrieveAlertStats?ci=-1",
        ),
        get(
            "topCountriesAttacks (dashboard)",
            "/alert/topCountriesAttacks?ci=1",
        ),
        get(
            "topCountriesAttacks monthOffset=1",
            "/alert/topCountriesAttacks?monthOffset=1&ci=-1",
        ),
        get(
            "retrieveLatLonAttacks",
            "/alert/retrieveLatLonAttacks?ci=-1",
        ),
        get(
            "retrieveLatLonAttacks dst offset=2",
            "/alert/retrieveLatLonAttacks?direction=dst&offset=2&ci=-1",
        ),
        get(
            "TpotStats yesterday",
            &format!("/alert/TpotStats?day={yesterday}"),
        ),
        get(
            "getStats",
            "/alert/getStats?values=Network(Dionaea),Network(honeytrap),SSH%2Fconsole(cowrie)",
        ),
        get("tops urls 1d", "/alert/tops?type=urls"),
        get("tops urls 28d", "/alert/tops?type=urls&days=28&ci=-1"),
        get(
            "tops destports 7d",
            "/alert/tops?type=destports&days=7&ci=-1",
        ),
        post(
            "retrieveIPs (120 min) json",
            "/alert/retrieveIPs?ci=-1&out=json",
        ),
        post("retrieveIPs15m", "/alert/retrieveIPs15m?ci=-1"),
        post("retrieveAlertsCyber", "/alert/retrieveAlertsCyber?ci=-1"),
        post(
            "querySingleIP (busiest source)",
            &format!("/alert/querySingleIP?ip={heavy_ip}&ci=-1"),
        ),
    ]
}

/// The main GraphQL queries of a dashboard (community data, no token), over the same windows
/// as the legacy routes.
pub fn graphql_cases() -> Vec<Case> {
    vec![
        graphql(
            "alertStats",
            "{ alertStats { lastMinute last5Minutes lastHour last24Hours } }",
        ),
        graphql(
            "alerts first=35",
            "{ alerts(first: 35) { totalCount nodes { id createdAt honeypotType request } } }",
        ),
        graphql(
            "honeypotTypes 24h",
            "{ honeypotTypes(filter: {received: {lastMinutes: 1440}}, first: 20) { honeypotType count } }",
        ),
        graphql(
            "topSourceCountries 24h",
            "{ topSourceCountries(filter: {received: {lastMinutes: 1440}}) { code name count } }",
        ),
        graphql(
            "topGeoPoints 24h",
            "{ topGeoPoints(filter: {received: {lastMinutes: 1440}}) { count } }",
        ),
        graphql(
            "timeline 24h hourly",
            "{ timeline(filter: {received: {lastMinutes: 1440}}, intervalSeconds: 3600) { start count } }",
        ),
        graphql(
            "topUrls 7d with timelines",
            "{ topUrls(filter: {received: {lastMinutes: 10080}}, first: 10) { value count timeline(intervalSeconds: 86400) { start count } } }",
        ),
    ]
}

/// The four URLs the Sicherheitstacho polls (spec §1.7), for each `ci`.
pub fn dashboard_urls() -> Vec<String> {
    let mut urls = Vec::new();
    for ci in ["1", "0", "-1"] {
        urls.push(format!("/alert/retrieveAlertsJson?ci={ci}&topx=35"));
        urls.push(format!("/alert/topCountriesAttacks?ci={ci}"));
        urls.push(format!("/alert/retrieveAlertStats?ci={ci}"));
        urls.push(format!("/alert/retrieveAlertsCountWithType?time=1&ci={ci}"));
    }
    urls
}

/// Median, p99 and count of a latency sample.
#[derive(Debug, Clone, Copy, Default)]
pub struct Summary {
    /// Samples.
    pub n: usize,
    /// Median.
    pub p50: Duration,
    /// 99th percentile (the maximum below 100 samples).
    pub p99: Duration,
    /// Largest.
    pub max: Duration,
}

impl Summary {
    /// Summarises `samples` (sorted in place).
    pub fn of(samples: &mut [Duration]) -> Summary {
        if samples.is_empty() {
            return Summary::default();
        }
        samples.sort_unstable();
        let at = |q: f64| {
            samples[((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1]
        };
        Summary {
            n: samples.len(),
            p50: at(0.5),
            p99: at(0.99),
            max: samples[samples.len() - 1],
        }
    }
}

/// Milliseconds with one decimal.
pub fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// The latency of one case.
#[derive(Debug, Clone)]
pub struct RouteResult {
    /// The case.
    pub name: String,
    /// Latency.
    pub latency: Summary,
    /// Status of the last answer.
    pub status: u16,
    /// Size of the last answer.
    pub bytes: usize,
}

/// Sends each case sequentially on one connection: 2 warm-up requests, then up to
/// `iterations` measured ones or until `budget` is spent for that case.
pub async fn route_latencies(
    addr: SocketAddr,
    cases: &[Case],
    iterations: usize,
    budget: Duration,
) -> std::io::Result<Vec<RouteResult>> {
    let mut conn = Conn::connect(addr).await?;
    let mut results = Vec::new();
    for case in cases {
        let mut last = None;
        for _ in 0..2 {
            last = Some(case.send(&mut conn).await?);
        }
        let mut samples = Vec::new();
        let began = Instant::now();
        while samples.len() < iterations && (samples.len() < 5 || began.elapsed() < budget) {
            let t = Instant::now();
            let response = case.send(&mut conn).await?;
            samples.push(t.elapsed());
            last = Some(response);
        }
        let last = last.expect("a response");
        if case.path == "/graphql" && last.text().contains("\"errors\"") {
            return Err(std::io::Error::other(format!(
                "{}: the GraphQL answer has errors: {}",
                case.name,
                last.text()
            )));
        }
        results.push(RouteResult {
            name: case.name.clone(),
            latency: Summary::of(&mut samples),
            status: last.status,
            bytes: last.body.len(),
        });
    }
    Ok(results)
}

/// What a load run did.
#[derive(Debug, Clone, Default)]
pub struct LoadResult {
    /// Answered requests (status 200).
    pub ok: u64,
    /// Failed requests (other status or I/O error).
    pub failed: u64,
    /// Seconds.
    pub seconds: f64,
    /// Latency.
    pub latency: Summary,
}

impl LoadResult {
    /// Requests per second.
    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.seconds.max(1e-9)
    }
}

/// `connections` kept-alive connections request `urls` in turn for `duration` (at most
/// `max_requests` in all): a closed-loop load generator.
pub async fn hammer(
    addr: SocketAddr,
    urls: &[String],
    connections: usize,
    duration: Duration,
    max_requests: u64,
) -> LoadResult {
    let urls = Arc::new(urls.to_vec());
    let sent = Arc::new(AtomicU64::new(0));
    let began = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..connections {
        let (urls, sent) = (urls.clone(), sent.clone());
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::with_capacity(100_000);
            let (mut ok, mut failed) = (0u64, 0u64);
            let Ok(mut conn) = Conn::connect(addr).await else {
                return (samples, 0, 1);
            };
            let mut i = c;
            while began.elapsed() < duration && sent.fetch_add(1, Ordering::Relaxed) < max_requests
            {
                let url = &urls[i % urls.len()];
                i += 1;
                let t = Instant::now();
                match conn.get(url).await {
                    Ok(r) if r.status == 200 => ok += 1,
                    Ok(_) => failed += 1,
                    Err(_) => {
                        failed += 1;
                        match Conn::connect(addr).await {
                            Ok(c) => conn = c,
                            Err(_) => break,
                        }
                    }
                }
                if samples.len() < 1_000_000 {
                    samples.push(t.elapsed());
                }
            }
            (samples, ok, failed)
        }));
    }
    let mut all = Vec::new();
    let mut result = LoadResult::default();
    for task in tasks {
        let (samples, ok, failed) = task.await.expect("load task");
        all.extend(samples);
        result.ok += ok;
        result.failed += failed;
    }
    result.seconds = began.elapsed().as_secs_f64();
    result.latency = Summary::of(&mut all);
    result
}

/// What an ingest run did.
#[derive(Debug, Clone, Default)]
pub struct IngestResult {
    /// Alerts per message.
    pub size: usize,
    /// Concurrent senders.
    pub senders: usize,
    /// Acknowledged messages.
    pub messages: u64,
    /// Acknowledged alerts.
    pub alerts: u64,
    /// Refused or failed messages.
    pub failed: u64,
    /// Seconds.
    pub seconds: f64,
    /// Latency of the acknowledgement.
    pub latency: Summary,
}

impl IngestResult {
    /// Acknowledged alerts per second.
    pub fn rate(&self) -> f64 {
        self.alerts as f64 / self.seconds.max(1e-9)
    }
}

/// `senders` concurrent senders post EWS messages of `size` alerts for `duration` (at most
/// `max_alerts` in all). Each message comes from one sensor; private sensors use the
/// private sender's credentials. Creation times lie in the day before now.
pub async fn ingest(
    addr: SocketAddr,
    size: usize,
    senders: usize,
    duration: Duration,
    max_alerts: u64,
    seed: u64,
) -> IngestResult {
    let stop = Arc::new(AtomicBool::new(false));
    let timer = {
        let stop = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(duration).await;
            stop.store(true, Ordering::Relaxed);
        })
    };
    let result = ingest_until(addr, size, senders, &stop, max_alerts, seed).await;
    timer.abort();
    result
}

/// As [`ingest`], until `stop` is set (or `max_alerts` were sent).
pub async fn ingest_until(
    addr: SocketAddr,
    size: usize,
    senders: usize,
    stop: &Arc<AtomicBool>,
    max_alerts: u64,
    seed: u64,
) -> IngestResult {
    const ROUTE: &str = "/ews-0.1/alert/postSimpleMessage";
    let sent = Arc::new(AtomicU64::new(0));
    let began = Instant::now();
    let mut tasks = Vec::new();
    for s in 0..senders {
        let (sent, stop) = (sent.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng::new(seed.wrapping_add(s as u64 * 7919));
            let mut samples = Vec::new();
            let (mut messages, mut alerts, mut failed) = (0u64, 0u64, 0u64);
            let Ok(mut conn) = Conn::connect(addr).await else {
                return (samples, 0, 0, 1);
            };
            let mut xml = String::with_capacity(size * 1200);
            while !stop.load(Ordering::Relaxed)
                && sent.fetch_add(size as u64, Ordering::Relaxed) < max_alerts
            {
                let now = Timestamp::now();
                let sensor = rng.zipf(SENSORS);
                xml.clear();
                for _ in 0..size {
                    let created = now.plus_seconds(-(rng.below(300) as i64)).format_legacy();
                    synth::write_alert(&mut xml, &mut rng, sensor, &created);
                }
                let (user, token) = if synth::sensor_is_private(sensor) {
                    SENDER
                } else {
                    (
                        peba::config::DEFAULT_COMMUNITY_USER,
                        peba::config::DEFAULT_COMMUNITY_TOKEN,
                    )
                };
                let body = synth::message(user, token, &xml);
                let t = Instant::now();
                match conn.post_xml(ROUTE, body.as_bytes()).await {
                    Ok(r) if r.status == 200 && r.body.starts_with(b"<Result><StatusCode>OK") => {
                        samples.push(t.elapsed());
                        messages += 1;
                        alerts += size as u64;
                    }
                    Ok(r) => {
                        failed += 1;
                        if failed < 3 {
                            eprintln!("  ingest refused: {} {}", r.status, r.text());
                        }
                    }
                    Err(e) => {
                        failed += 1;
                        eprintln!("  ingest error: {e}");
                        match Conn::connect(addr).await {
                            Ok(c) => conn = c,
                            Err(_) => break,
                        }
                    }
                }
            }
            (samples, messages, alerts, failed)
        }));
    }
    let mut result = IngestResult {
        size,
        senders,
        ..Default::default()
    };
    let mut all = Vec::new();
    for task in tasks {
        let (samples, messages, alerts, failed) = task.await.expect("sender task");
        all.extend(samples);
        result.messages += messages;
        result.alerts += alerts;
        result.failed += failed;
    }
    result.seconds = began.elapsed().as_secs_f64();
    result.latency = Summary::of(&mut all);
    result
}
