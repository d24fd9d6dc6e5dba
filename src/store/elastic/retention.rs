//! Retention on Elasticsearch: whole daily indices go, never single documents.
//!
//! An index `<prefix>-<yyyy.MM.dd>-<n>` is deleted when its newest alert was received before the
//! cut-off. The alias's write index is never deleted, nor any index whose name is not a daily
//! index of this prefix (other prefixes, `users`, `statistics`, `ewscve`). Several servers on
//! one cluster may decide to delete the same index: the one that finds it gone already takes
//! that as done.
//!
//! The same pass deletes, document by document, the CVE copies received before the cut-off and
//! the statistics documents whose period starts before it, as the embedded store does
//! (`delete_by_query`: version conflicts with a concurrent pass are skipped, and the indices
//! are refreshed, so answers follow at once). A cluster without `_delete_by_query` (a node
//! without the reindex module answers "no handler found") gets the same deletion as pages of
//! matching ids searched and deleted in bulk.

use super::ElasticStore;
use super::layout::{FieldRef, QUERY_DATE_FORMAT};
use super::query::bool_filter;
use super::rollover::parse_daily;
use super::write::{BulkBody, Refresh, bulk};
use crate::domain::Timestamp;
use crate::store::StoreError;
use elasticsearch::http::Method;
use serde_json::{Value, json};

/// Documents searched and deleted per bulk request where `_delete_by_query` is missing.
const DELETE_PAGE: usize = 1_000;

impl ElasticStore {
    /// Deletes the daily indices whose alerts were all received before `before`, then the CVE
    /// copies and statistics documents before it; returns how many alerts went.
    pub(super) async fn expire(&self, before: Timestamp) -> Result<usize, StoreError> {
        let alerts = self.expire_indices(before).await?;
        let cve = self.cve_layout.get(&self.http).await?.get("recievedTime");
        self.delete_before(&self.config.cve_index, &cve, before)
            .await?;
        let stats = self.stats_layout.get(&self.http).await?.get("UTCtimeFrom");
        self.delete_before(&self.config.statistic_index, &stats, before)
            .await?;
        Ok(alerts)
    }

    /// Deletes the documents of `index` whose `field` lies before `before`; logs how many.
    async fn delete_before(
        &self,
        index: &str,
        field: &FieldRef,
        before: Timestamp,
    ) -> Result<u64, StoreError> {
        let query = json!({"range": {field.name.clone(): before_range(field, before)}});
        let answer = self
            .http
            .request(
                Method::Post,
                &format!("{index}/_delete_by_query"),
                &[
                    ("conflicts", "proceed"),
                    ("refresh", "true"),
                    ("ignore_unavailable", "true"),
                    ("allow_no_indices", "true"),
                ],
                Some(json!({"query": query}).to_string()),
            )
            .await?;
        let deleted = if is_missing_route(&answer.body) {
            self.delete_in_pages(index, &query).await?
        } else if !answer.is_success() {
            return Err(StoreError::Unavailable(format!(
                "cannot delete old documents of {index}: HTTP {}: {}",
                answer.status, answer.body
            )));
        } else if answer.body["failures"]
            .as_array()
            .is_some_and(|f| !f.is_empty())
        {
            return Err(StoreError::Unavailable(format!(
                "cannot delete old documents of {index}: {}",
                answer.body["failures"]
            )));
        } else {
            answer.body["deleted"].as_u64().unwrap_or(0)
        };
        if deleted > 0 {
            tracing::info!(
                index,
                deleted,
                before = %before.format_legacy(),
                "retention deleted documents before the window"
            );
        }
        Ok(deleted)
    }

    /// Deletes the documents of `index` matching `query` a page at a time: ids searched, then
    /// deleted in bulk with a refresh, until none match. A document another pass deleted first
    /// (404) counts as gone.
    async fn delete_in_pages(&self, index: &str, query: &Value) -> Result<u64, StoreError> {
        let body = json!({"size": DELETE_PAGE, "_source": false, "query": bool_filter(vec![query.clone()])});
        let mut deleted = 0;
        loop {
            let answer = self
                .http
                .json(
                    Method::Post,
                    &format!("{index}/_search"),
                    &[("ignore_unavailable", "true"), ("allow_no_indices", "true")],
                    &body,
                )
                .await?;
            let hits = answer["hits"]["hits"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let mut actions = BulkBody::default();
            for hit in &hits {
                if let (Some(index), Some(id)) = (hit["_index"].as_str(), hit["_id"].as_str()) {
                    actions.action("delete", index, id)?;
                }
            }
            if actions.is_empty() {
                return Ok(deleted);
            }
            let items = bulk(self, actions, Refresh::Now, &[404]).await?;
            deleted += items.iter().filter(|item| item.did("deleted")).count() as u64;
        }
    }

    /// Deletes the daily indices whose alerts were all received before `before`; returns how
    /// many alerts they held.
    async fn expire_indices(&self, before: Timestamp) -> Result<usize, StoreError> {
        let prefix = &self.config.alert_read_prefix;
        let write_index = self.current_write_index().await?;
        let body = json!({
            "size": 0,
            "aggs": {"indices": {
                "terms": {"field": "_index", "size": 10000},
                "aggs": {"newest": {"max": {"field": "recievedTime"}}}
            }}
        });
        let answer = self
            .http
            .json(
                Method::Post,
                &format!("{prefix}-*/_search"),
                &[("ignore_unavailable", "true"), ("allow_no_indices", "true")],
                &body,
            )
            .await?;
        let buckets = answer["aggregations"]["indices"]["buckets"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let mut deleted = 0;
        for bucket in buckets {
            let (Some(index), Some(newest_ms)) =
                (bucket["key"].as_str(), bucket["newest"]["value"].as_f64())
            else {
                continue;
            };
            let newest = Timestamp::from_unix((newest_ms / 1000.0).floor() as i64);
            if newest >= before
                || parse_daily(prefix, index).is_none()
                || write_index.as_deref() == Some(index)
            {
                continue;
            }
            let alerts = bucket["doc_count"].as_u64().unwrap_or(0) as usize;
            let answer = self.http.request(Method::Delete, index, &[], None).await?;
            match answer.status {
                200..=299 => {
                    tracing::info!(
                        index,
                        alerts,
                        newest = %newest.format_legacy(),
                        "retention deleted a daily index"
                    );
                    deleted += alerts;
                }
                // Another server deleted it first.
                404 => {}
                status => {
                    return Err(StoreError::Unavailable(format!(
                        "cannot delete index {index}: HTTP {status}: {}",
                        answer.body
                    )));
                }
            }
        }
        Ok(deleted)
    }
}

/// Whether an answer says the cluster serves no such route (`no handler found for uri`).
fn is_missing_route(answer: &Value) -> bool {
    answer["error"]
        .as_str()
        .is_some_and(|e| e.starts_with("no handler found"))
}

/// A range query's bounds for "before `before`": on a date field in the query format, on a
/// dynamically mapped text value (a `.keyword`) as the legacy form, which sorts as it reads.
fn before_range(field: &FieldRef, before: Timestamp) -> Value {
    if field.ty.as_deref() == Some("date") || field.ty.is_none() {
        json!({"lt": before.format_legacy(), "format": QUERY_DATE_FORMAT})
    } else {
        json!({"lt": before.format_legacy()})
    }
}
