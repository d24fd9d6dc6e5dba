//! Elasticsearch date math on the service clock, always in UTC: `now-Nm`, `now/d`,
//! `now-Nd/d`, `now-1M/d`, `now/M`, `now-NM/M`, and the labels derived from them. Every
//! function answers `None` when the result leaves the representable calendar (absurd
//! parameters), which the routes treat like a failed search.

use crate::domain::Timestamp;
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};

fn datetime(t: Timestamp) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.unix(), 0)
}

fn stamp(t: DateTime<Utc>) -> Timestamp {
    Timestamp::from_unix(t.timestamp())
}

/// `now-Nm`.
pub fn minutes_ago(now: Timestamp, minutes: u64) -> Option<Timestamp> {
    let seconds = i64::try_from(minutes).ok()?.checked_mul(60)?;
    let t = Timestamp::from_unix(now.unix().checked_sub(seconds)?);
    datetime(t).map(|_| t)
}

/// `now/d`: 00:00:00 UTC of today.
pub fn start_of_day(now: Timestamp) -> Timestamp {
    now.start_of_day()
}

/// `now-Nd/d`: 00:00:00 UTC of the day `N` days ago.
pub fn days_ago_start(now: Timestamp, days: u64) -> Option<Timestamp> {
    let seconds = i64::try_from(days).ok()?.checked_mul(Timestamp::DAY)?;
    let t = Timestamp::from_unix(now.unix().checked_sub(seconds)?).start_of_day();
    datetime(t).map(|_| t)
}

/// `now-NM/d`: the same time of day `N` calendar months ago (the day of month clamped to the
/// month's length, as Elasticsearch does), rounded down to its day.
pub fn months_ago_day_start(now: Timestamp, months: u32) -> Option<Timestamp> {
    let t = datetime(now)?.checked_sub_months(Months::new(months))?;
    Some(stamp(t).start_of_day())
}

/// `now-NM/M`: 00:00:00 UTC on the first day of the month `N` calendar months ago.
pub fn months_ago_start(now: Timestamp, months: u64) -> Option<Timestamp> {
    let first = first_of_month(now)?;
    let date = first.checked_sub_months(Months::new(u32::try_from(months).ok()?))?;
    Some(stamp(date.and_hms_opt(0, 0, 0)?.and_utc()))
}

fn first_of_month(now: Timestamp) -> Option<NaiveDate> {
    let today = datetime(now)?.date_naive();
    NaiveDate::from_ymd_opt(today.year(), today.month(), 1)
}

/// `YYYY-MM` of the month `N` calendar months before `now`.
pub fn month_label(now: Timestamp, months: u64) -> Option<String> {
    let date = first_of_month(now)?.checked_sub_months(Months::new(u32::try_from(months).ok()?))?;
    Some(date.format("%Y-%m").to_string())
}

/// `YYYY-MM-DD` of the day `N` days before `now`.
pub fn day_label(now: Timestamp, days: u64) -> Option<String> {
    let t = days_ago_start(now, days)?;
    Some(datetime(t)?.format("%Y-%m-%d").to_string())
}

/// The UTC day `YYYYMMDD` (exactly eight ASCII digits forming a valid date) as its midnight.
pub fn parse_compact_day(text: &str) -> Option<Timestamp> {
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let date = NaiveDate::parse_from_str(text, "%Y%m%d").ok()?;
    Some(stamp(date.and_hms_opt(0, 0, 0)?.and_utc()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse_legacy(s).unwrap()
    }

    fn f(t: Option<Timestamp>) -> String {
        t.map(|t| t.format_legacy()).unwrap_or_default()
    }

    #[test]
    fn minute_windows() {
        let now = t("2024-06-24 00:05:00");
        assert_eq!(f(minutes_ago(now, 10)), "2024-06-23 23:55:00");
        assert_eq!(f(minutes_ago(now, 0)), "2024-06-24 00:05:00");
        assert_eq!(minutes_ago(now, u64::MAX), None);
        assert_eq!(minutes_ago(now, 10_000_000_000_000), None);
    }

    #[test]
    fn day_windows() {
        let now = t("2024-03-01 13:45:10");
        assert_eq!(start_of_day(now).format_legacy(), "2024-03-01 00:00:00");
        assert_eq!(f(days_ago_start(now, 0)), "2024-03-01 00:00:00");
        assert_eq!(f(days_ago_start(now, 1)), "2024-02-29 00:00:00");
        assert_eq!(f(days_ago_start(now, 366)), "2023-03-01 00:00:00");
        assert_eq!(day_label(now, 1).unwrap(), "2024-02-29");
        assert_eq!(days_ago_start(now, u64::MAX), None);
    }

    #[test]
    fn month_windows_across_year_boundaries() {
        let now = t("2024-01-15 08:00:00");
        assert_eq!(f(months_ago_start(now, 0)), "2024-01-01 00:00:00");
        assert_eq!(f(months_ago_start(now, 1)), "2023-12-01 00:00:00");
        assert_eq!(f(months_ago_start(now, 13)), "2022-12-01 00:00:00");
        assert_eq!(month_label(now, 1).unwrap(), "2023-12");
        assert_eq!(month_label(now, 0).unwrap(), "2024-01");
        assert_eq!(month_label(now, 12).unwrap(), "2023-01");
        assert_eq!(months_ago_start(now, u64::MAX), None);
    }

    #[test]
    fn one_month_back_clamps_the_day() {
        assert_eq!(
            f(months_ago_day_start(t("2024-03-31 10:00:00"), 1)),
            "2024-02-29 00:00:00"
        );
        assert_eq!(
            f(months_ago_day_start(t("2023-03-31 10:00:00"), 1)),
            "2023-02-28 00:00:00"
        );
        assert_eq!(
            f(months_ago_day_start(t("2024-01-10 23:59:59"), 1)),
            "2023-12-10 00:00:00"
        );
    }

    #[test]
    fn compact_days() {
        assert_eq!(f(parse_compact_day("20240229")), "2024-02-29 00:00:00");
        for bad in [
            "20230229",
            "2024-6-1",
            "2024061",
            "202406011",
            "2024o601",
            "",
        ] {
            assert_eq!(parse_compact_day(bad), None, "{bad}");
        }
    }
}
