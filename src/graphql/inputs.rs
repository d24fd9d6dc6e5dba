//! Arguments: the `DateTime` scalar, the enums, and the alert filter, with their translation
//! into the query layer's [`crate::domain::AlertFilter`].

use super::auth::Principal;
use super::errors::{bad_input, token_required};
use crate::domain::{self, PortField, PortRange, SearchText, TermField, TimeRange, Timestamp};
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
    /// Source autonomous system number: alerts whose source AS (`AS<n> <organisation>`) is
    /// AS `asn`, e.g. `4134` for `AS4134 CHINANET-BACKBONE`.
    pub asn: Option<i64>,
    /// Any of these source autonomous system numbers (an empty list matches nothing).
    pub asns: Option<Vec<i64>>,
    /// Source (attacker) port inside this range. Ports are stored as the sensor sent them:
    /// only a port of one to five digits is in a range.
    pub source_port_range: Option<PortRangeInput>,
    /// Target (honeypot) port inside this range, e.g. `{from: 22, to: 23}`. Ports are stored
    /// as the sensor sent them: only a port of one to five digits is in a range.
    pub target_port_range: Option<PortRangeInput>,
    /// Free text: alerts whose request (URL, command input, request line), username or
    /// password contains it, e.g. `wget`. ASCII letters match in either case; every other
    /// character, `*`, `?` and quotes included, must be equal (no patterns). 3 to 200
    /// characters.
    pub text: Option<String>,
    /// Leaves out the alerts this filter matches (at most four `not` deep). Its conditions,
    /// time windows included, apply as in any filter and the alert is left out when all of
    /// them hold; a condition on a field the alert lacks (e.g. `username` on an alert without
    /// one) does not hold, so such alerts are kept. Within the outer filter, `not` is the
    /// exact complement: `{X}` and `{X, not: Y}` differ by exactly the alerts of `{X, ...Y}`.
    pub not: Option<Box<AlertFilterInput>>,
}

/// An inclusive range of port numbers; an open end is 0 or 65535.
#[derive(InputObject, Debug, Clone, Copy, Default)]
#[graphql(name = "PortRange")]
pub struct PortRangeInput {
    /// Smallest port (inclusive, default 0).
    pub from: Option<i32>,
    /// Largest port (inclusive, default 65535).
    pub to: Option<i32>,
}

impl PortRangeInput {
    /// The validated range; `name` is the argument's name in errors.
    fn resolve(self, name: &str) -> async_graphql::Result<PortRange> {
        let port = |value: Option<i32>, default: u16| match value {
            None => Ok(default),
            Some(p) => u16::try_from(p)
                .map_err(|_| bad_input(format!("`{name}` ports must be between 0 and 65535"))),
        };
        let range = PortRange {
            from: port(self.from, 0)?,
            to: port(self.to, u16::MAX)?,
        };
        if range.from > range.to {
            return Err(bad_input(format!(
                "`{name}` is empty: `from` ({}) is above `to` ({})",
                range.from, range.to
            )));
        }
        Ok(range)
    }
}

/// How many `not` filters may be nested inside each other.
pub const MAX_NOT_DEPTH: usize = 4;

impl AlertFilterInput {
    /// The query layer's filter for `principal` asking about `domain` at `now`.
    pub fn resolve(
        filter: Option<&AlertFilterInput>,
        principal: &Principal,
        domain: DataDomain,
        now: Timestamp,
    ) -> async_graphql::Result<domain::AlertFilter> {
        let out = domain::AlertFilter::domain(principal.domain(domain.into()));
        match filter {
            Some(filter) => filter.apply(out, principal, now, 0),
            None => Ok(out),
        }
    }

    /// Adds the conditions of this filter, found `depth` levels of `not` deep, to `out`.
    fn apply(
        &self,
        mut out: domain::AlertFilter,
        principal: &Principal,
        now: Timestamp,
        depth: usize,
    ) -> async_graphql::Result<domain::AlertFilter> {
        let filter = self;
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
        out.source_as_numbers = as_numbers(filter.asn, filter.asns.as_deref())?;
        if let Some(text) = &filter.text {
            out.text =
                Some(SearchText::parse(text).map_err(|e| bad_input(format!("`text`: {e}")))?);
        }
        for (field, name, range) in [
            (
                PortField::Source,
                "sourcePortRange",
                filter.source_port_range,
            ),
            (
                PortField::Target,
                "targetPortRange",
                filter.target_port_range,
            ),
        ] {
            if let Some(range) = range {
                out.port_ranges.push((field, range.resolve(name)?));
            }
        }
        if let Some(sub) = &filter.not {
            if depth >= MAX_NOT_DEPTH {
                return Err(bad_input(format!(
                    "`not` is nested more than {MAX_NOT_DEPTH} deep"
                )));
            }
            // The domain is the outer filter's business: inside `not`, every domain.
            let all = domain::AlertFilter::domain(domain::DataDomain::All);
            out.excluded
                .push(sub.apply(all, principal, now, depth + 1)?);
        }
        Ok(out)
    }
}

/// The AS numbers an alert must name given `asn` and `asns` (both given: those in both).
fn as_numbers(asn: Option<i64>, asns: Option<&[i64]>) -> async_graphql::Result<Option<Vec<u32>>> {
    let number = |n: &i64| {
        u32::try_from(*n).map_err(|_| {
            bad_input(format!(
                "AS numbers are between 0 and {}, not {n}",
                u32::MAX
            ))
        })
    };
    let asn = asn.as_ref().map(number).transpose()?;
    let asns = asns
        .map(|list| list.iter().map(number).collect::<Result<Vec<_>, _>>())
        .transpose()?;
    Ok(match (asn, asns) {
        (Some(one), Some(list)) => Some(list.into_iter().filter(|n| *n == one).collect()),
        (Some(one), None) => Some(vec![one]),
        (None, list) => list,
    })
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
