//! `peba-bench text-search`: latency of free-text filters (`AlertFilter.text`) on the
//! embedded data set, for a selective and a common term.

use crate::client::Conn;
use crate::measure::{self, Case, ms};
use crate::report::{self, DataSetOptions};
use crate::server::Server;
use crate::synth;
use std::fmt::Write as _;
use std::time::Duration;

/// Options of `peba-bench text-search`.
#[derive(Debug, clap::Args)]
pub struct TextSearchOptions {
    /// The data set (generated when missing, as `generate` does).
    #[command(flatten)]
    pub data: DataSetOptions,
    /// Measured requests per query.
    #[arg(long, default_value_t = 30)]
    pub iterations: usize,
    /// Most seconds spent measuring one query.
    #[arg(long, default_value_t = 30)]
    pub query_seconds: u64,
    /// The selective term (by default one only the generator's rare command holds; data
    /// sets generated before it existed need another, e.g. `invokefunction`).
    #[arg(long, default_value = synth::RARE_TERM)]
    pub selective: String,
}

impl TextSearchOptions {
    /// The searched terms by kind: the selective one, and two the generator writes in many
    /// alerts.
    fn terms(&self) -> [(&'static str, String); 3] {
        [
            ("selective", self.selective.clone()),
            ("command", "wget".to_owned()),
            ("credential", "admin".to_owned()),
        ]
    }
}

/// One measured query: its case and the term it searches.
struct TextCase {
    kind: &'static str,
    term: String,
    case: Case,
}

/// The page and the count of each term, as anonymous dashboards ask them (community data).
fn cases(terms: &[(&'static str, String)]) -> Vec<TextCase> {
    terms
        .iter()
        .flat_map(|(kind, term)| {
            let filter = format!(
                "filter: {{ text: {} }}",
                serde_json::Value::from(term.as_str())
            );
            [
                TextCase {
                    kind,
                    term: term.clone(),
                    case: measure::graphql(
                        "alerts first=35",
                        &format!(
                            "{{ alerts(first: 35, {filter}) {{ nodes {{ id createdAt request }} }} }}"
                        ),
                    ),
                },
                TextCase {
                    kind,
                    term: term.clone(),
                    case: measure::graphql("alertCount", &format!("{{ alertCount({filter}) }}")),
                },
            ]
        })
        .collect()
}

/// How many community alerts contain `term`, asked of the server.
async fn matches(conn: &mut Conn, term: &str) -> u64 {
    let count = measure::graphql(
        "alertCount",
        &format!(
            "{{ alertCount(filter: {{ text: {} }}) }}",
            serde_json::Value::from(term)
        ),
    );
    let answer = count.send(conn).await.expect("count request");
    serde_json::from_slice::<serde_json::Value>(&answer.body).expect("JSON answer")["data"]
        ["alertCount"]
        .as_u64()
        .unwrap_or_else(|| panic!("no count: {}", answer.text()))
}

/// Runs the measurements on the data set of `options` and returns the Markdown report.
pub async fn run(options: TextSearchOptions) -> String {
    let dir = options.data.dir();
    let meta = report::prepare_embedded(&dir, options.data.alerts, options.data.days, false).await;
    let server = Server::start(&dir, &report::settings(&dir, false, Some(meta.end)));
    let mut conn = Conn::connect(server.addr).await.expect("connect");
    let terms = options.terms();
    let mut counts = Vec::new();
    for (_, term) in &terms {
        counts.push((term.clone(), matches(&mut conn, term).await));
    }
    let cases = cases(&terms);
    let plain: Vec<Case> = cases.iter().map(|c| c.case.clone()).collect();
    let results = measure::route_latencies(
        server.addr,
        &plain,
        options.iterations,
        Duration::from_secs(options.query_seconds),
    )
    .await
    .expect("text search requests");
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### Free-text search (embedded store, `cache=false`, {} alerts, community data)\n\n\
         | query | term | matching alerts | n | p50 ms | p99 ms | max ms |\n\
         |---|---|---:|---:|---:|---:|---:|",
        meta.alerts
    );
    for (case, result) in cases.iter().zip(&results) {
        let n = counts
            .iter()
            .find(|(term, _)| *term == case.term)
            .map_or(0, |(_, n)| *n);
        let _ = writeln!(
            out,
            "| {} | {} `{}` | {} | {} | {} | {} | {} |",
            result.name,
            case.kind,
            case.term,
            n,
            result.latency.n,
            ms(result.latency.p50),
            ms(result.latency.p99),
            ms(result.latency.max)
        );
    }
    out
}
