//! Alert queries.

use super::ElasticStore;
use super::answer::SearchHits;
use super::layout::FieldLayout;
use super::query::{
    bool_filter, bucket_label, filter_clauses, key_text, label_field_name, labelled_terms,
    term_buckets, term_field_name, terms_exact, time_equals, time_field_name, time_range,
    total_hits,
};
use crate::domain::{
    Alert, AlertFilter, AlertPage, DataDomain, HistogramBucket, HistogramQuery, Installation,
    TermCount, TermField, TimeField, TimeRange, Timestamp, UNDEFINED_HOSTNAME, rank_terms,
};
use crate::store::StoreError;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Most hits one search returns (the clusters' default `index.max_result_window`).
const MAX_HITS: usize = 10_000;

/// Page size of composite aggregations.
const COMPOSITE_PAGE: usize = 1_000;

pub(super) async fn count(store: &ElasticStore, filter: &AlertFilter) -> Result<u64, StoreError> {
    let layout = store.alerts_layout.get(&store.http).await?;
    let body = json!({
        "size": 0,
        "track_total_hits": true,
        "query": bool_filter(filter_clauses(filter, &layout)),
    });
    total_hits(&store.search_alerts(&body).await?)
}

/// Whether the cluster orders this field's keys other than as text.
fn binary_keys(layout: &FieldLayout, field: &str) -> bool {
    layout.get(field).ty.as_deref() == Some("ip")
}

pub(super) async fn terms(
    store: &ElasticStore,
    filter: &AlertFilter,
    field: TermField,
    limit: usize,
) -> Result<Vec<TermCount>, StoreError> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let layout = store.alerts_layout.get(&store.http).await?;
    let clauses = filter_clauses(filter, &layout);
    let name = layout.get(term_field_name(field)).name;
    let label = label_field_name(field).map(|l| layout.get(l).name);
    let binary = binary_keys(&layout, term_field_name(field));
    let size = limit.min(MAX_HITS);

    let first = terms_once(store, &clauses, &name, label.as_deref(), size, 1).await?;
    let mut buckets = term_buckets(&first, label.is_some());
    if !terms_exact(&first, size, binary) {
        // Every term down to the cut-off count.
        let cut = buckets.last().map_or(1, |b| b.count);
        let again = terms_once(store, &clauses, &name, label.as_deref(), MAX_HITS, cut).await?;
        let complete = again["buckets"].as_array().map_or(0, Vec::len) < MAX_HITS;
        if again["doc_count_error_upper_bound"].as_u64().unwrap_or(0) == 0 && complete {
            buckets = term_buckets(&again, label.is_some());
        } else {
            buckets = composite_terms(store, &clauses, &name, label.as_deref()).await?;
        }
    }
    rank_terms(&mut buckets);
    buckets.truncate(limit);
    Ok(buckets)
}

async fn terms_once(
    store: &ElasticStore,
    clauses: &[Value],
    name: &str,
    label: Option<&str>,
    size: usize,
    min_doc_count: u64,
) -> Result<Value, StoreError> {
    let body = json!({
        "size": 0,
        "query": bool_filter(clauses.to_vec()),
        "aggs": {"t": labelled_terms(name, label, size, min_doc_count)},
    });
    let mut answer = store.search_alerts(&body).await?;
    Ok(answer["aggregations"]["t"].take())
}

/// Pages through a composite aggregation, handing every bucket to `f`.
pub(super) async fn composite(
    store: &ElasticStore,
    clauses: &[Value],
    sources: Value,
    sub_aggs: Option<Value>,
    mut f: impl FnMut(&Value),
) -> Result<(), StoreError> {
    let mut after: Option<Value> = None;
    loop {
        let mut agg = json!({"composite": {"size": COMPOSITE_PAGE, "sources": sources.clone()}});
        if let Some(a) = &after {
            agg["composite"]["after"] = a.clone();
        }
        if let Some(sub) = &sub_aggs {
            agg["aggs"] = sub.clone();
        }
        let body = json!({"size": 0, "query": bool_filter(clauses.to_vec()), "aggs": {"c": agg}});
        let answer = store.search_alerts(&body).await?;
        let result = &answer["aggregations"]["c"];
        let buckets = result["buckets"].as_array().cloned().unwrap_or_default();
        for b in &buckets {
            f(b);
        }
        match result.get("after_key") {
            Some(key) if buckets.len() == COMPOSITE_PAGE => after = Some(key.clone()),
            _ => return Ok(()),
        }
    }
}

/// Every term of `name` with its count and label, exactly.
async fn composite_terms(
    store: &ElasticStore,
    clauses: &[Value],
    name: &str,
    label: Option<&str>,
) -> Result<Vec<TermCount>, StoreError> {
    let mut out = Vec::new();
    let sources = json!([{"k": {"terms": {"field": name}}}]);
    let sub = label.map(super::query::label_agg);
    composite(store, clauses, sources, sub, |b| {
        if let (Some(key), Some(count)) = (key_text(&b["key"]["k"]), b["doc_count"].as_u64()) {
            out.push(TermCount {
                key,
                count,
                label: label.and_then(|_| bucket_label(b)),
            });
        }
    })
    .await?;
    Ok(out)
}

pub(super) async fn histogram(
    store: &ElasticStore,
    q: &HistogramQuery,
) -> Result<Vec<HistogramBucket>, StoreError> {
    if q.interval_seconds <= 0 {
        return Err(StoreError::Unavailable(format!(
            "invalid query: histogram interval {}",
            q.interval_seconds
        )));
    }
    let layout = store.alerts_layout.get(&store.http).await?;
    let clauses = filter_clauses(&q.filter, &layout);
    let time = time_field_name(q.field);
    let interval = format!("{}s", q.interval_seconds);
    let split = q.split.filter(|(_, n)| *n > 0).map(|(field, n)| {
        let name = layout.get(term_field_name(field)).name;
        let label = label_field_name(field).map(|l| layout.get(l).name);
        let binary = binary_keys(&layout, term_field_name(field));
        (name, label, n, binary)
    });
    let mut hist = json!({"date_histogram": {
        "field": time,
        "fixed_interval": interval,
        "min_doc_count": 1,
    }});
    if let Some((name, label, n, _)) = &split {
        hist["aggs"] = json!({"s": labelled_terms(name, label.as_deref(), (*n).min(MAX_HITS), 1)});
    }
    let body = json!({"size": 0, "query": bool_filter(clauses.clone()), "aggs": {"h": hist}});
    let answer = store.search_alerts(&body).await?;
    let mut buckets = Vec::new();
    let mut exact = true;
    for b in answer["aggregations"]["h"]["buckets"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let (Some(ms), Some(count)) = (b["key"].as_i64(), b["doc_count"].as_u64()) else {
            continue;
        };
        if count == 0 {
            continue;
        }
        let mut terms = Vec::new();
        if let Some((_, label, n, binary)) = &split {
            exact &= terms_exact(&b["s"], (*n).min(MAX_HITS), *binary);
            terms = term_buckets(&b["s"], label.is_some());
            rank_terms(&mut terms);
            terms.truncate(*n);
        }
        buckets.push(HistogramBucket {
            start: Timestamp::from_unix(ms.div_euclid(1000)),
            count,
            split: terms,
        });
    }
    if let (false, Some((name, label, n, _))) = (exact, &split) {
        // Count every (bucket, term) pair exactly and rank locally.
        let mut per_bucket: BTreeMap<i64, Vec<TermCount>> = BTreeMap::new();
        let sources = json!([
            {"t": {"date_histogram": {"field": time, "fixed_interval": format!("{}s", q.interval_seconds)}}},
            {"k": {"terms": {"field": name}}},
        ]);
        let sub = label.as_deref().map(super::query::label_agg);
        composite(store, &clauses, sources, sub, |b| {
            let (Some(ms), Some(key), Some(count)) = (
                b["key"]["t"].as_i64(),
                key_text(&b["key"]["k"]),
                b["doc_count"].as_u64(),
            ) else {
                return;
            };
            per_bucket
                .entry(ms.div_euclid(1000))
                .or_default()
                .push(TermCount {
                    key,
                    count,
                    label: label.as_ref().and_then(|_| bucket_label(b)),
                });
        })
        .await?;
        for bucket in &mut buckets {
            let mut terms = per_bucket.remove(&bucket.start.unix()).unwrap_or_default();
            rank_terms(&mut terms);
            terms.truncate(*n);
            bucket.split = terms;
        }
    }
    buckets.sort_by_key(|b| b.start);
    Ok(buckets)
}

/// The alerts of a search answer, in its order.
fn alerts_of(answer: SearchHits<Box<RawValue>>) -> Result<Vec<Alert>, StoreError> {
    answer
        .into_hits()
        .into_iter()
        .map(|hit| {
            // Each `_source` is read on its own, so that an unreadable one is named.
            let mut alert: Alert = serde_json::from_str(hit.source.get())
                .map_err(|e| StoreError::Corrupt(format!("alert {} does not read: {e}", hit.id)))?;
            alert.id = hit.id;
            Ok(alert)
        })
        .collect()
}

fn time_of(alert: &Alert, field: TimeField) -> Timestamp {
    match field {
        TimeField::Created => alert.create_time,
        TimeField::Received => alert.recieved_time,
    }
}

/// The order of an alert listing by its time, ties by id in the same direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Order {
    /// Newest first, ties by id descending.
    NewestFirst,
    /// Oldest first, ties by id ascending.
    OldestFirst,
}

impl Order {
    /// Orders two alerts of a listing by `field`.
    fn compare(self, field: TimeField, a: &Alert, b: &Alert) -> std::cmp::Ordering {
        let ascending = time_of(a, field)
            .cmp(&time_of(b, field))
            .then_with(|| a.id.cmp(&b.id));
        match self {
            Order::NewestFirst => ascending.reverse(),
            Order::OldestFirst => ascending,
        }
    }

    /// Whether `id` comes after the cursor id `cursor` among alerts of the same second.
    fn beyond(self, id: &str, cursor: &str) -> bool {
        match self {
            Order::NewestFirst => id < cursor,
            Order::OldestFirst => id > cursor,
        }
    }

    /// The times after the second `t` (exclusive) in this order.
    fn past(self, t: Timestamp) -> TimeRange {
        match self {
            Order::NewestFirst => TimeRange {
                from: None,
                to: Some(t),
            },
            Order::OldestFirst => TimeRange::since(t.plus_seconds(1)),
        }
    }

    fn sort(self) -> &'static str {
        match self {
            Order::NewestFirst => "desc",
            Order::OldestFirst => "asc",
        }
    }
}

/// Every matching alert of the second `t`, in `order` by id.
async fn alerts_at(
    store: &ElasticStore,
    clauses: &[Value],
    field: TimeField,
    t: Timestamp,
    order: Order,
) -> Result<Vec<Alert>, StoreError> {
    let mut all = clauses.to_vec();
    all.push(time_equals(time_field_name(field), t));
    let body = json!({"size": MAX_HITS, "track_total_hits": true, "query": bool_filter(all)});
    let answer = store.search_alert_hits(&body).await?;
    let total = answer
        .total()
        .ok_or_else(|| StoreError::Corrupt("search answer without a hit count".to_owned()))?;
    if total > MAX_HITS as u64 {
        return Err(StoreError::Unavailable(format!(
            "more than {MAX_HITS} alerts share the second {t}; the listing cannot order them"
        )));
    }
    let mut alerts = alerts_of(answer)?;
    alerts.sort_by(|a, b| order.compare(field, a, b));
    Ok(alerts)
}

/// A page of alerts in `order` by the page's time, continuing after its cursor. The cluster
/// sorts by time only, and each search asks for one hit more than the page needs: when that
/// extra hit lies in a later second than the page's last one, every alert of the last second is
/// in the answer and is ordered by id here; only otherwise are that second's alerts read whole
/// with a second search.
pub(super) async fn alerts(
    store: &ElasticStore,
    page: &AlertPage,
    order: Order,
) -> Result<Vec<Alert>, StoreError> {
    let layout = store.alerts_layout.get(&store.http).await?;
    let clauses = filter_clauses(&page.filter, &layout);
    let field = page.order_by;
    let time = time_field_name(field);
    let mut out: Vec<Alert> = Vec::new();
    let mut window = TimeRange::ALL;
    if let Some(cursor) = &page.after {
        let ties = alerts_at(store, &clauses, field, cursor.time, order).await?;
        out.extend(
            ties.into_iter()
                .filter(|a| order.beyond(&a.id, &cursor.id))
                .take(page.limit),
        );
        window = order.past(cursor.time);
    }
    while out.len() < page.limit {
        let need = (page.limit - out.len()).min(MAX_HITS - 1);
        let mut all = clauses.clone();
        all.extend(time_range(time, &window));
        let body = json!({
            "size": need + 1,
            "track_total_hits": false,
            "query": bool_filter(all),
            "sort": [{time: {"order": order.sort()}}],
        });
        let mut batch = alerts_of(store.search_alert_hits(&body).await?)?;
        // The page's last second, when the extra hit shows it may continue past the answer.
        let open_second = batch
            .get(need)
            .map(|extra| time_of(extra, field))
            .filter(|t| Some(*t) == batch.get(need - 1).map(|a| time_of(a, field)));
        let Some(last) = open_second else {
            batch.truncate(need);
            batch.sort_by(|a, b| order.compare(field, a, b));
            out.extend(batch);
            break;
        };
        // The last second may hold more alerts than this answer: take them all in order.
        batch.retain(|a| time_of(a, field) != last);
        batch.sort_by(|a, b| order.compare(field, a, b));
        let ties = alerts_at(store, &clauses, field, last, order).await?;
        out.extend(batch);
        let room = page.limit - out.len();
        out.extend(ties.into_iter().take(room));
        window = order.past(last);
    }
    out.truncate(page.limit);
    Ok(out)
}

pub(super) async fn alerts_by_id(
    store: &ElasticStore,
    ids: &[String],
) -> Result<Vec<Alert>, StoreError> {
    let mut found: HashMap<String, Alert> = HashMap::new();
    // An empty id names no document (and the cluster refuses it in an `ids` query).
    let unique: BTreeSet<&String> = ids.iter().filter(|id| !id.is_empty()).collect();
    let unique: Vec<&String> = unique.into_iter().collect();
    for chunk in unique.chunks(MAX_HITS / 2) {
        let body = json!({
            "size": MAX_HITS,
            "query": {"ids": {"values": chunk}},
        });
        for alert in alerts_of(store.search_alert_hits(&body).await?)? {
            found.entry(alert.id.clone()).or_insert(alert);
        }
    }
    Ok(ids.iter().filter_map(|id| found.get(id).cloned()).collect())
}

pub(super) async fn recent_alert_ids(
    store: &ElasticStore,
    since: Timestamp,
    limit: usize,
) -> Result<Vec<String>, StoreError> {
    let layout = store.alerts_layout.get(&store.http).await?;
    let filter = AlertFilter {
        received: TimeRange::since(since),
        ..AlertFilter::domain(DataDomain::All)
    };
    let body = json!({
        "size": limit.min(MAX_HITS),
        "track_total_hits": false,
        "_source": false,
        "query": bool_filter(filter_clauses(&filter, &layout)),
        "sort": [{time_field_name(TimeField::Received): {"order": "desc"}}],
    });
    let answer = store.search_alerts(&body).await?;
    Ok(answer["hits"]["hits"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|hit| hit["_id"].as_str().map(str::to_owned))
        .collect())
}

/// Per installation: alerts per peerIdent and the set of peerTypes. Key: (by target IP?, key).
type InstallMap = BTreeMap<(bool, String), (HashMap<String, u64>, BTreeSet<String>)>;

pub(super) async fn installations(
    store: &ElasticStore,
    filter: &AlertFilter,
) -> Result<Vec<Installation>, StoreError> {
    let layout = store.alerts_layout.get(&store.http).await?;
    let clauses = filter_clauses(filter, &layout);
    let name = |f: &str| layout.get(f).name;
    let sources = json!([
        {"h": {"terms": {"field": name("hostname"), "missing_bucket": true}}},
        {"ip": {"terms": {"field": name("targetEntryIp"), "missing_bucket": true}}},
        {"d": {"terms": {"field": name("peerIdent")}}},
        {"p": {"terms": {"field": name("peerType")}}},
    ]);
    let mut map = InstallMap::new();
    composite(store, &clauses, sources, None, |b| {
        let key = &b["key"];
        let hostname = key_text(&key["h"]).unwrap_or_else(|| UNDEFINED_HOSTNAME.to_owned());
        let (by_ip, group) = if hostname == UNDEFINED_HOSTNAME {
            match key_text(&key["ip"]) {
                Some(ip) => (true, ip),
                None => return,
            }
        } else {
            (false, hostname)
        };
        let (Some(ident), Some(ty), Some(count)) = (
            key_text(&key["d"]),
            key_text(&key["p"]),
            b["doc_count"].as_u64(),
        ) else {
            return;
        };
        let entry = map.entry((by_ip, group)).or_default();
        *entry.0.entry(ident).or_default() += count;
        entry.1.insert(ty);
    })
    .await?;
    Ok(map
        .into_iter()
        .map(|((by_ip, key), (daemons, types))| {
            let mut daemons: Vec<TermCount> = daemons
                .into_iter()
                .map(|(key, count)| TermCount {
                    key,
                    count,
                    label: None,
                })
                .collect();
            rank_terms(&mut daemons);
            Installation {
                hostname: (!by_ip).then(|| key.clone()),
                target_ip: by_ip.then_some(key),
                daemons,
                peer_types: types.into_iter().collect(),
            }
        })
        .collect())
}
