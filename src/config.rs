//! Settings, read in layers: built-in defaults, then a TOML file, then `PEBA_*` environment
//! variables, then command-line overrides. Every layer uses the same keys: the TOML key
//! `maxalerts` is the variable `PEBA_MAXALERTS` and the flag `--set maxalerts=…`.
//!
//! Each setting is declared once, in the [`settings!`] list below: its key, field, kind of
//! value, default and documentation. The parsing of every layer, `peba config`, the example
//! configuration file and the README table all come from that list.

mod kinds;
mod reference;

use crate::domain::Timestamp;
use crate::http::ForwardedHeader;
use crate::ingest::Classification;
use ipnet::IpNet;
pub use kinds::Form;
use kinds::{
    Address, Choice, Clock, Flag, Kind, NonEmpty, NonEmptyPath, Number, OptionalPath,
    OptionalSecret, OptionalText, Seconds, Secret, SetSecret, Text,
};
use kinds::{MetricsListen, Origins, Proxies, ReplicaCount};
pub use reference::{
    Declaration, UnknownVariable, example_toml, markdown_table, unknown_variables,
};
pub use secrecy::{ExposeSecret, SecretString};
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

/// Declares the settings: for each, its documentation (one line of meaning in the reference),
/// `key -> field: Type = Kind, default "text"`. Generates [`Settings`], its `Default`, the
/// parsing of one key and the reference.
macro_rules! settings {
    ($(
        $(#[doc = $doc:expr])+
        $key:ident -> $field:ident: $ty:ty = $kind:expr, default $default:expr;
    )+) => {
        /// Everything peba can be configured with.
        #[derive(Debug, Clone)]
        pub struct Settings {
            $( $(#[doc = $doc])+ pub $field: $ty, )+
        }

        impl Default for Settings {
            fn default() -> Self {
                Settings {
                    $( $field: kinds::default_value(&$kind, stringify!($key), $default), )+
                }
            }
        }

        /// Every setting, in the order the reference lists them.
        pub fn declarations() -> Vec<Declaration> {
            vec![$(
                Declaration {
                    key: stringify!($key),
                    doc: &[$($doc),+],
                    default: $default,
                    form: kinds::form_of(&$kind),
                    secret: kinds::is_secret(&$kind),
                },
            )+]
        }

        impl Settings {
            /// Sets one key from its textual value.
            pub fn set(
                &mut self,
                key: &str,
                value: &str,
                source_name: &str,
            ) -> Result<(), ConfigError> {
                $(
                    if key == stringify!($key) {
                        self.$field = parse(&$kind, key, value, source_name)?;
                        return Ok(());
                    }
                )+
                Err(ConfigError::Unknown {
                    key: key.to_owned(),
                    source_name: source_name.to_owned(),
                })
            }

            /// Every setting's key and value as it would be written, secrets hidden.
            pub fn shown(&self) -> Vec<(&'static str, String)> {
                vec![$( (stringify!($key), Kind::show(&$kind, &self.$field)) ),+]
            }
        }
    };
}

settings! {
    /// Listen address (`peba serve --bind`).
    bindhost -> bind: SocketAddr = Address, default "127.0.0.1:9922";
    /// The T-Pot community account's user name; its alerts are community data.
    communityuser -> community_user: String = NonEmpty, default DEFAULT_COMMUNITY_USER;
    /// The T-Pot community account's token.
    communitytoken -> community_token: SecretString = Secret, default DEFAULT_COMMUNITY_TOKEN;
    /// Allowed CORS origin, and where `GET /` redirects.
    corsdomain -> cors_domain: String = Text, default "https://sicherheitstacho.eu";
    /// More origins that may call `/graphql` besides `corsdomain`, comma-separated (such as
    /// `http://localhost:3000` for a dashboard in development); the legacy routes and `GET /`
    /// keep `corsdomain` alone.
    graphql_cors_origins -> graphql_cors_origins: Vec<String> = Origins, default "";
    /// Answer to invalid legacy requests.
    defaultresponse -> default_response: String = Text, default "Nope";
    /// Alerts returned by `retrieveAlertsCyber` and `querySingleIP` (1 to 10000).
    maxalerts -> max_alerts: usize = Number { min: 1, max: 10_000, unit: "a number" },
        default "5";
    /// Window of `retrieveIPs`, minutes (1 to 525600).
    badiptimespan -> bad_ip_timespan_minutes: i64 =
        Number { min: 1, max: 525_600, unit: "minutes" }, default "120";
    /// Elasticsearch/OpenSearch URL (`http://host:9200`); unset selects the embedded store.
    elasticsearch_host -> elasticsearch_host: Option<String> = OptionalText, default "";
    /// Elasticsearch request timeout, seconds (1 to 3600); bounds every request.
    elastictimeout -> elastic_timeout: Duration = Seconds { min: 1, max: 3600 }, default "10";
    /// Primary shards of each index peba creates on Elasticsearch (1 to 1024).
    elastic_shards -> elastic_shards: u32 = Number { min: 1, max: 1024, unit: "a number" },
        default "1";
    /// Replicas of each index peba creates on Elasticsearch: a number, or `min-max`/`min-all`
    /// to follow the cluster's size (`0-1`: none on one node, one as soon as there are two).
    elastic_replicas -> elastic_replicas: crate::store::elastic::Replicas = ReplicaCount,
        default "0-1";
    /// Elasticsearch `user:password`.
    elasticsearch_http_auth -> elasticsearch_http_auth: Option<SecretString> = OptionalSecret,
        default "";
    /// Write alias of the daily alert indices.
    alertindex -> alert_index: String = NonEmpty, default "ews2017.1";
    /// Prefix of the alert indices read (`ews-*`).
    alertreadprefix -> alert_read_prefix: String = NonEmpty, default "ews";
    /// Index of the first alert per CVE id (CVE copies).
    cveindex -> cve_index: String = NonEmpty, default "ewscve";
    /// Users index.
    userindex -> user_index: String = NonEmpty, default "users";
    /// Statistics index (`getStats`).
    statisticindex -> statistic_index: String = NonEmpty, default "statistics";
    /// Embedded store directory (`peba serve --data-dir`).
    data_dir -> data_dir: PathBuf = NonEmptyPath, default "./data";
    /// MaxMind-format city database (`.mmdb`, see GeoIP).
    geoip_city -> geoip_city: Option<PathBuf> = OptionalPath, default "";
    /// MaxMind-format ASN database (`.mmdb`, see GeoIP).
    geoip_asn -> geoip_asn: Option<PathBuf> = OptionalPath, default "";
    /// Largest accepted request body, bytes (1024 to 1073741824).
    max_body_bytes -> max_body_bytes: usize =
        Number { min: 1024, max: 1 << 30, unit: "bytes" }, default "10485760";
    /// Longest stored text field of an alert, bytes (1024 to 1073741824); longer values are
    /// cut and end in `...[truncated]` (see Ingest).
    max_field_bytes -> max_field_bytes: usize =
        Number { min: 1024, max: 1 << 30, unit: "bytes" }, default "65536";
    /// Honeypot classification table: `extended`, or `legacy` for PEBA's exact table.
    classification -> classification: Classification = Choice(&[
        ("extended", Classification::Extended),
        ("legacy", Classification::Legacy),
    ]), default "extended";
    /// Enforce the user flags `getOnly` (no submitting) and `community` (community data only).
    enforce_user_flags -> enforce_user_flags: bool = Flag, default "true";
    /// Cache read answers.
    cache -> cache: bool = Flag, default "true";
    /// A fixed "now" (`YYYY-MM-DD HH:MM:SS`, UTC) for reproducible runs and tests.
    clock -> frozen_clock: Option<Timestamp> = Clock, default "";
    /// Client connections served at once; more wait to be accepted.
    max_connections -> max_connections: usize =
        Number { min: 1, max: 1_000_000, unit: "a number" }, default "4096";
    /// Seconds a client may send nothing before its connection is closed (1 to 3600).
    idle_timeout -> idle_timeout: Duration = Seconds { min: 1, max: 3600 }, default "30";
    /// Seconds SIGTERM/SIGINT waits for requests under way and WebSockets before the process
    /// exits (1 to 300).
    shutdown_timeout -> shutdown_timeout: Duration = Seconds { min: 1, max: 300 }, default "10";
    /// HS256 secret of GraphQL login tokens (at least 32 bytes, at least 10 distinct
    /// characters; an empty or weaker one stops start-up); unset: a random secret per process,
    /// so tokens do not survive a restart (a warning says so).
    jwt_secret -> jwt_secret: Option<SecretString> = SetSecret, default "";
    /// Signing algorithm of login tokens: `HS256`, or `RS256` / `EdDSA` with the key files.
    jwt_algorithm -> jwt_algorithm: JwtAlgorithm = Choice(&[
        ("HS256", JwtAlgorithm::Hs256),
        ("RS256", JwtAlgorithm::Rs256),
        ("EdDSA", JwtAlgorithm::EdDsa),
    ]), default "HS256";
    /// PEM private key signing RS256/EdDSA tokens.
    jwt_private_key -> jwt_private_key: Option<PathBuf> = OptionalPath, default "";
    /// PEM public key verifying RS256/EdDSA tokens.
    jwt_public_key -> jwt_public_key: Option<PathBuf> = OptionalPath, default "";
    /// Login token lifetime, seconds (60 to 2592000).
    jwt_ttl -> jwt_ttl: Duration = Seconds { min: 60, max: 30 * 86_400 }, default "3600";
    /// Longest GraphQL request, seconds (1 to 60; every HTTP request ends at 60 s).
    graphql_timeout -> graphql_timeout: Duration = Seconds { min: 1, max: 60 }, default "30";
    /// Token verifications each client address and each user name may spend per minute;
    /// beyond, credential checks are answered 429 (see Authentication).
    auth_attempts_per_minute -> auth_attempts_per_minute: u32 =
        Number { min: 1, max: 100_000, unit: "a number" }, default "20";
    /// Largest GraphQL request: POST body, GET query string or WebSocket message (1024 to
    /// 67108864); larger ones are answered 413.
    graphql_max_body_bytes -> graphql_max_body_bytes: usize =
        Number { min: 1024, max: 64 << 20, unit: "bytes" }, default "262144";
    /// Most GraphQL subscriptions on one WebSocket.
    graphql_subscriptions_per_connection -> graphql_subscriptions_per_connection: usize =
        Number { min: 1, max: 10_000, unit: "a number" }, default "16";
    /// Most GraphQL subscriptions from one client address (IPv6: one /64).
    graphql_subscriptions_per_address -> graphql_subscriptions_per_address: usize =
        Number { min: 1, max: 1_000_000, unit: "a number" }, default "64";
    /// Seconds between re-checks of a running subscription's token and user (1 to 3600).
    graphql_session_recheck -> graphql_session_recheck: Duration =
        Seconds { min: 1, max: 3600 }, default "30";
    /// Connections one client address (IPv6: one /64) may hold; more are closed at once;
    /// trusted proxies are exempt.
    max_connections_per_address -> max_connections_per_address: usize =
        Number { min: 1, max: 1_000_000, unit: "a number" }, default "64";
    /// Seconds a client has to send a request's headers, also the longest wait for the next
    /// request on a kept-alive connection (1 to 3600).
    header_timeout -> header_timeout: Duration = Seconds { min: 1, max: 3600 }, default "10";
    /// Seconds every request body gets before `min_body_rate` applies (1 to 3600).
    body_timeout -> body_timeout: Duration = Seconds { min: 1, max: 3600 }, default "10";
    /// Slowest accepted request body, bytes a second on average after `body_timeout`; a
    /// slower one is answered 408 and its connection closed.
    min_body_rate -> min_body_rate: u64 =
        Number { min: 1, max: 1 << 30, unit: "bytes per second" }, default "1024";
    /// Reverse proxies (addresses or CIDRs, comma-separated) whose forwarded-address header
    /// names the client; unset: every client is its TCP peer.
    trusted_proxies -> trusted_proxies: Vec<IpNet> = Proxies, default "";
    /// The header trusted proxies name the client in: `x-forwarded-for` or `forwarded`
    /// (RFC 7239).
    forwarded_header -> forwarded_header: ForwardedHeader = Choice(&[
        ("x-forwarded-for", ForwardedHeader::XForwardedFor),
        ("forwarded", ForwardedHeader::Forwarded),
    ]), default "x-forwarded-for";
    /// Where `GET /metrics` is served: `same` (the main address), `off`, or an address of its
    /// own such as `127.0.0.1:9923`.
    metrics_bind -> metrics_bind: MetricsBind = MetricsListen, default "same";
    /// Log one line per answered request at info (target `peba::access`).
    access_log -> access_log: bool = Flag, default "true";
    /// Delete alerts received more than this many days ago, in the background (see Retention); 0 keeps everything.
    retention_days -> retention_days: u32 = Number { min: 0, max: 100_000, unit: "days" }, default "0";
    /// Seconds an attacker feed answer (`/feeds/attackers.*`) is reused for the same
    /// parameters (0 to 3600; 0 computes every request).
    feed_cache_seconds -> feed_cache_ttl: Duration = Seconds { min: 0, max: 3600 }, default "60";
}

/// Where `GET /metrics` is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsBind {
    /// On the main listen address, beside every other route.
    Same,
    /// Not at all.
    Off,
    /// On a listen address of its own (and not on the main one).
    Address(SocketAddr),
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

/// The environment variable of a setting: `maxalerts` is `PEBA_MAXALERTS`.
pub fn variable_name(key: &str) -> String {
    format!("PEBA_{}", key.to_ascii_uppercase())
}

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
        for declaration in declarations() {
            let variable = variable_name(declaration.key);
            if let Some(value) = env(&variable) {
                settings.set(declaration.key, unquote(&value), &variable)?;
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
}

/// Reads one value of `kind` for `key`; the error names the setting and where the value came
/// from, and repeats the value unless it is a secret.
fn parse<K: Kind>(
    kind: &K,
    key: &str,
    value: &str,
    source_name: &str,
) -> Result<K::Value, ConfigError> {
    kind.parse(value).map_err(|expected| ConfigError::Invalid {
        key: key.to_owned(),
        source_name: source_name.to_owned(),
        message: if K::SECRET {
            expected
        } else {
            format!("{expected}, got {value:?}")
        },
    })
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
        assert_eq!(s.community_token.expose_secret(), "foth{a5maiCee8fineu7");
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
        assert_eq!(
            s.jwt_secret.as_ref().map(|s| s.expose_secret()),
            Some("a secret of some length")
        );
        assert_eq!(s.jwt_algorithm, JwtAlgorithm::EdDsa);
        assert_eq!(s.graphql_timeout, Duration::from_secs(5));
        assert_eq!(s.jwt_ttl, Duration::from_secs(600));
        assert!(Settings::load(None, env(&[("PEBA_JWT_ALGORITHM", "none")]), &[]).is_err());
        assert!(Settings::load(None, env(&[("PEBA_GRAPHQL_TIMEOUT", "0")]), &[]).is_err());
    }

    #[test]
    fn network_settings() {
        let s = Settings::load(
            None,
            env(&[
                (
                    "PEBA_TRUSTED_PROXIES",
                    "10.0.0.0/8, 192.0.2.7,2001:db8::/32",
                ),
                ("PEBA_FORWARDED_HEADER", "forwarded"),
                ("PEBA_METRICS_BIND", "127.0.0.1:9100"),
            ]),
            &[("access_log".into(), "off".into())],
        )
        .unwrap();
        let nets: Vec<String> = s.trusted_proxies.iter().map(|n| n.to_string()).collect();
        assert_eq!(nets, ["10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32"]);
        assert_eq!(s.forwarded_header, ForwardedHeader::Forwarded);
        assert_eq!(
            s.metrics_bind,
            MetricsBind::Address("127.0.0.1:9100".parse().unwrap())
        );
        assert!(!s.access_log);
        let shown = s.shown();
        let shown = |key| shown.iter().find(|(k, _)| *k == key).unwrap().1.clone();
        assert_eq!(
            shown("trusted_proxies"),
            "10.0.0.0/8,192.0.2.7/32,2001:db8::/32"
        );
        assert_eq!(shown("metrics_bind"), "127.0.0.1:9100");
        let off = Settings::load(None, env(&[("PEBA_METRICS_BIND", "off")]), &[]).unwrap();
        assert_eq!(off.metrics_bind, MetricsBind::Off);
        assert!(off.trusted_proxies.is_empty());
        assert!(Settings::load(None, env(&[("PEBA_TRUSTED_PROXIES", "proxy")]), &[]).is_err());
        assert!(Settings::load(None, env(&[("PEBA_METRICS_BIND", "elsewhere")]), &[]).is_err());
    }

    #[test]
    fn graphql_cors_origins_are_a_list_of_origins() {
        let none = Settings::load(None, env(&[]), &[]).unwrap();
        assert!(none.graphql_cors_origins.is_empty());
        let s = Settings::load(
            None,
            env(&[(
                "PEBA_GRAPHQL_CORS_ORIGINS",
                "http://localhost:3000, https://dash.example.org,http://[::1]:8080",
            )]),
            &[],
        )
        .unwrap();
        assert_eq!(
            s.graphql_cors_origins,
            [
                "http://localhost:3000",
                "https://dash.example.org",
                "http://[::1]:8080"
            ]
        );
        for bad in [
            "localhost:3000",
            "http://",
            "https://a.example/",
            "ftp://a",
            "http://a b",
        ] {
            let refused = Settings::load(None, env(&[("PEBA_GRAPHQL_CORS_ORIGINS", bad)]), &[]);
            assert!(refused.is_err(), "{bad}");
        }
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
        assert_eq!(
            Settings::load(None, env(&[("PEBA_JWT_ALGORITHM", "none")]), &[])
                .unwrap_err()
                .to_string(),
            "invalid setting jwt_algorithm (PEBA_JWT_ALGORITHM): \
             expected HS256, RS256 or EdDSA, got \"none\""
        );
    }

    #[test]
    fn secrets_never_appear_in_debug_output_or_errors() {
        let s = Settings::load(
            None,
            env(&[
                ("PEBA_COMMUNITYTOKEN", "community-secret-1"),
                ("PEBA_JWT_SECRET", "jwt-secret-of-some-length-2"),
                ("PEBA_ELASTICSEARCH_HTTP_AUTH", "elastic:password-3"),
            ]),
            &[],
        )
        .unwrap();
        let printed = format!("{s:?}\n{}", s.effective_toml());
        for secret in [
            "community-secret-1",
            "jwt-secret-of-some-length-2",
            "password-3",
        ] {
            assert!(!printed.contains(secret), "{secret} printed: {printed}");
        }
        assert_eq!(s.community_token.expose_secret(), "community-secret-1");
        // an empty secret is refused without echoing anything
        let err = Settings::load(None, env(&[("PEBA_COMMUNITYTOKEN", "")]), &[])
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "invalid setting communitytoken (PEBA_COMMUNITYTOKEN): must not be empty"
        );
    }
}
