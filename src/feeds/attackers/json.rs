//! The JSON feed: the window and the attackers.

use super::Feed;
use serde_json::json;

/// `{"generated", "window": {"from", "to"}, "count", "attackers": [...]}`.
pub fn render(feed: &Feed) -> String {
    let from = feed
        .computed
        .plus_seconds(-60 * i64::from(feed.request.minutes));
    let attackers: Vec<_> = feed
        .attackers
        .iter()
        .map(|a| {
            json!({
                "address": a.address.to_string(),
                "count": a.count,
                "firstSeen": a.first_seen.format_rfc3339(),
                "lastSeen": a.last_seen.format_rfc3339(),
                "honeypotTypes": a.honeypot_types,
                "ports": a.ports,
            })
        })
        .collect();
    json!({
        "generated": feed.computed.format_rfc3339(),
        "window": {"from": from.format_rfc3339(), "to": feed.computed.format_rfc3339()},
        "count": attackers.len(),
        "attackers": attackers,
    })
    .to_string()
}
