//! The `peba` command line: serve, manage users, import data, back up and restore.

use crate::app::{AppState, StartupError, open_store};
use crate::auth::{HashError, hash_token};
use crate::config::{self, ConfigError, Settings};
use crate::domain::{TokenHash, User, UserName, UserNameError};
use crate::healthcheck::HealthError;
use crate::import::{ImportError, ImportProgress, import};
use crate::store::StoreError;
use crate::store::embedded::{self, backup::BackupError};
use clap::{Parser, Subcommand};
use std::io::{BufRead, BufReader, IsTerminal};
use std::path::{Path, PathBuf};

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
    /// Write a consistent copy of the embedded store to FILE (also while a server runs).
    Backup {
        /// The backup file to create.
        file: PathBuf,
        /// Embedded store directory (overrides `data_dir`).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Bring a backup into the embedded store's data directory.
    Restore {
        /// The backup file.
        file: PathBuf,
        /// Embedded store directory (overrides `data_dir`).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Overwrite the store the directory holds (no server may be using it).
        #[arg(long)]
        replace: bool,
    },
    /// Print the GraphQL schema (SDL) the server serves.
    Schema,
    /// Exit 0 when the server at `bindhost` answers `GET /heartbeat` healthy (container
    /// health checks).
    Healthcheck,
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
    /// Add a user; the token (stored as an Argon2id hash) comes from standard input, a file,
    /// or the command line.
    #[command(group = clap::ArgGroup::new("token_source").required(true))]
    Add {
        /// User name.
        name: String,
        /// Read the token from standard input (its first line).
        #[arg(long, group = "token_source")]
        token_stdin: bool,
        /// Read the token from a file (its first line).
        #[arg(long, group = "token_source", value_name = "PATH")]
        token_file: Option<PathBuf>,
        /// The token itself (visible to other local users while the command runs), or `-` to
        /// read it from standard input.
        #[arg(long, group = "token_source", value_name = "TOKEN")]
        token: Option<TokenArg>,
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

/// A token given on the command line; never shown by `Debug`.
#[derive(Clone)]
pub struct TokenArg(String);

impl std::str::FromStr for TokenArg {
    type Err = std::convert::Infallible;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(TokenArg(text.to_owned()))
    }
}

impl std::fmt::Debug for TokenArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Why a command failed; `main` prints it as one line.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The settings are invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The service or its store could not be started.
    #[error(transparent)]
    Startup(#[from] StartupError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The health probe failed.
    #[error(transparent)]
    Health(#[from] HealthError),
    /// A backup or restore failed.
    #[error(transparent)]
    Backup(#[from] BackupError),
    /// An import failed.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// A user name is not acceptable.
    #[error(transparent)]
    UserName(#[from] UserNameError),
    /// A token could not be hashed.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// A file, the standard input or a socket failed; `what` says which.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The failure.
        source: std::io::Error,
    },
    /// The server stopped with an error (its message names the socket).
    #[error(transparent)]
    Serve(std::io::Error),
    /// The command cannot do what was asked.
    #[error("{0}")]
    Refused(String),
}

impl CliError {
    fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> CliError {
        let what = what.into();
        move |source| CliError::Io { what, source }
    }
}

/// The token of `peba user add`, from where the options say: the first line of standard input
/// or of a file (line end removed), or the argument (`-`: standard input).
fn read_token(file: Option<&Path>, argument: Option<TokenArg>) -> Result<String, CliError> {
    let first_line = |text: &str| text.lines().next().unwrap_or_default().to_owned();
    match (argument, file) {
        (Some(TokenArg(token)), _) if token != "-" => Ok(token),
        (_, Some(path)) => std::fs::read_to_string(path)
            .map(|text| first_line(&text))
            .map_err(CliError::io(format!(
                "cannot read the token from {}",
                path.display()
            ))),
        (Some(_), None) | (None, None) => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .map_err(CliError::io("cannot read the token from standard input"))?;
            Ok(first_line(&line))
        }
    }
}

fn parse_pair(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.to_owned()))
        .ok_or_else(|| format!("expected KEY=VALUE, got {text:?}"))
}

/// Runs the command line; the error is printed as one line by `main`.
pub async fn run(cli: Cli) -> Result<(), CliError> {
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
    if let Command::Serve { bind, .. } = &cli.command {
        overrides.extend(bind.iter().map(|b| ("bindhost".to_owned(), b.clone())));
    }
    if let Command::Serve { data_dir, .. }
    | Command::Backup { data_dir, .. }
    | Command::Restore { data_dir, .. } = &cli.command
    {
        overrides.extend(
            data_dir
                .iter()
                .map(|d| ("data_dir".to_owned(), d.display().to_string())),
        );
    }
    let settings = Settings::from_env(cli.config.as_deref(), &overrides)?;
    match cli.command {
        Command::Serve { .. } => serve(settings).await,
        Command::User(command) => user(settings, command).await,
        Command::Import { file } => import_file(settings, &file).await,
        Command::Healthcheck => {
            let address = crate::healthcheck::probe_address(settings.bind);
            Ok(crate::healthcheck::probe(address).await?)
        }
        Command::Backup { file, .. } => backup(&settings, &file),
        Command::Restore { file, replace, .. } => restore(&settings, &file, replace),
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

async fn serve(settings: Settings) -> Result<(), CliError> {
    let bind = settings.bind;
    let state = AppState::build(settings).await?;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(CliError::io(format!("cannot listen on {bind}")))?;
    let local = listener
        .local_addr()
        .map_err(CliError::io("cannot read the listening address"))?;
    crate::summary::log(&state, local);
    println!("{LISTENING}{local}");
    crate::http::serve(listener, state)
        .await
        .map_err(CliError::Serve)
}

async fn user(settings: Settings, command: UserCommand) -> Result<(), CliError> {
    let store = open_store(&settings).await?;
    match command {
        UserCommand::Add {
            name,
            token_stdin: _,
            token_file,
            token,
            read_only,
            community_only,
            email,
        } => {
            let name = UserName::parse(&name)?;
            let token = read_token(token_file.as_deref(), token)?;
            if token.is_empty() {
                return Err(CliError::Refused("the token must not be empty".to_owned()));
            }
            let user = User {
                name,
                token: hash_token(&token)?,
                read_only,
                community_only,
                email,
            };
            store.add_user(&user).await?;
            println!("added user {}", user.name);
        }
        UserCommand::List => {
            let mut rows = vec![[
                "name".to_owned(),
                "hash".to_owned(),
                "read-only".to_owned(),
                "community-only".to_owned(),
                "email".to_owned(),
            ]];
            for user in store.users().await? {
                let hash = match user.token {
                    TokenHash::Sha512Hex(_) => "sha512",
                    TokenHash::Md5Hex(_) => "md5",
                    TokenHash::Argon2(_) => "argon2id",
                    TokenHash::Unusable(_) => "unusable",
                };
                rows.push([
                    user.name.to_string(),
                    hash.to_owned(),
                    user.read_only.to_string(),
                    user.community_only.to_string(),
                    user.email,
                ]);
            }
            print!("{}", aligned(&rows));
        }
        UserCommand::Remove { name } => {
            let name = UserName::parse(&name)?;
            if !store.remove_user(&name).await? {
                return Err(CliError::Refused(format!("no user named {name}")));
            }
            println!("removed user {name}");
        }
    }
    Ok(())
}

/// `peba backup FILE`.
fn backup(settings: &Settings, file: &Path) -> Result<(), CliError> {
    embedded_only(settings)?;
    let copy = embedded::backup::backup(&settings.data_dir, file)?;
    println!(
        "backed up {} alerts ({} bytes) to {}",
        copy.alerts,
        copy.bytes,
        file.display()
    );
    Ok(())
}

/// `peba restore FILE [--replace]`.
fn restore(settings: &Settings, file: &Path, replace: bool) -> Result<(), CliError> {
    embedded_only(settings)?;
    let copy = embedded::backup::restore(file, &settings.data_dir, replace)?;
    println!(
        "restored {} alerts from {} into {}",
        copy.alerts,
        file.display(),
        settings.data_dir.display()
    );
    Ok(())
}

/// Backups of an Elasticsearch cluster are the cluster's own snapshots.
fn embedded_only(settings: &Settings) -> Result<(), CliError> {
    match &settings.elasticsearch_host {
        Some(_) => Err(CliError::Refused(
            "backup and restore copy the embedded store; back up Elasticsearch with the cluster's _snapshot API (see the README)"
                .to_owned(),
        )),
        None => Ok(()),
    }
}

async fn import_file(settings: Settings, file: &str) -> Result<(), CliError> {
    let store = open_store(&settings).await?;
    let input: Box<dyn BufRead> = if file == "-" {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        Box::new(BufReader::new(
            std::fs::File::open(file).map_err(CliError::io(format!("cannot open {file}")))?,
        ))
    };
    let mut meter = ProgressMeter::new(std::io::stderr().is_terminal());
    let report = import(input, store.as_ref(), &settings.statistic_index, |p| {
        meter.update(p)
    })
    .await?;
    meter.clear();
    for skipped in &report.skipped {
        eprintln!("line {}: skipped: {}", skipped.line, skipped.reason);
    }
    meter.finish();
    println!(
        "imported {}, duplicates {}, statistics {}, skipped {}",
        report.imported,
        report.duplicates,
        report.statistics,
        report.skipped.len()
    );
    Ok(())
}

/// Import progress on standard error: a line rewritten in place on a terminal (at most twice a
/// second), and always a last line with the totals and the rate.
struct ProgressMeter {
    terminal: bool,
    started: std::time::Instant,
    shown: Option<std::time::Instant>,
    last: ImportProgress,
}

impl ProgressMeter {
    fn new(terminal: bool) -> Self {
        ProgressMeter {
            terminal,
            started: std::time::Instant::now(),
            shown: None,
            last: ImportProgress {
                lines: 0,
                skipped: 0,
            },
        }
    }

    fn line(&self) -> String {
        let seconds = self.started.elapsed().as_secs_f64();
        let rate = self.last.lines as f64 / seconds.max(0.001);
        format!(
            "{} lines in {seconds:.1} s ({rate:.0} lines/s), {} errors",
            self.last.lines, self.last.skipped
        )
    }

    fn update(&mut self, progress: &ImportProgress) {
        self.last = *progress;
        let due = self
            .shown
            .is_none_or(|at| at.elapsed() >= std::time::Duration::from_millis(500));
        if self.terminal && due {
            eprint!("\r{}", self.line());
            self.shown = Some(std::time::Instant::now());
        }
    }

    /// Erases the progress line on a terminal, so that other lines can follow.
    fn clear(&self) {
        if self.terminal && self.shown.is_some() {
            eprint!("\r\x1b[K");
        }
    }

    fn finish(&self) {
        eprintln!("{}", self.line());
    }
}

/// Rows as text, each column as wide as its widest cell (the last one unpadded).
fn aligned<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0; N];
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 < N {
                line.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            } else {
                line.push_str(cell);
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_are_as_wide_as_their_widest_cell() {
        let rows = [
            ["name".to_owned(), "hash".to_owned(), "email".to_owned()],
            [
                "a-very-long-user-name-over-32-chars-x".to_owned(),
                "md5".to_owned(),
                String::new(),
            ],
            [
                "b".to_owned(),
                "argon2id".to_owned(),
                "b@example.org".to_owned(),
            ],
        ];
        assert_eq!(
            super::aligned(&rows),
            "name                                   hash      email\n\
             a-very-long-user-name-over-32-chars-x  md5\n\
             b                                      argon2id  b@example.org\n"
        );
    }
}
