//! Log output: `PEBA_LOG` filters (tracing `EnvFilter` syntax, default `peba=info,warn`),
//! `PEBA_LOG_FORMAT` chooses `text` (the default; colours only on a terminal) or `json`
//! (one JSON object per line, for journald, Loki or ELK). Logs go to standard error.

use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// The log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, event fields at the top level.
    Json,
}

/// A `PEBA_LOG_FORMAT` value that is neither `text` nor `json`.
#[derive(Debug, thiserror::Error)]
#[error("invalid PEBA_LOG_FORMAT {0:?}: expected text or json")]
pub struct InvalidLogFormat(String);

impl LogFormat {
    /// Reads a `PEBA_LOG_FORMAT` value (unset: text).
    pub fn parse(value: Option<&str>) -> Result<LogFormat, InvalidLogFormat> {
        match value.map(str::trim) {
            None | Some("") | Some("text") => Ok(LogFormat::Text),
            Some("json") => Ok(LogFormat::Json),
            Some(other) => Err(InvalidLogFormat(other.to_owned())),
        }
    }
}

/// Installs the process's log subscriber from `PEBA_LOG` and `PEBA_LOG_FORMAT`.
pub fn init() -> Result<(), InvalidLogFormat> {
    let format = LogFormat::parse(std::env::var("PEBA_LOG_FORMAT").ok().as_deref())?;
    let filter =
        EnvFilter::try_from_env("PEBA_LOG").unwrap_or_else(|_| EnvFilter::new("peba=info,warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(LogFormat::parse(None).unwrap(), LogFormat::Text);
        assert_eq!(LogFormat::parse(Some("json")).unwrap(), LogFormat::Json);
        assert!(LogFormat::parse(Some("xml")).is_err());
    }
}
