use clap::Parser;
use peba::cli::{Cli, run};
use std::process::ExitCode;

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
