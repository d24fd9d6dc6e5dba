//! Retention on Elasticsearch: whole daily indices go, never single documents.
//!
//! An index `<prefix>-<yyyy.MM.dd>-<n>` is deleted when its newest alert was received before the
//! cut-off. The alias's write index is never deleted, nor any index whose name is not a daily
//! index of this prefix (other prefixes, `users`, `statistics`, `ewscve`). Several servers on
//! one cluster may decide to delete the same index: the one that finds it gone already takes
//! that as done.

use super::ElasticStore;
use super::rollover::parse_daily;
use crate::domain::Timestamp;
use crate::store::StoreError;
use elasticsearch::http::Method;
use serde_json::json;

impl ElasticStore {
    /// Deletes the daily indices whose alerts were all received before `before`; returns how
    /// many alerts they held.
    pub(super) async fn expire_indices(&self, before: Timestamp) -> Result<usize, StoreError> {
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
