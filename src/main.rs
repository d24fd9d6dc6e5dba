use clap::Parser;
use peba::cli::{Cli, run};
use std::process::ExitCode;

/// Ingest allocates and frees many short-lived strings per alert on several threads; mimalloc
/// spends far less time on that than the system allocator (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    if let Err(error) = peba::logging::init() {
        eprintln!("peba: {error}");
        return ExitCode::FAILURE;
    }
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("peba: {message}");
            ExitCode::FAILURE
        }
    }
}
