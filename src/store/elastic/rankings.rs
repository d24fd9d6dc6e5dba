//! Rankings beyond single fields: username/password pairs, values read out of stored texts.

use super::ElasticStore;
use super::query::{filter_clauses, key_text};
use super::read::composite;
use crate::domain::{
    AlertFilter, CredentialCount, DerivedCounts, DerivedField, TermCount, rank_credentials,
};
use crate::store::StoreError;
use serde_json::json;
use std::collections::HashMap;

/// Every pair counted exactly (a composite aggregation over all of them), then ranked here:
/// the cluster cannot rank by count and pair at once.
pub(super) async fn credentials(
    store: &ElasticStore,
    filter: &AlertFilter,
    limit: usize,
) -> Result<Vec<CredentialCount>, StoreError> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let layout = store.alerts_layout.get(&store.http).await?;
    let clauses = filter_clauses(filter, &layout);
    let sources = json!([
        {"u": {"terms": {"field": layout.get("username").name}}},
        {"p": {"terms": {"field": layout.get("password").name, "missing_bucket": true}}},
    ]);
    let mut counts: HashMap<(String, Option<String>), u64> = HashMap::new();
    composite(store, &clauses, sources, None, |b| {
        let (Some(username), Some(count)) = (key_text(&b["key"]["u"]), b["doc_count"].as_u64())
        else {
            return;
        };
        if username.is_empty() {
            return;
        }
        let password = key_text(&b["key"]["p"]).filter(|p| !p.is_empty());
        *counts.entry((username, password)).or_default() += count;
    })
    .await?;
    let mut pairs: Vec<CredentialCount> = counts
        .into_iter()
        .map(|((username, password), count)| CredentialCount {
            username,
            password,
            count,
        })
        .collect();
    rank_credentials(&mut pairs);
    pairs.truncate(limit);
    Ok(pairs)
}

/// Every distinct stored text counted exactly (a composite aggregation over its doc values),
/// then folded into its value here: the cluster cannot read values out of texts without a
/// script, which not every engine runs.
pub(super) async fn derived_terms(
    store: &ElasticStore,
    filter: &AlertFilter,
    field: DerivedField,
    limit: usize,
) -> Result<Vec<TermCount>, StoreError> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let layout = store.alerts_layout.get(&store.http).await?;
    let clauses = filter_clauses(filter, &layout);
    let sources = json!([{"t": {"terms": {"field": layout.get(field.source()).name}}}]);
    let mut counts = DerivedCounts::new(field);
    composite(store, &clauses, sources, None, |b| {
        if let (Some(text), Some(count)) = (key_text(&b["key"]["t"]), b["doc_count"].as_u64()) {
            counts.add(&text, count);
        }
    })
    .await?;
    Ok(counts.ranked(limit))
}
