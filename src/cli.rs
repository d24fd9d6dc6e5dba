//! The `peba` command line: serve, manage users, import data.

use crate::app::{AppState, open_store};
use crate::auth::hash_token;
use crate::config::{self, Settings};
use crate::domain::{TokenHash, User, UserName};
use crate::import::import;
use clap::{Parser, Subcommand};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;

/// The first line `peba serve` prints, followed by its address: scripts and tests read the
/// port they were given (`--bind 127.0.0.1:0`) from it.
pub const LISTENING: &str = "peba listening on http://";

/// peba: collects honeypot alerts from T-Pot's ewsposter and answers dashboards.
#[derive(Debug, Parser)]
#[command(name = "peba", version, about)]
pub struct Cli {
    /// TOML configuration file (keys as in `PEBA_*` variables, lower case, without the prefix).
    #[arg(long, global = true, env = "PEBA_CONFIG")]
    pub config: Option<PathBuf>,
    /// Override a setting: `--set maxalerts=10` (wins over file and environment).
    #[arg(long = "set", global = true, value_name = "KEY=VALUE", value_parser = parse_pair)]
    pub overrides: Vec<(String, String)>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server.
    Serve {
        /// Listen address (overrides `bindhost`).
        #[arg(long)]
        bind: Option<String>,
        /// Embedded store directory (overrides `data_dir`).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Manage the users who submit alerts or read private routes.
    #[command(subcommand)]
    User(UserCommand),
    /// Load documents in the legacy PEBA Elasticsearch format, one JSON object a line.
    Import {
        /// The file to read, or `-` (the default) for standard input.
        #[arg(default_value = "-")]
        file: String,
    },
    /// Print the GraphQL schema (SDL) the server serves.
    Schema,
    /// Print the effective configuration (every layer applied, secrets hidden).
    Config {
        /// Print the example configuration file instead (`deploy/peba.example.toml`).
        #[arg(long, conflicts_with = "markdown")]
        example: bool,
        /// Print the README's settings table instead.
        #[arg(long)]
        markdown: bool,
    },
}

/// `peba user …`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user.
    Add {
        /// User name.
        name: String,
        /// The user's token (stored as an Argon2id hash).
        #[arg(long)]
        token: String,
        /// May read private routes but not submit alerts.
        #[arg(long)]
        read_only: bool,
        /// May read community data only.
        #[arg(long)]
        community_only: bool,
        /// Contact address.
        #[arg(long, default_value = "")]
        email: String,
    },
    /// List users.
    List,
    /// Remove a user.
    Remove {
        /// User name.
        name: String,
    },
}

fn parse_pair(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.to_owned()))
        .ok_or_else(|| format!("expected KEY=VALUE, got {text:?}"))
}

/// Runs the command line; the error is printed as one line by `main`.
pub async fn run(cli: Cli) -> Result<(), String> {
    warn_unknown_variables();
    match cli.command {
        Command::Schema => {
            print!("{}", crate::graphql::sdl());
            return Ok(());
        }
        Command::Config { example: true, .. } => {
            print!("{}", config::example_toml());
            return Ok(());
        }
        Command::Config { markdown: true, .. } => {
            print!("{}", config::markdown_table());
            return Ok(());
        }
        _ => {}
    }
    let mut overrides = cli.overrides.clone();
    if let Command::Serve { bind, data_dir } = &cli.command {
        overrides.extend(bind.iter().map(|b| ("bindhost".to_owned(), b.clone())));
        overrides.extend(
            data_dir
                .iter()
                .map(|d| ("data_dir".to_owned(), d.display().to_string())),
        );
    }
    let settings =
        Settings::from_env(cli.config.as_deref(), &overrides).map_err(|e| e.to_string())?;
    match cli.command {
        Command::Serve { .. } => serve(settings).await,
        Command::User(command) => user(settings, command).await,
        Command::Import { file } => import_file(settings, &file).await,
        Command::Config { .. } => {
            print!("{}", settings.effective_toml());
            Ok(())
        }
        Command::Schema => Ok(()),
    }
}

/// Warns about every `PEBA_*` variable that no setting reads (a typo is otherwise silent).
fn warn_unknown_variables() {
    let names = std::env::vars_os().filter_map(|(name, _)| name.into_string().ok());
    for unknown in config::unknown_variables(names) {
        tracing::warn!("{unknown}");
    }
}

async fn serve(settings: Settings) -> Result<(), String> {
    let bind = settings.bind;
    let state = AppState::build(settings).await.map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(address = %local, "peba listening");
    println!("{LISTENING}{local}");
    crate::http::serve(listener, state)
        .await
        .map_err(|e| e.to_string())
}

async fn user(settings: Settings, command: UserCommand) -> Result<(), String> {
    let store = open_store(&settings).await.map_err(|e| e.to_string())?;
    match command {
        UserCommand::Add {
            name,
            token,
            read_only,
            community_only,
            email,
        } => {
            let name = UserName::parse(&name).map_err(|e| e.to_string())?;
            if token.is_empty() {
                return Err("the token must not be empty".to_owned());
            }
            let user = User {
                name,
                token: hash_token(&token)?,
                read_only,
                community_only,
                email,
            };
            store.add_user(&user).await.map_err(|e| e.to_string())?;
            println!("added user {}", user.name);
        }
        UserCommand::List => {
            println!(
                "{:<32} {:<8} {:<9} {:<14} email",
                "name", "hash", "read-only", "community-only"
            );
            for user in store.users().await.map_err(|e| e.to_string())? {
                let hash = match user.token {
                    TokenHash::Sha512Hex(_) => "sha512",
                    TokenHash::Md5Hex(_) => "md5",
                    TokenHash::Argon2(_) => "argon2id",
                    TokenHash::Unusable(_) => "unusable",
                };
                println!(
                    "{:<32} {:<8} {:<9} {:<14} {}",
                    user.name, hash, user.read_only, user.community_only, user.email
                );
            }
        }
        UserCommand::Remove { name } => {
            let name = UserName::parse(&name).map_err(|e| e.to_string())?;
            if !store.remove_user(&name).await.map_err(|e| e.to_string())? {
                return Err(format!("no user named {name}"));
            }
            println!("removed user {name}");
        }
    }
    Ok(())
}

async fn import_file(settings: Settings, file: &str) -> Result<(), String> {
    let store = open_store(&settings).await.map_err(|e| e.to_string())?;
    let input: Box<dyn BufRead> = if file == "-" {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        Box::new(BufReader::new(
            std::fs::File::open(file).map_err(|e| format!("cannot open {file}: {e}"))?,
        ))
    };
    let report = import(input, store.as_ref(), &settings.statistic_index)
        .await
        .map_err(|e| e.to_string())?;
    for skipped in &report.skipped {
        eprintln!("line {}: skipped: {}", skipped.line, skipped.reason);
    }
    println!(
        "imported {}, duplicates {}, statistics {}, skipped {}",
        report.imported,
        report.duplicates,
        report.statistics,
        report.skipped.len()
    );
    Ok(())
}
