//! `peba-bench elastic`: peba on Elasticsearch beside the same requests sent directly to the
//! node, and beside the embedded store on the same data set.
//!
//! 1. The data set: the embedded one (reused or loaded), and the same alerts written to the
//!    node through peba's `ElasticStore` ([`data`]).
//! 2. Routes: a `peba serve` pointed at a recording [`proxy`] answers every legacy case once;
//!    the requests it sent per case become a replay [`replay::Plan`]. A second `peba serve`
//!    pointed directly at the node is then measured beside the replay, alternating
//!    ([`routes`]); the embedded store's latency on the same data set is measured first.
//! 3. Ingest: peba ingests through its HTTP route via the proxy once to capture its `_bulk`
//!    requests; then rounds alternate peba ingesting directly and the replayed `_bulk`
//!    requests, each into fresh indices ([`ingest`]).

mod data;
mod ingest;
mod node;
mod proxy;
mod replay;
mod routes;

use crate::measure::{self, ms};
use crate::report::{self, DataSetOptions};
use crate::server::{self, Server};
use crate::synth;
use node::Node;
use proxy::Proxy;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Options of `peba-bench elastic`.
#[derive(Debug, clap::Args)]
pub struct ElasticOptions {
    /// The search node, `http://host:port`.
    #[arg(long)]
    pub url: String,
    /// The data set (the same alerts as the embedded one).
    #[command(flatten)]
    pub data: DataSetOptions,
    /// Measured requests per route and side.
    #[arg(long, default_value_t = 30)]
    pub iterations: usize,
    /// Most seconds spent measuring one route (both sides).
    #[arg(long, default_value_t = 30)]
    pub route_seconds: u64,
    /// Alerts per ingest run (in messages of 100).
    #[arg(long, default_value_t = 20_000)]
    pub ingest_alerts: u64,
    /// Concurrent senders of the ingest runs.
    #[arg(long, default_value_t = 8)]
    pub senders: usize,
    /// Ingest rounds (each: peba once, the raw replay once).
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Messages of 3 alerts sent one after another to measure the acknowledgement latency.
    #[arg(long, default_value_t = 200)]
    pub ack_messages: u64,
    /// Skip the route comparison.
    #[arg(long)]
    pub no_routes: bool,
    /// Skip the ingest comparison.
    #[arg(long)]
    pub no_ingest: bool,
    /// Also write the report to this file.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Samples the one-minute load average every 5 s while a phase runs.
struct LoadSampler {
    samples: Arc<Mutex<Vec<f64>>>,
    task: tokio::task::JoinHandle<()>,
}

impl LoadSampler {
    fn start() -> LoadSampler {
        let samples = Arc::new(Mutex::new(Vec::new()));
        let into = samples.clone();
        let task = tokio::spawn(async move {
            loop {
                into.lock().expect("samples").push(server::load_average());
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        });
        LoadSampler { samples, task }
    }

    /// "min–max (median m)" of the samples since the last call.
    fn take(&self) -> String {
        let mut s = std::mem::take(&mut *self.samples.lock().expect("samples"));
        s.push(server::load_average());
        s.sort_by(f64::total_cmp);
        format!(
            "{:.1}–{:.1} (median {:.1})",
            s[0],
            s[s.len() - 1],
            s[s.len() / 2]
        )
    }
}

impl Drop for LoadSampler {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `peba-bench elastic`.
pub async fn run(options: ElasticOptions) {
    let data_dir = options.data.dir();
    let url = options.url.trim_end_matches('/').to_owned();
    let node_addr = node::address(&url).expect("the node's address");
    let mut node = Node::connect(node_addr).await.expect("the node answers");
    let version = node.version().await.expect("the node's version");
    let load = LoadSampler::start();
    let mut report = String::new();
    let _ = writeln!(
        report,
        "## Elasticsearch side by side: {} alerts over {} days\n\nMachine: {}. Search node: {version} \
         (single node on the same machine, loopback). peba, the node and the load generator share \
         the cores.\n",
        options.data.alerts,
        options.data.days,
        server::machine(),
    );

    let embedded =
        report::prepare_embedded(&data_dir, options.data.alerts, options.data.days, false).await;
    let geoip = data_dir.join("geoip");
    let loaded = data::prepare(&mut node, &url, &embedded, &geoip).await;
    let _ = writeln!(
        report,
        "Data set: {} alerts (seed and end time of the embedded data set in `{}`), loaded into \
         the node through peba's `ElasticStore` in {:.0} s ({:.0} alerts/s). Load average \
         during the preparation: {}.\n",
        loaded.alerts,
        data_dir.display(),
        loaded.seconds,
        loaded.alerts as f64 / loaded.seconds,
        load.take()
    );

    let proxy = Proxy::start(node_addr).await.expect("proxy");
    if !options.no_routes {
        let budget = Duration::from_secs(options.route_seconds);
        eprintln!("uncached routes, embedded store ...");
        let (embedded_results, _) =
            report::routes(&data_dir, &embedded, options.iterations, budget).await;
        let embedded_load = load.take();
        let mut cases = measure::legacy_cases(embedded.end, &synth::busiest_source().to_string());
        cases.extend(measure::graphql_cases());
        let mut es_settings = report::settings(&data_dir, false, Some(embedded.end));
        es_settings.push(("elasticsearch_host".to_owned(), proxy.url()));
        eprintln!("capturing the requests of each route ...");
        let plans = {
            let captured = Server::start(&data_dir, &es_settings);
            routes::capture(captured.addr, &proxy, &cases)
                .await
                .expect("capture")
        };
        es_settings.pop();
        es_settings.push(("elasticsearch_host".to_owned(), url.clone()));
        eprintln!("uncached routes, peba on the node beside the raw requests ...");
        let server = Server::start(&data_dir, &es_settings);
        let compared = routes::compare(
            server.addr,
            node_addr,
            &proxy,
            &cases,
            &plans,
            options.iterations,
            budget,
        )
        .await
        .expect("route comparison");
        let peak = server.peak_kib();
        drop(server);
        write_routes(
            &mut report,
            &options,
            &embedded_results,
            &compared,
            &embedded_load,
            &load.take(),
            peak,
        );
        write_requests(&mut report, &cases, &plans);
    }

    if !options.no_ingest {
        let target = ingest::Target {
            url: &url,
            addr: node_addr,
            data_dir: &data_dir,
        };
        eprintln!("acknowledgement latency of small messages ...");
        let small = ingest::small_message_latency(&mut node, target, options.ack_messages).await;
        write_small_messages(&mut report, &small, &load.take());
        eprintln!("capturing the requests of an ingest run ...");
        let capture = ingest::capture(
            &mut node,
            &proxy,
            target,
            options.senders,
            options.ingest_alerts,
        )
        .await;
        load.take();
        eprintln!("ingest, peba beside the raw _bulk requests ...");
        let rounds = ingest::compare(
            &mut node,
            target,
            &capture,
            options.senders,
            options.ingest_alerts,
            options.rounds,
        )
        .await;
        write_ingest(&mut report, &options, &capture, &rounds, &load.take());
    }

    println!("{report}");
    if let Some(out) = &options.out {
        std::fs::write(out, &report).expect("report file");
    }
}

fn ratio_text(requests: usize, ratio: f64) -> String {
    if requests == 0 {
        "–".to_owned()
    } else {
        format!("{ratio:.2}")
    }
}

fn write_routes(
    report: &mut String,
    options: &ElasticOptions,
    embedded: &[measure::RouteResult],
    compared: &[routes::Comparison],
    embedded_load: &str,
    es_load: &str,
    peak_kib: u64,
) {
    let _ = writeln!(
        report,
        "### Uncached routes ({} alerts, `cache=false`, clock at the newest alert)\n\n\
         Embedded: {} requests per route after 2 warm-ups (load average {embedded_load}). \
         Elasticsearch: per route 2 warm-up rounds, then up to {} rounds (at most {} s) of one \
         request to peba, one replay of the requests peba sends to the node for it, and one \
         replay of them through a forwarding proxy (\"raw + hop\": what any server between \
         client and node costs before doing work of its own), rotating which goes first \
         (load average {es_load}). Ratio = peba-on-ES median / raw median; \"node requests\" \
         is how many requests peba sends to the node per route (all sequential unless marked \
         ‖n: n at once).\n",
        options.data.alerts, options.iterations, options.iterations, options.route_seconds,
    );
    let _ = writeln!(
        report,
        "| route | node requests | embedded median ms | peba-on-ES median ms | raw ES median ms | ratio | raw + hop median ms | embedded p99 ms | peba-on-ES p99 ms | raw ES p99 ms | n | status | bytes embedded / ES |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    let mut within = 0;
    let mut measured = 0;
    for c in compared {
        let e = embedded.iter().find(|e| e.name == c.name);
        let requests = if c.concurrency > 1 {
            format!("{} ‖{}", c.requests, c.concurrency)
        } else {
            c.requests.to_string()
        };
        if c.requests > 0 {
            measured += 1;
            if c.ratio() <= 1.2 {
                within += 1;
            }
        }
        let _ = writeln!(
            report,
            "| {} | {requests} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} / {} |",
            c.name,
            e.map_or("–".to_owned(), |e| ms(e.latency.p50)),
            ms(c.peba.p50),
            ms(c.raw.p50),
            ratio_text(c.requests, c.ratio()),
            ms(c.hop.p50),
            e.map_or("–".to_owned(), |e| ms(e.latency.p99)),
            ms(c.peba.p99),
            ms(c.raw.p99),
            c.peba.n,
            c.status,
            e.map_or("–".to_owned(), |e| e.bytes.to_string()),
            c.bytes,
        );
    }
    let median_of = |ratio: fn(&routes::Comparison) -> f64| {
        let mut ratios: Vec<f64> = compared
            .iter()
            .filter(|c| c.requests > 0)
            .map(ratio)
            .collect();
        ratios.sort_by(f64::total_cmp);
        ratios.get(ratios.len() / 2).copied().unwrap_or(f64::NAN)
    };
    let _ = writeln!(
        report,
        "\n{within} of {measured} routes that query the node are within 1.2× of the raw requests; \
         median ratio {:.2} to the raw requests, {:.2} to the raw requests through one hop. \
         Peak RSS of peba on Elasticsearch: {:.0} MiB.\n",
        median_of(routes::Comparison::ratio),
        median_of(routes::Comparison::hop_ratio),
        peak_kib as f64 / 1024.0
    );
}

fn write_requests(report: &mut String, cases: &[measure::Case], plans: &[replay::Plan]) {
    let _ = writeln!(
        report,
        "<details><summary>Requests peba sends to the node per route</summary>\n\n\
         | route | requests (method, path) | body bytes |\n|---|---|---:|"
    );
    for (case, plan) in cases.iter().zip(plans) {
        // Runs of the same method and path, as "`POST /ews-*/_search` × 4".
        let mut runs: Vec<(String, usize)> = Vec::new();
        for (method, target) in plan.targets() {
            let what = format!("{method} {}", target.split('?').next().unwrap_or_default());
            match runs.last_mut() {
                Some((last, n)) if *last == what => *n += 1,
                _ => runs.push((what, 1)),
            }
        }
        let targets: Vec<String> = runs
            .iter()
            .map(|(what, n)| match n {
                1 => format!("`{what}`"),
                n => format!("`{what}` × {n}"),
            })
            .collect();
        let _ = writeln!(
            report,
            "| {} | {} | {} |",
            case.name,
            targets.join(", "),
            plan.body_bytes()
        );
    }
    report.push_str("\n</details>\n\n");
}

fn write_ingest(
    report: &mut String,
    options: &ElasticOptions,
    capture: &ingest::Capture,
    rounds: &[ingest::Round],
    load: &str,
) {
    let _ = writeln!(
        report,
        "### Ingest ({} alerts per run in {}-alert messages, {} senders, fresh indices per run)\n\n\
         peba: `POST /ews-0.1/alert/postSimpleMessage` of a `peba serve` on the node (time from \
         the first message to the last acknowledgement). Raw: the {} `_bulk` requests peba sent \
         in a captured run of the same size ({} alert documents, {} CVE copies, {:.0} alerts per \
         request), replayed byte for byte (same query string: no `refresh`, the index's \
         default refresh) directly to the node in the recorded order, with as many in flight \
         as peba had at most ({}). Index template and first daily index are created before \
         each run and are not timed on either side. Load average {load}.\n",
        options.ingest_alerts,
        ingest::MESSAGE_ALERTS,
        options.senders,
        capture.bulks.requests(),
        capture.alerts,
        capture.cve_copies,
        capture.alerts as f64 / capture.bulks.requests().max(1) as f64,
        capture.bulks.max_in_flight(),
    );
    let _ = writeln!(
        report,
        "| round | peba alerts/s | raw `_bulk` alerts/s | ratio (peba rate / raw rate) | peba ack p50 ms | CPU s of peba / load generator / run | stored peba / raw |\n|---:|---:|---:|---:|---:|---:|---:|"
    );
    let mut ratios = Vec::new();
    let (mut peba_rates, mut raw_rates) = (Vec::new(), Vec::new());
    for (i, r) in rounds.iter().enumerate() {
        let raw_rate = capture.alerts as f64 / r.raw_seconds;
        let ratio = r.peba.rate() / raw_rate;
        ratios.push(ratio);
        peba_rates.push(r.peba.rate());
        raw_rates.push(raw_rate);
        let _ = writeln!(
            report,
            "| {} | {:.0} | {:.0} | {ratio:.2} | {} | {:.1} / {:.1} / {:.1} | {} / {} |",
            i + 1,
            r.peba.rate(),
            raw_rate,
            ms(r.peba.latency.p50),
            r.peba_cpu,
            r.sender_cpu,
            r.peba.seconds,
            r.peba_stored,
            r.raw_stored
        );
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    let _ = writeln!(
        report,
        "| median | {:.0} | {:.0} | {:.2} | | | |\n",
        median(&mut peba_rates),
        median(&mut raw_rates),
        median(&mut ratios),
    );
    let others: Vec<String> = capture
        .others
        .iter()
        .map(|(kind, n)| format!("{n} × `{kind}`"))
        .collect();
    let _ = writeln!(
        report,
        "Besides the `_bulk` requests peba sent, in the captured run: {}. The node spent \
         {:.0} ms answering the `_bulk` requests and {:.0} ms answering the others.\n",
        if others.is_empty() {
            "nothing".to_owned()
        } else {
            others.join(", ")
        },
        capture.bulk_ms,
        capture.other_ms
    );
}

fn write_small_messages(report: &mut String, result: &measure::IngestResult, load: &str) {
    let _ = writeln!(
        report,
        "### Acknowledgement latency ({} messages of {} alerts, one sender, fresh indices)\n\n\
         | messages | ack p50 ms | ack p99 ms | ack max ms |\n|---:|---:|---:|---:|\n\
         | {} | {} | {} | {} |\n\nLoad average {load}.\n",
        result.messages,
        result.size,
        result.messages,
        ms(result.latency.p50),
        ms(result.latency.p99),
        ms(result.latency.max),
    );
}
