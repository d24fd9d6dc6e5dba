//! The plain-text feed: one address per line, as firewalls read blocklists.

use super::Feed;
use std::fmt::Write as _;

/// The addresses, one per line.
pub fn render(feed: &Feed) -> String {
    let mut out = String::with_capacity(feed.attackers.len() * 16);
    for attacker in feed.attackers.iter() {
        let _ = writeln!(out, "{}", attacker.address);
    }
    out
}
