//! The attacker feed: a composite aggregation over source addresses (exact for any number of
//! them), then the honeypot types and ports of the addresses listed.

use super::ElasticStore;
use super::query::{filter_clauses, key_text, time_field_name};
use super::read::composite;
use crate::domain::{
    Attacker, AttackerQuery, MAX_ATTACKER_PORTS, TimeField, Timestamp, feed_port, rank_attackers,
};
use crate::ingest::is_global;
use crate::store::StoreError;
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

/// Addresses per follow-up aggregation (a `terms` filter on them).
const ADDRESSES_PER_REQUEST: usize = 1_000;

pub(super) async fn attackers(
    store: &ElasticStore,
    query: &AttackerQuery,
) -> Result<Vec<Attacker>, StoreError> {
    let layout = store.alerts_layout.get(&store.http).await?;
    let clauses = filter_clauses(&query.filter, &layout);
    let address_field = layout.get("sourceEntryIp").name;
    let received = time_field_name(TimeField::Received);
    let min_count = query.min_count.max(1);
    let mut listed = Vec::new();
    composite(
        store,
        &clauses,
        json!([{"a": {"terms": {"field": address_field}}}]),
        Some(json!({
            "first": {"min": {"field": received}},
            "last": {"max": {"field": received}},
        })),
        |b| {
            let (Some(address), Some(count)) =
                (address_of(&b["key"]["a"]), b["doc_count"].as_u64())
            else {
                return;
            };
            if count < min_count || (query.global_only && !is_global(address)) {
                return;
            }
            if let (Some(first_seen), Some(last_seen)) = (seconds(&b["first"]), seconds(&b["last"]))
            {
                listed.push(Attacker {
                    address,
                    count,
                    first_seen,
                    last_seen,
                    honeypot_types: Vec::new(),
                    ports: Vec::new(),
                });
            }
        },
    )
    .await?;
    rank_attackers(&mut listed);
    listed.truncate(query.limit);

    let index: HashMap<IpAddr, usize> = listed
        .iter()
        .enumerate()
        .map(|(i, a)| (a.address, i))
        .collect();
    let mut types: Vec<BTreeSet<String>> = vec![BTreeSet::new(); listed.len()];
    let mut ports: Vec<BTreeSet<u16>> = vec![BTreeSet::new(); listed.len()];
    let peer_type = layout.get("peerType").name;
    let port = layout.get("targetEntryPort").name;
    for chunk in listed.chunks(ADDRESSES_PER_REQUEST) {
        let mut narrowed = clauses.clone();
        let addresses: Vec<String> = chunk.iter().map(|a| a.address.to_string()).collect();
        narrowed.push(json!({"terms": {address_field.clone(): addresses}}));
        let pairs = |field: &str| json!([{"a": {"terms": {"field": address_field}}}, {"v": {"terms": {"field": field}}}]);
        composite(store, &narrowed, pairs(&peer_type), None, |b| {
            if let (Some(i), Some(value)) = (position(&index, b), key_text(&b["key"]["v"])) {
                types[i].insert(value);
            }
        })
        .await?;
        composite(store, &narrowed, pairs(&port), None, |b| {
            let value = key_text(&b["key"]["v"]).and_then(|v| feed_port(&v));
            if let (Some(i), Some(value)) = (position(&index, b), value) {
                ports[i].insert(value);
            }
        })
        .await?;
    }
    for ((attacker, types), ports) in listed.iter_mut().zip(types).zip(ports) {
        attacker.honeypot_types = types.into_iter().collect();
        attacker.ports = ports.into_iter().take(MAX_ATTACKER_PORTS).collect();
    }
    Ok(listed)
}

fn address_of(key: &Value) -> Option<IpAddr> {
    key_text(key)?.parse().ok()
}

/// The listed attacker a pair bucket belongs to.
fn position(index: &HashMap<IpAddr, usize>, bucket: &Value) -> Option<usize> {
    index.get(&address_of(&bucket["key"]["a"])?).copied()
}

/// A `min`/`max` date aggregation's value in whole seconds.
fn seconds(agg: &Value) -> Option<Timestamp> {
    let millis = agg["value"].as_f64()?;
    Some(Timestamp::from_unix((millis / 1000.0).floor() as i64))
}
