//! The JSON feed: the window and the attackers.

use super::Feed;
use crate::graphql::inputs::DateTime;
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
                "firstSeen": DateTime::rfc3339(a.first_seen),
                "lastSeen": DateTime::rfc3339(a.last_seen),
                "honeypotTypes": a.honeypot_types,
                "ports": a.ports,
            })
        })
        .collect();
    json!({
        "generated": DateTime::rfc3339(feed.computed),
        "window": {"from": DateTime::rfc3339(from), "to": DateTime::rfc3339(feed.computed)},
        "count": attackers.len(),
        "attackers": attackers,
    })
    .to_string()
}
