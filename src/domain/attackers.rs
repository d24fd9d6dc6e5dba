//! The attacker-feed question: which source addresses matching alerts came from, with what
//! they did, and the accumulator both stores build their answer with ([`AttackerRanking`],
//! then [`AttackerDetails`]).

use super::{AlertFilter, Timestamp};
use crate::ingest::is_global;
use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

/// Most target ports an [`Attacker`] lists (the lowest ones).
const MAX_ATTACKER_PORTS: usize = 100;

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

/// The first step of answering an [`AttackerQuery`]: a store offers every source address with
/// its alert count and first and last received times; the ranking keeps those the query lists.
#[derive(Debug)]
pub struct AttackerRanking<'q> {
    query: &'q AttackerQuery,
    candidates: Vec<Attacker>,
}

impl<'q> AttackerRanking<'q> {
    pub fn new(query: &'q AttackerQuery) -> Self {
        AttackerRanking {
            query,
            candidates: Vec::new(),
        }
    }

    /// Fewest alerts an address needs (at least 1): stores may leave out smaller groups.
    pub fn min_count(&self) -> u64 {
        self.query.min_count.max(1)
    }

    /// Offers one source address; kept when it has enough alerts and, if the query asks for
    /// global addresses only, is global.
    pub fn offer(
        &mut self,
        address: IpAddr,
        count: u64,
        first_seen: Timestamp,
        last_seen: Timestamp,
    ) {
        if count < self.min_count() || (self.query.global_only && !is_global(address)) {
            return;
        }
        self.candidates.push(Attacker {
            address,
            count,
            first_seen,
            last_seen,
            honeypot_types: Vec::new(),
            ports: Vec::new(),
        });
    }

    /// The query's `limit` most active addresses (ties in address order), awaiting their details.
    pub fn rank(mut self) -> AttackerDetails {
        rank_attackers(&mut self.candidates);
        self.candidates.truncate(self.query.limit);
        let index = self
            .candidates
            .iter()
            .enumerate()
            .map(|(i, a)| (a.address, i))
            .collect();
        AttackerDetails {
            types: vec![BTreeSet::new(); self.candidates.len()],
            ports: vec![BTreeSet::new(); self.candidates.len()],
            listed: self.candidates,
            index,
        }
    }
}

/// The second step: the listed addresses collect the honeypot types and target ports of their
/// alerts (pairs of other addresses are ignored).
#[derive(Debug)]
pub struct AttackerDetails {
    listed: Vec<Attacker>,
    index: HashMap<IpAddr, usize>,
    types: Vec<BTreeSet<String>>,
    ports: Vec<BTreeSet<u16>>,
}

impl AttackerDetails {
    /// The listed addresses, most active first.
    pub fn addresses(&self) -> impl ExactSizeIterator<Item = IpAddr> + '_ {
        self.listed.iter().map(|a| a.address)
    }

    /// `address` hit a honeypot of type `peer_type`.
    pub fn add_type(&mut self, address: IpAddr, peer_type: String) {
        if let Some(&i) = self.index.get(&address) {
            self.types[i].insert(peer_type);
        }
    }

    /// `address` hit target port `port` as sent (kept only when it is a number, [`feed_port`]).
    pub fn add_port(&mut self, address: IpAddr, port: &str) {
        if let (Some(&i), Some(port)) = (self.index.get(&address), feed_port(port)) {
            self.ports[i].insert(port);
        }
    }

    /// The attackers with their types (sorted) and lowest ports.
    pub fn finish(self) -> Vec<Attacker> {
        let mut listed = self.listed;
        for ((attacker, types), ports) in listed.iter_mut().zip(self.types).zip(self.ports) {
            attacker.honeypot_types = types.into_iter().collect();
            attacker.ports = ports.into_iter().take(MAX_ATTACKER_PORTS).collect();
        }
        listed
    }
}

/// Orders attackers most active first, then by address (IPv4 as IPv4-mapped IPv6, as
/// Elasticsearch orders `ip` keys).
fn rank_attackers(attackers: &mut [Attacker]) {
    attackers.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| address_order(a.address).cmp(&address_order(b.address)))
    });
}

/// The sort key of an address: its 16-byte form.
fn address_order(address: IpAddr) -> u128 {
    match address {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// A target port as an attacker feed lists it: a number from 0 to 65535.
fn feed_port(text: &str) -> Option<u16> {
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

    fn query(min_count: u64, global_only: bool, limit: usize) -> AttackerQuery {
        AttackerQuery {
            filter: AlertFilter::domain(crate::domain::DataDomain::All),
            min_count,
            global_only,
            limit,
        }
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn the_ranking_keeps_what_the_query_lists_and_details_only_listed_addresses() {
        let q = query(2, true, 2);
        let mut ranking = AttackerRanking::new(&q);
        let t = Timestamp::from_unix;
        ranking.offer(ip("8.8.8.8"), 3, t(1), t(9));
        ranking.offer(ip("1.1.1.1"), 1, t(1), t(1));
        ranking.offer(ip("10.0.0.1"), 9, t(1), t(1));
        ranking.offer(ip("9.9.9.9"), 3, t(2), t(3));
        ranking.offer(ip("2001:4860::8888"), 2, t(4), t(5));
        let mut details = ranking.rank();
        let listed: Vec<IpAddr> = details.addresses().collect();
        assert_eq!(listed, [ip("8.8.8.8"), ip("9.9.9.9")]);
        details.add_type(ip("9.9.9.9"), "Webpage".into());
        details.add_type(ip("9.9.9.9"), "SSH/console(cowrie)".into());
        details.add_type(ip("9.9.9.9"), "Webpage".into());
        details.add_type(ip("2001:4860::8888"), "Webpage".into());
        for port in 0..=200 {
            details.add_port(ip("8.8.8.8"), &(1000 - port).to_string());
        }
        details.add_port(ip("9.9.9.9"), "ssh");
        details.add_port(ip("9.9.9.9"), " 22");
        let attackers = details.finish();
        assert_eq!(attackers[0].count, 3);
        assert_eq!(
            (attackers[0].first_seen, attackers[0].last_seen),
            (t(1), t(9))
        );
        assert!(attackers[0].honeypot_types.is_empty());
        let lowest: Vec<u16> = (800..900).collect();
        assert_eq!(attackers[0].ports, lowest);
        assert_eq!(
            attackers[1].honeypot_types,
            ["SSH/console(cowrie)", "Webpage"]
        );
        assert_eq!(attackers[1].ports, [22]);
    }

    #[test]
    fn ports_are_numbers() {
        assert_eq!(feed_port("22"), Some(22));
        assert_eq!(feed_port("65536"), None);
        assert_eq!(feed_port("ssh"), None);
    }
}
