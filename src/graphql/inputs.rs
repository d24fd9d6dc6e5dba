//! Arguments: the `DateTime` scalar, the enums, and the alert filter, with their translation
//! into the query layer's [`crate::domain::AlertFilter`].

use super::auth::Principal;
use super::errors::{bad_input, token_required};
use crate::domain::{self, TermField, TimeRange, Timestamp};
use crate::ingest::classify;
use async_graphql::{
    Enum, InputObject, InputValueError, InputValueResult, Scalar, ScalarType, Value,
};
use ipnet::IpNet;
use std::net::IpAddr;

/// A point in time, UTC, with one-second precision. Written as RFC 3339
/// (`2024-07-01T00:20:00Z`); read from RFC 3339 with any offset, from the legacy form
/// `2024-07-01 00:20:00` (UTC), or from a bare date `2024-07-01` (its midnight, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DateTime(pub Timestamp);

impl DateTime {
    /// RFC 3339 text in UTC ([`Timestamp::format_rfc3339`]).
    pub fn rfc3339(t: Timestamp) -> String {
        t.format_rfc3339()
    }

    /// Reads any of the accepted forms ([`Timestamp::parse_api`]).
    pub fn parse(text: &str) -> Option<Timestamp> {
        Timestamp::parse_api(text)
    }
}

/// A point in time, UTC, with one-second precision. Written as RFC 3339
/// (`2024-07-01T00:20:00Z`); read from RFC 3339 with any offset, from the legacy form
/// `2024-07-01 00:20:00` (UTC), or from a bare date `2024-07-01` (its midnight, UTC).
#[Scalar(name = "DateTime")]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => DateTime::parse(text).map(DateTime).ok_or_else(|| {
                InputValueError::custom(format!(
                    "not a date-time (RFC 3339, `YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DD`): {text:?}"
                ))
            }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(DateTime::rfc3339(self.0))
    }
}

/// Which alerts a question looks at: those sent with the community credentials, those of
/// private (registered) senders, or both.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[graphql(remote = "crate::domain::DataDomain")]
pub enum DataDomain {
    /// Community data (legacy `ci=1`, the default).
    #[default]
    Community,
    /// Private data (legacy `ci=0`).
    Private,
    /// Both (legacy `ci=-1`).
    All,
}

/// Which timestamp of an alert a window, order or timeline refers to.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeField {
    /// When peba received and stored the alert (legacy `recievedTime`).
    #[default]
    Received,
    /// When the honeypot saw the attack (legacy `createTime`).
    Created,
}

impl From<TimeField> for domain::TimeField {
    fn from(field: TimeField) -> Self {
        match field {
            TimeField::Received => domain::TimeField::Received,
            TimeField::Created => domain::TimeField::Created,
        }
    }
}

/// How a timeline is completed with empty buckets.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GapFill {
    /// Only buckets that hold alerts.
    #[default]
    None,
    /// Every bucket between the first and the last one holding alerts.
    BetweenData,
    /// Every bucket from `fillFrom` to `fillTo` (default: the filter's window on the
    /// timeline's field, its end defaulting to now), widened to cover the data.
    Window,
}

/// Which end of an attack.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// The attacker.
    #[default]
    Source,
    /// The honeypot.
    Target,
}

/// A time window: `from` inclusive, `to` exclusive, either may be left open. `lastMinutes`
/// is a shorthand for `from` = now minus that many minutes (it cannot be combined with
/// `from`).
#[derive(InputObject, Debug, Clone, Default)]
#[graphql(name = "TimeRange")]
pub struct TimeRangeInput {
    /// Inclusive start.
    pub from: Option<DateTime>,
    /// Exclusive end.
    pub to: Option<DateTime>,
    /// The last N minutes up to now (open-ended: alerts dated in the future count too).
    pub last_minutes: Option<i32>,
}

impl TimeRangeInput {
    /// The range at `now`.
    pub fn resolve(&self, now: Timestamp) -> async_graphql::Result<TimeRange> {
        let from = match (self.from, self.last_minutes) {
            (Some(_), Some(_)) => {
                return Err(bad_input("give either `from` or `lastMinutes`, not both"));
            }
            (Some(from), None) => Some(from.0),
            (None, Some(minutes)) => {
                if !(0..=MAX_LAST_MINUTES).contains(&minutes) {
                    return Err(bad_input(format!(
                        "`lastMinutes` must be between 0 and {MAX_LAST_MINUTES}"
                    )));
                }
                Some(now.plus_seconds(-60 * i64::from(minutes)))
            }
            (None, None) => None,
        };
        Ok(TimeRange {
            from,
            to: self.to.map(|t| t.0),
        })
    }
}

/// Largest `lastMinutes`: ten years.
pub const MAX_LAST_MINUTES: i32 = 10 * 366 * 24 * 60;

/// Which alerts to look at; every condition given must hold.
#[derive(InputObject, Debug, Clone, Default)]
#[graphql(name = "AlertFilter")]
pub struct AlertFilterInput {
    /// Window on the time peba received the alert.
    pub received: Option<TimeRangeInput>,
    /// Window on the time the honeypot saw the attack.
    pub created: Option<TimeRangeInput>,
    /// Honeypot type: a label of `honeypotTypeCatalog` (e.g. `SSH/console(cowrie)`) or a
    /// sensor module name in any case (e.g. `cowrie`); other text matches exactly.
    pub honeypot_type: Option<String>,
    /// Any of these honeypot types (labels or module names, as `honeypotType`).
    pub honeypot_types: Option<Vec<String>>,
    /// Sensor id (the honeypot's `peerIdent`), exactly.
    pub sensor: Option<String>,
    /// The T-Pot installation's host name, exactly.
    pub hostname: Option<String>,
    /// Source country code in any case (ISO 3166 alpha-2, `PIR` for private ranges, `-`
    /// unknown).
    pub source_country: Option<String>,
    /// Any of these source country codes (in any case).
    pub source_countries: Option<Vec<String>>,
    /// Target (honeypot) country code in any case.
    pub target_country: Option<String>,
    /// The login name tried, exactly.
    pub username: Option<String>,
    /// The password tried, exactly.
    pub password: Option<String>,
    /// The CVE id the sensor reported, exactly (e.g. `CVE-2021-44228`).
    pub cve: Option<String>,
    /// Source address or network in CIDR form (`203.0.113.7`, `222.186.0.0/16`, `2001:db8::/32`).
    /// Needs a token.
    pub source_ip: Option<String>,
    /// Target (honeypot) port.
    pub target_port: Option<i32>,
}

impl AlertFilterInput {
    /// The query layer's filter for `principal` asking about `domain` at `now`.
    pub fn resolve(
        filter: Option<&AlertFilterInput>,
        principal: &Principal,
        domain: DataDomain,
        now: Timestamp,
    ) -> async_graphql::Result<domain::AlertFilter> {
        let mut out = domain::AlertFilter::domain(principal.domain(domain.into()));
        let Some(filter) = filter else {
            return Ok(out);
        };
        if let Some(range) = &filter.received {
            out.received = range.resolve(now)?;
        }
        if let Some(range) = &filter.created {
            out.created = range.resolve(now)?;
        }
        let country = |code: &String| code.to_uppercase();
        let terms = [
            (
                TermField::PeerType,
                filter.honeypot_type.as_deref().map(honeypot_label),
            ),
            (TermField::PeerIdent, filter.sensor.clone()),
            (TermField::Hostname, filter.hostname.clone()),
            (
                TermField::SourceCountry,
                filter.source_country.as_ref().map(country),
            ),
            (
                TermField::TargetCountry,
                filter.target_country.as_ref().map(country),
            ),
            (TermField::Username, filter.username.clone()),
            (TermField::Password, filter.password.clone()),
            (TermField::Cve, filter.cve.clone()),
        ];
        for (field, value) in terms {
            if let Some(value) = value {
                out = out.matching(field, value);
            }
        }
        if let Some(types) = &filter.honeypot_types {
            let labels = types.iter().map(|t| honeypot_label(t)).collect();
            out = out.matching_any(TermField::PeerType, labels);
        }
        if let Some(codes) = &filter.source_countries {
            out = out.matching_any(
                TermField::SourceCountry,
                codes.iter().map(country).collect(),
            );
        }
        if let Some(port) = filter.target_port {
            if !(0..=65_535).contains(&port) {
                return Err(bad_input("`targetPort` must be between 0 and 65535"));
            }
            out = out.matching(TermField::TargetPort, port.to_string());
        }
        if let Some(source) = &filter.source_ip {
            if !principal.is_authenticated() {
                return Err(token_required("filtering by `sourceIp`"));
            }
            match parse_source(source)? {
                Source::Address(ip) => out = out.matching(TermField::SourceIp, ip.to_string()),
                Source::Network(net) => out.source_net = Some(net),
            }
        }
        Ok(out)
    }
}

/// The stored honeypot type a filter value names (see [`classify::label_of`]).
fn honeypot_label(name: &str) -> String {
    classify::label_of(name).map_or_else(|| name.to_owned(), str::to_owned)
}

enum Source {
    Address(IpAddr),
    Network(IpNet),
}

fn parse_source(text: &str) -> async_graphql::Result<Source> {
    let text = text.trim();
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(Source::Address(ip));
    }
    match text.parse::<IpNet>() {
        Ok(net) if net.prefix_len() == net.max_prefix_len() => Ok(Source::Address(net.addr())),
        Ok(net) => Ok(Source::Network(net.trunc())),
        Err(_) => Err(bad_input(format!(
            "`sourceIp` is neither an address nor a CIDR network: {text:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_times_read_three_forms() {
        let t = |s| DateTime::parse(s).map(|t| t.format_legacy());
        assert_eq!(
            t("2024-07-01T02:20:00+02:00").unwrap(),
            "2024-07-01 00:20:00"
        );
        assert_eq!(t("2024-07-01 00:20:00").unwrap(), "2024-07-01 00:20:00");
        assert_eq!(t("2024-07-01").unwrap(), "2024-07-01 00:00:00");
        assert_eq!(t("yesterday"), None);
        let now = Timestamp::parse_legacy("2024-07-01 00:20:00").unwrap();
        assert_eq!(DateTime::rfc3339(now), "2024-07-01T00:20:00Z");
    }

    #[test]
    fn sources_are_addresses_or_networks() {
        assert!(matches!(parse_source("8.8.8.8"), Ok(Source::Address(_))));
        assert!(matches!(parse_source("8.8.8.8/32"), Ok(Source::Address(_))));
        assert!(
            matches!(parse_source("8.8.8.1/24"), Ok(Source::Network(n)) if n.to_string() == "8.8.8.0/24")
        );
        assert!(parse_source("8.8.8").is_err());
    }

    #[test]
    fn anonymous_callers_cannot_filter_by_source() {
        let filter = AlertFilterInput {
            source_ip: Some("8.8.8.8".into()),
            ..Default::default()
        };
        let now = Timestamp::from_unix(0);
        assert!(
            AlertFilterInput::resolve(Some(&filter), &Principal::Anonymous, DataDomain::All, now)
                .is_err()
        );
        let user = Principal::User {
            name: "u".into(),
            community_only: true,
            can_submit: false,
        };
        let resolved =
            AlertFilterInput::resolve(Some(&filter), &user, DataDomain::All, now).unwrap();
        assert_eq!(resolved.domain, domain::DataDomain::Community);
    }
}
