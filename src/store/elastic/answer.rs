//! The cluster's answers that peba reads in bulk, modelled as serde types and read straight
//! from the answer's bytes (no intermediate JSON value): search hits and bulk results.

use serde::Deserialize;
use serde_json::Value;

/// The hits of a search answer, each `_source` read as `S`.
#[derive(Debug, Deserialize)]
pub(super) struct SearchHits<S> {
    hits: HitList<S>,
}

#[derive(Debug, Deserialize)]
struct HitList<S> {
    total: Option<HitTotal>,
    #[serde(default = "Vec::new")]
    hits: Vec<Hit<S>>,
}

/// A hit count: a number (older clusters) or `{"value": n, "relation": …}`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum HitTotal {
    Count(u64),
    Counted { value: u64 },
}

/// One search hit.
#[derive(Debug, Deserialize)]
pub(super) struct Hit<S> {
    #[serde(rename = "_id")]
    pub id: String,
    #[serde(rename = "_source")]
    pub source: S,
}

impl<S> SearchHits<S> {
    /// How many documents matched, when the search counted them (`track_total_hits`).
    pub fn total(&self) -> Option<u64> {
        match self.hits.total {
            Some(HitTotal::Count(n) | HitTotal::Counted { value: n }) => Some(n),
            None => None,
        }
    }

    /// The hits, in the answer's order.
    pub fn into_hits(self) -> Vec<Hit<S>> {
        self.hits.hits
    }
}

/// A bulk answer (as filtered by [`BULK_FILTER`]).
#[derive(Debug, Deserialize)]
pub(super) struct BulkAnswer {
    #[serde(default)]
    items: Vec<BulkItem>,
}

/// The parts of a bulk answer peba reads, as a `filter_path`: the cluster leaves out shard
/// counts, versions and sequence numbers, which are most of its size.
pub(super) const BULK_FILTER: &str =
    "items.*._index,items.*._id,items.*.status,items.*.result,items.*.error";

/// One item of a bulk answer, keyed by its action.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
enum BulkItem {
    Index(BulkResult),
    Create(BulkResult),
    Update(BulkResult),
    Delete(BulkResult),
}

impl BulkAnswer {
    /// What happened to each action, in order.
    pub fn into_results(self) -> Vec<BulkResult> {
        self.items
            .into_iter()
            .map(|item| match item {
                BulkItem::Index(r)
                | BulkItem::Create(r)
                | BulkItem::Update(r)
                | BulkItem::Delete(r) => r,
            })
            .collect()
    }
}

/// What the cluster did with one bulk action.
#[derive(Debug, Deserialize)]
pub(super) struct BulkResult {
    /// The index the action went to (the concrete index behind an alias).
    #[serde(rename = "_index", default)]
    pub index: String,
    #[serde(rename = "_id", default)]
    pub id: String,
    #[serde(default)]
    pub status: u16,
    /// `created`, `updated`, `deleted`, `not_found`, …; absent on failures.
    pub result: Option<String>,
    pub error: Option<Value>,
}

impl BulkResult {
    /// Whether the action did `what` (`created`, `deleted`, …).
    pub fn did(&self, what: &str) -> bool {
        self.result.as_deref() == Some(what)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hit_counts_read_in_both_forms() {
        let old: SearchHits<Value> =
            serde_json::from_str(r#"{"hits":{"total":7,"hits":[]}}"#).unwrap();
        let new: SearchHits<Value> = serde_json::from_str(
            r#"{"hits":{"total":{"value":9,"relation":"eq"},"hits":[{"_id":"a","_index":"i","_source":{"x":1}}]}}"#,
        )
        .unwrap();
        assert_eq!((old.total(), new.total()), (Some(7), Some(9)));
        let hits = new.into_hits();
        assert_eq!(
            (hits[0].id.as_str(), &hits[0].source["x"]),
            ("a", &Value::from(1))
        );
    }

    #[test]
    fn bulk_items_read_whatever_their_action() {
        let answer: BulkAnswer = serde_json::from_str(
            r#"{"items":[{"create":{"_index":"a-1","_id":"x","status":201,"result":"created"}},
                         {"index":{"_index":"a-1","_id":"y","status":409,"error":{"type":"conflict"}}},
                         {"delete":{"_index":"a-0","_id":"z","status":404,"result":"not_found"}}]}"#,
        )
        .unwrap();
        let results = answer.into_results();
        assert!(results[0].did("created"));
        assert_eq!((results[1].status, results[1].error.is_some()), (409, true));
        assert_eq!(
            (results[2].index.as_str(), results[2].did("not_found")),
            ("a-0", true)
        );
    }
}
