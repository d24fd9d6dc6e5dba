//! A minimal MaxMind DB (MMDB format 2.0) writer for tests.
//!
//! Written from the public format description: a binary search tree with 24-bit records, a data
//! section holding maps, UTF-8 strings, doubles and unsigned integers, and a metadata map after
//! the `\xAB\xCD\xEFMaxMind.com` marker. IPv6 databases store IPv4 networks at `::a.b.c.d`
//! (the first 96 bits zero), as MaxMind's own databases do.
//!
//! Only what the tests need: no pointers in the data section (each record is written in full),
//! no aliases of the IPv4 subtree, no overlap resolution beyond "the later, more specific
//! network wins below the earlier one".

#![allow(dead_code)]

use ipnet::IpNet;
use std::io;
use std::path::Path;

/// A value in the data section.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// UTF-8 string (type 2).
    Str(String),
    /// IEEE 754 double (type 3).
    Double(f64),
    /// Unsigned 16-bit integer (type 5).
    U16(u16),
    /// Unsigned 32-bit integer (type 6).
    U32(u32),
    /// Unsigned 64-bit integer (type 9).
    U64(u64),
    /// Map with string keys, in the given order (type 7).
    Map(Vec<(String, Value)>),
    /// Array (type 11).
    Array(Vec<Value>),
}

impl Value {
    /// A map from `(key, value)` pairs.
    pub fn map<const N: usize>(entries: [(&str, Value); N]) -> Value {
        Value::Map(
            entries
                .into_iter()
                .map(|(key, value)| (key.to_owned(), value))
                .collect(),
        )
    }

    /// A string value.
    pub fn str(text: &str) -> Value {
        Value::Str(text.to_owned())
    }
}

/// One record of a City database (GeoLite2-City / DB-IP City Lite shape).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CityRecord {
    /// `country.iso_code`.
    pub iso_code: Option<String>,
    /// `country.names.en`.
    pub country_name: Option<String>,
    /// `location.latitude`.
    pub latitude: Option<f64>,
    /// `location.longitude`.
    pub longitude: Option<f64>,
}

impl CityRecord {
    /// A record with every field set.
    pub fn new(iso_code: &str, country_name: &str, latitude: f64, longitude: f64) -> Self {
        CityRecord {
            iso_code: Some(iso_code.to_owned()),
            country_name: Some(country_name.to_owned()),
            latitude: Some(latitude),
            longitude: Some(longitude),
        }
    }

    /// The record as an MMDB value, with a few extra fields real databases carry.
    pub fn to_value(&self) -> Value {
        let mut country = vec![("geoname_id".to_owned(), Value::U32(2_921_044))];
        if let Some(code) = &self.iso_code {
            country.push(("iso_code".to_owned(), Value::str(code)));
        }
        if let Some(name) = &self.country_name {
            country.push((
                "names".to_owned(),
                Value::map([("de", Value::str(name)), ("en", Value::str(name))]),
            ));
        }
        let mut location = vec![("accuracy_radius".to_owned(), Value::U16(100))];
        if let Some(latitude) = self.latitude {
            location.push(("latitude".to_owned(), Value::Double(latitude)));
        }
        if let Some(longitude) = self.longitude {
            location.push(("longitude".to_owned(), Value::Double(longitude)));
        }
        location.push(("time_zone".to_owned(), Value::str("Europe/Berlin")));
        Value::map([
            (
                "city",
                Value::map([("names", Value::map([("en", Value::str("Somewhere"))]))]),
            ),
            ("country", Value::Map(country)),
            ("location", Value::Map(location)),
            (
                "subdivisions",
                Value::Array(vec![Value::map([("iso_code", Value::str("HE"))])]),
            ),
        ])
    }
}

/// One record of an ASN database.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AsnRecord {
    /// `autonomous_system_number`.
    pub number: Option<u32>,
    /// `autonomous_system_organization`.
    pub organization: Option<String>,
}

impl AsnRecord {
    /// A record with both fields set.
    pub fn new(number: u32, organization: &str) -> Self {
        AsnRecord {
            number: Some(number),
            organization: Some(organization.to_owned()),
        }
    }

    /// The record as an MMDB value.
    pub fn to_value(&self) -> Value {
        let mut entries = Vec::new();
        if let Some(number) = self.number {
            entries.push(("autonomous_system_number".to_owned(), Value::U32(number)));
        }
        if let Some(organization) = &self.organization {
            entries.push((
                "autonomous_system_organization".to_owned(),
                Value::str(organization),
            ));
        }
        Value::Map(entries)
    }
}

/// Writes a City database (IPv6 tree) to `path`.
pub fn write_city_db(path: &Path, entries: &[(IpNet, CityRecord)]) -> io::Result<()> {
    let values: Vec<_> = entries
        .iter()
        .map(|(net, r)| (*net, r.to_value()))
        .collect();
    std::fs::write(path, build_db("GeoLite2-City", 6, &values))
}

/// Writes an ASN database (IPv6 tree) to `path`.
pub fn write_asn_db(path: &Path, entries: &[(IpNet, AsnRecord)]) -> io::Result<()> {
    let values: Vec<_> = entries
        .iter()
        .map(|(net, r)| (*net, r.to_value()))
        .collect();
    std::fs::write(path, build_db("GeoLite2-ASN", 6, &values))
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Slot {
    Empty,
    Node(usize),
    Data(usize),
}

/// Builds a whole database: `ip_version` 4 (IPv4 networks only) or 6 (IPv4 networks stored
/// at `::a.b.c.d`).
pub fn build_db(database_type: &str, ip_version: u16, entries: &[(IpNet, Value)]) -> Vec<u8> {
    let bits = if ip_version == 4 { 32 } else { 128 };
    let mut nodes: Vec<[Slot; 2]> = vec![[Slot::Empty, Slot::Empty]];
    let mut data = Vec::new();
    let mut offsets = Vec::new();
    for (index, (net, value)) in entries.iter().enumerate() {
        offsets.push(data.len());
        encode(&mut data, value);
        let (key, prefix): (u128, u32) = match net {
            IpNet::V4(v4) => {
                // In an IPv6 tree, IPv4 networks live at ::a.b.c.d: the same low 32 bits.
                let key = u128::from(u32::from(v4.network()));
                let prefix = u32::from(v4.prefix_len()) + (bits - 32);
                (key, prefix)
            }
            IpNet::V6(v6) => {
                assert_eq!(bits, 128, "IPv6 network in an IPv4 database");
                (u128::from(v6.network()), u32::from(v6.prefix_len()))
            }
        };
        insert(&mut nodes, bits, key, prefix, index);
    }
    let node_count = nodes.len();
    let record = |slot: Slot| -> u32 {
        let value = match slot {
            Slot::Empty => node_count,
            Slot::Node(n) => n,
            Slot::Data(k) => node_count + 16 + offsets[k],
        };
        u32::try_from(value).expect("record fits")
    };
    let mut out = Vec::new();
    for [left, right] in &nodes {
        for slot in [*left, *right] {
            let value = record(slot);
            assert!(value < 1 << 24, "database too large for 24-bit records");
            out.extend_from_slice(&value.to_be_bytes()[1..]);
        }
    }
    out.extend_from_slice(&[0; 16]);
    out.extend_from_slice(&data);
    out.extend_from_slice(b"\xAB\xCD\xEFMaxMind.com");
    let metadata = Value::map([
        ("binary_format_major_version", Value::U16(2)),
        ("binary_format_minor_version", Value::U16(0)),
        ("build_epoch", Value::U64(1_700_000_000)),
        ("database_type", Value::str(database_type)),
        (
            "description",
            Value::map([("en", Value::str("peba test database"))]),
        ),
        ("ip_version", Value::U16(ip_version)),
        ("languages", Value::Array(vec![Value::str("en")])),
        (
            "node_count",
            Value::U32(u32::try_from(node_count).expect("node count")),
        ),
        ("record_size", Value::U16(24)),
    ]);
    encode(&mut out, &metadata);
    out
}

/// Inserts the network `key/prefix` (key aligned to `bits` bits) pointing at data `index`.
fn insert(nodes: &mut Vec<[Slot; 2]>, bits: u32, key: u128, prefix: u32, index: usize) {
    assert!(prefix >= 1, "a network needs at least one bit");
    let mut node = 0;
    for depth in 0..prefix {
        let bit = ((key >> (bits - 1 - depth)) & 1) as usize;
        if depth + 1 == prefix {
            nodes[node][bit] = Slot::Data(index);
            return;
        }
        node = match nodes[node][bit] {
            Slot::Node(next) => next,
            other => {
                // Split an empty slot or a wider network into a new node.
                let inherited = match other {
                    Slot::Data(k) => Slot::Data(k),
                    _ => Slot::Empty,
                };
                nodes.push([inherited, inherited]);
                let next = nodes.len() - 1;
                nodes[node][bit] = Slot::Node(next);
                next
            }
        };
    }
}

/// Appends a control byte (and extension/size bytes) for `type_id` and `size`.
fn control(out: &mut Vec<u8>, type_id: u8, size: usize) {
    let (size_bits, extra): (u8, Vec<u8>) = if size < 29 {
        (size as u8, vec![])
    } else if size < 29 + 256 {
        (29, vec![(size - 29) as u8])
    } else if size < 285 + 65_536 {
        let rest = (size - 285) as u16;
        (30, rest.to_be_bytes().to_vec())
    } else {
        let rest = (size - 65_821) as u32;
        (31, rest.to_be_bytes()[1..].to_vec())
    };
    if type_id <= 7 {
        out.push((type_id << 5) | size_bits);
    } else {
        out.push(size_bits);
        out.push(type_id - 7);
    }
    out.extend_from_slice(&extra);
}

fn minimal_be(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

/// Appends the encoding of `value`.
fn encode(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Str(text) => {
            control(out, 2, text.len());
            out.extend_from_slice(text.as_bytes());
        }
        Value::Double(number) => {
            control(out, 3, 8);
            out.extend_from_slice(&number.to_be_bytes());
        }
        Value::U16(number) => {
            let bytes = number.to_be_bytes();
            let bytes = minimal_be(&bytes);
            control(out, 5, bytes.len());
            out.extend_from_slice(bytes);
        }
        Value::U32(number) => {
            let bytes = number.to_be_bytes();
            let bytes = minimal_be(&bytes);
            control(out, 6, bytes.len());
            out.extend_from_slice(bytes);
        }
        Value::U64(number) => {
            let bytes = number.to_be_bytes();
            let bytes = minimal_be(&bytes);
            control(out, 9, bytes.len());
            out.extend_from_slice(bytes);
        }
        Value::Map(entries) => {
            control(out, 7, entries.len());
            for (key, value) in entries {
                encode(out, &Value::Str(key.clone()));
                encode(out, value);
            }
        }
        Value::Array(items) => {
            control(out, 11, items.len());
            for item in items {
                encode(out, item);
            }
        }
    }
}
