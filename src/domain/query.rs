//! The questions the query layer asks of a store, and the shapes of their answers.
//!
//! Both front ends (legacy REST and GraphQL) express every read as one of these typed
//! queries; a store answers them without knowing which front end asked.

use super::{Alert, DataDomain, SearchText, TimeRange, Timestamp};
use ipnet::IpNet;

/// A field alerts can be grouped or matched by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TermField {
    /// `peerType`, the honeypot classification.
    PeerType,
    /// `peerIdent`, the sensor id.
    PeerIdent,
    /// `country` (label: `countryName`).
    SourceCountry,
    /// `targetCountry` (label: `targetCountryName`).
    TargetCountry,
    /// `location`, the source `lat , lon` string.
    SourceLocation,
    /// `locationDestination`, the target `lat , lon` string.
    TargetLocation,
    /// `sourceEntryIp`.
    SourceIp,
    /// `originalRequestString`.
    RequestString,
    /// `targetEntryPort`.
    TargetPort,
    /// `hostname`.
    Hostname,
    /// `username`, the login name tried.
    Username,
    /// `password`, the password tried.
    Password,
    /// `sourceEntryAS`, the source autonomous system (`AS<n> <org>`).
    SourceAs,
    /// `vulnid`, the CVE id reported by the sensor.
    Cve,
}

impl TermField {
    /// Values stored in place of a missing one, which rankings of the field leave out:
    /// `-` and `IANA` for autonomous systems, `-` for unknown countries, `0.0 , 0.0` for
    /// unknown locations, `undefined` for host names of sensors that send none, the empty text
    /// for credentials, CVEs and requests.
    pub fn placeholders(self) -> &'static [&'static str] {
        match self {
            TermField::SourceAs => &["-", "IANA"],
            TermField::SourceCountry | TermField::TargetCountry => &["-"],
            TermField::SourceLocation | TermField::TargetLocation => &["0.0 , 0.0"],
            TermField::Hostname => &[super::UNDEFINED_HOSTNAME],
            TermField::Username
            | TermField::Password
            | TermField::Cve
            | TermField::RequestString => &[""],
            _ => &[],
        }
    }
}

/// Which timestamp of an alert a window or histogram refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeField {
    /// `createTime`: when the honeypot saw the attack.
    Created,
    /// `recievedTime`: when the backend processed the alert.
    Received,
}

/// Which alerts a query looks at. All conditions must hold.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct AlertFilter {
    /// Data domain.
    pub domain: DataDomain,
    /// Window on `recievedTime`.
    pub received: TimeRange,
    /// Window on `createTime`.
    pub created: TimeRange,
    /// Exact matches on term fields (every pair must match).
    pub equals: Vec<(TermField, String)>,
    /// Term fields that must hold one of several values (every entry must match; an empty
    /// list matches nothing).
    pub one_of: Vec<(TermField, Vec<String>)>,
    /// Source address inside this network.
    pub source_net: Option<IpNet>,
    /// Source autonomous system numbers, one of which the alert's `sourceEntryAS` must name
    /// (see [`names_as_number`]; an empty list matches nothing).
    pub source_as_numbers: Option<Vec<u32>>,
    /// Port ranges the alert's ports must lie in (see [`PortRange::contains_text`]).
    pub port_ranges: Vec<(PortField, PortRange)>,
    /// Text the request, username or password must contain (see [`SearchText`]).
    pub text: Option<SearchText>,
    /// Filters the alert must not match. Each is a whole filter, windows and domain
    /// included, and is negated exactly: a sub-filter matches only when every condition holds
    /// (a condition on a missing field does not), and the alert is kept otherwise.
    pub excluded: Vec<AlertFilter>,
}

/// Which port of an alert a port range refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PortField {
    /// `sourceEntryPort`, the attacker's port.
    Source,
    /// `targetEntryPort`, the honeypot's port.
    Target,
}

/// An inclusive range of port numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PortRange {
    /// Smallest port in the range.
    pub from: u16,
    /// Largest port in the range.
    pub to: u16,
}

impl PortRange {
    /// The most digits a stored port may have to be read as a number.
    pub const MAX_DIGITS: usize = 5;

    /// Whether a stored port text lies in the range: ports are stored as sent, so only a text
    /// of one to [`Self::MAX_DIGITS`] ASCII digits is read (as a decimal number, leading zeros
    /// allowed); any other text is in no range.
    pub fn contains_text(&self, port: &str) -> bool {
        (1..=Self::MAX_DIGITS).contains(&port.len())
            && port.bytes().all(|b| b.is_ascii_digit())
            && port
                .parse::<u32>()
                .is_ok_and(|n| (u32::from(self.from)..=u32::from(self.to)).contains(&n))
    }
}

/// Whether a stored `sourceEntryAS` text names the autonomous system `number`: it is
/// `AS<number>` alone or followed by a space and the organisation.
pub fn names_as_number(source_as: &str, number: u32) -> bool {
    source_as
        .strip_prefix("AS")
        .and_then(|rest| rest.strip_prefix(number.to_string().as_str()))
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
}

impl AlertFilter {
    /// All alerts of a domain.
    pub fn domain(domain: DataDomain) -> Self {
        AlertFilter {
            domain,
            ..Default::default()
        }
    }

    /// Adds a window on one of the time fields.
    pub fn within(mut self, field: TimeField, range: TimeRange) -> Self {
        match field {
            TimeField::Created => self.created = range,
            TimeField::Received => self.received = range,
        }
        self
    }

    /// Adds an exact match on a term field.
    pub fn matching(mut self, field: TermField, value: impl Into<String>) -> Self {
        self.equals.push((field, value.into()));
        self
    }

    /// Adds a match of a term field on any of `values`.
    pub fn matching_any(mut self, field: TermField, values: Vec<String>) -> Self {
        self.one_of.push((field, values));
        self
    }

    /// Whether `alert` satisfies the filter, decided in memory the way the stores decide it.
    pub fn matches(&self, alert: &Alert) -> bool {
        if !self.domain.includes(alert.client_domain)
            || !self.received.contains(alert.recieved_time)
            || !self.created.contains(alert.create_time)
        {
            return false;
        }
        if let Some(net) = &self.source_net
            && !net.contains(&alert.source_entry_ip)
        {
            return false;
        }
        self.equals
            .iter()
            .all(|(field, value)| term_value(alert, *field).as_deref() == Some(value.as_str()))
            && self.one_of.iter().all(|(field, values)| {
                term_value(alert, *field).is_some_and(|v| values.contains(&v))
            })
            && self.source_as_numbers.as_ref().is_none_or(|numbers| {
                numbers
                    .iter()
                    .any(|n| names_as_number(&alert.source_entry_as, *n))
            })
            && self.port_ranges.iter().all(|(field, range)| {
                port_value(alert, *field).is_some_and(|port| range.contains_text(port))
            })
            && self
                .text
                .as_ref()
                .is_none_or(|text| text.found_in_alert(alert))
            && !self.excluded.iter().any(|sub| sub.matches(alert))
    }
}

/// The port an alert carries, as sent.
fn port_value(alert: &Alert, field: PortField) -> Option<&str> {
    match field {
        PortField::Source => alert.source_entry_port.as_deref(),
        PortField::Target => alert.target_entry_port.as_deref(),
    }
}

/// The value an alert carries in a term field, as the stores group and match it.
pub fn term_value(alert: &Alert, field: TermField) -> Option<String> {
    Some(match field {
        TermField::PeerType => alert.peer_type.clone(),
        TermField::PeerIdent => alert.peer_ident.clone(),
        TermField::SourceCountry => alert.country.clone(),
        TermField::TargetCountry => alert.target_country.clone(),
        TermField::SourceLocation => alert.location.clone(),
        TermField::TargetLocation => alert.location_destination.clone(),
        TermField::SourceIp => alert.source_entry_ip.to_string(),
        TermField::RequestString => alert.original_request_string.clone(),
        TermField::TargetPort => alert.target_entry_port.clone()?,
        TermField::Hostname => alert.hostname.clone(),
        TermField::Username => alert.username.clone()?,
        TermField::Password => alert.password.clone()?,
        TermField::SourceAs => alert.source_entry_as.clone(),
        TermField::Cve => alert.vulnid.clone(),
    })
}

/// One group of a terms aggregation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermCount {
    /// The grouped value.
    pub key: String,
    /// How many alerts carry it.
    pub count: u64,
    /// A display label taken from one of those alerts (the country name for country fields).
    pub label: Option<String>,
}

/// Order of a terms result: count descending, then key ascending (Elasticsearch's default).
pub fn rank_terms(terms: &mut [TermCount]) {
    terms.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
}

/// One username/password pair of a credentials ranking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialCount {
    /// The login name (never empty).
    pub username: String,
    /// The password; `None` when the alert has none or an empty one.
    pub password: Option<String>,
    /// How many alerts tried the pair.
    pub count: u64,
}

/// Order of a credentials ranking: count descending, then username, then password ascending
/// (no password first).
pub fn rank_credentials(pairs: &mut [CredentialCount]) {
    pairs.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.username.cmp(&b.username))
            .then_with(|| a.password.cmp(&b.password))
    });
}

/// A date histogram request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HistogramQuery {
    /// Which alerts.
    pub filter: AlertFilter,
    /// Which timestamp is bucketed.
    pub field: TimeField,
    /// Bucket width in seconds; buckets are aligned to the epoch (a day to UTC midnight).
    pub interval_seconds: i64,
    /// Group each bucket further by this field, keeping the top `n` groups.
    pub split: Option<(TermField, usize)>,
}

/// One non-empty bucket of a histogram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistogramBucket {
    /// Bucket start.
    pub start: Timestamp,
    /// Alerts in the bucket.
    pub count: u64,
    /// Top groups inside the bucket when a split was asked for, ranked.
    pub split: Vec<TermCount>,
}

/// Sort order of an alert listing: newest first by the given time, then by id descending.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AlertPage {
    /// Which alerts.
    pub filter: AlertFilter,
    /// The time that orders the listing.
    pub order_by: TimeField,
    /// Page size.
    pub limit: usize,
    /// Continue after this position (exclusive).
    pub after: Option<AlertCursor>,
}

/// A position in an alert listing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AlertCursor {
    /// The ordering time of the last alert seen.
    pub time: Timestamp,
    /// Its id.
    pub id: String,
}

/// A T-Pot installation seen in a window, for the community statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installation {
    /// The sensor's host name, or `None` for pre-17.10 sensors (then `target_ip` identifies it).
    pub hostname: Option<String>,
    /// Identifying target address when there is no host name.
    pub target_ip: Option<String>,
    /// Alerts per sensor id (`peerIdent`), ranked.
    pub daemons: Vec<TermCount>,
    /// The honeypot types it produced, sorted.
    pub peer_types: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_read_only_from_short_digit_strings() {
        let ssh = PortRange { from: 22, to: 23 };
        for (port, inside) in [
            ("22", true),
            ("23", true),
            ("022", true),
            ("00022", true),
            ("000022", false),
            ("24", false),
            ("", false),
            (" 22", false),
            ("+22", false),
            ("22/tcp", false),
        ] {
            assert_eq!(ssh.contains_text(port), inside, "{port:?}");
        }
        let all = PortRange {
            from: 0,
            to: u16::MAX,
        };
        assert!(all.contains_text("65535"));
        assert!(!all.contains_text("65536"));
        assert!(!all.contains_text("4294967296"));
    }

    #[test]
    fn as_numbers_match_whole_numbers_only() {
        assert!(names_as_number("AS4134 CHINANET", 4134));
        assert!(names_as_number("AS4134", 4134));
        assert!(!names_as_number("AS41340 Other", 4134));
        assert!(!names_as_number("AS413 x", 4134));
        assert!(!names_as_number("AS4134x", 4134));
        assert!(!names_as_number("as4134 lower", 4134));
        assert!(!names_as_number("IANA", 0));
        assert!(!names_as_number("-", 0));
    }
}
