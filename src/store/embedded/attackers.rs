//! The attacker feed: source addresses grouped with SQL, then their honeypot types and ports
//! for the addresses listed.

use super::error::DbError;
use super::read::raw_rows;
use crate::domain::{
    Attacker, AttackerQuery, MAX_ATTACKER_PORTS, Timestamp, feed_port, rank_attackers,
};
use crate::ingest::is_global;
use rusqlite::Connection;
use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

/// The attackers `query` asks for, ranked.
pub(crate) fn attackers(
    conn: &Connection,
    query: &AttackerQuery,
) -> Result<Vec<Attacker>, DbError> {
    let mut listed = Vec::new();
    raw_rows(
        conn,
        &query.filter,
        "src_ip, COUNT(*), MIN(rt), MAX(rt)",
        None,
        &format!(
            "GROUP BY src_ip_key HAVING COUNT(*) >= {}",
            query.min_count.max(1)
        ),
        |r| {
            let text: String = r.get(0)?;
            let address: IpAddr = text
                .parse()
                .map_err(|_| DbError::Corrupt(format!("stored source address {text:?}")))?;
            if query.global_only && !is_global(address) {
                return Ok(());
            }
            listed.push(Attacker {
                address,
                count: super::read::count_of(r.get(1)?)?,
                first_seen: Timestamp::from_unix(r.get(2)?),
                last_seen: Timestamp::from_unix(r.get(3)?),
                honeypot_types: Vec::new(),
                ports: Vec::new(),
            });
            Ok(())
        },
    )?;
    rank_attackers(&mut listed);
    listed.truncate(query.limit);
    let index: HashMap<IpAddr, usize> = listed
        .iter()
        .enumerate()
        .map(|(i, a)| (a.address, i))
        .collect();
    let mut ports: Vec<BTreeSet<u16>> = vec![BTreeSet::new(); listed.len()];
    let position = |text: String| {
        text.parse::<IpAddr>()
            .ok()
            .and_then(|a| index.get(&a).copied())
    };
    raw_rows(
        conn,
        &query.filter,
        "src_ip, peer_type",
        None,
        "GROUP BY src_ip_key, peer_type",
        |r| {
            if let Some(i) = position(r.get(0)?) {
                listed[i].honeypot_types.push(r.get(1)?);
            }
            Ok(())
        },
    )?;
    raw_rows(
        conn,
        &query.filter,
        "src_ip, target_port",
        Some(("target_port IS NOT NULL", vec![])),
        "GROUP BY src_ip_key, target_port",
        |r| {
            if let (Some(i), Some(port)) = (position(r.get(0)?), feed_port(&r.get::<_, String>(1)?))
            {
                ports[i].insert(port);
            }
            Ok(())
        },
    )?;
    for (attacker, ports) in listed.iter_mut().zip(ports) {
        attacker.honeypot_types.sort();
        attacker.ports = ports.into_iter().take(MAX_ATTACKER_PORTS).collect();
    }
    Ok(listed)
}
