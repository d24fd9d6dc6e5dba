//! The write path: upserting alerts, maintaining the rollups in the same transaction, and
//! storing CVE copies.

use super::codec::{ALERT_COLUMN_COUNT, ALERT_COLUMNS, AlertRow, alert_params};
use super::error::DbError;
use super::rollup::{CounterKey, FACT_COLUMNS, Facts, contribute};
use crate::store::{WriteBatch, WriteOutcome};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use rustc_hash::FxHashMap;

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// Writes a batch in one transaction and commits it.
pub(crate) fn write_batch(
    conn: &mut Connection,
    batch: &WriteBatch,
) -> Result<WriteOutcome, DbError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut outcome = WriteOutcome::default();
    // (facts, sign) of every change, applied to the rollups after all rows are written.
    let mut changes: Vec<(Facts, i64)> = Vec::with_capacity(batch.alerts.len());
    {
        let insert_sql = format!(
            "INSERT INTO alerts ({ALERT_COLUMNS}) VALUES ({}) ON CONFLICT (id) DO NOTHING",
            placeholders(ALERT_COLUMN_COUNT)
        );
        let update_sql = format!(
            "UPDATE alerts SET ({ALERT_COLUMNS}) = ({}) WHERE id = ?1",
            placeholders(ALERT_COLUMN_COUNT)
        );
        let mut insert = tx.prepare_cached(&insert_sql)?;
        let mut old_facts =
            tx.prepare_cached(&format!("SELECT {FACT_COLUMNS} FROM alerts WHERE id = ?1"))?;
        let mut update = tx.prepare_cached(&update_sql)?;
        for alert in &batch.alerts {
            let row = AlertRow::of(alert);
            let (rt, ct) = (alert.recieved_time.unix(), alert.create_time.unix());
            let values = alert_params(alert, &row, &rt, &ct);
            if insert.execute(&values[..])? == 1 {
                outcome.created += 1;
            } else {
                let old = old_facts
                    .query_row([&alert.id], Facts::from_row)
                    .optional()?
                    .ok_or_else(|| DbError::Corrupt(format!("alert {} vanished", alert.id)))?;
                changes.push((old, -1));
                update.execute(&values[..])?;
                outcome.replaced += 1;
            }
            changes.push((Facts::of(alert), 1));
        }
    }
    apply_rollups(&tx, &changes)?;
    {
        let mut insert_cve = tx.prepare_cached(
            "INSERT INTO cve (vulnid, id, doc) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        )?;
        for copy in &batch.cve_copies {
            let doc = serde_json::to_string(&copy.to_document())?;
            outcome.cve_copies += insert_cve.execute(params![copy.vulnid, copy.id, doc])?;
        }
    }
    tx.commit()?;
    Ok(outcome)
}

/// Pre-aggregates the batch's contributions and applies them, dropping counters that reach 0.
fn apply_rollups(tx: &rusqlite::Transaction<'_>, changes: &[(Facts, i64)]) -> Result<(), DbError> {
    let mut deltas: FxHashMap<CounterKey<'_>, i64> = FxHashMap::default();
    for (facts, sign) in changes {
        contribute(facts, *sign, &mut deltas);
    }
    let mut deltas: Vec<_> = deltas.into_iter().filter(|(_, d)| *d != 0).collect();
    deltas.sort_unstable();
    let mut add = tx.prepare_cached(
        "INSERT INTO rollup (tf, dim, gran, bucket, dom, k1, k2, k3, n) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
         ON CONFLICT (tf, dim, gran, bucket, dom, k1, k2, k3) DO UPDATE SET n = n + excluded.n",
    )?;
    let mut drop_empty = tx.prepare_cached(
        "DELETE FROM rollup WHERE tf = ?1 AND dim = ?2 AND gran = ?3 AND bucket = ?4 \
         AND dom = ?5 AND k1 = ?6 AND k2 = ?7 AND k3 = ?8 AND n <= 0",
    )?;
    for (k, delta) in &deltas {
        let values = params![
            k.tf, k.dim, k.gran, k.bucket, k.dom, k.k1, k.k2, k.k3, delta
        ];
        add.execute(values)?;
        if *delta < 0 {
            drop_empty.execute(&values[..8])?;
        }
    }
    Ok(())
}
