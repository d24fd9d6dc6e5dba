//! The embedded store's write path alone: pre-built alerts written through the `Store` trait
//! in batches of a given size (the size the group-commit writer forms from concurrent
//! messages), without HTTP, parsing or a load generator competing for the cores.

use crate::load::Generator;
use crate::measure::{Summary, ms};
use crate::synth;
use peba::domain::Timestamp;
use peba::store::{Store, WriteBatch};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// One batch size's result.
#[derive(Debug, Clone)]
pub struct StoreWriteResult {
    /// Alerts per store write (one transaction, one durable commit).
    pub batch: usize,
    /// Alerts written.
    pub alerts: usize,
    /// Alerts per second over the whole run.
    pub rate: f64,
    /// Time of one store write.
    pub write: Summary,
}

/// Generates `alerts` alerts received over the last hour, then writes them into a fresh
/// embedded store per batch size and measures each run.
pub async fn run(alerts: u64, batches: &[usize]) -> Vec<StoreWriteResult> {
    let dir = tempfile::tempdir().expect("temporary directory");
    synth::write_geoip(&dir.path().join("geoip")).expect("GeoIP databases");
    let (city, asn) = (
        dir.path().join("geoip/city.mmdb"),
        dir.path().join("geoip/asn.mmdb"),
    );
    let mut generator = Generator::new((&city, &asn), 7).expect("generator");
    let end = Timestamp::now();
    let mut all = WriteBatch::default();
    let messages = alerts.div_ceil(100);
    for m in 0..messages {
        let received = end.plus_seconds(-3600 + (m * 3600 / messages) as i64);
        generator.message(received, 100, &mut all);
    }
    eprintln!("generated {} alerts", all.alerts.len());
    let mut results = Vec::new();
    for &batch in batches {
        let store_dir = tempfile::tempdir().expect("temporary directory");
        let store = peba::store::embedded::EmbeddedStore::open(store_dir.path()).expect("store");
        let mut samples: Vec<Duration> = Vec::new();
        let began = Instant::now();
        for chunk in all.alerts.chunks(batch) {
            let write = WriteBatch {
                alerts: chunk.to_vec(),
                cve_copies: Vec::new(),
            };
            let t = Instant::now();
            store.write(write).await.expect("store write");
            samples.push(t.elapsed());
        }
        let seconds = began.elapsed().as_secs_f64();
        let result = StoreWriteResult {
            batch,
            alerts: all.alerts.len(),
            rate: all.alerts.len() as f64 / seconds,
            write: Summary::of(&mut samples),
        };
        eprintln!(
            "  batches of {batch}: {:.0} alerts/s, write p50 {} ms, p99 {} ms",
            result.rate,
            ms(result.write.p50),
            ms(result.write.p99)
        );
        results.push(result);
    }
    results
}

/// The results as a markdown table.
pub fn table(results: &[StoreWriteResult]) -> String {
    let mut out = String::from(
        "| alerts/write | alerts | alerts/s | write p50 ms | write p99 ms |\n|---:|---:|---:|---:|---:|\n",
    );
    for r in results {
        let _ = writeln!(
            out,
            "| {} | {} | {:.0} | {} | {} |",
            r.batch,
            r.alerts,
            r.rate,
            ms(r.write.p50),
            ms(r.write.p99)
        );
    }
    out
}
