//! Query parameters of exports and feeds, parsed into the query layer's typed requests. Names
//! follow GraphQL's `AlertFilter` (`honeypotType`, `sourceCountry`, `targetPort`, …); unknown
//! parameters are refused, so that a misspelt filter never widens an answer silently.

use super::FeedError;
use super::access::FeedReader;
use crate::domain::{
    AlertFilter, AttackerQuery, DataDomain, SearchText, TermField, TimeField, TimeRange, Timestamp,
};
use axum::extract::Query;
use axum::http::Uri;
use ipnet::IpNet;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::net::IpAddr;

/// Default window of the attacker feeds, in hours.
pub const DEFAULT_FEED_HOURS: u32 = 24;
/// Longest window of the attacker feeds, in hours (a year).
pub const MAX_FEED_HOURS: u32 = 366 * 24;
/// Default number of addresses of a feed.
pub const DEFAULT_FEED_LIMIT: usize = 10_000;
/// Most addresses a feed lists.
pub const MAX_FEED_LIMIT: usize = 100_000;

/// The `domain` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DomainParam {
    /// Community data (the default).
    #[default]
    Community,
    /// Private data.
    Private,
    /// Both.
    All,
}

impl From<DomainParam> for DataDomain {
    fn from(domain: DomainParam) -> Self {
        match domain {
            DomainParam::Community => DataDomain::Community,
            DomainParam::Private => DataDomain::Private,
            DomainParam::All => DataDomain::All,
        }
    }
}

/// The `orderBy` parameter of exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderParam {
    /// By received time (the default).
    #[default]
    Received,
    /// By the honeypot's time.
    Created,
}

/// Parameters of `GET /export/alerts.*`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExportParams {
    domain: Option<DomainParam>,
    received_from: Option<String>,
    received_to: Option<String>,
    created_from: Option<String>,
    created_to: Option<String>,
    last_minutes: Option<u32>,
    honeypot_type: Option<String>,
    sensor: Option<String>,
    hostname: Option<String>,
    source_country: Option<String>,
    target_country: Option<String>,
    source_ip: Option<String>,
    target_port: Option<u16>,
    text: Option<String>,
    order_by: Option<OrderParam>,
    limit: Option<u64>,
}

/// What an export streams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRequest {
    /// Which alerts.
    pub filter: AlertFilter,
    /// Their order (newest first).
    pub order_by: TimeField,
    /// Most alerts streamed.
    pub limit: Option<u64>,
}

/// Parameters of `GET /feeds/attackers.*`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FeedParams {
    domain: Option<DomainParam>,
    hours: Option<u32>,
    minutes: Option<u32>,
    honeypot_type: Option<String>,
    target_port: Option<u16>,
    min_count: Option<u64>,
    global_only: Option<bool>,
    limit: Option<usize>,
}

/// A feed request without its time: what the cache keys on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FeedRequest {
    /// The effective data domain.
    pub domain: DataDomain,
    /// Window length in minutes, ending now.
    pub minutes: u32,
    /// Exact honeypot type.
    pub honeypot_type: Option<String>,
    /// Target port.
    pub target_port: Option<u16>,
    /// Fewest alerts per address.
    pub min_count: u64,
    /// Only globally routable addresses.
    pub global_only: bool,
    /// Most addresses.
    pub limit: usize,
}

impl FeedRequest {
    /// The query for the window ending at `now`.
    pub fn query(&self, now: Timestamp) -> AttackerQuery {
        let since = now.plus_seconds(-60 * i64::from(self.minutes));
        let mut filter =
            AlertFilter::domain(self.domain).within(TimeField::Received, TimeRange::since(since));
        if let Some(honeypot_type) = &self.honeypot_type {
            filter = filter.matching(TermField::PeerType, honeypot_type.clone());
        }
        if let Some(port) = self.target_port {
            filter = filter.matching(TermField::TargetPort, port.to_string());
        }
        AttackerQuery {
            filter,
            min_count: self.min_count,
            global_only: self.global_only,
            limit: self.limit,
        }
    }
}

/// Reads the query string of `uri` into `T`.
fn query_of<T: DeserializeOwned>(uri: &Uri) -> Result<T, FeedError> {
    Query::<T>::try_from_uri(uri)
        .map(|Query(params)| params)
        .map_err(|e| FeedError::BadParameter(e.body_text()))
}

fn bad(message: impl Into<String>) -> FeedError {
    FeedError::BadParameter(message.into())
}

fn time(name: &str, value: Option<&String>) -> Result<Option<Timestamp>, FeedError> {
    value
        .map(|text| {
            Timestamp::parse_api(text).ok_or_else(|| {
                bad(format!(
                    "`{name}` is not a date-time (RFC 3339, `YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DD`): {text:?}"
                ))
            })
        })
        .transpose()
}

impl ExportRequest {
    /// The export `uri` asks `reader` for at `now`.
    pub fn parse(uri: &Uri, reader: &FeedReader, now: Timestamp) -> Result<Self, FeedError> {
        let p: ExportParams = query_of(uri)?;
        let mut filter = AlertFilter::domain(reader.domain(p.domain.unwrap_or_default().into()));
        let received_from = match (
            time("receivedFrom", p.received_from.as_ref())?,
            p.last_minutes,
        ) {
            (Some(_), Some(_)) => {
                return Err(bad("give either `receivedFrom` or `lastMinutes`, not both"));
            }
            (Some(from), None) => Some(from),
            (None, Some(minutes)) => Some(now.plus_seconds(-60 * i64::from(minutes))),
            (None, None) => None,
        };
        filter.received = TimeRange {
            from: received_from,
            to: time("receivedTo", p.received_to.as_ref())?,
        };
        filter.created = TimeRange {
            from: time("createdFrom", p.created_from.as_ref())?,
            to: time("createdTo", p.created_to.as_ref())?,
        };
        for (field, value) in [
            (TermField::PeerType, p.honeypot_type),
            (TermField::PeerIdent, p.sensor),
            (TermField::Hostname, p.hostname),
            (TermField::SourceCountry, p.source_country),
            (TermField::TargetCountry, p.target_country),
        ] {
            if let Some(value) = value {
                filter = filter.matching(field, value);
            }
        }
        if let Some(port) = p.target_port {
            filter = filter.matching(TermField::TargetPort, port.to_string());
        }
        if let Some(text) = &p.text {
            filter.text = Some(SearchText::parse(text).map_err(|e| bad(format!("`text`: {e}")))?);
        }
        if let Some(source) = &p.source_ip {
            let source = source.trim();
            if let Ok(ip) = source.parse::<IpAddr>() {
                filter = filter.matching(TermField::SourceIp, ip.to_string());
            } else {
                let net: IpNet = source.parse().map_err(|_| {
                    bad(format!(
                        "`sourceIp` is neither an address nor a CIDR network: {source:?}"
                    ))
                })?;
                filter.source_net = Some(net.trunc());
            }
        }
        Ok(ExportRequest {
            filter,
            order_by: match p.order_by.unwrap_or_default() {
                OrderParam::Received => TimeField::Received,
                OrderParam::Created => TimeField::Created,
            },
            limit: p.limit,
        })
    }
}

impl FeedRequest {
    /// The feed `uri` asks `reader` for.
    pub fn parse(uri: &Uri, reader: &FeedReader) -> Result<Self, FeedError> {
        let p: FeedParams = query_of(uri)?;
        let minutes = match (p.hours, p.minutes) {
            (Some(_), Some(_)) => return Err(bad("give either `hours` or `minutes`, not both")),
            (Some(hours), None) => hours.checked_mul(60),
            (None, Some(minutes)) => Some(minutes),
            (None, None) => Some(DEFAULT_FEED_HOURS * 60),
        }
        .filter(|m| (1..=MAX_FEED_HOURS * 60).contains(m))
        .ok_or_else(|| {
            bad(format!(
                "the window (`hours` or `minutes`) must be between 1 minute and {MAX_FEED_HOURS} hours"
            ))
        })?;
        let limit = p.limit.unwrap_or(DEFAULT_FEED_LIMIT);
        if limit > MAX_FEED_LIMIT {
            return Err(bad(format!("`limit` must be at most {MAX_FEED_LIMIT}")));
        }
        Ok(FeedRequest {
            domain: reader.domain(p.domain.unwrap_or_default().into()),
            minutes,
            honeypot_type: p.honeypot_type,
            target_port: p.target_port,
            min_count: p.min_count.unwrap_or(1).max(1),
            global_only: p.global_only.unwrap_or(true),
            limit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(community_only: bool) -> FeedReader {
        FeedReader {
            name: "reader".into(),
            community_only,
        }
    }

    fn uri(query: &str) -> Uri {
        format!("/feeds/attackers.txt?{query}").parse().unwrap()
    }

    #[test]
    fn feed_parameters_and_their_defaults() {
        let request = FeedRequest::parse(&uri(""), &reader(false)).unwrap();
        assert_eq!(request.minutes, 24 * 60);
        assert!(request.global_only);
        assert_eq!(request.domain, DataDomain::Community);
        let request = FeedRequest::parse(
            &uri(
                "hours=2&domain=all&targetPort=22&minCount=3&globalOnly=false&honeypotType=Webpage",
            ),
            &reader(false),
        )
        .unwrap();
        assert_eq!(
            (
                request.minutes,
                request.domain,
                request.target_port,
                request.min_count
            ),
            (120, DataDomain::All, Some(22), 3)
        );
        assert!(!request.global_only);
        // community-only readers are narrowed
        let narrowed = FeedRequest::parse(&uri("domain=all"), &reader(true)).unwrap();
        assert_eq!(narrowed.domain, DataDomain::Community);
        for wrong in [
            "hours=0",
            "hours=1&minutes=5",
            "prot=22",
            "targetPort=70000",
            "hours=x",
            "limit=100001",
        ] {
            assert!(
                FeedRequest::parse(&uri(wrong), &reader(false)).is_err(),
                "{wrong}"
            );
        }
    }

    #[test]
    fn export_filters() {
        let now = Timestamp::parse_legacy("2024-07-01 00:00:00").unwrap();
        let request = ExportRequest::parse(
            &uri("receivedFrom=2024-06-30&sourceIp=10.0.0.1/8&sourceCountry=CN&orderBy=created&limit=5"),
            &reader(false),
            now,
        )
        .unwrap();
        assert_eq!(
            request.filter.received.from,
            Timestamp::parse_legacy("2024-06-30 00:00:00").ok()
        );
        assert_eq!(request.filter.source_net, "10.0.0.0/8".parse().ok());
        assert_eq!(
            request.filter.equals,
            vec![(TermField::SourceCountry, "CN".to_owned())]
        );
        assert_eq!(
            (request.order_by, request.limit),
            (TimeField::Created, Some(5))
        );
        let last = ExportRequest::parse(&uri("lastMinutes=10"), &reader(false), now).unwrap();
        assert_eq!(last.filter.received.from, Some(now.plus_seconds(-600)));
        for wrong in [
            "receivedFrom=yesterday",
            "sourceIp=1.2.3",
            "lastMinutes=1&receivedFrom=2024-01-01",
            "honeypot=x",
        ] {
            assert!(
                ExportRequest::parse(&uri(wrong), &reader(false), now).is_err(),
                "{wrong}"
            );
        }
    }
}
