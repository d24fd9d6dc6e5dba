//! Settings, read in layers: built-in defaults, then a TOML file, then `PEBA_*` environment
//! variables, then command-line overrides. Every layer uses the same keys: the TOML key
//! `maxalerts` is the variable `PEBA_MAXALERTS` and the flag `--set maxalerts=…`.

use crate::domain::Timestamp;
use crate::ingest::Classification;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The public T-Pot community user name.
pub const DEFAULT_COMMUNITY_USER: &str = "community-01-user";
/// The public T-Pot community token.
pub const DEFAULT_COMMUNITY_TOKEN: &str = "foth{a5maiCee8fineu7";

/// A setting that could not be read; the message names the setting.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A value of the wrong form.
    #[error("invalid setting {key} ({source_name}): {message}")]
    Invalid {
        /// The setting's key.
        key: String,
        /// Where the value came from (file, variable or flag).
        source_name: String,
        /// What is wrong.
        message: String,
    },
    /// A key no setting has.
    #[error("unknown setting {key} ({source_name})")]
    Unknown {
        /// The unknown key.
        key: String,
        /// Where it came from.
        source_name: String,
    },
    /// The configuration file could not be read.
    #[error("cannot read configuration file {path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

/// Everything peba can be configured with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Listen address (`bindhost`).
    pub bind: SocketAddr,
    /// Community user name (`communityuser`).
    pub community_user: String,
    /// Community token (`communitytoken`).
    pub community_token: String,
    /// Allowed CORS origin and target of `GET /` (`corsdomain`).
    pub cors_domain: String,
    /// Answer to invalid requests (`defaultresponse`).
    pub default_response: String,
    /// Alerts returned by `retrieveAlertsCyber` and `querySingleIP` (`maxalerts`).
    pub max_alerts: usize,
    /// Window of `retrieveIPs` in minutes (`badiptimespan`).
    pub bad_ip_timespan_minutes: i64,
    /// Elasticsearch URL; none selects the embedded store (`elasticsearch_host`).
    pub elasticsearch_host: Option<String>,
    /// Elasticsearch request timeout (`elastictimeout`, seconds).
    pub elastic_timeout: Duration,
    /// Elasticsearch `user:password` (`elasticsearch_http_auth`).
    pub elasticsearch_http_auth: Option<String>,
    /// Write alias of the alert indices (`alertindex`).
    pub alert_index: String,
    /// Prefix of the daily alert indices read (`alertreadprefix`).
    pub alert_read_prefix: String,
    /// Users index (`userindex`).
    pub user_index: String,
    /// Statistics index (`statisticindex`).
    pub statistic_index: String,
    /// Embedded store directory (`data_dir`).
    pub data_dir: PathBuf,
    /// MaxMind-format city database (`geoip_city`).
    pub geoip_city: Option<PathBuf>,
    /// MaxMind-format ASN database (`geoip_asn`).
    pub geoip_asn: Option<PathBuf>,
    /// Largest accepted request body in bytes (`max_body_bytes`).
    pub max_body_bytes: usize,
    /// Honeypot classification table (`classification`: `extended` or `legacy`).
    pub classification: Classification,
    /// Whether the `getOnly` and `community` user flags are enforced (`enforce_user_flags`).
    pub enforce_user_flags: bool,
    /// Whether read answers are cached (`cache`).
    pub cache: bool,
    /// A fixed "now" for reproducible runs and tests (`clock`, `YYYY-MM-DD HH:MM:SS`).
    pub frozen_clock: Option<Timestamp>,
    /// Most client connections served at once; more wait to be accepted (`max_connections`).
    pub max_connections: usize,
    /// A connection whose client sends nothing for this long is closed (`idle_timeout`,
    /// seconds); bounds slow clients.
    pub idle_timeout: Duration,
    /// HS256 secret of the GraphQL login tokens (`jwt_secret`); none and no key files: a
    /// random secret per process.
    pub jwt_secret: Option<String>,
    /// Signing algorithm of the login tokens (`jwt_algorithm`: `HS256`, `RS256` or `EdDSA`).
    pub jwt_algorithm: JwtAlgorithm,
    /// PEM private key signing RS256/EdDSA tokens (`jwt_private_key`).
    pub jwt_private_key: Option<PathBuf>,
    /// PEM public key verifying RS256/EdDSA tokens (`jwt_public_key`).
    pub jwt_public_key: Option<PathBuf>,
    /// Lifetime of a login token (`jwt_ttl`, seconds).
    pub jwt_ttl: Duration,
    /// Longest time one GraphQL request may run (`graphql_timeout`, seconds).
    pub graphql_timeout: Duration,
    /// Alerts received more than this many days ago are deleted (`retention_days`); 0 keeps
    /// everything.
    pub retention_days: u32,
}

/// How GraphQL login tokens are signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JwtAlgorithm {
    /// HMAC-SHA256 with `jwt_secret`.
    #[default]
    Hs256,
    /// RSA PKCS#1 v1.5 with SHA-256, with the key files.
    Rs256,
    /// Ed25519, with the key files.
    EdDsa,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bind: SocketAddr::from(([127, 0, 0, 1], 9922)),
            community_user: DEFAULT_COMMUNITY_USER.to_owned(),
            community_token: DEFAULT_COMMUNITY_TOKEN.to_owned(),
            cors_domain: "https://sicherheitstacho.eu".to_owned(),
            default_response: "Nope".to_owned(),
            max_alerts: 5,
            bad_ip_timespan_minutes: 120,
            elasticsearch_host: None,
            elastic_timeout: Duration::from_secs(10),
            elasticsearch_http_auth: None,
            alert_index: "ews2017.1".to_owned(),
            alert_read_prefix: "ews".to_owned(),
            user_index: "users".to_owned(),
            statistic_index: "statistics".to_owned(),
            data_dir: PathBuf::from("./data"),
            geoip_city: None,
            geoip_asn: None,
            max_body_bytes: 10 * 1024 * 1024,
            classification: Classification::default(),
            enforce_user_flags: true,
            cache: true,
            frozen_clock: None,
            max_connections: 4096,
            idle_timeout: Duration::from_secs(30),
            jwt_secret: None,
            jwt_algorithm: JwtAlgorithm::Hs256,
            jwt_private_key: None,
            jwt_public_key: None,
            jwt_ttl: Duration::from_secs(3600),
            graphql_timeout: Duration::from_secs(30),
            retention_days: 0,
        }
    }
}

/// Every key, in the order `peba config` documents them.
pub const KEYS: &[&str] = &[
    "bindhost",
    "communityuser",
    "communitytoken",
    "corsdomain",
    "defaultresponse",
    "maxalerts",
    "badiptimespan",
    "elasticsearch_host",
    "elastictimeout",
    "elasticsearch_http_auth",
    "alertindex",
    "alertreadprefix",
    "userindex",
    "statisticindex",
    "data_dir",
    "geoip_city",
    "geoip_asn",
    "max_body_bytes",
    "classification",
    "enforce_user_flags",
    "cache",
    "clock",
    "max_connections",
    "idle_timeout",
    "jwt_secret",
    "jwt_algorithm",
    "jwt_private_key",
    "jwt_public_key",
    "jwt_ttl",
    "graphql_timeout",
    "retention_days",
];

impl Settings {
    /// Reads the layers: defaults, the optional TOML file, the environment (through `env`),
    /// then `overrides` (`key=value` pairs from the command line).
    pub fn load(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
        overrides: &[(String, String)],
    ) -> Result<Settings, ConfigError> {
        let mut settings = Settings::default();
        if let Some(path) = file {
            settings.apply_file(path)?;
        }
        for key in KEYS {
            let variable = format!("PEBA_{}", key.to_ascii_uppercase());
            if let Some(value) = env(&variable) {
                settings.set(key, unquote(&value), &variable)?;
            }
        }
        for (key, value) in overrides {
            settings.set(key, value, "command line")?;
        }
        Ok(settings)
    }

    /// Reads the process environment as well.
    pub fn from_env(
        file: Option<&Path>,
        overrides: &[(String, String)],
    ) -> Result<Settings, ConfigError> {
        Settings::load(file, |name| std::env::var(name).ok(), overrides)
    }

    fn apply_file(&mut self, path: &Path) -> Result<(), ConfigError> {
        let file_error = |message: String| ConfigError::File {
            path: path.to_owned(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| file_error(e.to_string()))?;
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| file_error(e.to_string()))?;
        let source = path.display().to_string();
        for (key, value) in table {
            let text = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                other => {
                    return Err(ConfigError::Invalid {
                        key,
                        source_name: source,
                        message: format!(
                            "expected a string, number or boolean, found {}",
                            other.type_str()
                        ),
                    });
                }
            };
            self.set(&key.to_ascii_lowercase(), &text, &source)?;
        }
        Ok(())
    }

    /// Sets one key from its textual value.
    pub fn set(&mut self, key: &str, value: &str, source_name: &str) -> Result<(), ConfigError> {
        let invalid = |message: &str| ConfigError::Invalid {
            key: key.to_owned(),
            source_name: source_name.to_owned(),
            message: format!("{message}, got {value:?}"),
        };
        let optional = |v: &str| (!v.is_empty()).then(|| v.to_owned());
        match key {
            "bindhost" => {
                self.bind = value
                    .parse()
                    .map_err(|_| invalid("expected HOST:PORT such as 127.0.0.1:9922"))?
            }
            "communityuser" => {
                self.community_user =
                    non_empty(value).ok_or_else(|| invalid("must not be empty"))?
            }
            "communitytoken" => {
                self.community_token =
                    non_empty(value).ok_or_else(|| invalid("must not be empty"))?
            }
            "corsdomain" => self.cors_domain = value.to_owned(),
            "defaultresponse" => self.default_response = value.to_owned(),
            "maxalerts" => {
                self.max_alerts = parse_in(value, 1, 10_000)
                    .ok_or_else(|| invalid("expected a number from 1 to 10000"))?
            }
            "badiptimespan" => {
                self.bad_ip_timespan_minutes = parse_in(value, 1, 525_600)
                    .ok_or_else(|| invalid("expected minutes from 1 to 525600"))?
            }
            "elasticsearch_host" => self.elasticsearch_host = optional(value),
            "elastictimeout" => {
                self.elastic_timeout = Duration::from_secs(
                    parse_in(value, 1, 3600)
                        .ok_or_else(|| invalid("expected seconds from 1 to 3600"))?,
                )
            }
            "elasticsearch_http_auth" => self.elasticsearch_http_auth = optional(value),
            "alertindex" => {
                self.alert_index = non_empty(value).ok_or_else(|| invalid("must not be empty"))?
            }
            "alertreadprefix" => {
                self.alert_read_prefix =
                    non_empty(value).ok_or_else(|| invalid("must not be empty"))?
            }
            "userindex" => {
                self.user_index = non_empty(value).ok_or_else(|| invalid("must not be empty"))?
            }
            "statisticindex" => {
                self.statistic_index =
                    non_empty(value).ok_or_else(|| invalid("must not be empty"))?
            }
            "data_dir" => {
                self.data_dir =
                    PathBuf::from(non_empty(value).ok_or_else(|| invalid("must not be empty"))?)
            }
            "geoip_city" => self.geoip_city = optional(value).map(PathBuf::from),
            "geoip_asn" => self.geoip_asn = optional(value).map(PathBuf::from),
            "max_body_bytes" => {
                self.max_body_bytes = parse_in(value, 1024, 1 << 30)
                    .ok_or_else(|| invalid("expected bytes from 1024 to 1073741824"))?
            }
            "classification" => {
                self.classification = match value {
                    "extended" => Classification::Extended,
                    "legacy" => Classification::Legacy,
                    _ => return Err(invalid("expected extended or legacy")),
                }
            }
            "enforce_user_flags" => {
                self.enforce_user_flags =
                    parse_bool(value).ok_or_else(|| invalid("expected true or false"))?
            }
            "cache" => {
                self.cache = parse_bool(value).ok_or_else(|| invalid("expected true or false"))?
            }
            "clock" => {
                self.frozen_clock = match value {
                    "" => None,
                    text => Some(
                        Timestamp::parse_legacy(text)
                            .map_err(|_| invalid("expected YYYY-MM-DD HH:MM:SS"))?,
                    ),
                }
            }
            "max_connections" => {
                self.max_connections = parse_in(value, 1, 1_000_000)
                    .ok_or_else(|| invalid("expected a number from 1 to 1000000"))?
            }
            "idle_timeout" => {
                self.idle_timeout = Duration::from_secs(
                    parse_in(value, 1, 3600)
                        .ok_or_else(|| invalid("expected seconds from 1 to 3600"))?,
                )
            }
            "jwt_secret" => self.jwt_secret = optional(value),
            "jwt_algorithm" => {
                self.jwt_algorithm = match value {
                    "HS256" => JwtAlgorithm::Hs256,
                    "RS256" => JwtAlgorithm::Rs256,
                    "EdDSA" => JwtAlgorithm::EdDsa,
                    _ => return Err(invalid("expected HS256, RS256 or EdDSA")),
                }
            }
            "jwt_private_key" => self.jwt_private_key = optional(value).map(PathBuf::from),
            "jwt_public_key" => self.jwt_public_key = optional(value).map(PathBuf::from),
            "jwt_ttl" => {
                self.jwt_ttl = Duration::from_secs(
                    parse_in(value, 60, 30 * 86_400)
                        .ok_or_else(|| invalid("expected seconds from 60 to 2592000"))?,
                )
            }
            "graphql_timeout" => {
                // The HTTP layer answers 408 after 60 s anyway.
                self.graphql_timeout = Duration::from_secs(
                    parse_in(value, 1, 60)
                        .ok_or_else(|| invalid("expected seconds from 1 to 60"))?,
                )
            }
            "retention_days" => {
                self.retention_days = parse_in(value, 0, 100_000)
                    .ok_or_else(|| invalid("expected days from 0 (keep everything) to 100000"))?
            }
            _ => {
                return Err(ConfigError::Unknown {
                    key: key.to_owned(),
                    source_name: source_name.to_owned(),
                });
            }
        }
        Ok(())
    }
}

fn non_empty(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_owned())
}

fn parse_in<T: std::str::FromStr + PartialOrd>(value: &str, min: T, max: T) -> Option<T> {
    value.trim().parse().ok().filter(|v| *v >= min && *v <= max)
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// Docker `.env` files of the legacy deployment quote their values (`PEBA_DEFAULTRESPONSE="Nope"`).
fn unquote(value: &str) -> &str {
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn defaults_match_the_legacy_deployment() {
        let s = Settings::load(None, env(&[]), &[]).unwrap();
        assert_eq!(s.bind.to_string(), "127.0.0.1:9922");
        assert_eq!(s.community_user, "community-01-user");
        assert_eq!(s.community_token, "foth{a5maiCee8fineu7");
        assert_eq!(s.max_alerts, 5);
        assert_eq!(s.bad_ip_timespan_minutes, 120);
        assert_eq!(s.cors_domain, "https://sicherheitstacho.eu");
        assert!(s.elasticsearch_host.is_none());
    }

    #[test]
    fn layers_override_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("peba.toml");
        std::fs::write(
            &file,
            "maxalerts = 7\nbadiptimespan = 30\ndefaultresponse = \"Nein\"\n",
        )
        .unwrap();
        let s = Settings::load(
            Some(&file),
            env(&[
                ("PEBA_BADIPTIMESPAN", "45"),
                ("PEBA_DEFAULTRESPONSE", "\"Nope\""),
            ]),
            &[("maxalerts".into(), "9".into())],
        )
        .unwrap();
        assert_eq!(s.max_alerts, 9);
        assert_eq!(s.bad_ip_timespan_minutes, 45);
        assert_eq!(s.default_response, "Nope");
    }

    #[test]
    fn graphql_settings() {
        let s = Settings::load(
            None,
            env(&[
                ("PEBA_JWT_SECRET", "a secret of some length"),
                ("PEBA_JWT_ALGORITHM", "EdDSA"),
                ("PEBA_GRAPHQL_TIMEOUT", "5"),
            ]),
            &[("jwt_ttl".into(), "600".into())],
        )
        .unwrap();
        assert_eq!(s.jwt_secret.as_deref(), Some("a secret of some length"));
        assert_eq!(s.jwt_algorithm, JwtAlgorithm::EdDsa);
        assert_eq!(s.graphql_timeout, Duration::from_secs(5));
        assert_eq!(s.jwt_ttl, Duration::from_secs(600));
        assert!(Settings::load(None, env(&[("PEBA_JWT_ALGORITHM", "none")]), &[]).is_err());
        assert!(Settings::load(None, env(&[("PEBA_GRAPHQL_TIMEOUT", "0")]), &[]).is_err());
    }

    #[test]
    fn errors_name_the_setting() {
        let err = Settings::load(None, env(&[("PEBA_MAXALERTS", "many")]), &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("maxalerts") && err.contains("PEBA_MAXALERTS"),
            "{err}"
        );
        let err = Settings::load(None, env(&[]), &[("nosuch".into(), "1".into())])
            .unwrap_err()
            .to_string();
        assert!(err.contains("nosuch"), "{err}");
    }
}
