//! Building query DSL from the typed questions, and reading aggregation answers.

use super::layout::{FieldLayout, FieldRef, QUERY_DATE_FORMAT};
use crate::domain::{
    AlertFilter, PortField, PortRange, SearchText, TermCount, TermField, TimeField, TimeRange,
    Timestamp,
};
use crate::store::StoreError;
use serde_json::{Value, json};
use std::net::IpAddr;

/// The alert fields a store resolves from the mappings.
pub(crate) const ALERT_FIELDS: &[&str] = &[
    "peerType",
    "peerIdent",
    "country",
    "countryName",
    "targetCountry",
    "targetCountryName",
    "location",
    "locationDestination",
    "sourceEntryIp",
    "originalRequestString",
    "sourceEntryPort",
    "targetEntryPort",
    "hostname",
    "targetEntryIp",
    "clientDomain",
    "vulnid",
    "username",
    "password",
    "sourceEntryAS",
];

/// The document field of a term field.
pub(crate) fn term_field_name(field: TermField) -> &'static str {
    match field {
        TermField::PeerType => "peerType",
        TermField::PeerIdent => "peerIdent",
        TermField::SourceCountry => "country",
        TermField::TargetCountry => "targetCountry",
        TermField::SourceLocation => "location",
        TermField::TargetLocation => "locationDestination",
        TermField::SourceIp => "sourceEntryIp",
        TermField::RequestString => "originalRequestString",
        TermField::TargetPort => "targetEntryPort",
        TermField::Hostname => "hostname",
        TermField::Username => "username",
        TermField::Password => "password",
        TermField::SourceAs => "sourceEntryAS",
        TermField::Cve => "vulnid",
    }
}

/// The label field of a term field (the country name for the country fields).
pub(crate) fn label_field_name(field: TermField) -> Option<&'static str> {
    match field {
        TermField::SourceCountry => Some("countryName"),
        TermField::TargetCountry => Some("targetCountryName"),
        _ => None,
    }
}

/// The document field of a time field.
pub(crate) fn time_field_name(field: TimeField) -> &'static str {
    match field {
        TimeField::Created => "createTime",
        TimeField::Received => "recievedTime",
    }
}

/// A `range` clause on a date field for `[from, to)`.
pub(crate) fn time_range(field: &str, range: &TimeRange) -> Option<Value> {
    if range.is_unbounded() {
        return None;
    }
    let mut bounds = serde_json::Map::new();
    if let Some(from) = range.from {
        bounds.insert("gte".into(), Value::String(from.format_legacy()));
    }
    if let Some(to) = range.to {
        bounds.insert("lt".into(), Value::String(to.format_legacy()));
    }
    bounds.insert("format".into(), Value::String(QUERY_DATE_FORMAT.into()));
    Some(json!({"range": {field: bounds}}))
}

/// A `range` clause matching exactly the second `t`.
pub(crate) fn time_equals(field: &str, t: Timestamp) -> Value {
    let text = t.format_legacy();
    json!({"range": {field: {"gte": text, "lte": text, "format": QUERY_DATE_FORMAT}}})
}

/// An exact match of `value` on a stored field.
pub(crate) fn field_equals(field: &FieldRef, value: &str) -> Value {
    if field.ty.as_deref() == Some("ip") {
        let Ok(ip) = value.parse::<IpAddr>() else {
            return json!({"match_none": {}});
        };
        return json!({"term": {field.name.clone(): ip.to_string()}});
    }
    if field.searchable {
        json!({"term": {field.name.clone(): value}})
    } else {
        // `index: false` on an engine that does not query doc values: a script reads them.
        json!({"script": {"script": {
            "lang": "painless",
            "source": "def v = doc[params.f]; return v.size() > 0 && v.value == params.v;",
            "params": {"f": field.name, "v": value}
        }}})
    }
}

/// The filter clauses of an alert filter.
pub(crate) fn filter_clauses(filter: &AlertFilter, layout: &FieldLayout) -> Vec<Value> {
    let mut clauses = Vec::new();
    if let Some(domain) = filter.domain.client_domain() {
        clauses.push(json!({"term": {"clientDomain": domain}}));
    }
    if let Some(c) = time_range(time_field_name(TimeField::Received), &filter.received) {
        clauses.push(c);
    }
    if let Some(c) = time_range(time_field_name(TimeField::Created), &filter.created) {
        clauses.push(c);
    }
    for (field, value) in &filter.equals {
        clauses.push(field_equals(&layout.get(term_field_name(*field)), value));
    }
    for (field, values) in &filter.one_of {
        let field = layout.get(term_field_name(*field));
        let any: Vec<Value> = values.iter().map(|v| field_equals(&field, v)).collect();
        clauses.push(if any.is_empty() {
            json!({"match_none": {}})
        } else {
            json!({"bool": {"should": any, "minimum_should_match": 1}})
        });
    }
    if let Some(net) = filter.source_net {
        let field = layout.get("sourceEntryIp");
        clauses.push(json!({"term": {field.name: net.trunc().to_string()}}));
    }
    if let Some(numbers) = &filter.source_as_numbers {
        clauses.push(as_numbers_clause(&layout.get("sourceEntryAS"), numbers));
    }
    for (field, range) in &filter.port_ranges {
        let name = match field {
            PortField::Source => "sourceEntryPort",
            PortField::Target => "targetEntryPort",
        };
        clauses.push(port_range_clause(&layout.get(name), *range));
    }
    if let Some(text) = &filter.text {
        clauses.push(text_clause(layout, text));
    }
    for sub in &filter.excluded {
        clauses.push(json!({"bool": {"must_not": [bool_filter(filter_clauses(sub, layout))]}}));
    }
    clauses
}

/// Matches a `sourceEntryAS` naming one of `numbers` (see
/// [`crate::domain::names_as_number`]): `AS<n>` exactly or followed by a space.
fn as_numbers_clause(field: &FieldRef, numbers: &[u32]) -> Value {
    let any: Vec<Value> = numbers
        .iter()
        .flat_map(|number| {
            let exact = format!("AS{number}");
            let prefix = format!("{exact} ");
            if field.searchable {
                [
                    json!({"term": {field.name.clone(): exact}}),
                    json!({"prefix": {field.name.clone(): prefix}}),
                ]
            } else {
                [
                    field_equals(field, &exact),
                    json!({"script": {"script": {
                        "lang": "painless",
                        "source": "def v = doc[params.f]; \
                                   return v.size() > 0 && v.value.startsWith(params.p);",
                        "params": {"f": field.name, "p": prefix}
                    }}}),
                ]
            }
        })
        .collect();
    if any.is_empty() {
        json!({"match_none": {}})
    } else {
        json!({"bool": {"should": any, "minimum_should_match": 1}})
    }
}

/// Matches a stored port of one to five ASCII digits whose number lies in `range` (see
/// [`PortRange::contains_text`]); ports are stored as sent, in keyword doc values. Where the
/// engine can query the field, no script is needed: among texts of exactly `n` digits the
/// text order is the number order, so each length is one `range` on the zero-padded bounds
/// plus a `regexp` for "exactly `n` digits".
fn port_range_clause(field: &FieldRef, range: PortRange) -> Value {
    if field.searchable {
        return port_range_by_length(&field.name, range);
    }
    json!({"script": {"script": {
        "lang": "painless",
        "source": "def v = doc[params.f]; if (v.size() == 0) { return false; } \
                   String s = v.value.toString(); int n = s.length(); \
                   if (n == 0 || n > params.digits) { return false; } \
                   int port = 0; \
                   for (int i = 0; i < n; ++i) { \
                     char c = s.charAt(i); \
                     if (c < (char) '0' || c > (char) '9') { return false; } \
                     port = port * 10 + (c - (char) '0'); \
                   } \
                   return port >= params.from && port <= params.to;",
        "params": {
            "f": field.name,
            "digits": PortRange::MAX_DIGITS,
            "from": range.from,
            "to": range.to,
        }
    }}})
}

/// The script-free form of [`port_range_clause`]: one clause per text length.
fn port_range_by_length(field: &str, range: PortRange) -> Value {
    let (from, to) = (u32::from(range.from), u32::from(range.to));
    let any: Vec<Value> = (1..=PortRange::MAX_DIGITS)
        .filter_map(|digits| {
            let largest = 10u32.pow(digits as u32) - 1;
            (from <= largest).then(|| {
                let pad = |n: u32| format!("{n:0digits$}");
                json!({"bool": {"filter": [
                    {"range": {field: {"gte": pad(from), "lte": pad(to.min(largest))}}},
                    {"regexp": {field: format!("[0-9]{{{digits}}}")}},
                ]}})
            })
        })
        .collect();
    json!({"bool": {"should": any, "minimum_should_match": 1}})
}

/// Matches alerts whose request, username or password contains `text`, ASCII letters in
/// either case (see [`SearchText`]).
fn text_clause(layout: &FieldLayout, text: &SearchText) -> Value {
    let any: Vec<Value> = ["originalRequestString", "username", "password"]
        .iter()
        .map(|name| contains_clause(&layout.get(name), text))
        .collect();
    json!({"bool": {"should": any, "minimum_should_match": 1}})
}

/// Matches a keyword value containing `text`. Where the engine queries the field, a `regexp`
/// without optional operators: any text around, each ASCII letter as a class of both cases,
/// every other character but digits escaped (so nothing of the text is syntax, and letters
/// never form an escape such as `\w`). Elsewhere a doc-values script does the same match.
fn contains_clause(field: &FieldRef, text: &SearchText) -> Value {
    if field.searchable {
        return json!({"regexp": {field.name.clone(): {
            "value": contains_pattern(text),
            "flags": "NONE",
        }}});
    }
    json!({"script": {"script": {
        "lang": "painless",
        "source": "def v = doc[params.f]; if (v.size() == 0) { return false; } \
                   String s = v.value.toString(); StringBuilder b = new StringBuilder(); \
                   for (int i = 0; i < s.length(); ++i) { \
                     char c = s.charAt(i); \
                     if (c >= (char) 'A' && c <= (char) 'Z') { c = (char) (c + 32); } \
                     b.append(c); \
                   } \
                   return b.toString().contains(params.t);",
        "params": {"f": field.name, "t": text.folded()}
    }}})
}

/// The Lucene regular expression of a keyword value containing `text`.
fn contains_pattern(text: &SearchText) -> String {
    let mut pattern = String::from(".*");
    for c in text.as_str().chars() {
        if c.is_ascii_alphabetic() {
            pattern.extend(['[', c.to_ascii_lowercase(), c.to_ascii_uppercase(), ']']);
        } else if c.is_ascii_digit() {
            pattern.push(c);
        } else {
            pattern.extend(['\\', c]);
        }
    }
    pattern.push_str(".*");
    pattern
}

/// `{"bool": {"filter": clauses}}`.
pub(crate) fn bool_filter(clauses: Vec<Value>) -> Value {
    json!({"bool": {"filter": clauses}})
}

/// The total hit count of a search answer (`hits.total.value` or a plain number).
pub(crate) fn total_hits(answer: &Value) -> Result<u64, StoreError> {
    let total = &answer["hits"]["total"];
    total
        .get("value")
        .and_then(Value::as_u64)
        .or_else(|| total.as_u64())
        .ok_or_else(|| StoreError::Corrupt(format!("search answer without a hit count: {total}")))
}

/// A bucket key as text (`key_as_string` for ip/date/boolean keys when present).
pub(crate) fn key_text(key: &Value) -> Option<String> {
    match key {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The `terms` aggregation ranking buckets by count descending, then key ascending.
pub(crate) fn terms_agg(field: &str, size: usize, min_doc_count: u64) -> Value {
    json!({
        "field": field,
        "size": size,
        "shard_size": size.saturating_mul(2).saturating_add(10).max(1000),
        "min_doc_count": min_doc_count.max(1),
        "order": [{"_count": "desc"}, {"_key": "asc"}],
    })
}

/// The label sub-aggregation: the smallest label among the bucket's alerts.
pub(crate) fn label_agg(label_field: &str) -> Value {
    json!({"label": {"terms": {"field": label_field, "size": 1, "order": {"_key": "asc"}}}})
}

/// A terms aggregation with its label sub-aggregation when `label` is given.
pub(crate) fn labelled_terms(
    field: &str,
    label: Option<&str>,
    size: usize,
    min_doc_count: u64,
) -> Value {
    let mut agg = json!({"terms": terms_agg(field, size, min_doc_count)});
    if let Some(label) = label {
        agg["aggs"] = label_agg(label);
    }
    agg
}

/// The label of a bucket with a `label` sub-aggregation.
pub(crate) fn bucket_label(bucket: &Value) -> Option<String> {
    bucket["label"]["buckets"]
        .as_array()
        .and_then(|b| b.first())
        .and_then(|b| key_text(&b["key"]))
}

/// The buckets of a terms aggregation answer as (key, count, label).
pub(crate) fn term_buckets(agg: &Value, labelled: bool) -> Vec<TermCount> {
    agg["buckets"]
        .as_array()
        .map(|buckets| {
            buckets
                .iter()
                .filter_map(|b| {
                    let key = b
                        .get("key_as_string")
                        .and_then(key_text)
                        .or_else(|| key_text(&b["key"]))?;
                    Some(TermCount {
                        key,
                        count: b["doc_count"].as_u64()?,
                        label: if labelled { bucket_label(b) } else { None },
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a terms answer of `size` buckets is the exact top `size` by (count desc, key asc
/// as text). Counts are exact when no shard left terms out; key order is binary for `ip`
/// fields, so there ties at the cut-off may hide a smaller textual key.
pub(crate) fn terms_exact(agg: &Value, size: usize, binary_keys: bool) -> bool {
    if agg["doc_count_error_upper_bound"].as_u64().unwrap_or(0) > 0 {
        return false;
    }
    let returned = agg["buckets"].as_array().map_or(0, Vec::len);
    let others = agg["sum_other_doc_count"].as_u64().unwrap_or(0);
    !(binary_keys && returned >= size && others > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::DataDomain;

    #[test]
    fn filters_use_resolved_names() {
        let answer = json!({"i": {"mappings": {
            "location": {"full_name": "location",
                         "mapping": {"location": {"type": "keyword", "index": false}}},
            "sourceEntryIp": {"full_name": "sourceEntryIp",
                              "mapping": {"sourceEntryIp": {"type": "ip"}}}
        }}});
        let layout = FieldLayout::from_field_mappings(&answer, ALERT_FIELDS, false);
        let filter = AlertFilter::domain(DataDomain::Private)
            .matching(TermField::SourceLocation, "1 , 2")
            .matching(TermField::SourceIp, "not an ip");
        let clauses = filter_clauses(&filter, &layout);
        assert_eq!(clauses[0], json!({"term": {"clientDomain": false}}));
        assert!(clauses[1].get("script").is_some());
        assert_eq!(clauses[2], json!({"match_none": {}}));
    }

    #[test]
    fn search_text_reads_doc_values_where_the_engine_cannot_query_them() {
        let answer = json!({"i": {"mappings": {
            "originalRequestString": {"full_name": "originalRequestString",
                "mapping": {"originalRequestString": {"type": "keyword"}}},
            "username": {"full_name": "username",
                "mapping": {"username": {"type": "keyword", "index": false}}}
        }}});
        let layout = FieldLayout::from_field_mappings(&answer, ALERT_FIELDS, false);
        let mut filter = AlertFilter::domain(DataDomain::All);
        filter.text = Some(SearchText::parse("WGet").unwrap());
        let clauses = filter_clauses(&filter, &layout);
        let fields = &clauses[0]["bool"]["should"];
        assert_eq!(
            fields[0]["regexp"]["originalRequestString"]["value"],
            ".*[wW][gG][eE][tT].*"
        );
        assert_eq!(fields[1]["script"]["script"]["params"]["f"], "username");
        assert_eq!(fields[1]["script"]["script"]["params"]["t"], "wget");
    }

    #[test]
    fn search_text_is_never_pattern_syntax() {
        let text = SearchText::parse(r#"a.*"\w?é"#).unwrap();
        assert_eq!(contains_pattern(&text), r#".*[aA]\.\*\"\\[wW]\?\é.*"#);
    }
}
