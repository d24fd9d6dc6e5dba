//! The `all` run: prepares the data, runs every measurement and prints Markdown tables.

use crate::load::{self, Loaded};
use crate::measure::{self, IngestResult, LoadResult, RouteResult, ms};
use crate::server::{self, Server};
use crate::store_write;
use crate::synth;
use peba::domain::Timestamp;
use peba::store::Store;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Which synthetic data set a run queries.
#[derive(Debug, clap::Args)]
pub struct DataSetOptions {
    /// Alerts in the query data set.
    #[arg(long, default_value_t = 1_000_000)]
    pub alerts: u64,
    /// Days the data set spans (ending at load time).
    #[arg(long, default_value_t = 40)]
    pub days: u64,
    /// Where the embedded data set is kept (reused when it has the same size);
    /// default `/tmp/peba-bench-<alerts>`.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

impl DataSetOptions {
    /// The directory of the embedded data set.
    pub fn dir(&self) -> PathBuf {
        self.data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(format!("/tmp/peba-bench-{}", self.alerts)))
    }
}

/// Options of `peba-bench all`.
#[derive(Debug, clap::Args)]
pub struct AllOptions {
    /// The data set.
    #[command(flatten)]
    pub data: DataSetOptions,
    /// Measured requests per route (uncached).
    #[arg(long, default_value_t = 30)]
    pub iterations: usize,
    /// Most seconds spent measuring one route.
    #[arg(long, default_value_t = 15)]
    pub route_seconds: u64,
    /// Connections of the cached load run.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// Seconds of the cached load run.
    #[arg(long, default_value_t = 10)]
    pub load_seconds: u64,
    /// Concurrent senders of the ingest runs (comma-separated: one set of runs each).
    #[arg(long, value_delimiter = ',', default_value = "8,32")]
    pub senders: Vec<usize>,
    /// Seconds of each ingest run (1, 10 and 100 alerts per message).
    #[arg(long, default_value_t = 10)]
    pub ingest_seconds: u64,
    /// Skip the ingest runs.
    #[arg(long)]
    pub no_ingest: bool,
    /// Skip the uncached route latencies.
    #[arg(long)]
    pub no_routes: bool,
    /// Skip the cached load run.
    #[arg(long)]
    pub no_cached: bool,
    /// Also write the report to this file.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub const META: &str = "bench-meta.json";

/// The GeoIP databases of a data set directory (city, ASN).
pub fn geoip_paths(data_dir: &Path) -> (PathBuf, PathBuf) {
    (
        data_dir.join("geoip/city.mmdb"),
        data_dir.join("geoip/asn.mmdb"),
    )
}

/// Loads `alerts` alerts over `days` days into the embedded store in `data_dir`, unless a data
/// set of that size is there already (or `force`).
pub async fn prepare_embedded(data_dir: &Path, alerts: u64, days: u64, force: bool) -> Loaded {
    if !force
        && let Some(meta) = std::fs::read_to_string(data_dir.join(META))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .and_then(|v| Loaded::from_json(&v))
        && meta.alerts == alerts
        && meta.days == days
    {
        eprintln!(
            "reusing the data set in {} ({alerts} alerts)",
            data_dir.display()
        );
        return meta;
    }
    let _ = std::fs::remove_dir_all(data_dir);
    std::fs::create_dir_all(data_dir).expect("data directory");
    synth::write_geoip(&data_dir.join("geoip")).expect("GeoIP databases");
    let store: Arc<dyn Store> =
        Arc::new(peba::store::embedded::EmbeddedStore::open(data_dir).expect("store opens"));
    eprintln!(
        "loading {alerts} alerts over {days} days into {}",
        data_dir.display()
    );
    let (city, asn) = geoip_paths(data_dir);
    let loaded = load::load(
        store,
        (&city, &asn),
        alerts,
        days,
        Timestamp::now(),
        load::BATCH,
        load::SEED,
    )
    .await
    .expect("load");
    eprintln!(
        "loaded {alerts} alerts in {:.1}s ({:.0} alerts/s through the Store trait)",
        loaded.seconds,
        alerts as f64 / loaded.seconds
    );
    std::fs::write(data_dir.join(META), loaded.to_json().to_string()).expect("meta file");
    loaded
}

/// The `peba serve` settings of a benchmark server on the data set in `data_dir`: GeoIP
/// databases from there, the cache on or off, and the clock frozen at `clock` when given.
pub fn settings(data_dir: &Path, cache: bool, clock: Option<Timestamp>) -> Vec<(String, String)> {
    let (city, asn) = geoip_paths(data_dir);
    let mut s = vec![
        ("cache".to_owned(), cache.to_string()),
        ("geoip_city".to_owned(), city.display().to_string()),
        ("geoip_asn".to_owned(), asn.display().to_string()),
    ];
    if let Some(clock) = clock {
        s.push(("clock".to_owned(), clock.format_legacy()));
    }
    s
}

fn mib(kib: u64) -> String {
    format!("{:.0}", kib as f64 / 1024.0)
}

/// The uncached latency of every legacy route and the main GraphQL queries on the data set in `data_dir`, and the peak
/// memory of the server.
pub async fn routes(
    data_dir: &Path,
    meta: &Loaded,
    iterations: usize,
    budget: Duration,
) -> (Vec<RouteResult>, u64) {
    let server = Server::start(data_dir, &settings(data_dir, false, Some(meta.end)));
    let mut cases = measure::legacy_cases(meta.end, &synth::busiest_source().to_string());
    cases.extend(measure::graphql_cases());
    let results = measure::route_latencies(server.addr, &cases, iterations, budget)
        .await
        .expect("route requests");
    (results, server.peak_kib())
}

/// Cached throughput of the dashboard URLs.
pub async fn cached(
    data_dir: &Path,
    meta: &Loaded,
    connections: usize,
    seconds: u64,
) -> (LoadResult, u64) {
    let server = Server::start(data_dir, &settings(data_dir, true, Some(meta.end)));
    let urls = measure::dashboard_urls();
    // Fill the cache.
    measure::hammer(
        server.addr,
        &urls,
        1,
        Duration::from_secs(60),
        urls.len() as u64,
    )
    .await;
    let result = measure::hammer(
        server.addr,
        &urls,
        connections,
        Duration::from_secs(seconds),
        50_000_000,
    )
    .await;
    (result, server.peak_kib())
}

/// Ingest runs with messages of 1, 10 and 100 alerts from each number of `senders`, each into
/// a fresh embedded store.
pub async fn ingest(senders: &[usize], seconds: u64) -> Vec<(IngestResult, u64, u64)> {
    let mut out = Vec::new();
    for (&senders, size) in senders
        .iter()
        .flat_map(|s| [1usize, 10, 100].iter().map(move |size| (s, *size)))
    {
        let dir = tempfile::tempdir().expect("temporary directory");
        synth::write_geoip(&dir.path().join("geoip")).expect("GeoIP databases");
        {
            let store = peba::store::embedded::EmbeddedStore::open(dir.path()).expect("store");
            load::add_users(&store).await.expect("users");
        }
        let server = Server::start(dir.path(), &settings(dir.path(), true, None));
        let result = measure::ingest(
            server.addr,
            size,
            senders,
            Duration::from_secs(seconds),
            u64::MAX,
            1000 + size as u64,
        )
        .await;
        eprintln!(
            "  ingest {size}-alert messages, {senders} senders: {:.0} alerts/s, p50 {} ms, p99 {} ms, {} failed",
            result.rate(),
            ms(result.latency.p50),
            ms(result.latency.p99),
            result.failed
        );
        out.push((result, server.peak_kib(), server.rss_kib()));
    }
    out
}

/// `peba-bench all`.
pub async fn all(options: AllOptions) {
    let data_dir = options.data.dir();
    let mut report = String::new();
    let (binary, via_self) = server::peba_binary();
    let _ = writeln!(
        report,
        "## Run: {} alerts over {} days\n\nMachine: {}. Server: `{}`{}. Load generator in the same \
         machine (loopback), sharing the cores.\n",
        options.data.alerts,
        options.data.days,
        server::machine(),
        binary.display(),
        if via_self {
            " (peba's command line inside peba-bench)"
        } else {
            ""
        }
    );
    if !options.no_ingest {
        eprintln!("ingest through POST /ews-0.1/alert/postSimpleMessage ...");
        let runs = ingest(&options.senders, options.ingest_seconds).await;
        let _ = writeln!(
            report,
            "### Ingest (embedded store, {} s per run)\n\n| alerts/message | senders | alerts/s | messages/s | ack p50 ms | ack p99 ms | failed | peak RSS MiB |\n|---:|---:|---:|---:|---:|---:|---:|---:|",
            options.ingest_seconds
        );
        for (r, peak, _) in &runs {
            let _ = writeln!(
                report,
                "| {} | {} | {:.0} | {:.0} | {} | {} | {} | {} |",
                r.size,
                r.senders,
                r.rate(),
                r.messages as f64 / r.seconds,
                ms(r.latency.p50),
                ms(r.latency.p99),
                r.failed,
                mib(*peak)
            );
        }
        eprintln!("the embedded store's write path alone ...");
        let writes = store_write::run(200_000, &[100, 400, 2000, 10_000]).await;
        let _ = writeln!(
            report,
            "\n### Store write path alone (embedded store, pre-built alerts, one durable commit per write)\n\n{}",
            store_write::table(&writes)
        );
    }
    let meta = prepare_embedded(&data_dir, options.data.alerts, options.data.days, false).await;
    let _ = writeln!(
        report,
        "Data set: {} alerts, loaded through the Store trait in {:.0} s ({:.0} alerts/s), database {} MiB.\n",
        meta.alerts,
        meta.seconds,
        meta.alerts as f64 / meta.seconds,
        std::fs::metadata(data_dir.join(peba::store::embedded::DATABASE_FILE))
            .map_or(0, |m| m.len() / 1_048_576)
    );
    if !options.no_routes {
        eprintln!("uncached route latencies ...");
        let (results, peak) = routes(
            &data_dir,
            &meta,
            options.iterations,
            Duration::from_secs(options.route_seconds),
        )
        .await;
        let _ = writeln!(
            report,
            "### Uncached routes (embedded store, `cache=false`, {} alerts)\n\n| route | n | median ms | p99 ms | max ms | status | bytes |\n|---|---:|---:|---:|---:|---:|---:|",
            meta.alerts
        );
        for r in &results {
            let _ = writeln!(
                report,
                "| {} | {} | {} | {} | {} | {} | {} |",
                r.name,
                r.latency.n,
                ms(r.latency.p50),
                ms(r.latency.p99),
                ms(r.latency.max),
                r.status,
                r.bytes
            );
        }
        let _ = writeln!(
            report,
            "\nPeak RSS of peba during the route run: {} MiB.\n",
            mib(peak)
        );
    }
    if !options.no_cached {
        eprintln!("cached dashboard load ...");
        let (r, peak) = cached(&data_dir, &meta, options.connections, options.load_seconds).await;
        let _ = writeln!(
            report,
            "### Cached dashboard routes (the 4 Sicherheitstacho URLs × 3 `ci` values)\n\n| connections | requests | req/s | p50 ms | p99 ms | failed | peak RSS MiB |\n|---:|---:|---:|---:|---:|---:|---:|\n| {} | {} | {:.0} | {} | {} | {} | {} |\n",
            options.connections,
            r.ok,
            r.rate(),
            ms(r.latency.p50),
            ms(r.latency.p99),
            r.failed,
            mib(peak)
        );
    }
    println!("{report}");
    if let Some(out) = &options.out {
        std::fs::write(out, &report).expect("report file");
    }
}
