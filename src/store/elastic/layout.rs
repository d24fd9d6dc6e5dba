//! Index mappings: the ones this store creates, and the field names it reads from the ones it
//! finds.
//!
//! Existing clusters hold two layouts. V2020 daily indices map strings explicitly as
//! `keyword` (some with `index: false`); the V2017 index and the `users` index were mapped
//! dynamically, so strings are `text` with a `.keyword` sub-field. [`FieldLayout`] reads the
//! mapping of the indices a store reads and tells, per field, which name to filter and
//! aggregate on and whether a `term` query may be used on that name: on an indexed field
//! always; on a keyword field with `index: false` (PEBA maps `targetport`, the location fields
//! and others so) only where the engine answers it from doc values (Elasticsearch 8.1+,
//! OpenSearch 2.19+, see [`super::engine`]). Elsewhere (Elasticsearch 7.x, older OpenSearch)
//! such a field is matched with a doc-values script.

use super::{IndexShape, Replicas};
use serde_json::{Value, json};
use std::collections::HashMap;

/// The date formats of the legacy mapping.
pub(crate) const DATE_FORMATS: &str = "yyyy-MM-dd HH:mm:ss||yyyy-MM-dd||epoch_millis";

/// The format range bounds are sent in.
pub(crate) const QUERY_DATE_FORMAT: &str = "yyyy-MM-dd HH:mm:ss";

/// The longest keyword value (in characters) indexed and kept in doc values. Lucene refuses a
/// term or doc value over 32 766 bytes, and a refused document would fail its whole batch on
/// every retry; 8 191 characters of up to 4 UTF-8 bytes stay under that. Longer values are kept
/// in `_source` (read back unchanged) but neither match filters nor form buckets.
pub(crate) const KEYWORD_LIMIT: u64 = 8_191;

/// The explicit alert mapping of PEBA's daily indices (legacy-api §4.3), with
/// [`KEYWORD_LIMIT`] on every keyword. `vulnid_indexed` makes `vulnid` searchable (the `ewscve`
/// variant, §4.4).
pub(crate) fn alert_mapping(vulnid_indexed: bool) -> Value {
    let kw = |indexed: bool| {
        if indexed {
            json!({"type": "keyword", "ignore_above": KEYWORD_LIMIT})
        } else {
            json!({"type": "keyword", "index": false, "ignore_above": KEYWORD_LIMIT})
        }
    };
    let date = json!({"type": "date", "format": DATE_FORMATS});
    json!({
        "properties": {
            "additionalData": kw(false),
            "client": kw(false),
            "clientDomain": {"type": "boolean"},
            "clientVersion": kw(false),
            "country": kw(true),
            "countryName": kw(true),
            "createTime": date,
            "externalIP": {"type": "ip", "index": false},
            "hostname": kw(true),
            "internalIP": {"type": "ip", "index": false},
            "location": kw(false),
            "locationDestination": kw(false),
            "login": kw(false),
            "originalRequestString": kw(true),
            "password": kw(false),
            "peerIdent": kw(true),
            "peerType": kw(true),
            "rawhttp": kw(false),
            "recievedTime": date,
            "sessionEnd": kw(false),
            "sessionStart": kw(false),
            "sourceEntryAS": kw(true),
            "sourceEntryIp": {"type": "ip"},
            "sourceEntryPort": kw(false),
            "targetCountry": kw(true),
            "targetCountryName": kw(true),
            "targetEntryAS": kw(false),
            "targetEntryIp": {"type": "ip"},
            "targetEntryPort": kw(false),
            "targetport": kw(false),
            "username": kw(false),
            "vulnid": kw(vulnid_indexed),
        }
    })
}

/// The index settings of every index this store creates: its shards and replicas, and the
/// translog fsynced before a write is answered (`request`, the cluster's default, spelt out
/// because the store acknowledges alerts on the `_bulk` answer and relies on it).
pub(crate) fn index_settings(shape: IndexShape) -> Value {
    let mut index =
        json!({"number_of_shards": shape.shards, "translog": {"durability": "request"}});
    match shape.replicas {
        Replicas::Fixed(n) => index["number_of_replicas"] = json!(n),
        auto => index["auto_expand_replicas"] = json!(auto.to_string()),
    }
    json!({ "index": index })
}

/// The composable index template for the daily alert indices `<prefix>-*`.
pub(crate) fn alert_template(prefix: &str, shape: IndexShape) -> Value {
    json!({
        "index_patterns": [format!("{prefix}-*")],
        "priority": 150,
        "template": {
            "settings": index_settings(shape),
            "mappings": alert_mapping(false),
        },
        "_meta": {"created_by": "peba", "layout": "legacy-api 4.3"},
    })
}

/// The `users` index as PEBA's clusters have it (dynamic mapping, §4.7), spelt out.
pub(crate) fn users_mapping() -> Value {
    let text_kw = json!({
        "type": "text",
        "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}
    });
    json!({
        "properties": {
            "peerName": text_kw,
            "token": text_kw,
            "email": text_kw,
            "getOnly": {"type": "boolean"},
            "community": {"type": "boolean"},
        }
    })
}

/// The `statistics` index: the two time fields as dates; everything else is kept in
/// `_source` only, so that producers may store any value types.
pub(crate) fn statistics_mapping() -> Value {
    let date = json!({"type": "date", "format": DATE_FORMATS});
    json!({
        "dynamic": false,
        "properties": {"UTCtimeFrom": date, "UTCtimeTo": date}
    })
}

/// Adds `ignore_above: KEYWORD_LIMIT` to every keyword field and sub-field of a mapping
/// (`{"properties": …}`) that has no limit; returns whether anything changed.
pub(crate) fn limit_keywords(mapping: &mut Value) -> bool {
    let mut changed = false;
    let Some(properties) = mapping.get_mut("properties").and_then(Value::as_object_mut) else {
        return false;
    };
    for field in properties.values_mut() {
        if field.get("type").and_then(Value::as_str) == Some("keyword")
            && field.get("ignore_above").is_none()
            && let Some(object) = field.as_object_mut()
        {
            object.insert("ignore_above".into(), json!(KEYWORD_LIMIT));
            changed = true;
        }
        if field.get("properties").is_some() {
            changed |= limit_keywords(field);
        }
        if let Some(sub) = field.get_mut("fields") {
            let mut wrapped = json!({"properties": sub.take()});
            changed |= limit_keywords(&mut wrapped);
            *sub = wrapped["properties"].take();
        }
    }
    changed
}

/// How one logical field is stored in the indices read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldRef {
    /// The name to filter, sort and aggregate on (`x` or `x.keyword`).
    pub name: String,
    /// Whether a `term` query may be used on `name`: it is indexed, or it is a keyword field
    /// with doc values on an engine that queries those.
    pub searchable: bool,
    /// The mapped type of `name` (`keyword`, `ip`, `date`, …), `None` when no index maps it.
    pub ty: Option<String>,
}

/// Field names resolved from the mappings of a set of indices.
#[derive(Debug, Clone, Default)]
pub(crate) struct FieldLayout {
    fields: HashMap<String, FieldRef>,
    /// Some asked field is mapped by no index yet (fresh dynamic index): ask again later.
    pub incomplete: bool,
}

impl FieldLayout {
    /// The stored name of `field`; the plain name when nothing maps it.
    pub fn get(&self, field: &str) -> FieldRef {
        self.fields.get(field).cloned().unwrap_or_else(|| FieldRef {
            name: field.to_owned(),
            searchable: true,
            ty: None,
        })
    }

    /// Reads an answer of `GET <indices>/_mapping/field/<f>,<f>.keyword,…` for `fields`;
    /// `doc_values_queries` tells whether the engine answers `term` queries on keyword fields
    /// that have doc values only.
    pub fn from_field_mappings(
        answer: &Value,
        fields: &[&str],
        doc_values_queries: bool,
    ) -> FieldLayout {
        let not_searchable = |m: &serde_json::Map<String, Value>| {
            let queried_by_doc_values = doc_values_queries
                && m.get("type").and_then(Value::as_str) == Some("keyword")
                && m.get("doc_values") != Some(&Value::Bool(false));
            m.get("index") == Some(&Value::Bool(false)) && !queried_by_doc_values
        };
        // Per field: seen as keyword-like plain field, seen as text with a keyword sub-field,
        // seen not indexed (per chosen name).
        #[derive(Default)]
        struct Seen {
            plain_type: Option<String>,
            plain_not_indexed: bool,
            sub_keyword: bool,
            sub_not_indexed: bool,
            text: bool,
        }
        let mut seen: HashMap<&str, Seen> = HashMap::new();
        if let Some(indices) = answer.as_object() {
            for index in indices.values() {
                let Some(mappings) = index.get("mappings").and_then(Value::as_object) else {
                    continue;
                };
                for field in fields {
                    let entry = seen.entry(field).or_default();
                    if let Some(m) = leaf_mapping(mappings, field) {
                        let ty = m.get("type").and_then(Value::as_str).unwrap_or("object");
                        if ty == "text" {
                            entry.text = true;
                        } else {
                            entry.plain_type.get_or_insert_with(|| ty.to_owned());
                        }
                        if not_searchable(m) {
                            entry.plain_not_indexed = true;
                        }
                    }
                    if let Some(m) = leaf_mapping(mappings, &format!("{field}.keyword")) {
                        if m.get("type").and_then(Value::as_str) == Some("keyword") {
                            entry.sub_keyword = true;
                        }
                        if not_searchable(m) {
                            entry.sub_not_indexed = true;
                        }
                    }
                }
            }
        }
        let mut layout = FieldLayout::default();
        for field in fields {
            let s = seen.remove(field).unwrap_or_default();
            let r = if s.text && s.sub_keyword {
                if s.plain_type.is_some() {
                    tracing::warn!(
                        field,
                        "indices map this field both as keyword and as text; reading .keyword"
                    );
                }
                FieldRef {
                    name: format!("{field}.keyword"),
                    searchable: !s.sub_not_indexed,
                    ty: Some("keyword".to_owned()),
                }
            } else if let Some(ty) = s.plain_type {
                FieldRef {
                    name: (*field).to_owned(),
                    searchable: !s.plain_not_indexed,
                    ty: Some(ty),
                }
            } else {
                layout.incomplete = true;
                FieldRef {
                    name: (*field).to_owned(),
                    searchable: true,
                    ty: None,
                }
            };
            layout.fields.insert((*field).to_owned(), r);
        }
        layout
    }
}

/// The mapping of `full_name` in one index's `mappings` of a field-mapping answer.
fn leaf_mapping<'a>(
    mappings: &'a serde_json::Map<String, Value>,
    full_name: &str,
) -> Option<&'a serde_json::Map<String, Value>> {
    let leaf = full_name.rsplit('.').next().unwrap_or(full_name);
    mappings
        .get(full_name)?
        .get("mapping")?
        .get(leaf)?
        .as_object()
}

/// The names to ask `_mapping/field` for, for `fields`.
pub(crate) fn field_mapping_query(fields: &[&str]) -> String {
    fields
        .iter()
        .flat_map(|f| [(*f).to_owned(), format!("{f}.keyword")])
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicas_are_a_number_or_a_range_that_follows_the_cluster() {
        assert_eq!("2".parse(), Ok(Replicas::Fixed(2)));
        assert_eq!(
            "0-1".parse(),
            Ok(Replicas::AutoExpand {
                min: 0,
                max: Some(1)
            })
        );
        assert_eq!(
            "1-all".parse(),
            Ok(Replicas::AutoExpand { min: 1, max: None })
        );
        for bad in ["", "-1", "2-1", "one", "0-", "0-some"] {
            assert!(bad.parse::<Replicas>().is_err(), "{bad:?}");
        }
        let fixed = IndexShape {
            shards: 3,
            replicas: Replicas::Fixed(2),
        };
        assert_eq!(index_settings(fixed)["index"]["number_of_shards"], 3);
        assert_eq!(index_settings(fixed)["index"]["number_of_replicas"], 2);
        let auto = index_settings(IndexShape::default());
        assert_eq!(auto["index"]["auto_expand_replicas"], "0-1");
        assert!(auto["index"].get("number_of_replicas").is_none());
    }

    #[test]
    fn keywords_get_a_length_limit() {
        let mut m = json!({"properties": {
            "a": {"type": "keyword"},
            "b": {"type": "keyword", "ignore_above": 256},
            "c": {"type": "text", "fields": {"keyword": {"type": "keyword"}}},
            "d": {"type": "date"},
            "e": {"properties": {"f": {"type": "keyword", "index": false}}}
        }});
        assert!(limit_keywords(&mut m));
        assert_eq!(m["properties"]["a"]["ignore_above"], KEYWORD_LIMIT);
        assert_eq!(m["properties"]["b"]["ignore_above"], 256);
        assert_eq!(
            m["properties"]["c"]["fields"]["keyword"]["ignore_above"],
            KEYWORD_LIMIT
        );
        assert!(m["properties"]["d"].get("ignore_above").is_none());
        assert_eq!(
            m["properties"]["e"]["properties"]["f"]["ignore_above"],
            KEYWORD_LIMIT
        );
        assert!(!limit_keywords(&mut m), "nothing left to change");
        assert!(!limit_keywords(&mut alert_mapping(false)));
    }

    #[test]
    fn explicit_and_dynamic_layouts_are_told_apart() {
        let answer = json!({
            "ews-2024.01.01-000001": {"mappings": {
                "country": {"full_name": "country", "mapping": {"country": {"type": "keyword"}}},
                "location": {"full_name": "location",
                             "mapping": {"location": {"type": "keyword", "index": false}}}
            }},
            "ews2017.1": {"mappings": {
                "peerType": {"full_name": "peerType", "mapping": {"peerType": {"type": "text"}}},
                "peerType.keyword": {"full_name": "peerType.keyword",
                    "mapping": {"keyword": {"type": "keyword", "ignore_above": 256}}}
            }}
        });
        let fields = ["country", "location", "peerType", "x"];
        let layout = FieldLayout::from_field_mappings(&answer, &fields, false);
        assert_eq!(layout.get("country").name, "country");
        assert!(layout.get("country").searchable);
        assert!(!layout.get("location").searchable);
        let on_doc_values = FieldLayout::from_field_mappings(&answer, &fields, true);
        assert!(on_doc_values.get("location").searchable);
        assert_eq!(layout.get("peerType").name, "peerType.keyword");
        assert_eq!(layout.get("x").name, "x");
        assert!(layout.incomplete);
    }
}
