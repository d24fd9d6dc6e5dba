//! The write path: upserting alerts (an alert replaces only its own sender's alert with the
//! same id; another sender's goes beside it), maintaining the rollups in the same transaction,
//! and storing CVE copies.
//!
//! A write has two steps. [`Prepared::of`] does the work that needs no database (derived
//! column values, the batch's rollup contributions summed per counter, CVE documents) and can
//! run while another write holds the connection; [`write_prepared`] then runs the statements
//! and commits.

use super::codec::{ALERT_COLUMN_COUNT, ALERT_COLUMNS, AlertRow, alert_params};
use super::error::DbError;
use super::rollup::{CounterKey, FACT_COLUMNS, Facts, contribute};
use crate::domain::{Alert, Submitter};
use crate::store::{WriteBatch, WriteOutcome};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use rustc_hash::FxHashMap;

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// A change of one counter.
pub(crate) type Delta = (CounterKey<'static>, i64);

/// A batch made ready for the database.
pub(crate) struct Prepared {
    batch: WriteBatch,
    rows: Vec<AlertRow>,
    /// What the batch's alerts add to the rollups, as if every alert were new.
    deltas: Vec<Delta>,
    /// `(vulnid, id, document)` of each CVE copy.
    cve_documents: Vec<(String, String, String)>,
}

impl Prepared {
    /// Prepares `batch` without touching the database.
    pub(crate) fn of(batch: WriteBatch) -> Result<Self, DbError> {
        let rows = batch.alerts.iter().map(AlertRow::of).collect();
        let facts: Vec<Facts> = batch.alerts.iter().map(Facts::of).collect();
        let deltas = summed_deltas(facts.iter().map(|f| (f, 1)));
        let cve_documents = batch
            .cve_copies
            .iter()
            .map(|copy| {
                let doc = serde_json::to_string(&copy.to_document())?;
                Ok((copy.vulnid.clone(), copy.id.clone(), doc))
            })
            .collect::<Result<_, DbError>>()?;
        Ok(Prepared {
            batch,
            rows,
            deltas,
            cve_documents,
        })
    }
}

/// Sums the contributions of `(facts, sign)` per counter, leaving out those that cancel.
pub(crate) fn summed_deltas<'a>(changes: impl Iterator<Item = (&'a Facts, i64)>) -> Vec<Delta> {
    let mut sums: FxHashMap<CounterKey<'_>, i64> = FxHashMap::default();
    for (facts, sign) in changes {
        contribute(facts, sign, &mut sums);
    }
    let mut deltas: Vec<Delta> = sums
        .into_iter()
        .filter(|(_, d)| *d != 0)
        .map(|(k, d)| (k.into_owned(), d))
        .collect();
    deltas.sort_unstable();
    deltas
}

/// The statements placing one alert.
struct AlertStatements<'c> {
    insert: rusqlite::CachedStatement<'c>,
    submitter: rusqlite::CachedStatement<'c>,
    old_facts: rusqlite::CachedStatement<'c>,
    update: rusqlite::CachedStatement<'c>,
}

impl<'c> AlertStatements<'c> {
    fn prepare(tx: &'c rusqlite::Transaction<'_>) -> Result<Self, DbError> {
        let n = ALERT_COLUMN_COUNT;
        Ok(AlertStatements {
            insert: tx.prepare_cached(&format!(
                "INSERT INTO alerts ({ALERT_COLUMNS}) VALUES ({}) ON CONFLICT (id) DO NOTHING",
                placeholders(n)
            ))?,
            submitter: tx.prepare_cached("SELECT dom, client FROM alerts WHERE id = ?1")?,
            old_facts: tx
                .prepare_cached(&format!("SELECT {FACT_COLUMNS} FROM alerts WHERE id = ?1"))?,
            update: tx.prepare_cached(&format!(
                "UPDATE alerts SET ({ALERT_COLUMNS}) = ({}) WHERE id = ?1",
                placeholders(n)
            ))?,
        })
    }
}

/// Stores an alert under its id, replacing a stored alert only when the same sender submitted
/// it; another sender's alert stays as it is and this one goes beside it
/// ([`Alert::id_beside`]). Returns the facts of the alert it replaced, if any.
fn store_alert(
    stmts: &mut AlertStatements<'_>,
    alert: &Alert,
    row: &AlertRow,
) -> Result<Option<Facts>, DbError> {
    let (rt, ct) = (alert.recieved_time.unix(), alert.create_time.unix());
    let values = alert_params(alert, row, &rt, &ct);
    if stmts.insert.execute(&values[..])? == 1 {
        return Ok(None);
    }
    let vanished = || DbError::Corrupt(format!("alert {} vanished", alert.id));
    let stored = stmts
        .submitter
        .query_row([&alert.id], |r| {
            Ok(Submitter {
                client_domain: r.get(0)?,
                client: r.get(1)?,
            })
        })
        .optional()?
        .ok_or_else(vanished)?;
    if stored != alert.submitter() {
        let mut beside = alert.clone();
        beside.id = alert.id_beside();
        return store_alert(stmts, &beside, row);
    }
    let old = stmts
        .old_facts
        .query_row([&alert.id], Facts::from_row)
        .optional()?
        .ok_or_else(vanished)?;
    stmts.update.execute(&values[..])?;
    Ok(Some(old))
}

/// Writes a prepared batch in one transaction and commits it.
pub(crate) fn write_prepared(
    conn: &mut Connection,
    prepared: &Prepared,
) -> Result<WriteOutcome, DbError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut outcome = WriteOutcome::default();
    // Facts of the rows that replaced ones take away from the rollups.
    let mut replaced: Vec<Facts> = Vec::new();
    {
        let mut stmts = AlertStatements::prepare(&tx)?;
        for (alert, row) in prepared.batch.alerts.iter().zip(&prepared.rows) {
            match store_alert(&mut stmts, alert, row)? {
                None => outcome.created += 1,
                Some(old) => {
                    replaced.push(old);
                    outcome.replaced += 1;
                }
            }
        }
    }
    apply_deltas(&tx, &prepared.deltas)?;
    if !replaced.is_empty() {
        apply_deltas(&tx, &summed_deltas(replaced.iter().map(|f| (f, -1))))?;
    }
    {
        let mut insert_cve = tx.prepare_cached(
            "INSERT INTO cve (vulnid, id, doc) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        )?;
        for (vulnid, id, doc) in &prepared.cve_documents {
            outcome.cve_copies += insert_cve.execute(params![vulnid, id, doc])?;
        }
    }
    tx.commit()?;
    Ok(outcome)
}

/// Adds each delta to its counter, dropping counters that reach 0.
pub(crate) fn apply_deltas(
    tx: &rusqlite::Transaction<'_>,
    deltas: &[Delta],
) -> Result<(), DbError> {
    let mut add = tx.prepare_cached(
        "INSERT INTO rollup (tf, dim, gran, bucket, dom, k1, k2, k3, n) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
         ON CONFLICT (tf, dim, gran, bucket, dom, k1, k2, k3) DO UPDATE SET n = n + excluded.n",
    )?;
    let mut drop_empty = tx.prepare_cached(
        "DELETE FROM rollup WHERE tf = ?1 AND dim = ?2 AND gran = ?3 AND bucket = ?4 \
         AND dom = ?5 AND k1 = ?6 AND k2 = ?7 AND k3 = ?8 AND n <= 0",
    )?;
    for (c, delta) in deltas {
        let values = params![
            c.tf, c.dim, c.gran, c.bucket, c.dom, c.k1, c.k2, c.k3, delta
        ];
        add.execute(values)?;
        if *delta < 0 {
            drop_empty.execute(&values[..8])?;
        }
    }
    Ok(())
}
