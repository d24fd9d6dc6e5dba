//! Users and statistics documents.

use super::ElasticStore;
use super::answer::SearchHits;
use super::layout::QUERY_DATE_FORMAT;
use super::write::{BulkBody, Refresh, bulk};
use crate::domain::{Timestamp, User, UserName};
use crate::store::{StatisticsDocument, StoreError};
use elasticsearch::http::Method;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

/// Characters of a document id left as they are in a URL path.
const ID_SET: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');

/// The users documents whose `peerName` is exactly `name`, as (`_id`, `_source`).
async fn user_docs(store: &ElasticStore, name: &str) -> Result<Vec<(String, Value)>, StoreError> {
    let layout = store.users_layout.get(&store.http).await?;
    let field = layout.get("peerName").name;
    let body = json!({"size": 100, "query": {"bool": {"filter": [{"term": {field: name}}]}}});
    let answer = store.search(&store.config.user_index, &body).await?;
    Ok(answer["hits"]["hits"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        // The analysed field of an old mapping may match more loosely: compare exactly.
        .filter(|h| h["_source"]["peerName"].as_str() == Some(name))
        .filter_map(|h| Some((h["_id"].as_str()?.to_owned(), h["_source"].clone())))
        .collect())
}

fn user_of(source: Value) -> Result<User, StoreError> {
    serde_json::from_value(source)
        .map_err(|e| StoreError::Corrupt(format!("user document does not read: {e}")))
}

pub(super) async fn user(
    store: &ElasticStore,
    name: &UserName,
) -> Result<Option<User>, StoreError> {
    match user_docs(store, name.as_str()).await?.into_iter().next() {
        Some((_, source)) => user_of(source).map(Some),
        None => Ok(None),
    }
}

pub(super) async fn add_user(store: &ElasticStore, user: &User) -> Result<(), StoreError> {
    if !user_docs(store, user.name.as_str()).await?.is_empty() {
        return Err(StoreError::UserExists(user.name.to_string()));
    }
    // The name as id makes two concurrent additions of one name collide.
    let id = utf8_percent_encode(user.name.as_str(), ID_SET).to_string();
    let body = serde_json::to_string(user)
        .map_err(|e| StoreError::Corrupt(format!("user does not serialise: {e}")))?;
    let answer = store
        .http
        .request(
            Method::Put,
            &format!("{}/_create/{id}", store.config.user_index),
            &[("refresh", "wait_for")],
            Some(body),
        )
        .await?;
    match answer.status {
        200..=299 => Ok(()),
        409 => Err(StoreError::UserExists(user.name.to_string())),
        status => Err(StoreError::Unavailable(format!(
            "cannot store user {}: HTTP {status}: {}",
            user.name, answer.body
        ))),
    }
}

pub(super) async fn remove_user(store: &ElasticStore, name: &UserName) -> Result<bool, StoreError> {
    let docs = user_docs(store, name.as_str()).await?;
    if docs.is_empty() {
        return Ok(false);
    }
    let mut body = BulkBody::default();
    for (id, _) in &docs {
        body.action("delete", &store.config.user_index, id)?;
    }
    let items = bulk(store, body, Refresh::WaitFor, &[404]).await?;
    Ok(items.iter().any(|i| i.did("deleted")))
}

pub(super) async fn users(store: &ElasticStore) -> Result<Vec<User>, StoreError> {
    let body = json!({"size": 10_000, "query": {"match_all": {}}});
    let answer = store.search(&store.config.user_index, &body).await?;
    let mut users: Vec<User> = Vec::new();
    for hit in answer["hits"]["hits"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        match serde_json::from_value::<User>(hit["_source"].clone()) {
            Ok(u) if !users.iter().any(|known| known.name == u.name) => users.push(u),
            Ok(_) => {}
            Err(e) => tracing::warn!(id = %hit["_id"], "skipping an unreadable user document: {e}"),
        }
    }
    users.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(users)
}

/// The `UTCtimeFrom` of a statistics document, when it reads as a time.
fn time_from(doc: &StatisticsDocument) -> Option<i64> {
    match doc.get("UTCtimeFrom")? {
        Value::String(text) => Timestamp::parse_mapping_format(text)
            .ok()
            .map(Timestamp::unix),
        Value::Number(n) => n.as_i64().map(|ms| ms.div_euclid(1000)),
        _ => None,
    }
}

pub(super) async fn statistics(
    store: &ElasticStore,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<StatisticsDocument>, StoreError> {
    let layout = store.stats_layout.get(&store.http).await?;
    let field = layout.get("UTCtimeFrom");
    let range = if field.ty.as_deref() == Some("date") || field.ty.is_none() {
        json!({"gte": from.format_legacy(), "lte": to.format_legacy(), "format": QUERY_DATE_FORMAT})
    } else {
        // A dynamically mapped text value: the legacy form sorts as it reads.
        json!({"gte": from.format_legacy(), "lte": to.format_legacy()})
    };
    let body = json!({
        "size": 5000,
        "query": {"range": {field.name.clone(): range}},
        "sort": [{field.name: {"order": "asc"}}],
    });
    let answer: SearchHits<StatisticsDocument> = store
        .search_as(&store.config.statistic_index, &body)
        .await?;
    let mut docs: Vec<(i64, String, StatisticsDocument)> = Vec::new();
    for hit in answer.into_hits() {
        if let Some(t) = time_from(&hit.source).filter(|t| (from.unix()..=to.unix()).contains(t)) {
            docs.push((t, hit.id, hit.source));
        }
    }
    docs.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    Ok(docs.into_iter().map(|(_, _, d)| d).collect())
}

pub(super) async fn write_statistics(
    store: &ElasticStore,
    documents: Vec<(String, StatisticsDocument)>,
) -> Result<usize, StoreError> {
    if documents.is_empty() {
        return Ok(0);
    }
    let mut body = BulkBody::default();
    for (id, doc) in &documents {
        body.action("index", &store.config.statistic_index, id)?;
        body.document(id, doc)?;
    }
    bulk(store, body, Refresh::WaitFor, &[]).await?;
    Ok(documents.len())
}
