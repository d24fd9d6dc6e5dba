//! The statistics of installations and the pre-computed community statistics.

use super::HoneypotTypeCount;
use crate::graphql::inputs::DateTime;
use async_graphql::SimpleObject;

/// Daily-statistics style summary of the installations behind matching alerts (legacy
/// `TpotStats`).
#[derive(SimpleObject, Debug, Clone)]
pub struct HoneypotStatistics {
    /// Matching alerts.
    pub total_alerts: u64,
    /// Alerts per honeypot type, most frequent first.
    pub alerts_per_type: Vec<HoneypotTypeCount>,
    /// T-Pot installations (by host name, or by target address for sensors without one).
    pub total_honeypots: u64,
    /// Honeypot daemons (sensor ids), at most ten counted per installation.
    pub total_daemons: u64,
    /// Installations that produced each honeypot type, by type name.
    pub honeypots_per_type: Vec<HoneypotTypeCount>,
}

/// A pre-computed community statistics document (legacy `getStats`).
#[derive(SimpleObject, Debug, Clone)]
pub struct StatisticsSnapshot {
    /// Start of the period (`UTCtimeFrom`).
    pub from: DateTime,
    /// End of the period (`UTCtimeTo`); null when the document has none or an unreadable one.
    pub to: Option<DateTime>,
    /// `comm_totalRatio`.
    pub total_ratio: Option<f64>,
    /// `comm_ratio_<type>` of the requested honeypot types present in the document.
    pub ratios: Vec<TypeRatio>,
}

/// A ratio of one honeypot type.
#[derive(SimpleObject, Debug, Clone)]
pub struct TypeRatio {
    /// The honeypot type.
    pub honeypot_type: String,
    /// The ratio.
    pub ratio: Option<f64>,
}
