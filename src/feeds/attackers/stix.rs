//! The STIX 2.1 feed: a bundle of one `identity` (peba, the producer) and one `indicator` per
//! attacker, with a pattern on its address.
//!
//! Indicator ids are UUIDv5 of the address and its first time seen in the window, so the same
//! observation keeps its id across requests (`created` = first seen, `modified` = last
//! seen, a newer version when the address is seen again); `valid_until` is the last time seen
//! plus the feed window. Counts, honeypot types and ports are the custom properties
//! `x_peba_count`, `x_peba_honeypot_types` and `x_peba_ports`.

use super::Feed;
use crate::domain::{Attacker, Timestamp};
use serde_json::{Value, json};
use sha1::{Digest, Sha1};
use std::net::IpAddr;
use uuid::{Builder, Uuid};

/// The namespace of peba's UUIDv5 ids.
const NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_5b7e_2d4a_4e0f_9a3b_8c7d_1e2f_3a4b);
/// When peba's identity object was first described.
const IDENTITY_CREATED: &str = "2024-01-01T00:00:00.000Z";

/// A UUIDv5 in [`NAMESPACE`].
fn uuid_v5(name: &str) -> Uuid {
    let mut hash = Sha1::new();
    hash.update(NAMESPACE.as_bytes());
    hash.update(name.as_bytes());
    let digest = hash.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Builder::from_sha1_bytes(bytes).into_uuid()
}

/// A random UUIDv4 (bundle ids); falls back to a v5 of `seed` without randomness.
fn uuid_v4(seed: &str) -> Uuid {
    let mut bytes = [0u8; 16];
    match getrandom::fill(&mut bytes) {
        Ok(()) => Builder::from_random_bytes(bytes).into_uuid(),
        Err(_) => uuid_v5(seed),
    }
}

/// A STIX timestamp (UTC, millisecond precision).
fn stix_time(t: Timestamp) -> String {
    t.to_datetime().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The identity object of peba.
fn identity() -> Value {
    json!({
        "type": "identity",
        "spec_version": "2.1",
        "id": format!("identity--{}", uuid_v5("identity/peba")),
        "created": IDENTITY_CREATED,
        "modified": IDENTITY_CREATED,
        "name": "peba",
        "description": "T-Pot community honeypot backend",
        "identity_class": "system",
    })
}

/// The STIX pattern matching `address`.
fn pattern(address: IpAddr) -> String {
    let kind = match address {
        IpAddr::V4(_) => "ipv4-addr",
        IpAddr::V6(_) => "ipv6-addr",
    };
    format!("[{kind}:value = '{address}']")
}

fn indicator(a: &Attacker, window_seconds: i64, producer: &str) -> Value {
    let id = uuid_v5(&format!("attacker/{}/{}", a.address, a.first_seen.unix()));
    let types = if a.honeypot_types.is_empty() {
        String::new()
    } else {
        format!(" on {}", a.honeypot_types.join(", "))
    };
    json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": format!("indicator--{id}"),
        "created_by_ref": producer,
        "created": stix_time(a.first_seen),
        "modified": stix_time(a.last_seen),
        "name": format!("Honeypot attacker {}", a.address),
        "description": format!(
            "{} sent {} alert(s) to T-Pot honeypots{types} between {} and {}.",
            a.address, a.count, stix_time(a.first_seen), stix_time(a.last_seen)
        ),
        "indicator_types": ["malicious-activity"],
        "pattern": pattern(a.address),
        "pattern_type": "stix",
        "pattern_version": "2.1",
        "valid_from": stix_time(a.first_seen),
        "valid_until": stix_time(a.last_seen.plus_seconds(window_seconds)),
        "x_peba_count": a.count,
        "x_peba_honeypot_types": a.honeypot_types,
        "x_peba_ports": a.ports,
    })
}

/// The bundle.
pub fn render(feed: &Feed) -> String {
    let producer = identity();
    let producer_id = producer["id"].as_str().unwrap_or_default().to_owned();
    let window = 60 * i64::from(feed.request.minutes);
    let mut objects = Vec::with_capacity(feed.attackers.len() + 1);
    objects.push(producer);
    objects.extend(
        feed.attackers
            .iter()
            .map(|a| indicator(a, window, &producer_id)),
    );
    json!({
        "type": "bundle",
        "id": format!("bundle--{}", uuid_v4(&stix_time(feed.computed))),
        "objects": objects,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_versioned_uuids() {
        let v5 = uuid_v5("attacker/203.0.113.7/0");
        assert_eq!(v5.get_version_num(), 5);
        assert_eq!(v5, uuid_v5("attacker/203.0.113.7/0"));
        assert_ne!(v5, uuid_v5("attacker/203.0.113.8/0"));
        assert_eq!(uuid_v4("x").get_version_num(), 4);
        assert_eq!(
            pattern("2001:db8::1".parse().unwrap()),
            "[ipv6-addr:value = '2001:db8::1']"
        );
        assert_eq!(
            stix_time(Timestamp::from_unix(0)),
            "1970-01-01T00:00:00.000Z"
        );
    }
}
