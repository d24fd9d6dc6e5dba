//! `peba-bench`: benchmarks, load and fault runs for peba. See BENCHMARKS.md.
//!
//! ```text
//! cargo build --release --workspace
//! cargo run --release -p peba-bench -- all --alerts 1000000
//! ```

mod client;
mod elastic;
mod load;
mod measure;
#[path = "../../tests/support/mmdb.rs"]
mod mmdb;
mod report;
mod retention;
mod server;
mod store_write;
mod synth;
mod text_search;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Benchmarks for peba: synthetic data, ingest, query latency, cached throughput, memory.
#[derive(Debug, Parser)]
#[command(name = "peba-bench")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Everything: load (or reuse) a data set, then ingest, uncached routes, cached load.
    All(report::AllOptions),
    /// Only load a synthetic data set into an embedded store directory.
    Generate {
        /// Alerts to generate.
        #[arg(long, default_value_t = 1_000_000)]
        alerts: u64,
        /// Days the alerts are spread over (ending now).
        #[arg(long, default_value_t = 40)]
        days: u64,
        /// Store directory.
        #[arg(long)]
        data_dir: PathBuf,
    },
    /// Only the embedded store's write path: pre-built alerts in batches of each size.
    StoreWrite {
        /// Alerts to write per batch size.
        #[arg(long, default_value_t = 200_000)]
        alerts: u64,
        /// Alerts per store write (comma-separated).
        #[arg(long, value_delimiter = ',', default_value = "100,400,2000,10000")]
        batches: Vec<usize>,
    },
    /// peba on Elasticsearch beside raw requests to the node, and beside the embedded store.
    Elastic(elastic::ElasticOptions),
    /// Latency of free-text filters (`text`) for a selective and a common term on the
    /// embedded data set `/tmp/peba-bench-<alerts>` (generated when missing).
    TextSearch(text_search::TextSearchOptions),
    /// Ingest and dashboard latency while a retention pass deletes the oldest alerts.
    Retention(retention::RetentionOptions),
    /// Runs peba's own command line (used when no `peba` binary is beside this one).
    #[command(hide = true, disable_help_flag = true)]
    Peba {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    match cli.command {
        Command::Peba { args } => {
            use clap::Parser as _;
            let peba_cli =
                peba::cli::Cli::parse_from(std::iter::once("peba".to_owned()).chain(args));
            match runtime.block_on(peba::cli::run(peba_cli)) {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(message) => {
                    eprintln!("peba: {message}");
                    std::process::ExitCode::FAILURE
                }
            }
        }
        Command::Generate {
            alerts,
            days,
            data_dir,
        } => {
            runtime.block_on(report::prepare_embedded(&data_dir, alerts, days, true));
            std::process::ExitCode::SUCCESS
        }
        Command::StoreWrite { alerts, batches } => {
            let results = runtime.block_on(store_write::run(alerts, &batches));
            print!("{}", store_write::table(&results));
            std::process::ExitCode::SUCCESS
        }
        Command::Elastic(options) => {
            runtime.block_on(elastic::run(options));
            std::process::ExitCode::SUCCESS
        }
        Command::TextSearch(options) => {
            print!("{}", runtime.block_on(text_search::run(options)));
            std::process::ExitCode::SUCCESS
        }
        Command::Retention(options) => {
            runtime.block_on(retention::run(options));
            std::process::ExitCode::SUCCESS
        }
        Command::All(options) => {
            runtime.block_on(report::all(options));
            std::process::ExitCode::SUCCESS
        }
    }
}
