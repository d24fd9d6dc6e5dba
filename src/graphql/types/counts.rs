//! The results of counting and ranking questions.

use crate::domain::{self, TermCount};
use async_graphql::SimpleObject;

/// Alerts received in the last minute, 5 minutes, hour and 24 hours (open-ended: alerts
/// dated in the future count too).
#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct AlertStats {
    /// Received in the last minute.
    pub last_minute: u64,
    /// Received in the last 5 minutes.
    #[graphql(name = "last5Minutes")]
    pub last_5_minutes: u64,
    /// Received in the last hour.
    pub last_hour: u64,
    /// Received in the last 24 hours.
    #[graphql(name = "last24Hours")]
    pub last_24_hours: u64,
}

impl From<crate::query::AlertStats> for AlertStats {
    fn from(s: crate::query::AlertStats) -> Self {
        AlertStats {
            last_minute: s.last_minute,
            last_5_minutes: s.last_5_minutes,
            last_hour: s.last_hour,
            last_24_hours: s.last_24_hours,
        }
    }
}

/// Alerts of one honeypot type.
#[derive(SimpleObject, Debug, Clone)]
pub struct HoneypotTypeCount {
    /// The honeypot type.
    pub honeypot_type: String,
    /// Its alerts.
    pub count: u64,
}

impl From<TermCount> for HoneypotTypeCount {
    fn from(t: TermCount) -> Self {
        HoneypotTypeCount {
            honeypot_type: t.key,
            count: t.count,
        }
    }
}

/// Alerts from or to one country.
#[derive(SimpleObject, Debug, Clone)]
pub struct CountryCount {
    /// Country code.
    pub code: String,
    /// Country name.
    pub name: Option<String>,
    /// Its alerts.
    pub count: u64,
}

impl From<TermCount> for CountryCount {
    fn from(t: TermCount) -> Self {
        CountryCount {
            code: t.key,
            name: t.label,
            count: t.count,
        }
    }
}

/// Alerts from or to one location.
#[derive(SimpleObject, Debug, Clone)]
pub struct GeoPointCount {
    /// The stored location text, `"<lat> , <lon>"` (`0.0 , 0.0` when unknown).
    pub location: String,
    /// Degrees north, when the location reads as a number pair.
    pub latitude: Option<f64>,
    /// Degrees east, when the location reads as a number pair.
    pub longitude: Option<f64>,
    /// Its alerts.
    pub count: u64,
}

impl From<TermCount> for GeoPointCount {
    fn from(t: TermCount) -> Self {
        let point = domain::GeoPoint::parse(&t.key);
        GeoPointCount {
            latitude: point.map(|p| p.latitude),
            longitude: point.map(|p| p.longitude),
            location: t.key,
            count: t.count,
        }
    }
}

/// Alerts from one source address.
#[derive(SimpleObject, Debug, Clone)]
pub struct AttackerCount {
    /// The source address.
    pub ip: String,
    /// Its alerts.
    pub count: u64,
}
