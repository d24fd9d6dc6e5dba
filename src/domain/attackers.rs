//! The attacker-feed question: which source addresses matching alerts came from, with what
//! they did, as the stores aggregate it.

use super::{AlertFilter, Timestamp};
use std::net::IpAddr;

/// Most target ports an [`Attacker`] lists (the lowest ones).
pub const MAX_ATTACKER_PORTS: usize = 100;

/// Which attackers a feed lists.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttackerQuery {
    /// Which alerts count (the feed window is a window on received time).
    pub filter: AlertFilter,
    /// Fewest alerts an address needs to be listed (at least 1).
    pub min_count: u64,
    /// Only globally routable addresses (as [`crate::ingest::is_global`] decides).
    pub global_only: bool,
    /// Most addresses listed.
    pub limit: usize,
}

/// One source address with the alerts it caused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attacker {
    /// The source address.
    pub address: IpAddr,
    /// Matching alerts from it.
    pub count: u64,
    /// Received time of its first matching alert.
    pub first_seen: Timestamp,
    /// Received time of its last matching alert.
    pub last_seen: Timestamp,
    /// The honeypot types (`peerType`) it hit, sorted.
    pub honeypot_types: Vec<String>,
    /// The numeric target ports it hit, ascending, at most [`MAX_ATTACKER_PORTS`] (the
    /// lowest); ports that are not numbers are left out.
    pub ports: Vec<u16>,
}

/// Orders attackers most active first, then by address (IPv4 as IPv4-mapped IPv6, as
/// Elasticsearch orders `ip` keys).
pub fn rank_attackers(attackers: &mut [Attacker]) {
    attackers.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| address_order(a.address).cmp(&address_order(b.address)))
    });
}

/// The sort key of an address: its 16-byte form.
pub fn address_order(address: IpAddr) -> u128 {
    match address {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// A target port as an attacker feed lists it: a number from 0 to 65535.
pub fn feed_port(text: &str) -> Option<u16> {
    text.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attacker(address: &str, count: u64) -> Attacker {
        Attacker {
            address: address.parse().unwrap(),
            count,
            first_seen: Timestamp::from_unix(0),
            last_seen: Timestamp::from_unix(0),
            honeypot_types: Vec::new(),
            ports: Vec::new(),
        }
    }

    #[test]
    fn ranked_by_count_then_address_value() {
        let mut list = vec![
            attacker("2001:db8::1", 2),
            attacker("9.9.9.9", 2),
            attacker("10.0.0.1", 2),
            attacker("1.1.1.1", 5),
        ];
        rank_attackers(&mut list);
        let order: Vec<String> = list.iter().map(|a| a.address.to_string()).collect();
        assert_eq!(order, ["1.1.1.1", "9.9.9.9", "10.0.0.1", "2001:db8::1"]);
    }

    #[test]
    fn ports_are_numbers() {
        assert_eq!(feed_port("22"), Some(22));
        assert_eq!(feed_port("65536"), None);
        assert_eq!(feed_port("ssh"), None);
    }
}
