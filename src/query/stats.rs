//! Counting questions both front ends ask: recent alert counters (`retrieveAlertStats`,
//! `alertStats`) and the installations behind a set of alerts (`TpotStats`,
//! `honeypotStatistics`).

use super::QueryLayer;
use crate::domain::{
    AlertFilter, DataDomain, Installation, TermCount, TermField, TimeField, TimeRange, Timestamp,
};
use crate::store::StoreError;
use std::collections::BTreeMap;

/// Terms size of the per-type alert counts.
pub const TYPES: usize = 1000;
/// Daemons counted per installation (Elasticsearch's default terms size).
pub const DAEMONS_PER_INSTALLATION: usize = 10;

/// Alerts received in the last minute, 5 minutes, hour and 24 hours. The windows are
/// open-ended (`recievedTime >= now - N minutes`, no upper bound): alerts dated in the future
/// count too, as in PEBA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertStats {
    /// Received since `now-1m`.
    pub last_minute: u64,
    /// Received since `now-5m`.
    pub last_5_minutes: u64,
    /// Received since `now-60m`.
    pub last_hour: u64,
    /// Received since `now-1440m`.
    pub last_24_hours: u64,
}

/// The installations behind matching alerts (legacy `TpotStats`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoneypotStatistics {
    /// Matching alerts.
    pub total_alerts: u64,
    /// Alerts per honeypot type, ranked (at most [`TYPES`]).
    pub alerts_per_type: Vec<TermCount>,
    /// T-Pot installations (by host name, or by target address for sensors without one).
    pub honeypots: u64,
    /// Honeypot daemons, at most [`DAEMONS_PER_INSTALLATION`] counted per installation.
    pub daemons: u64,
    /// Installations that produced each honeypot type, by type name.
    pub honeypots_per_type: BTreeMap<String, u64>,
}

impl QueryLayer {
    /// The recent-alert counters of `domain` at `now`.
    pub async fn alert_stats(
        &self,
        domain: DataDomain,
        now: Timestamp,
    ) -> Result<AlertStats, StoreError> {
        let since = |minutes: i64| {
            AlertFilter::domain(domain).within(
                TimeField::Received,
                TimeRange::since(now.plus_seconds(-60 * minutes)),
            )
        };
        let windows = [since(1), since(5), since(60), since(1440)];
        let [minute, five, hour, day] = &windows;
        let (last_minute, last_5_minutes, last_hour, last_24_hours) = tokio::try_join!(
            self.count(minute),
            self.count(five),
            self.count(hour),
            self.count(day),
        )?;
        Ok(AlertStats {
            last_minute,
            last_5_minutes,
            last_hour,
            last_24_hours,
        })
    }

    /// Alert counts and the installations behind the alerts matching `filter`.
    pub async fn honeypot_statistics(
        &self,
        filter: &AlertFilter,
    ) -> Result<HoneypotStatistics, StoreError> {
        let (total_alerts, alerts_per_type, installations) = tokio::try_join!(
            self.count(filter),
            self.terms(filter, TermField::PeerType, TYPES),
            self.installations(filter),
        )?;
        Ok(HoneypotStatistics {
            total_alerts,
            alerts_per_type,
            honeypots: installations.len() as u64,
            daemons: daemons(&installations),
            honeypots_per_type: per_type(&installations),
        })
    }
}

fn daemons(installations: &[Installation]) -> u64 {
    installations
        .iter()
        .map(|i| i.daemons.len().min(DAEMONS_PER_INSTALLATION) as u64)
        .sum()
}

fn per_type(installations: &[Installation]) -> BTreeMap<String, u64> {
    let mut per_type = BTreeMap::new();
    for peer_type in installations.iter().flat_map(|i| &i.peer_types) {
        *per_type.entry(peer_type.clone()).or_insert(0) += 1;
    }
    per_type
}
