//! The attacker feed: source addresses grouped with SQL, then their honeypot types and ports
//! for the addresses listed.

use super::error::DbError;
use super::read::{count_of, raw_rows};
use crate::domain::{Attacker, AttackerQuery, AttackerRanking, Timestamp};
use rusqlite::Connection;
use std::net::IpAddr;

/// The attackers `query` asks for, ranked.
pub(crate) fn attackers(
    conn: &Connection,
    query: &AttackerQuery,
) -> Result<Vec<Attacker>, DbError> {
    let mut ranking = AttackerRanking::new(query);
    raw_rows(
        conn,
        &query.filter,
        "src_ip, COUNT(*), MIN(rt), MAX(rt)",
        None,
        &format!(
            "GROUP BY src_ip_key HAVING COUNT(*) >= {}",
            ranking.min_count()
        ),
        |r| {
            ranking.offer(
                address(r.get(0)?)?,
                count_of(r.get(1)?)?,
                Timestamp::from_unix(r.get(2)?),
                Timestamp::from_unix(r.get(3)?),
            );
            Ok(())
        },
    )?;
    let mut details = ranking.rank();
    raw_rows(
        conn,
        &query.filter,
        "src_ip, peer_type",
        None,
        "GROUP BY src_ip_key, peer_type",
        |r| {
            details.add_type(address(r.get(0)?)?, r.get(1)?);
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
            details.add_port(address(r.get(0)?)?, &r.get::<_, String>(1)?);
            Ok(())
        },
    )?;
    Ok(details.finish())
}

/// A stored source address.
fn address(text: String) -> Result<IpAddr, DbError> {
    text.parse()
        .map_err(|_| DbError::Corrupt(format!("stored source address {text:?}")))
}
