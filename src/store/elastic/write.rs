//! The write path: bulk upserts of alerts and CVE copies. An alert replaces only a stored alert
//! of its own sender; another sender's alert with the same id stays and the new one is stored
//! beside it ([`Alert::id_beside`]).

use super::ElasticStore;
use super::answer::{BULK_FILTER, BulkAnswer, BulkResult};
use super::query::{time_range, total_hits};
use super::rollover::parse_daily;
use crate::domain::{Alert, COMMUNITY_CLIENT, Submitter, TimeRange, Timestamp};
use crate::store::{StoreError, WriteBatch, WriteOutcome};
use elasticsearch::http::Method;
use serde::Serialize;
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

/// A bulk request body, written line by line straight into one buffer.
#[derive(Default)]
pub(super) struct BulkBody(Vec<u8>);

/// The target of a bulk action.
#[derive(Serialize)]
struct Target<'a> {
    #[serde(rename = "_index")]
    index: &'a str,
    #[serde(rename = "_id")]
    id: &'a str,
}

impl BulkBody {
    /// An empty body with room for `documents` alerts.
    pub fn for_documents(documents: usize) -> Self {
        BulkBody(Vec::with_capacity(documents * 1_200))
    }

    /// Adds an action line: `{"<op>":{"_index":…,"_id":…}}`.
    pub fn action(&mut self, op: &'static str, index: &str, id: &str) -> Result<(), StoreError> {
        self.0.extend_from_slice(b"{\"");
        self.0.extend_from_slice(op.as_bytes());
        self.0.extend_from_slice(b"\":");
        self.write(id, &Target { index, id })?;
        self.0.extend_from_slice(b"}\n");
        Ok(())
    }

    /// Adds a document line.
    pub fn document<T: Serialize>(&mut self, id: &str, document: &T) -> Result<(), StoreError> {
        self.write(id, document)?;
        self.0.push(b'\n');
        Ok(())
    }

    fn write<T: Serialize>(&mut self, id: &str, value: &T) -> Result<(), StoreError> {
        serde_json::to_writer(&mut self.0, value)
            .map_err(|e| StoreError::Corrupt(format!("document {id} does not serialise: {e}")))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn into_string(self) -> Result<String, StoreError> {
        String::from_utf8(self.0)
            .map_err(|e| StoreError::Corrupt(format!("a bulk body is not UTF-8: {e}")))
    }
}

/// Sends a bulk body and returns what happened to each action, in order. Any failed item makes
/// the whole call fail (the caller retries; ids make retries idempotent). Items with a status
/// in `tolerated` are not failures.
pub(super) async fn bulk(
    store: &ElasticStore,
    body: BulkBody,
    refresh: Refresh,
    tolerated: &[u16],
) -> Result<Vec<BulkResult>, StoreError> {
    let mut query = vec![("filter_path", BULK_FILTER)];
    query.extend_from_slice(refresh.params());
    let answer: BulkAnswer = store
        .http
        .ok_as(Method::Post, "_bulk", &query, Some(body.into_string()?))
        .await?;
    let results = answer.into_results();
    for result in &results {
        if let Some(error) = &result.error
            && !tolerated.contains(&result.status)
        {
            return Err(StoreError::Unavailable(format!(
                "Elasticsearch refused document {}: HTTP {}: {error}",
                result.id, result.status
            )));
        }
    }
    Ok(results)
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

/// Rounds of [`write_alerts`] before alerts that keep meeting new documents fail the write.
const PLACEMENT_ROUNDS: usize = 3;

pub(super) async fn write(
    store: &ElasticStore,
    batch: WriteBatch,
) -> Result<WriteOutcome, StoreError> {
    let mut outcome = WriteOutcome::default();
    if !batch.alerts.is_empty() {
        let write_index = store.ensure_daily_index(super::rollover::today()).await?;
        let mut pending = batch.alerts;
        let mut known = HashMap::new();
        for _ in 0..PLACEMENT_ROUNDS {
            if pending.is_empty() {
                break;
            }
            (pending, known) =
                write_alerts(store, &write_index, pending, &known, &mut outcome).await?;
        }
        if !pending.is_empty() {
            return Err(StoreError::Unavailable(format!(
                "{} alerts met documents written meanwhile {PLACEMENT_ROUNDS} times",
                pending.len()
            )));
        }
    }
    if !batch.cve_copies.is_empty() {
        outcome.cve_copies = write_cve_copies(store, &batch.cve_copies).await?;
    }
    Ok(outcome)
}

/// Who submitted the stored documents `(index, id)`, read in real time: id → submitter.
async fn submitters(
    store: &ElasticStore,
    docs: &[(&str, &str)],
) -> Result<HashMap<String, Submitter>, StoreError> {
    let mut out = HashMap::new();
    for chunk in docs.chunks(ID_CHUNK) {
        let docs: Vec<Value> = chunk
            .iter()
            .map(|(index, id)| json!({"_index": index, "_id": id, "_source": ["clientDomain", "client"]}))
            .collect();
        let body = json!({ "docs": docs }).to_string();
        let answer = store
            .http
            .ok(Method::Post, "_mget", &[], Some(body))
            .await?;
        for doc in answer["docs"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let (Some(id), Some(source)) = (doc["_id"].as_str(), doc.get("_source")) else {
                continue;
            };
            let submitter = Submitter {
                client_domain: source["clientDomain"].as_bool().unwrap_or(false),
                client: source["client"]
                    .as_str()
                    .unwrap_or(COMMUNITY_CLIENT)
                    .to_owned(),
            };
            out.insert(id.to_owned(), submitter);
        }
    }
    Ok(out)
}

/// Gives each alert the id it is stored under: its own when that id is free or holds the same
/// sender's alert (also earlier in the batch), [`Alert::id_beside`] when another sender's
/// alert has it. Returns the indices holding each final id: older daily indices from a search
/// (only for alerts that may have a copy there, see [`cross_day_candidates`]), merged with
/// `known` (documents met by a create in an earlier round, which includes the write index).
async fn place(
    store: &ElasticStore,
    write_index: &str,
    alerts: &mut [Alert],
    known: &HashMap<String, BTreeSet<String>>,
) -> Result<HashMap<String, BTreeSet<String>>, StoreError> {
    let mut held = holders(store, &cross_day_candidates(store, write_index, alerts)).await?;
    for (id, indices) in known {
        held.entry(id.clone())
            .or_default()
            .extend(indices.iter().cloned());
    }
    let docs: Vec<(&str, &str)> = held
        .iter()
        .filter_map(|(id, indices)| Some((indices.first()?.as_str(), id.as_str())))
        .collect();
    let mut claimed = submitters(store, &docs).await?;
    let mut moved: Vec<String> = Vec::new();
    for alert in alerts.iter_mut() {
        let submitter = alert.submitter();
        match claimed.get(&alert.id) {
            Some(owner) if *owner != submitter => {
                alert.id = alert.id_beside();
                moved.push(alert.id.clone());
                claimed.entry(alert.id.clone()).or_insert(submitter);
            }
            Some(_) => {}
            None => {
                claimed.insert(alert.id.clone(), submitter);
            }
        }
    }
    if !moved.is_empty() {
        let moved: Vec<Alert> = alerts
            .iter()
            .filter(|a| moved.contains(&a.id))
            .cloned()
            .collect();
        held.extend(holders(store, &cross_day_candidates(store, write_index, &moved)).await?);
    }
    Ok(held)
}

/// Writes one round: existing own documents are replaced (`index`), new ids are created
/// (`create`, so that a document written meanwhile, also earlier in the same bulk, is met
/// rather than overwritten). Returns the
/// alerts that met such a document, to be placed again, with where it is.
async fn write_alerts(
    store: &ElasticStore,
    write_index: &str,
    mut alerts: Vec<Alert>,
    known: &HashMap<String, BTreeSet<String>>,
    outcome: &mut WriteOutcome,
) -> Result<(Vec<Alert>, HashMap<String, BTreeSet<String>>), StoreError> {
    let before = place(store, write_index, &mut alerts, known).await?;
    let alias = &store.config.alert_write_alias;
    let mut body = BulkBody::for_documents(alerts.len());
    for alert in &alerts {
        // A repeated new id meets its first copy and is replaced in the next round.
        let op = if before.contains_key(&alert.id) {
            "index"
        } else {
            "create"
        };
        body.action(op, alias, &alert.id)?;
        body.document(&alert.id, alert)?;
    }
    // 409: a create met a document written since the look-up.
    let items = bulk(store, body, Refresh::Periodic, &[409]).await?;
    if items.len() != alerts.len() {
        return Err(StoreError::Unavailable(format!(
            "bulk answer has {} items for {} alerts",
            items.len(),
            alerts.len()
        )));
    }
    // Older copies in other daily indices (written before a rollover) are removed.
    let mut stale: BTreeSet<(String, String)> = BTreeSet::new();
    let mut written_to: HashMap<&str, String> = HashMap::new();
    let mut again: Vec<usize> = Vec::new();
    let mut met: HashMap<String, BTreeSet<String>> = HashMap::new();
    for (position, (alert, result)) in alerts.iter().zip(items).enumerate() {
        let index = result.index;
        if result.status == 409 {
            again.push(position);
            met.entry(alert.id.clone()).or_default().insert(index);
            continue;
        }
        let elsewhere = before
            .get(&alert.id)
            .is_some_and(|set| set.iter().any(|i| *i != index));
        match result.result.as_deref() {
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
        let mut body = BulkBody::default();
        for (index, id) in &stale {
            body.action("delete", index, id)?;
        }
        bulk(store, body, Refresh::Periodic, &[404]).await?;
    }
    let mut pending = Vec::with_capacity(again.len());
    let mut alerts: Vec<Option<Alert>> = alerts.into_iter().map(Some).collect();
    for position in again {
        pending.extend(alerts[position].take());
    }
    Ok((pending, met))
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
    let mut body = BulkBody::for_documents(new.len());
    for copy in &new {
        body.action("create", index, &copy.id)?;
        body.document(&copy.id, copy)?;
    }
    // 409: a copy with this id exists already (same alert content, so same vulnid). The
    // refresh makes the next batch's `vulnid` check see these copies (new CVEs are rare).
    let items = bulk(store, body, Refresh::Now, &[409]).await?;
    Ok(items.iter().filter(|i| i.did("created")).count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_bodies_are_one_json_value_per_line() {
        let mut body = BulkBody::default();
        body.action("create", "ews-2024.06.24-000001", "a\"b\\c")
            .unwrap();
        body.document("a\"b\\c", &json!({"text": "line\nbreak"}))
            .unwrap();
        body.action("delete", "ews", "x").unwrap();
        let text = body.into_string().unwrap();
        assert_eq!(
            text,
            "{\"create\":{\"_index\":\"ews-2024.06.24-000001\",\"_id\":\"a\\\"b\\\\c\"}}\n\
             {\"text\":\"line\\nbreak\"}\n\
             {\"delete\":{\"_index\":\"ews\",\"_id\":\"x\"}}\n"
        );
        for line in text.lines() {
            serde_json::from_str::<Value>(line).unwrap();
        }
    }
}
