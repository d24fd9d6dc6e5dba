//! `peba-bench retention`: what a retention pass costs the traffic around it. On the data set of
//! `--alerts` alerts over `--days` days, a `peba serve` without retention first takes steady
//! ingest and dashboard reads for `--baseline-seconds`; then one with `retention_days` set to
//! `days - expire-days` takes the same traffic while its first pass deletes the oldest alerts
//! and returns their pages to the file system. Both phases report the acknowledgement and
//! dashboard latencies; the retention phase also the pass's duration and the store's size.
//!
//! The pass consumes the data set: afterwards it no longer has `--alerts` alerts, so its
//! bookkeeping file is removed and the next run loads it afresh.

use crate::client::Conn;
use crate::measure::{self, IngestResult, Summary, ms};
use crate::report::{self, DataSetOptions};
use crate::server::Server;
use peba::domain::Timestamp;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Options of `peba-bench retention`.
#[derive(Debug, clap::Args)]
pub struct RetentionOptions {
    #[command(flatten)]
    data: DataSetOptions,
    /// The oldest days of the data set the pass deletes.
    #[arg(long, default_value_t = 4)]
    expire_days: u64,
    /// Seconds of traffic without retention, for comparison.
    #[arg(long, default_value_t = 60)]
    baseline_seconds: u64,
    /// Concurrent ingest senders.
    #[arg(long, default_value_t = 4)]
    senders: usize,
    /// Alerts per ingest message.
    #[arg(long, default_value_t = 20)]
    size: usize,
}

/// Latencies of one phase.
struct Phase {
    name: String,
    seconds: f64,
    ingest: IngestResult,
    reads: Summary,
    failed_reads: u64,
}

/// `peba-bench retention`.
pub async fn run(options: RetentionOptions) {
    let dir = options.data.dir();
    let meta = report::prepare_embedded(&dir, options.data.alerts, options.data.days, false).await;
    let keep_days = options.data.days.saturating_sub(options.expire_days).max(1);
    let cut_off = meta.end.plus_seconds(-(keep_days as i64) * Timestamp::DAY);
    let settings = report::settings(&dir, false, Some(meta.end));

    let server = Server::start(&dir, &settings);
    let baseline_time = Duration::from_secs(options.baseline_seconds);
    let ((), ingest, reads, failed_reads) =
        traffic_during(server.addr, &options, tokio::time::sleep(baseline_time)).await;
    drop(server);
    let baseline = Phase {
        name: "retention off".into(),
        seconds: baseline_time.as_secs_f64(),
        ingest,
        reads,
        failed_reads,
    };

    let expiring = count_before(&dir, &settings, cut_off).await;
    let size_before = store_size(&dir);
    let mut with_retention = settings.clone();
    with_retention.push(("retention_days".into(), keep_days.to_string()));
    let started = Instant::now();
    let server = Server::start(&dir, &with_retention);
    let ((deleted_after, completed_after), ingest, reads, failed_reads) =
        traffic_during(server.addr, &options, async {
            let deleted = wait_until_deleted(server.addr, cut_off).await;
            (
                deleted,
                deleted + wait_until_pass_completed(server.addr).await,
            )
        })
        .await;
    let size_after = store_size(&dir);
    let pass = Phase {
        name: format!(
            "pass deleting {expiring} community alerts (and the private ones of those days)"
        ),
        seconds: started.elapsed().as_secs_f64(),
        ingest,
        reads,
        failed_reads,
    };
    drop(server);
    // The data set is no longer the one its bookkeeping describes.
    let _ = std::fs::remove_file(dir.join(report::META));

    println!(
        "## Retention, {} alerts over {} days, the oldest {} days ({expiring} alerts) expire\n",
        options.data.alerts, options.data.days, options.expire_days
    );
    println!(
        "Alerts gone {:.1} s after start-up; pass completed (free pages returned) after {:.1} s; \
         store file {:.0} MiB before, {:.0} MiB after (while ingest went on).\n",
        deleted_after.as_secs_f64(),
        completed_after.as_secs_f64(),
        size_before as f64 / 1048576.0,
        size_after as f64 / 1048576.0,
    );
    println!(
        "| phase | seconds | ingest messages ({}×{} alerts) | ack p50 / p99 ms | failed | dashboard requests | p50 / p99 ms | failed |",
        options.senders, options.size
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for phase in [baseline, pass] {
        println!(
            "| {} | {:.0} | {} | {} / {} | {} | {} | {} / {} | {} |",
            phase.name,
            phase.seconds,
            phase.ingest.messages,
            ms(phase.ingest.latency.p50),
            ms(phase.ingest.latency.p99),
            phase.ingest.failed,
            phase.reads.n,
            ms(phase.reads.p50),
            ms(phase.reads.p99),
            phase.failed_reads,
        );
    }
}

/// Runs [`traffic`] on `addr` until `until` completes; its output and the traffic's latencies.
async fn traffic_during<T>(
    addr: SocketAddr,
    options: &RetentionOptions,
    until: impl std::future::Future<Output = T>,
) -> (T, IngestResult, Summary, u64) {
    let stop = Arc::new(AtomicBool::new(false));
    let load = tokio::spawn(traffic(addr, options.senders, options.size, stop.clone()));
    let out = until.await;
    stop.store(true, Ordering::Relaxed);
    let (ingest, reads, failed_reads) = load.await.expect("traffic");
    (out, ingest, reads, failed_reads)
}

/// Steady ingest beside one dashboard reader cycling the Sicherheitstacho URLs, until `stop`.
async fn traffic(
    addr: SocketAddr,
    senders: usize,
    size: usize,
    stop: Arc<AtomicBool>,
) -> (IngestResult, Summary, u64) {
    let reader = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let urls = measure::dashboard_urls();
            let mut conn = Conn::connect(addr).await.expect("reader connects");
            let (mut samples, mut failed) = (Vec::new(), 0u64);
            for url in urls.iter().cycle() {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let t = Instant::now();
                match conn.get(url).await {
                    Ok(r) if r.status == 200 => samples.push(t.elapsed()),
                    _ => failed += 1,
                }
            }
            (Summary::of(&mut samples), failed)
        })
    };
    let ingest = measure::ingest_until(addr, size, senders, &stop, u64::MAX, 7).await;
    let (reads, failed) = reader.await.expect("reader");
    (ingest, reads, failed)
}

/// The community alerts received before `cut_off`, asked of a short-lived server.
async fn count_before(dir: &Path, settings: &[(String, String)], cut_off: Timestamp) -> u64 {
    let server = Server::start(dir, settings);
    count_received_before(server.addr, cut_off).await
}

async fn count_received_before(addr: SocketAddr, cut_off: Timestamp) -> u64 {
    let case = measure::graphql(
        "count",
        &format!(
            "{{ alertCount(filter: {{received: {{to: \"{}\"}}}}) }}",
            cut_off.format_rfc3339()
        ),
    );
    let mut conn = Conn::connect(addr).await.expect("connects");
    let answer = case.send(&mut conn).await.expect("count answered");
    let value: serde_json::Value = serde_json::from_slice(&answer.body).expect("JSON");
    value["data"]["alertCount"]
        .as_u64()
        .unwrap_or_else(|| panic!("no count in {value}"))
}

/// Polls until no (community) alert received before `cut_off` is left; the time it took.
async fn wait_until_deleted(addr: SocketAddr, cut_off: Timestamp) -> Duration {
    let started = Instant::now();
    while count_received_before(addr, cut_off).await > 0 {
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    started.elapsed()
}

/// Polls `/metrics` until the first retention pass has completed (its space returned too);
/// the time it took.
async fn wait_until_pass_completed(addr: SocketAddr) -> Duration {
    let started = Instant::now();
    let mut conn = Conn::connect(addr).await.expect("connects");
    loop {
        let metrics = conn.get("/metrics").await.expect("metrics").text();
        let passes = metrics.lines().find_map(|l| {
            l.strip_prefix("peba_retention_passes_total ")?
                .parse::<f64>()
                .ok()
        });
        if passes.is_some_and(|n| n >= 1.0) {
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Bytes of the store's database file.
fn store_size(dir: &Path) -> u64 {
    std::fs::metadata(dir.join("peba.sqlite3"))
        .map(|m| m.len())
        .unwrap_or(0)
}
