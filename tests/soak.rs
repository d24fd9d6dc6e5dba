//! Soak: concurrent ingest and dashboard reads against a real server for a bounded time. No
//! request may fail, memory must level off, and every acknowledged alert must be stored.
//!
//! Runs for `PEBA_SOAK_SECONDS` (default 4 s in CI; e.g. `PEBA_SOAK_SECONDS=600 cargo test
//! --release --test soak -- --nocapture` for a long run).

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use support::*;

const ROUTE: &str = "/ews-0.1/alert/postSimpleMessage";
const OK: &str = "<Result><StatusCode>OK</StatusCode><Text></Text></Result>";

const DASHBOARD: &[&str] = &[
    "/alert/retrieveAlertsJson?ci=1&topx=35",
    "/alert/topCountriesAttacks?ci=1",
    "/alert/retrieveAlertStats?ci=1",
    "/alert/retrieveAlertsCountWithType?time=1&ci=1",
    "/alert/retrieveAlertsCount?time=1&ci=-1",
    "/alert/datasetAlertsPerMonth?ci=-1",
    "/alert/tops?type=destports",
    "/metrics",
];

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("VmRSS:")
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            })
        })
        .unwrap_or(0)
}

/// A unique source address per alert number (ids do not include ports).
fn source(n: u64) -> String {
    format!("11.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_ingest_and_reads_stay_healthy() {
    let seconds: u64 = std::env::var("PEBA_SOAK_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4)
        .clamp(1, 3_600);
    // The answer cache on, with short-lived answers being refreshed while ingest goes on.
    let app = spawn_app(&[]).await;
    let stop = Arc::new(AtomicBool::new(false));
    let next_alert = Arc::new(AtomicU64::new(0));
    let reads = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);

    let mut senders = Vec::new();
    for _ in 0..4 {
        let (client, url, next, stop) = (
            app.client.clone(),
            app.url(ROUTE),
            next_alert.clone(),
            stop.clone(),
        );
        senders.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let first = next.fetch_add(20, Ordering::Relaxed);
                let numbers: Vec<u64> = (first..first + 20).collect();
                let alerts: String = numbers
                    .iter()
                    .map(|n| alert(&source(*n), (n % 60_000) as u16 + 1, "2024-06-24 12:00:00"))
                    .collect();
                let response = client
                    .post(&url)
                    .body(message(COMMUNITY_USER, COMMUNITY_TOKEN, &alerts))
                    .send()
                    .await
                    .expect("ingest request");
                let status = response.status();
                let body = response.text().await.expect("ingest answer");
                assert_eq!((status.as_u16(), body.as_str()), (200, OK));
                acknowledged.extend(numbers);
            }
            acknowledged
        }));
    }
    let mut readers = Vec::new();
    for r in 0..4usize {
        let (client, base, stop, reads) =
            (app.client.clone(), app.url(""), stop.clone(), reads.clone());
        readers.push(tokio::spawn(async move {
            let mut i = r;
            while !stop.load(Ordering::Relaxed) {
                let path = DASHBOARD[i % DASHBOARD.len()];
                i += 1;
                let response = client
                    .get(format!("{base}{path}"))
                    .send()
                    .await
                    .expect("read request");
                assert_eq!(response.status(), 200, "{path}");
                response.bytes().await.expect("read answer");
                reads.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    // Memory samples: the peak of the last third of the run may not exceed the peak of the
    // middle third by much (growth that levels off is fine, steady growth is not).
    let mut samples = Vec::new();
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        samples.push(rss_kib(app.pid()));
    }
    stop.store(true, Ordering::Relaxed);
    let mut acknowledged = Vec::new();
    for sender in senders {
        acknowledged.extend(sender.await.expect("sender"));
    }
    for reader in readers {
        reader.await.expect("reader");
    }
    let third = samples.len() / 3;
    let middle = samples[third..2 * third].iter().max().copied().unwrap_or(0);
    let last = samples[2 * third..].iter().max().copied().unwrap_or(0);
    eprintln!(
        "soak: {seconds} s, {} alerts acknowledged, {} reads, RSS middle {} KiB, end {} KiB",
        acknowledged.len(),
        reads.load(Ordering::Relaxed),
        middle,
        last
    );
    assert!(
        last <= middle + middle / 2 + 32 * 1024,
        "memory keeps growing: {samples:?}"
    );
    assert!(!acknowledged.is_empty() && reads.load(Ordering::Relaxed) > 0);

    if acknowledged.len() > 100_000 {
        // Long runs: compare counts (listing every alert would take long).
        use peba::domain::{AlertFilter, DataDomain};
        use peba::store::Store;
        let store = peba::store::embedded::EmbeddedStore::open(&app.data_path()).unwrap();
        let count = store
            .count(&AlertFilter::domain(DataDomain::All))
            .await
            .unwrap();
        assert_eq!(count as usize, acknowledged.len());
        return;
    }
    let stored = stored_alerts(&app.data_path()).await;
    let mut stored_sources: Vec<String> = stored
        .iter()
        .map(|a| a.source_entry_ip.to_string())
        .collect();
    stored_sources.sort();
    let total = stored_sources.len();
    stored_sources.dedup();
    assert_eq!(total, stored_sources.len(), "no alert stored twice");
    assert_eq!(
        total,
        acknowledged.len(),
        "only acknowledged alerts are stored"
    );
    for n in &acknowledged {
        assert!(
            stored_sources.binary_search(&source(*n)).is_ok(),
            "acknowledged alert {n} lost"
        );
    }
}
