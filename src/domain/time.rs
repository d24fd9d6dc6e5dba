//! UTC timestamps with one-second precision, in the legacy `YYYY-MM-DD HH:MM:SS` form.

use chrono::format::{Item, Numeric, Pad, Parsed};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use std::fmt;

/// The one textual form PEBA stores and compares timestamps in.
pub const LEGACY_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// [`LEGACY_FORMAT`] as chrono's parsed items, so that formatting and parsing (once or twice
/// per stored alert) skip reading the format string.
const LEGACY_ITEMS: &[Item<'static>] = &[
    Item::Numeric(Numeric::Year, Pad::Zero),
    Item::Literal("-"),
    Item::Numeric(Numeric::Month, Pad::Zero),
    Item::Literal("-"),
    Item::Numeric(Numeric::Day, Pad::Zero),
    Item::Space(" "),
    Item::Numeric(Numeric::Hour, Pad::Zero),
    Item::Literal(":"),
    Item::Numeric(Numeric::Minute, Pad::Zero),
    Item::Literal(":"),
    Item::Numeric(Numeric::Second, Pad::Zero),
];

/// Seconds since the Unix epoch, UTC. The only time type the store and the queries see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// A timestamp that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a timestamp of the form YYYY-MM-DD HH:MM:SS: {0:?}")]
pub struct TimestampError(pub String);

impl Timestamp {
    /// Seconds in a UTC day.
    pub const DAY: i64 = 86_400;

    /// From seconds since the epoch.
    pub const fn from_unix(seconds: i64) -> Self {
        Timestamp(seconds)
    }

    /// Seconds since the epoch.
    pub const fn unix(self) -> i64 {
        self.0
    }

    /// The current wall-clock time, truncated to the second.
    pub fn now() -> Self {
        Timestamp(Utc::now().timestamp())
    }

    /// Reads exactly `YYYY-MM-DD HH:MM:SS` (UTC).
    pub fn parse_legacy(text: &str) -> Result<Self, TimestampError> {
        let mut parsed = Parsed::new();
        chrono::format::parse(&mut parsed, text, LEGACY_ITEMS.iter())
            .and_then(|()| parsed.to_naive_datetime_with_offset(0))
            .ok()
            .filter(|_| text.len() == 19)
            .map(|t| Timestamp(t.and_utc().timestamp()))
            .ok_or_else(|| TimestampError(text.to_owned()))
    }

    /// Reads any of the formats of the legacy Elasticsearch mapping:
    /// `yyyy-MM-dd HH:mm:ss`, `yyyy-MM-dd` or epoch milliseconds.
    pub fn parse_mapping_format(text: &str) -> Result<Self, TimestampError> {
        if let Ok(t) = Self::parse_legacy(text) {
            return Ok(t);
        }
        if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d")
            && text.len() == 10
        {
            return Ok(Timestamp(
                day.and_time(Default::default()).and_utc().timestamp(),
            ));
        }
        if !text.is_empty()
            && text.bytes().all(|b| b.is_ascii_digit())
            && let Ok(millis) = text.parse::<i64>()
        {
            return Ok(Timestamp(millis.div_euclid(1000)));
        }
        Err(TimestampError(text.to_owned()))
    }

    /// Reads what the API accepts: RFC 3339 with any offset, the legacy form
    /// `YYYY-MM-DD HH:MM:SS` (UTC), or a bare date `YYYY-MM-DD` (its midnight, UTC).
    pub fn parse_api(text: &str) -> Option<Self> {
        if let Ok(t) = DateTime::parse_from_rfc3339(text) {
            return Some(Timestamp(t.timestamp()));
        }
        if let Ok(t) = Self::parse_legacy(text) {
            return Some(t);
        }
        let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
        Some(Timestamp(day.and_hms_opt(0, 0, 0)?.and_utc().timestamp()))
    }

    /// RFC 3339 text in UTC, to the second (`2024-07-01T00:20:00Z`).
    pub fn format_rfc3339(self) -> String {
        self.to_datetime()
            .to_rfc3339_opts(SecondsFormat::Secs, true)
    }

    /// The legacy textual form, `YYYY-MM-DD HH:MM:SS`.
    pub fn format_legacy(self) -> String {
        self.to_datetime()
            .format_with_items(LEGACY_ITEMS.iter())
            .to_string()
    }

    /// As a chrono date-time in UTC.
    pub fn to_datetime(self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.0, 0).unwrap_or_default()
    }

    /// Midnight (UTC) of this timestamp's day.
    pub fn start_of_day(self) -> Self {
        Timestamp(self.0 - self.0.rem_euclid(Self::DAY))
    }

    /// This timestamp moved by `seconds` (negative: back).
    pub fn plus_seconds(self, seconds: i64) -> Self {
        Timestamp(self.0.saturating_add(seconds))
    }

    /// The start of the bucket of width `interval_seconds` (aligned to the epoch) holding this timestamp.
    pub fn floor_to(self, interval_seconds: i64) -> Self {
        Timestamp(self.0 - self.0.rem_euclid(interval_seconds))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format_legacy())
    }
}

/// A half-open interval `[from, to)`; a missing bound is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TimeRange {
    /// Inclusive lower bound.
    pub from: Option<Timestamp>,
    /// Exclusive upper bound.
    pub to: Option<Timestamp>,
}

impl TimeRange {
    /// No bounds at all.
    pub const ALL: TimeRange = TimeRange {
        from: None,
        to: None,
    };

    /// Everything at or after `from`.
    pub fn since(from: Timestamp) -> Self {
        TimeRange {
            from: Some(from),
            to: None,
        }
    }

    /// `[from, to)`.
    pub fn between(from: Timestamp, to: Timestamp) -> Self {
        TimeRange {
            from: Some(from),
            to: Some(to),
        }
    }

    /// Whether `t` lies inside.
    pub fn contains(&self, t: Timestamp) -> bool {
        self.from.is_none_or(|from| t >= from) && self.to.is_none_or(|to| t < to)
    }

    /// Whether the range is unbounded on both sides.
    pub fn is_unbounded(&self) -> bool {
        self.from.is_none() && self.to.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::format::StrftimeItems;

    #[test]
    fn legacy_items_are_the_legacy_format() {
        let items: Vec<Item<'_>> = StrftimeItems::new(LEGACY_FORMAT).collect();
        assert_eq!(items, LEGACY_ITEMS);
    }

    #[test]
    fn legacy_form_round_trips() {
        let t = Timestamp::parse_legacy("2024-06-24 12:00:00").unwrap();
        assert_eq!(t.unix(), 1_719_230_400);
        assert_eq!(t.format_legacy(), "2024-06-24 12:00:00");
    }

    #[test]
    fn legacy_form_is_strict() {
        for bad in [
            "2024-06-24",
            "2024-06-24T12:00:00",
            "2024-6-24 12:00:00",
            " 2024-06-24 12:00:00",
            "2024-02-30 00:00:00",
        ] {
            assert!(Timestamp::parse_legacy(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn mapping_formats_are_accepted() {
        assert_eq!(
            Timestamp::parse_mapping_format("2024-06-24")
                .unwrap()
                .format_legacy(),
            "2024-06-24 00:00:00"
        );
        assert_eq!(
            Timestamp::parse_mapping_format("1719230400123")
                .unwrap()
                .unix(),
            1_719_230_400
        );
        assert!(Timestamp::parse_mapping_format("yesterday").is_err());
    }

    #[test]
    fn rounding_is_utc() {
        let t = Timestamp::parse_legacy("2024-06-24 13:45:10").unwrap();
        assert_eq!(t.start_of_day().format_legacy(), "2024-06-24 00:00:00");
        assert_eq!(t.floor_to(6 * 3600).format_legacy(), "2024-06-24 12:00:00");
    }

    #[test]
    fn ranges_are_half_open() {
        let a = Timestamp::from_unix(10);
        let b = Timestamp::from_unix(20);
        let r = TimeRange::between(a, b);
        assert!(r.contains(a));
        assert!(!r.contains(b));
        assert!(TimeRange::ALL.contains(b));
    }
}
