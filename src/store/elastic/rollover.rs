//! Daily indices: the write alias is rolled over to a new index when the UTC date changes.
//!
//! PEBA's clusters keep one index per day, `<prefix>-<yyyy.MM.dd>-<n>`, behind the write alias
//! (`ews2017.1`). Before every write the store compares today's UTC date with the date in the
//! name of the alias's write index (remembered in memory, so the check costs no request on the
//! same day). When the index is from an earlier day the store rolls the alias over explicitly,
//! without conditions, to `<prefix>-<today>-<n+1>` (the counter continues, as Elasticsearch's
//! own rollover naming does).
//!
//! Race-safe: the target name is derived from the current write index, so concurrent writers
//! (tasks or other peba processes) that saw the same stale index ask for the same new index;
//! one rollover succeeds and the others are refused with `resource_already_exists_exception`,
//! after which they read the alias again and find today's index. An index that already exists
//! under the target name without being the write index (left over from elsewhere) is skipped
//! by raising the counter. A write index whose name carries no date is rolled over once to a
//! dated one. The new index is created with the mapping of the one it follows, so fields that
//! one maps dynamically (`text` with a `.keyword` sub-field) stay so; fields it does not map
//! yet get the store's template mapping. Keyword fields get a length limit (see
//! [`layout::KEYWORD_LIMIT`]), also in a write index created by PEBA.

use super::{ElasticStore, layout};
use crate::domain::Timestamp;
use crate::store::StoreError;
use chrono::NaiveDate;
use elasticsearch::http::Method;
use serde_json::{Value, json};

/// Attempts at rolling over before the write fails (each one re-reads the alias).
const ATTEMPTS: u32 = 5;

/// The date and counter in a daily index name `<prefix>-<yyyy.MM.dd>-<n>`.
pub(crate) fn parse_daily(prefix: &str, index: &str) -> Option<(NaiveDate, u64)> {
    let rest = index.strip_prefix(prefix)?.strip_prefix('-')?;
    let (date, n) = rest.rsplit_once('-')?;
    let date = NaiveDate::parse_from_str(date, "%Y.%m.%d").ok()?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((date, n.parse().ok()?))
}

/// The daily index name for `date` and counter `n` (six digits, like Elasticsearch's).
pub(crate) fn daily_name(prefix: &str, date: NaiveDate, n: u64) -> String {
    format!("{prefix}-{}-{n:06}", date.format("%Y.%m.%d"))
}

/// Today's UTC date.
pub(crate) fn today() -> NaiveDate {
    Timestamp::now().to_datetime().date_naive()
}

/// The write index of `alias` from a `GET _alias/<alias>` answer: the index flagged
/// `is_write_index`, or the only index.
fn write_index_of(answer: &Value, alias: &str) -> Option<String> {
    let indices = answer.as_object()?;
    let flagged = indices
        .iter()
        .find(|(_, v)| v["aliases"][alias]["is_write_index"].as_bool() == Some(true));
    match flagged {
        Some((name, _)) => Some(name.clone()),
        None if indices.len() == 1 => indices.keys().next().cloned(),
        None => None,
    }
}

impl ElasticStore {
    /// The alias's current write index, `None` when the alias does not exist.
    pub(super) async fn current_write_index(&self) -> Result<Option<String>, StoreError> {
        let alias = &self.config.alert_write_alias;
        let answer = self
            .http
            .request(Method::Get, &format!("_alias/{alias}"), &[], None)
            .await?;
        match answer.status {
            404 => Ok(None),
            200..=299 => write_index_of(&answer.body, alias).map(Some).ok_or_else(|| {
                StoreError::Unavailable(format!(
                    "the alert alias {alias} points to several indices and none is its write index"
                ))
            }),
            status => Err(StoreError::Unavailable(format!(
                "cannot read alias {alias}: HTTP {status}: {}",
                answer.body
            ))),
        }
    }

    /// Creates the first daily index for `date` behind the write alias (no-op if it exists).
    pub(super) async fn create_first_index(&self, date: NaiveDate) -> Result<(), StoreError> {
        let c = &self.config;
        let first = daily_name(&c.alert_read_prefix, date, 1);
        let body = json!({"aliases": {c.alert_write_alias.clone(): {"is_write_index": true}}});
        self.create_index(&first, &body).await
    }

    /// Gives every keyword field of the write index `index` a length limit (see
    /// [`layout::KEYWORD_LIMIT`]) when it has none: an index PEBA created would otherwise refuse
    /// documents with very long values, failing every batch they are in.
    async fn limit_keywords(&self, index: &str) -> Result<(), StoreError> {
        let path = format!("{index}/_mapping");
        let answer = self.http.ok(Method::Get, &path, &[], None).await?;
        let mut mappings = answer[index]["mappings"].clone();
        if layout::limit_keywords(&mut mappings) {
            let body = json!({"properties": mappings["properties"].clone()});
            self.http.json(Method::Put, &path, &[], &body).await?;
            tracing::info!(
                index,
                "gave the write index's keyword fields a length limit"
            );
        }
        Ok(())
    }

    /// Makes sure the write alias points to an index of `today` (or later), rolling it over
    /// when its write index is from an earlier day. Returns the write index. Cheap when the
    /// check already succeeded for `today`.
    pub async fn ensure_daily_index(&self, today: NaiveDate) -> Result<String, StoreError> {
        if let Ok(guard) = self.daily.lock()
            && let Some((index, date)) = guard.as_ref()
            && *date >= today
        {
            return Ok(index.clone());
        }
        let prefix = &self.config.alert_read_prefix;
        let alias = &self.config.alert_write_alias;
        let mut bump = 0;
        for _ in 0..ATTEMPTS {
            let Some(current) = self.current_write_index().await? else {
                // The alias went missing (deleted by hand): start again with today's index.
                self.create_first_index(today).await?;
                continue;
            };
            let parsed = parse_daily(prefix, &current);
            if let Some((date, _)) = parsed
                && date >= today
            {
                self.limit_keywords(&current).await?;
                if let Ok(mut guard) = self.daily.lock() {
                    *guard = Some((current.clone(), date));
                }
                return Ok(current);
            }
            let n = parsed.map_or(0, |(_, n)| n) + 1 + bump;
            let target = daily_name(prefix, today, n);
            // The new index keeps the mapping of the current one, so that all daily indices
            // share one layout (a dynamically mapped cluster stays dynamic).
            let mapping = self
                .http
                .ok(Method::Get, &format!("{current}/_mapping"), &[], None)
                .await?;
            let mut mappings = mapping[&current]["mappings"].clone();
            layout::limit_keywords(&mut mappings);
            let body = json!({"mappings": mappings});
            let answer = self
                .http
                .request(
                    Method::Post,
                    &format!("{alias}/_rollover/{target}"),
                    &[],
                    Some(body.to_string()),
                )
                .await?;
            if answer.is_success() {
                tracing::info!(from = %current, to = %target, "rolled the alert alias over to a new daily index");
                // The cross-day id look-up searches the old index from now on: make its last
                // writes searchable (best effort; its periodic refresh follows anyway).
                if let Err(e) = self
                    .http
                    .ok(Method::Post, &format!("{current}/_refresh"), &[], None)
                    .await
                {
                    tracing::warn!(index = %current, "cannot refresh the previous daily index: {e}");
                }
                continue;
            }
            let error = answer.body["error"]["type"].as_str().unwrap_or_default();
            if error == "resource_already_exists_exception" {
                // Another writer rolled over first (then the next read finds its index), or
                // the name is taken by an unrelated index (then the counter moves on).
                bump += 1;
                continue;
            }
            return Err(StoreError::Unavailable(format!(
                "cannot roll {alias} over to {target}: HTTP {}: {}",
                answer.status, answer.body
            )));
        }
        Err(StoreError::Unavailable(format!(
            "cannot roll {alias} over to a daily index of {today} after {ATTEMPTS} attempts"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daily_names_read_and_write() {
        let d = NaiveDate::from_ymd_opt(2024, 6, 24).unwrap();
        assert_eq!(daily_name("ews", d, 2), "ews-2024.06.24-000002");
        assert_eq!(parse_daily("ews", "ews-2024.06.24-000002"), Some((d, 2)));
        assert_eq!(parse_daily("ews", "ews-2024.06.24-1"), Some((d, 1)));
        assert_eq!(parse_daily("ews", "ews2017.1"), None);
        assert_eq!(parse_daily("ews", "ews-2024.13.24-000001"), None);
        assert_eq!(parse_daily("ews", "ewsx-2024.06.24-000001"), None);
        assert_eq!(parse_daily("ews", "ews-2024.06.24-"), None);
    }

    #[test]
    fn the_write_index_is_the_flagged_or_only_one() {
        let one = json!({"ews-2024.06.24-000001": {"aliases": {"a": {}}}});
        assert_eq!(
            write_index_of(&one, "a").as_deref(),
            Some("ews-2024.06.24-000001")
        );
        let two = json!({
            "ews-2024.06.24-000001": {"aliases": {"a": {"is_write_index": false}}},
            "ews-2024.06.25-000002": {"aliases": {"a": {"is_write_index": true}}}
        });
        assert_eq!(
            write_index_of(&two, "a").as_deref(),
            Some("ews-2024.06.25-000002")
        );
        let none = json!({"x": {"aliases": {"a": {}}}, "y": {"aliases": {"a": {}}}});
        assert_eq!(write_index_of(&none, "a"), None);
    }
}
