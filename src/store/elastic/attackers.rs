//! The attacker feed: a composite aggregation over source addresses (exact for any number of
//! them), then the honeypot types and ports of the addresses listed.

use super::ElasticStore;
use super::query::{filter_clauses, key_text, time_field_name};
use super::read::composite;
use crate::domain::{Attacker, AttackerQuery, AttackerRanking, TimeField, Timestamp};
use crate::store::StoreError;
use serde_json::{Value, json};
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
    let mut ranking = AttackerRanking::new(query);
    composite(
        store,
        &clauses,
        json!([{"a": {"terms": {"field": address_field}}}]),
        Some(json!({
            "first": {"min": {"field": received}},
            "last": {"max": {"field": received}},
        })),
        |b| {
            if let (Some(address), Some(count), Some(first_seen), Some(last_seen)) = (
                address_of(&b["key"]["a"]),
                b["doc_count"].as_u64(),
                seconds(&b["first"]),
                seconds(&b["last"]),
            ) {
                ranking.offer(address, count, first_seen, last_seen);
            }
        },
    )
    .await?;
    let mut details = ranking.rank();

    let addresses: Vec<String> = details.addresses().map(|a| a.to_string()).collect();
    let peer_type = layout.get("peerType").name;
    let port = layout.get("targetEntryPort").name;
    for chunk in addresses.chunks(ADDRESSES_PER_REQUEST) {
        let mut narrowed = clauses.clone();
        narrowed.push(json!({"terms": {address_field.clone(): chunk}}));
        let pairs = |field: &str| json!([{"a": {"terms": {"field": address_field}}}, {"v": {"terms": {"field": field}}}]);
        composite(store, &narrowed, pairs(&peer_type), None, |b| {
            if let Some((address, value)) = pair(b) {
                details.add_type(address, value);
            }
        })
        .await?;
        composite(store, &narrowed, pairs(&port), None, |b| {
            if let Some((address, value)) = pair(b) {
                details.add_port(address, &value);
            }
        })
        .await?;
    }
    Ok(details.finish())
}

fn address_of(key: &Value) -> Option<IpAddr> {
    key_text(key)?.parse().ok()
}

/// The address and value of a pair bucket.
fn pair(bucket: &Value) -> Option<(IpAddr, String)> {
    Some((
        address_of(&bucket["key"]["a"])?,
        key_text(&bucket["key"]["v"])?,
    ))
}

/// A `min`/`max` date aggregation's value in whole seconds.
fn seconds(agg: &Value) -> Option<Timestamp> {
    let millis = agg["value"].as_f64()?;
    Some(Timestamp::from_unix((millis / 1000.0).floor() as i64))
}
