//! `peba import`: loads documents exported from a PEBA Elasticsearch cluster (or fixtures),
//! one JSON object a line: a bare alert document, or a search hit with `_id` and `_source`.
//! Hits from a statistics index (`_index` starting with the configured statistics index name)
//! are loaded as statistics documents. Ids and timestamps are kept.

use crate::domain::Alert;
use crate::ingest::{KIND_ALERT, document_id};
use crate::store::{StatisticsDocument, Store, StoreError, WriteBatch};
use serde_json::Value;
use std::io::BufRead;

/// Documents written per store transaction.
const CHUNK: usize = 5_000;

/// A line that was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedLine {
    /// 1-based line number.
    pub line: usize,
    /// Why.
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Alert documents stored new.
    pub imported: usize,
    /// Alert documents whose id was already stored (or repeated in the input): replaced.
    pub duplicates: usize,
    /// Statistics documents stored.
    pub statistics: usize,
    /// Lines not imported, with reasons.
    pub skipped: Vec<SkippedLine>,
}

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Reading the input failed.
    #[error("cannot read the input: {0}")]
    Read(#[from] std::io::Error),
    /// Writing to the store failed; documents of earlier chunks are stored.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How far an import has come; reported after each stored chunk and at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportProgress {
    /// Input lines read so far.
    pub lines: usize,
    /// Lines skipped so far (errors).
    pub skipped: usize,
}

enum Parsed {
    Alert(Box<Alert>),
    Statistics(String, StatisticsDocument),
}

/// Imports every line of `input` into `store`.
pub async fn import(
    input: impl BufRead,
    store: &dyn Store,
    statistics_index: &str,
    mut progress: impl FnMut(&ImportProgress),
) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport::default();
    let mut alerts = Vec::with_capacity(CHUNK);
    let mut statistics = Vec::new();
    let mut lines = 0;
    for (index, line) in input.lines().enumerate() {
        let line = line?;
        lines = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        match parse_line(&line, statistics_index) {
            Ok(Parsed::Alert(alert)) => alerts.push(*alert),
            Ok(Parsed::Statistics(id, document)) => statistics.push((id, document)),
            Err(reason) => report.skipped.push(SkippedLine {
                line: index + 1,
                reason,
            }),
        }
        if alerts.len() >= CHUNK {
            flush(store, &mut alerts, &mut report).await?;
            progress(&ImportProgress {
                lines,
                skipped: report.skipped.len(),
            });
        }
    }
    flush(store, &mut alerts, &mut report).await?;
    progress(&ImportProgress {
        lines,
        skipped: report.skipped.len(),
    });
    if !statistics.is_empty() {
        report.statistics = store.write_statistics(statistics).await?;
    }
    Ok(report)
}

async fn flush(
    store: &dyn Store,
    alerts: &mut Vec<Alert>,
    report: &mut ImportReport,
) -> Result<(), StoreError> {
    if alerts.is_empty() {
        return Ok(());
    }
    let batch = WriteBatch {
        alerts: std::mem::take(alerts),
        cve_copies: Vec::new(),
    };
    let outcome = store.write(batch).await?;
    report.imported += outcome.created;
    report.duplicates += outcome.replaced;
    Ok(())
}

fn parse_line(line: &str, statistics_index: &str) -> Result<Parsed, String> {
    let value: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Object(mut object) = value else {
        return Err("not a JSON object".to_owned());
    };
    let (id, source, index) = match object.remove("_source") {
        Some(Value::Object(source)) => {
            let id = match object.get("_id") {
                Some(Value::String(id)) if !id.is_empty() => Some(id.clone()),
                None => None,
                Some(_) => return Err("_id is not a non-empty string".to_owned()),
            };
            let index = object
                .get("_index")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            (id, source, index)
        }
        Some(_) => return Err("_source is not an object".to_owned()),
        None => (None, object, String::new()),
    };
    if !index.is_empty() && index.starts_with(statistics_index) {
        let id = id.ok_or("a statistics document needs an _id")?;
        return Ok(Parsed::Statistics(id, source));
    }
    let mut alert: Alert = serde_json::from_value(Value::Object(source))
        .map_err(|e| format!("not an alert document: {e}"))?;
    alert.id = id.unwrap_or_else(|| document_id(&alert, KIND_ALERT, None));
    Ok(Parsed::Alert(Box::new(alert)))
}
