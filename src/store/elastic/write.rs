//! The write path: bulk upserts of alerts and CVE copies.

use super::ElasticStore;
use super::query::{time_range, total_hits};
use super::rollover::parse_daily;
use crate::domain::{Alert, TimeRange, Timestamp};
use crate::store::{StoreError, WriteBatch, WriteOutcome};
use elasticsearch::http::Method;
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap, HashSet};

/// Ids looked up per search before a write.
const ID_CHUNK: usize = 1_000;

/// How far (seconds) a sensor's clock may run ahead of the cluster's for the cross-day id
/// look-up to find an older copy: an alert stored in an earlier daily index was received before
/// the current index's day began, so its `createTime` lies before that day plus this lead.
const SENSOR_CLOCK_LEAD: i64 = 3_600;

/// When the documents of a bulk request become searchable.
#[derive(Debug, Clone, Copy)]
pub(super) enum Refresh {
    /// At the index's next periodic refresh. The answer still comes only after the cluster
    /// fsynced its translog (`index.translog.durability: request`), so what it confirms is
    /// durable.
    Periodic,
    /// Before the answer (`refresh=wait_for`): for rare writes read back at once.
    WaitFor,
    /// Forced right away (`refresh=true`): for rare writes the next write checks against.
    Now,
}

impl Refresh {
    fn params(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Refresh::Periodic => &[],
            Refresh::WaitFor => &[("refresh", "wait_for")],
            Refresh::Now => &[("refresh", "true")],
        }
    }
}

/// One bulk action line.
pub(super) fn action(op: &str, index: &str, id: &str) -> String {
    json!({op: {"_index": index, "_id": id}}).to_string()
}

/// Sends a bulk body and returns its items. Any failed item makes the whole call fail (the
/// caller retries; ids make retries idempotent). Items with a status in `tolerated` are not
/// failures.
pub(super) async fn bulk(
    store: &ElasticStore,
    body: String,
    refresh: Refresh,
    tolerated: &[u64],
) -> Result<Vec<Value>, StoreError> {
    let answer = store
        .http
        .ok(Method::Post, "_bulk", refresh.params(), Some(body))
        .await?;
    let items = answer["items"].as_array().cloned().unwrap_or_default();
    for item in &items {
        let Some(result) = item.as_object().and_then(|o| o.values().next()) else {
            continue;
        };
        let status = result["status"].as_u64().unwrap_or(0);
        if result.get("error").is_some() && !tolerated.contains(&status) {
            return Err(StoreError::Unavailable(format!(
                "Elasticsearch refused document {}: HTTP {status}: {}",
                result["_id"], result["error"]
            )));
        }
    }
    Ok(items)
}

/// The alerts of a batch that may have a copy in an older daily index than `write_index`:
/// those created before its day began (plus [`SENSOR_CLOCK_LEAD`]). All of them when the
/// index name carries no date.
fn cross_day_candidates<'a>(
    store: &ElasticStore,
    write_index: &str,
    alerts: &'a [Alert],
) -> Vec<&'a Alert> {
    let Some((day, _)) = parse_daily(&store.config.alert_read_prefix, write_index) else {
        return alerts.iter().collect();
    };
    let day_start =
        Timestamp::from_unix(day.and_time(chrono::NaiveTime::MIN).and_utc().timestamp());
    let before = day_start.plus_seconds(SENSOR_CLOCK_LEAD);
    alerts.iter().filter(|a| a.create_time < before).collect()
}

/// The indices (under the read pattern) holding each of the `candidates`. Only indices
/// holding alerts received since the earliest candidate's creation (less
/// [`SENSOR_CLOCK_LEAD`]) are searched: the cluster skips the others before searching.
async fn holders(
    store: &ElasticStore,
    candidates: &[&Alert],
) -> Result<HashMap<String, BTreeSet<String>>, StoreError> {
    let mut out: HashMap<String, BTreeSet<String>> = HashMap::new();
    let Some(earliest) = candidates.iter().map(|a| a.create_time).min() else {
        return Ok(out);
    };
    let received = TimeRange::since(earliest.plus_seconds(-SENSOR_CLOCK_LEAD));
    let ids: Vec<&str> = candidates.iter().map(|a| a.id.as_str()).collect();
    for chunk in ids.chunks(ID_CHUNK) {
        let mut clauses = vec![json!({"ids": {"values": chunk}})];
        clauses.extend(time_range("recievedTime", &received));
        let body = json!({
            "size": 10_000,
            "_source": false,
            "query": {"bool": {"filter": clauses}},
        });
        let answer = store.search_alerts(&body).await?;
        for hit in answer["hits"]["hits"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            if let (Some(id), Some(index)) = (hit["_id"].as_str(), hit["_index"].as_str()) {
                out.entry(id.to_owned())
                    .or_default()
                    .insert(index.to_owned());
            }
        }
    }
    Ok(out)
}

fn source_line(alert: &Alert) -> Result<String, StoreError> {
    serde_json::to_string(alert)
        .map_err(|e| StoreError::Corrupt(format!("alert {} does not serialise: {e}", alert.id)))
}

pub(super) async fn write(
    store: &ElasticStore,
    batch: WriteBatch,
) -> Result<WriteOutcome, StoreError> {
    let mut outcome = WriteOutcome::default();
    if !batch.alerts.is_empty() {
        let write_index = store.ensure_daily_index(super::rollover::today()).await?;
        let candidates = cross_day_candidates(store, &write_index, &batch.alerts);
        let before = holders(store, &candidates).await?;
        let alias = &store.config.alert_write_alias;
        let mut body = String::new();
        for alert in &batch.alerts {
            body.push_str(&action("index", alias, &alert.id));
            body.push('\n');
            body.push_str(&source_line(alert)?);
            body.push('\n');
        }
        let items = bulk(store, body, Refresh::Periodic, &[]).await?;
        if items.len() != batch.alerts.len() {
            return Err(StoreError::Unavailable(format!(
                "bulk answer has {} items for {} alerts",
                items.len(),
                batch.alerts.len()
            )));
        }
        // Older copies in other daily indices (written before a rollover) are removed.
        let mut stale: BTreeSet<(String, String)> = BTreeSet::new();
        let mut written_to: HashMap<&str, String> = HashMap::new();
        for (alert, item) in batch.alerts.iter().zip(&items) {
            let result = &item["index"];
            let index = result["_index"].as_str().unwrap_or_default().to_owned();
            let elsewhere = before
                .get(&alert.id)
                .is_some_and(|set| set.iter().any(|i| *i != index));
            match result["result"].as_str() {
                Some("updated") => outcome.replaced += 1,
                Some("created") if elsewhere && !written_to.contains_key(alert.id.as_str()) => {
                    outcome.replaced += 1
                }
                Some("created") => outcome.created += 1,
                other => {
                    return Err(StoreError::Unavailable(format!(
                        "unexpected bulk result {other:?} for alert {}",
                        alert.id
                    )));
                }
            }
            if let Some(set) = before.get(&alert.id) {
                for old in set.iter().filter(|i| **i != index) {
                    stale.insert((old.clone(), alert.id.clone()));
                }
            }
            written_to.insert(alert.id.as_str(), index);
        }
        if !stale.is_empty() {
            let mut body = String::new();
            for (index, id) in &stale {
                body.push_str(&action("delete", index, id));
                body.push('\n');
            }
            bulk(store, body, Refresh::Periodic, &[404]).await?;
        }
    }
    if !batch.cve_copies.is_empty() {
        outcome.cve_copies = write_cve_copies(store, &batch.cve_copies).await?;
    }
    Ok(outcome)
}

/// Stores each copy whose `vulnid` has no copy yet; returns how many were stored.
async fn write_cve_copies(store: &ElasticStore, copies: &[Alert]) -> Result<usize, StoreError> {
    let index = &store.config.cve_index;
    let mut seen: HashSet<&str> = HashSet::new();
    let firsts: Vec<&Alert> = copies
        .iter()
        .filter(|c| seen.insert(c.vulnid.as_str()))
        .collect();
    let layout = store.cve_layout.get(&store.http).await?;
    let field = layout.get("vulnid").name;
    let vulnids: Vec<&str> = firsts.iter().map(|c| c.vulnid.as_str()).collect();
    let mut known: HashSet<String> = HashSet::new();
    for chunk in vulnids.chunks(ID_CHUNK) {
        let body = json!({
            "size": 0,
            "track_total_hits": true,
            "query": {"terms": {field.clone(): chunk}},
            "aggs": {"v": {"terms": {"field": field, "size": chunk.len()}}},
        });
        let answer = store.search(index, &body).await?;
        total_hits(&answer)?;
        for b in answer["aggregations"]["v"]["buckets"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            if let Some(k) = b["key"].as_str() {
                known.insert(k.to_owned());
            }
        }
    }
    let new: Vec<&&Alert> = firsts
        .iter()
        .filter(|c| !known.contains(&c.vulnid))
        .collect();
    if new.is_empty() {
        return Ok(0);
    }
    let mut body = String::new();
    for copy in &new {
        body.push_str(&action("create", index, &copy.id));
        body.push('\n');
        body.push_str(&source_line(copy)?);
        body.push('\n');
    }
    // 409: a copy with this id exists already (same alert content, so same vulnid). The
    // refresh makes the next batch's `vulnid` check see these copies (new CVEs are rare).
    let items = bulk(store, body, Refresh::Now, &[409]).await?;
    Ok(items
        .iter()
        .filter(|i| i["create"]["result"].as_str() == Some("created"))
        .count())
}
