//! Loading millions of synthetic alerts fast: messages are generated, parsed and built by
//! peba's own ingest code (so documents, ids and GeoIP fields are exactly what the HTTP route
//! would store), then written through the `Store` trait in large batches.

use crate::synth::{self, Rng, SENSORS};
use peba::domain::{Timestamp, User, UserName};
use peba::ingest::{BuildContext, GeoIp, build_alerts, parse_message};
use peba::store::{Store, StoreError, WriteBatch};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// Alerts per store write of a data set load.
pub const BATCH: usize = 20_000;
/// The generator's seed of a data set load (the same data set in every store).
pub const SEED: u64 = 42;

/// Alerts per generated message.
pub const ALERTS_PER_MESSAGE: u64 = 50;

/// The reader of the private routes the benchmarks use.
pub const READER: (&str, &str) = ("bench-reader", "bench-reader-token");
/// The sender of private (non-community) alerts.
pub const SENDER: (&str, &str) = ("bench-sender", "bench-sender-token");

/// What a load wrote.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// Alerts generated (documents written, before id collisions).
    pub alerts: u64,
    /// Days covered.
    pub days: u64,
    /// The received time of the newest alert.
    pub end: Timestamp,
    /// Seconds the load took.
    pub seconds: f64,
}

impl Loaded {
    /// As JSON (kept beside the data as `bench-meta.json`).
    pub fn to_json(&self) -> Value {
        json!({"alerts": self.alerts, "days": self.days, "end": self.end.format_legacy(), "seconds": self.seconds})
    }

    /// From [`Loaded::to_json`].
    pub fn from_json(value: &Value) -> Option<Loaded> {
        Some(Loaded {
            alerts: value["alerts"].as_u64()?,
            days: value["days"].as_u64()?,
            end: Timestamp::parse_legacy(value["end"].as_str()?).ok()?,
            seconds: value["seconds"].as_f64()?,
        })
    }
}

/// Adds the benchmark's reader and private sender (existing ones are kept).
pub async fn add_users(store: &dyn Store) -> Result<(), StoreError> {
    for (name, token, read_only) in [(READER.0, READER.1, true), (SENDER.0, SENDER.1, false)] {
        let hash =
            peba::auth::hash_token(token).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let user = User {
            name: UserName::parse(name).expect("valid name"),
            token: hash,
            read_only,
            community_only: false,
            email: String::new(),
        };
        match store.add_user(&user).await {
            Ok(()) | Err(StoreError::UserExists(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Synthetic alerts as the ingest route would store them: generated as EWS messages, then
/// parsed, built and enriched by peba's own ingest code.
pub struct Generator {
    rng: Rng,
    geoip: GeoIp,
    xml: String,
}

impl Generator {
    /// A generator with the GeoIP databases written by [`synth::write_geoip`] (`(city, asn)`).
    pub fn new(geoip: (&Path, &Path), seed: u64) -> Result<Self, StoreError> {
        let geoip = GeoIp::open(Some(geoip.0), Some(geoip.1))
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(Generator {
            rng: Rng::new(seed),
            geoip,
            xml: String::with_capacity(64 * 1024),
        })
    }

    /// Adds one message of `n` alerts from one sensor, received at `received` and created
    /// up to 5 minutes before, to `out`.
    pub fn message(&mut self, received: Timestamp, n: u64, out: &mut WriteBatch) {
        let sensor = self.rng.zipf(SENSORS);
        self.xml.clear();
        for _ in 0..n {
            let created = received
                .plus_seconds(-(self.rng.below(300) as i64))
                .format_legacy();
            synth::write_alert(&mut self.xml, &mut self.rng, sensor, &created);
        }
        let text = synth::message("x", "y", &self.xml);
        let message = parse_message(text.as_bytes()).expect("generated messages parse");
        let built = build_alerts(
            &message,
            &BuildContext {
                client_domain: !synth::sensor_is_private(sensor),
                client: if synth::sensor_is_private(sensor) {
                    "bench-sensor"
                } else {
                    peba::domain::COMMUNITY_CLIENT
                },
                max_field_bytes: 65_536,
                received,
                classification: Default::default(),
                geoip: &self.geoip,
            },
        );
        out.alerts.extend(built.alerts);
        out.cve_copies.extend(built.cve_copies);
    }
}

/// Generates `alerts` alerts received over the `days` days before `end` (in time order) and
/// writes them to `store` in batches of `batch` alerts, with statistics documents every
/// 10 minutes. `geoip` is the pair of databases written by [`synth::write_geoip`].
pub async fn load(
    store: Arc<dyn Store>,
    geoip: (&Path, &Path),
    alerts: u64,
    days: u64,
    end: Timestamp,
    batch: usize,
    seed: u64,
) -> Result<Loaded, StoreError> {
    let began = Instant::now();
    add_users(store.as_ref()).await?;
    let span = days as i64 * Timestamp::DAY;
    let start = end.plus_seconds(-span);
    let mut generator = Generator::new(geoip, seed)?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<WriteBatch>(2);
    let producer = std::thread::spawn(move || {
        let messages = alerts.div_ceil(ALERTS_PER_MESSAGE);
        let mut current = WriteBatch::default();
        let mut produced = 0u64;
        for m in 0..messages {
            let received =
                start.plus_seconds(((m as f64 + 1.0) / messages as f64 * span as f64) as i64);
            let n = ALERTS_PER_MESSAGE.min(alerts - produced);
            produced += n;
            generator.message(received, n, &mut current);
            if current.alerts.len() >= batch
                && tx.blocking_send(std::mem::take(&mut current)).is_err()
            {
                return;
            }
        }
        let _ = tx.blocking_send(current);
    });
    let mut written = 0u64;
    let mut last_report = Instant::now();
    while let Some(batch) = rx.recv().await {
        written += batch.alerts.len() as u64;
        if !batch.alerts.is_empty() {
            store.write(batch).await?;
        }
        if last_report.elapsed().as_secs() >= 10 {
            eprintln!(
                "  loaded {written} of {alerts} ({:.0} alerts/s)",
                written as f64 / began.elapsed().as_secs_f64()
            );
            last_report = Instant::now();
        }
    }
    producer.join().expect("generator thread");
    // Statistics documents (read by getStats): one per 10 minutes.
    let mut documents = Vec::new();
    let mut t = start.floor_to(600);
    let mut rng = Rng::new(seed ^ 0x5555);
    while t < end {
        let mut doc = serde_json::Map::new();
        doc.insert("UTCtimeFrom".into(), Value::String(t.format_legacy()));
        doc.insert(
            "UTCtimeTo".into(),
            Value::String(t.plus_seconds(600).format_legacy()),
        );
        doc.insert(
            "comm_totalRatio".into(),
            json!(rng.below(1000) as f64 / 10.0),
        );
        for module in peba::compat::get_stats::TYPES {
            doc.insert(
                format!("comm_ratio_{module}"),
                json!(rng.below(1000) as f64 / 10.0),
            );
        }
        documents.push((format!("stat-{}", t.unix()), doc));
        t = t.plus_seconds(600);
        if documents.len() == 2000 {
            store
                .write_statistics(std::mem::take(&mut documents))
                .await?;
        }
    }
    store.write_statistics(documents).await?;
    Ok(Loaded {
        alerts,
        days,
        end,
        seconds: began.elapsed().as_secs_f64(),
    })
}
