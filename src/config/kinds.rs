//! The kinds of value a setting holds: how its text is read, what a wrong text is told, and
//! how the value is shown again (secrets masked).

use super::MetricsBind;
use crate::domain::Timestamp;
use crate::http::client_addr::parse_proxy;
use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretString};
use std::fmt::Display;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// What `peba config` shows instead of a secret that is set.
pub const HIDDEN: &str = "<hidden>";

/// How a value is written in TOML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// A quoted string.
    Text,
    /// A bare integer.
    Integer,
    /// `true` or `false`.
    Boolean,
}

/// One kind of setting value.
pub trait Kind {
    /// The value a [`super::Settings`] field holds.
    type Value;
    /// How the value is written in TOML.
    const FORM: Form = Form::Text;
    /// Whether the value must never be shown (nor echoed in an error).
    const SECRET: bool = false;
    /// Reads the value; the error says what was expected.
    fn parse(&self, text: &str) -> Result<Self::Value, String>;
    /// Reads the declared default (as [`Kind::parse`] unless a kind reads defaults apart).
    fn parse_default(&self, text: &str) -> Result<Self::Value, String> {
        self.parse(text)
    }
    /// The value as it would be written (a set secret as [`HIDDEN`]).
    fn show(&self, value: &Self::Value) -> String;
}

/// Any text, empty included.
pub struct Text;
/// Text that must not be empty.
pub struct NonEmpty;
/// Replicas of an index: a number, `min-max` or `min-all`.
pub struct ReplicaCount;
/// Text that, when empty, leaves the setting unset.
pub struct OptionalText;
/// A secret that must not be empty.
pub struct Secret;
/// A secret that, when empty, leaves the setting unset.
pub struct OptionalSecret;
/// A secret unset by default that, when given, must not be empty (an empty value is refused
/// rather than taken as unset).
pub struct SetSecret;
/// A path that must not be empty.
pub struct NonEmptyPath;
/// A path that, when empty, leaves the setting unset.
pub struct OptionalPath;
/// `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`).
pub struct Flag;
/// A `HOST:PORT` socket address.
pub struct Address;
/// An optional fixed time, `YYYY-MM-DD HH:MM:SS`.
pub struct Clock;

/// Addresses or CIDRs, comma-separated; empty: none.
pub struct Proxies;
/// `same`, `off`, or a `HOST:PORT` socket address.
pub struct MetricsListen;
/// Web origins (`scheme://host[:port]`), comma-separated; empty: none.
pub struct Origins;

/// A whole number within bounds; `unit` names it in the error ("a number", "bytes").
pub struct Number<T> {
    /// Smallest accepted.
    pub min: T,
    /// Largest accepted.
    pub max: T,
    /// What the number counts.
    pub unit: &'static str,
}

/// A duration in whole seconds within bounds.
pub struct Seconds {
    /// Shortest accepted.
    pub min: u64,
    /// Longest accepted.
    pub max: u64,
}

/// One of a few names.
pub struct Choice<T: 'static>(pub &'static [(&'static str, T)]);

fn non_empty(text: &str) -> Result<String, String> {
    if text.is_empty() {
        Err("must not be empty".to_owned())
    } else {
        Ok(text.to_owned())
    }
}

impl Kind for Text {
    type Value = String;
    fn parse(&self, text: &str) -> Result<String, String> {
        Ok(text.to_owned())
    }
    fn show(&self, value: &String) -> String {
        value.clone()
    }
}

impl Kind for NonEmpty {
    type Value = String;
    fn parse(&self, text: &str) -> Result<String, String> {
        non_empty(text)
    }
    fn show(&self, value: &String) -> String {
        value.clone()
    }
}

impl Kind for OptionalText {
    type Value = Option<String>;
    fn parse(&self, text: &str) -> Result<Option<String>, String> {
        Ok((!text.is_empty()).then(|| text.to_owned()))
    }
    fn show(&self, value: &Option<String>) -> String {
        value.clone().unwrap_or_default()
    }
}

impl Kind for Secret {
    type Value = SecretString;
    const SECRET: bool = true;
    fn parse(&self, text: &str) -> Result<SecretString, String> {
        non_empty(text).map(SecretString::from)
    }
    fn show(&self, _: &SecretString) -> String {
        HIDDEN.to_owned()
    }
}

impl Kind for OptionalSecret {
    type Value = Option<SecretString>;
    const SECRET: bool = true;
    fn parse(&self, text: &str) -> Result<Option<SecretString>, String> {
        Ok((!text.is_empty()).then(|| SecretString::from(text)))
    }
    fn show(&self, value: &Option<SecretString>) -> String {
        match value {
            Some(secret) if !secret.expose_secret().is_empty() => HIDDEN.to_owned(),
            _ => String::new(),
        }
    }
}

impl Kind for SetSecret {
    type Value = Option<SecretString>;
    const SECRET: bool = true;
    fn parse(&self, text: &str) -> Result<Option<SecretString>, String> {
        if text.is_empty() {
            return Err("empty: give a secret, or leave the setting unset".to_owned());
        }
        Ok(Some(SecretString::from(text)))
    }
    fn parse_default(&self, text: &str) -> Result<Option<SecretString>, String> {
        Ok((!text.is_empty()).then(|| SecretString::from(text)))
    }
    fn show(&self, value: &Option<SecretString>) -> String {
        OptionalSecret.show(value)
    }
}

impl Kind for NonEmptyPath {
    type Value = PathBuf;
    fn parse(&self, text: &str) -> Result<PathBuf, String> {
        non_empty(text).map(PathBuf::from)
    }
    fn show(&self, value: &PathBuf) -> String {
        value.display().to_string()
    }
}

impl Kind for OptionalPath {
    type Value = Option<PathBuf>;
    fn parse(&self, text: &str) -> Result<Option<PathBuf>, String> {
        Ok((!text.is_empty()).then(|| PathBuf::from(text)))
    }
    fn show(&self, value: &Option<PathBuf>) -> String {
        value
            .as_ref()
            .map(|path| path.display().to_string())
            .unwrap_or_default()
    }
}

impl Kind for Flag {
    type Value = bool;
    const FORM: Form = Form::Boolean;
    fn parse(&self, text: &str) -> Result<bool, String> {
        match text.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            _ => Err("expected true or false".to_owned()),
        }
    }
    fn show(&self, value: &bool) -> String {
        value.to_string()
    }
}

impl Kind for Address {
    type Value = SocketAddr;
    fn parse(&self, text: &str) -> Result<SocketAddr, String> {
        text.parse()
            .map_err(|_| "expected HOST:PORT such as 127.0.0.1:9922".to_owned())
    }
    fn show(&self, value: &SocketAddr) -> String {
        value.to_string()
    }
}

impl Kind for ReplicaCount {
    type Value = crate::store::elastic::Replicas;
    fn parse(&self, text: &str) -> Result<Self::Value, String> {
        text.parse()
    }
    fn show(&self, value: &Self::Value) -> String {
        value.to_string()
    }
}

impl Kind for Clock {
    type Value = Option<Timestamp>;
    fn parse(&self, text: &str) -> Result<Option<Timestamp>, String> {
        if text.is_empty() {
            return Ok(None);
        }
        Timestamp::parse_legacy(text)
            .map(Some)
            .map_err(|_| "expected YYYY-MM-DD HH:MM:SS".to_owned())
    }
    fn show(&self, value: &Option<Timestamp>) -> String {
        value.map(Timestamp::format_legacy).unwrap_or_default()
    }
}

impl<T: FromStr + PartialOrd + Display> Kind for Number<T> {
    type Value = T;
    const FORM: Form = Form::Integer;
    fn parse(&self, text: &str) -> Result<T, String> {
        text.trim()
            .parse()
            .ok()
            .filter(|v| *v >= self.min && *v <= self.max)
            .ok_or_else(|| format!("expected {} from {} to {}", self.unit, self.min, self.max))
    }
    fn show(&self, value: &T) -> String {
        value.to_string()
    }
}

impl Kind for Seconds {
    type Value = Duration;
    const FORM: Form = Form::Integer;
    fn parse(&self, text: &str) -> Result<Duration, String> {
        Number {
            min: self.min,
            max: self.max,
            unit: "seconds",
        }
        .parse(text)
        .map(Duration::from_secs)
    }
    fn show(&self, value: &Duration) -> String {
        value.as_secs().to_string()
    }
}

impl<T: Copy + PartialEq> Kind for Choice<T> {
    type Value = T;
    fn parse(&self, text: &str) -> Result<T, String> {
        self.0
            .iter()
            .find(|(name, _)| *name == text)
            .map(|(_, value)| *value)
            .ok_or_else(|| {
                let names: Vec<&str> = self.0.iter().map(|(name, _)| *name).collect();
                match names.split_last() {
                    Some((last, [])) => format!("expected {last}"),
                    Some((last, rest)) => format!("expected {} or {last}", rest.join(", ")),
                    None => "no value is accepted".to_owned(),
                }
            })
    }
    fn show(&self, value: &T) -> String {
        self.0
            .iter()
            .find(|(_, v)| v == value)
            .map(|(name, _)| (*name).to_owned())
            .unwrap_or_default()
    }
}

impl Kind for Proxies {
    type Value = Vec<IpNet>;
    fn parse(&self, text: &str) -> Result<Vec<IpNet>, String> {
        text.split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| {
                parse_proxy(part)
                    .ok_or_else(|| "expected addresses or CIDRs, comma-separated".to_owned())
            })
            .collect()
    }
    fn show(&self, value: &Vec<IpNet>) -> String {
        let nets: Vec<String> = value.iter().map(IpNet::to_string).collect();
        nets.join(",")
    }
}

impl Kind for Origins {
    type Value = Vec<String>;
    fn parse(&self, text: &str) -> Result<Vec<String>, String> {
        text.split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| {
                parse_origin(part).ok_or_else(|| {
                    format!("{part:?} is not an origin such as http://localhost:3000 (scheme://host[:port], comma-separated)")
                })
            })
            .collect()
    }
    fn show(&self, value: &Vec<String>) -> String {
        value.join(",")
    }
}

/// `text` if it is an origin as browsers send it: `http` or `https`, a host, an optional
/// port, and nothing after (no path, no trailing slash).
fn parse_origin(text: &str) -> Option<String> {
    let authority = text
        .strip_prefix("http://")
        .or_else(|| text.strip_prefix("https://"))?;
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
    (!authority.is_empty() && !authority.starts_with(':') && authority.chars().all(plain))
        .then(|| text.to_owned())
}

impl Kind for MetricsListen {
    type Value = MetricsBind;
    fn parse(&self, text: &str) -> Result<MetricsBind, String> {
        match text {
            "same" => Ok(MetricsBind::Same),
            "off" => Ok(MetricsBind::Off),
            address => address
                .parse()
                .map(MetricsBind::Address)
                .map_err(|_| "expected same, off or HOST:PORT".to_owned()),
        }
    }
    fn show(&self, value: &MetricsBind) -> String {
        match value {
            MetricsBind::Same => "same".to_owned(),
            MetricsBind::Off => "off".to_owned(),
            MetricsBind::Address(address) => address.to_string(),
        }
    }
}

/// Reads a declared default; every default is checked by a test, so a failure here is a
/// mistake in the declaration.
pub fn default_value<K: Kind>(kind: &K, key: &str, default: &str) -> K::Value {
    kind.parse_default(default)
        .unwrap_or_else(|expected| panic!("the default of {key} is invalid: {expected}"))
}

/// The declared form of a kind (for the generated reference).
pub fn form_of<K: Kind>(_: &K) -> Form {
    K::FORM
}

/// Whether a kind is secret (for the generated reference).
pub fn is_secret<K: Kind>(_: &K) -> bool {
    K::SECRET
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_durations_are_bounded() {
        let n = Number {
            min: 1usize,
            max: 10,
            unit: "a number",
        };
        assert_eq!(n.parse(" 7 "), Ok(7));
        assert_eq!(
            n.parse("11"),
            Err("expected a number from 1 to 10".to_owned())
        );
        assert!(n.parse("-1").is_err());
        let s = Seconds { min: 60, max: 120 };
        assert_eq!(s.parse("90"), Ok(Duration::from_secs(90)));
        assert_eq!(
            s.parse("30"),
            Err("expected seconds from 60 to 120".to_owned())
        );
    }

    #[test]
    fn choices_name_every_option() {
        let c = Choice(&[("a", 1), ("b", 2), ("c", 3)]);
        assert_eq!(c.parse("b"), Ok(2));
        assert_eq!(c.parse("d"), Err("expected a, b or c".to_owned()));
        assert_eq!(c.show(&3), "c");
        assert_eq!(
            Choice(&[("x", 1), ("y", 2)]).parse("z"),
            Err("expected x or y".to_owned())
        );
    }

    #[test]
    fn secrets_are_shown_hidden() {
        let token = Secret.parse("s3cret").unwrap();
        assert_eq!(Secret.show(&token), HIDDEN);
        assert!(!format!("{token:?}").contains("s3cret"));
        assert_eq!(OptionalSecret.show(&None), "");
        assert_eq!(
            OptionalSecret.show(&OptionalSecret.parse("x").unwrap()),
            HIDDEN
        );
        assert!(Secret.parse("").is_err());
    }

    #[test]
    fn flags_accept_common_spellings() {
        for yes in ["true", "1", "YES", "on"] {
            assert_eq!(Flag.parse(yes), Ok(true));
        }
        for no in ["false", "0", "no", "Off"] {
            assert_eq!(Flag.parse(no), Ok(false));
        }
        assert!(Flag.parse("maybe").is_err());
    }
}
