//! Retention: deleting alerts received before a cut-off, a few at a time.
//!
//! A step is one short write transaction: the oldest alerts (by received time, on the `rt`
//! index) are read with their rollup facts, deleted, and their contributions subtracted from
//! the counters (counters reaching 0 are dropped), so every answer is the one a store that
//! never held them would give. The step that finds no more old alerts also deletes the CVE
//! copies received and the statistics documents starting before the cut-off. Pages freed
//! this way go back to the file system a few at a time ([`release_space`]) in stores with
//! incremental auto-vacuum: every new store and every restored one (an older store gets it
//! through `peba backup` and `peba restore`).

use super::error::DbError;
use super::rollup::{FACT_COLUMNS, Facts};
use super::write::{apply_deltas, summed_deltas};
use crate::domain::Timestamp;
use rusqlite::{Connection, TransactionBehavior, params};

/// Deletes up to `limit` alerts received before `before`; returns how many went.
pub(crate) fn expire(
    conn: &mut Connection,
    before: Timestamp,
    limit: usize,
) -> Result<usize, DbError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let rowid_column = FACT_COLUMNS.split(',').count();
    let old: Vec<(i64, Facts)> = tx
        .prepare_cached(&format!(
            "SELECT {FACT_COLUMNS}, rowid FROM alerts WHERE rt < ?1 ORDER BY rt LIMIT ?2"
        ))?
        .query_map(params![before.unix(), limit as i64], |r| {
            Ok((r.get(rowid_column)?, Facts::from_row(r)?))
        })?
        .collect::<Result<_, _>>()?;
    {
        let mut delete = tx.prepare_cached("DELETE FROM alerts WHERE rowid = ?1")?;
        for (rowid, _) in &old {
            delete.execute([rowid])?;
        }
    }
    apply_deltas(
        &tx,
        &summed_deltas(old.iter().map(|(_, facts)| (facts, -1))),
    )?;
    if old.len() < limit {
        tx.execute(
            "DELETE FROM cve WHERE json_extract(doc, '$.recievedTime') < ?1",
            [before.format_legacy()],
        )?;
        tx.execute(
            "DELETE FROM statistics WHERE time_from < ?1",
            [before.unix()],
        )?;
    }
    tx.commit()?;
    Ok(old.len())
}

/// Pages returned to the file system per step (2 MiB with the default page size).
const RELEASE_PAGES: u32 = 512;

/// Auto-vacuum mode `INCREMENTAL` in `PRAGMA auto_vacuum`.
const INCREMENTAL: i64 = 2;

/// Returns up to [`RELEASE_PAGES`] free pages to the file system (stores without incremental
/// auto-vacuum keep them for new alerts); whether free pages remain to be returned.
pub(crate) fn release_space(conn: &mut Connection) -> Result<bool, DbError> {
    let mode: i64 = conn.query_row("PRAGMA auto_vacuum", [], |r| r.get(0))?;
    if mode != INCREMENTAL {
        return Ok(false);
    }
    conn.execute_batch(&format!("PRAGMA incremental_vacuum({RELEASE_PAGES})"))?;
    let free: i64 = conn.query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
    Ok(free > 0)
}
