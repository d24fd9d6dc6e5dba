//! The embedded store: SQLite (WAL, `synchronous = FULL`) in `<dir>/peba.sqlite3`; the log is
//! kept short by [`checkpoint`].
//!
//! # Tables
//!
//! - `alerts`: one row per alert, one column per legacy field (so `null` and `""` survive),
//!   times as epoch seconds (`rt` = `recievedTime`, `ct` = `createTime`), the data domain as
//!   `dom`, and the source address also as a sortable key (`4`/`6` + octets) for CIDR ranges.
//!   Indexes: `(rt, dom, peer_type)`, `(ct, dom, peer_type)` (windows, latest alerts, and the
//!   covering scans of window edges), `(src_ip_key, ct)` (one source, networks), unique `id`.
//! - `rollup`: counters `(tf, dim, gran, bucket, dom, k1, k2, k3) → n` per hour and/or per day
//!   of the received or created time, for the dimensions of [`rollup::ROLLUPS`]: on received
//!   time total, peerType, countries (`k2` = name), target port, Webpage request strings,
//!   the two locations (hour + day) and installations (`k1` host name or target IP, `k2`
//!   peerIdent, `k3` peerType; day only); on created time total, peerType and the two
//!   locations (hour + day). A partial index `rollup_keyed` orders the peerType, port and
//!   request counters by key for per-term histograms. Counters are updated in the
//!   transaction that writes the alerts, pre-aggregated per batch (prepared while the
//!   previous batch commits); replacing an alert subtracts the old row's contributions
//!   first, and counters that reach 0 are deleted.
//! - `cve` (one copy per `vulnid`), `users` and `statistics` (JSON documents).
//!
//! Retention ([`retention`]) deletes the oldest alerts in small transactions, taking their
//! contributions out of the rollups as a replacement does.
//!
//! # Reads
//!
//! A question whose filter a rollup can absorb (no network filter, a window on one time field
//! only, `equals` matching the rollup's key) is answered from whole day buckets, then whole
//! hour buckets, and raw scans of the remaining edges (less than an hour on each side, on the
//! time indexes). Anything else is one raw SQL scan. Both paths give identical answers.
//!
//! Writes go through one writer connection; reads use a pool of read-only connections, so
//! they proceed while a write is committing. All SQLite calls run on blocking threads.

mod attackers;
pub mod backup;
mod checkpoint;
mod codec;
mod error;
mod pool;
mod rankings;
mod read;
mod retention;
mod rollup;
mod schema;
mod users;
mod write;

#[cfg(test)]
mod tests;

use crate::domain::{
    Alert, AlertFilter, AlertPage, CredentialCount, HistogramBucket, HistogramQuery, Installation,
    TermCount, TermField, Timestamp, User, UserName,
};
use crate::domain::{Attacker, AttackerQuery, DerivedField};
use crate::store::{StatisticsDocument, Store, StoreError, WriteBatch, WriteOutcome};
use async_trait::async_trait;
use error::DbError;
use pool::{ReadPool, Writer};
use std::path::Path;

/// File name of the database inside the store directory.
pub const DATABASE_FILE: &str = "peba.sqlite3";

/// Number of read-only connections.
const READERS: usize = 4;

/// The SQLite-backed [`Store`].
pub struct EmbeddedStore {
    writer: Writer,
    readers: ReadPool,
    _checkpointer: checkpoint::Checkpointer,
}

impl EmbeddedStore {
    /// Opens (creating if needed) the store in `dir`, bringing its layout up to date.
    pub fn open(dir: &Path) -> Result<EmbeddedStore, StoreError> {
        Self::open_inner(dir).map_err(StoreError::from)
    }

    fn open_inner(dir: &Path) -> Result<EmbeddedStore, DbError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            DbError::Unavailable(format!(
                "cannot create store directory {}: {e}",
                dir.display()
            ))
        })?;
        let path = dir.join(DATABASE_FILE);
        let open = || -> Result<EmbeddedStore, DbError> {
            let mut conn = pool::open_writer(&path)?;
            schema::migrate(&mut conn)?;
            Ok(EmbeddedStore {
                writer: Writer::new(conn),
                readers: ReadPool::open(&path, READERS)?,
                _checkpointer: checkpoint::Checkpointer::start(&path)?,
            })
        };
        // SQLite reports a full disk while opening as a plain I/O error; say what it is.
        open().map_err(|e| match no_space_left(dir) {
            true => DbError::Unavailable(format!(
                "no space left on the file system of {} ({e}); the store is unchanged",
                dir.display()
            )),
            false => e,
        })
    }

    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> Result<T, DbError> + Send + 'static,
    {
        self.readers.run(f).await.map_err(StoreError::from)
    }

    async fn write_with<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut rusqlite::Connection) -> Result<T, DbError> + Send + 'static,
    {
        self.writer.run(f).await.map_err(StoreError::from)
    }
}

/// Whether `dir` has no room for a few more pages.
fn no_space_left(dir: &Path) -> bool {
    let probe = dir.join(".peba-space-probe");
    let written = std::fs::write(&probe, [0u8; 65536]);
    let _ = std::fs::remove_file(&probe);
    matches!(written, Err(e) if e.kind() == std::io::ErrorKind::StorageFull)
}

#[async_trait]
impl Store for EmbeddedStore {
    async fn write(&self, batch: WriteBatch) -> Result<WriteOutcome, StoreError> {
        // Prepared on a blocking thread of its own, so that it overlaps a write in progress.
        let prepared = tokio::task::spawn_blocking(move || write::Prepared::of(batch))
            .await
            .map_err(DbError::from)??;
        self.write_with(move |conn| write::write_prepared(conn, &prepared))
            .await
    }

    /// One write commits while the next is prepared.
    fn concurrent_writes(&self) -> usize {
        2
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.read(|conn| Ok(conn.query_row("SELECT 1", [], |_| Ok(()))?))
            .await?;
        self.write_with(|conn| Ok(conn.query_row("SELECT 1", [], |_| Ok(()))?))
            .await
    }

    /// Rewrites the layout version in a committed transaction: a real write to the database
    /// file, failing as ingest would on a read-only or full store.
    async fn probe_write(&self) -> Result<(), StoreError> {
        self.write_with(schema::rewrite_version).await
    }

    async fn count(&self, filter: &AlertFilter) -> Result<u64, StoreError> {
        let filter = filter.clone();
        self.read(move |conn| read::count(conn, &filter)).await
    }

    async fn terms(
        &self,
        filter: &AlertFilter,
        field: TermField,
        limit: usize,
    ) -> Result<Vec<TermCount>, StoreError> {
        let filter = filter.clone();
        self.read(move |conn| read::terms(conn, &filter, field, limit))
            .await
    }

    async fn credentials(
        &self,
        filter: &AlertFilter,
        limit: usize,
    ) -> Result<Vec<CredentialCount>, StoreError> {
        let filter = filter.clone();
        self.read(move |conn| rankings::credentials(conn, &filter, limit))
            .await
    }

    async fn derived_terms(
        &self,
        filter: &AlertFilter,
        field: DerivedField,
        limit: usize,
    ) -> Result<Vec<TermCount>, StoreError> {
        let filter = filter.clone();
        self.read(move |conn| rankings::derived_terms(conn, &filter, field, limit))
            .await
    }

    async fn histogram(&self, query: &HistogramQuery) -> Result<Vec<HistogramBucket>, StoreError> {
        let query = query.clone();
        self.read(move |conn| read::histogram(conn, &query)).await
    }

    async fn alerts(&self, page: &AlertPage) -> Result<Vec<Alert>, StoreError> {
        let page = page.clone();
        self.read(move |conn| read::alerts(conn, &page, read::Order::NewestFirst))
            .await
    }

    async fn alerts_oldest_first(&self, page: &AlertPage) -> Result<Vec<Alert>, StoreError> {
        let page = page.clone();
        self.read(move |conn| read::alerts(conn, &page, read::Order::OldestFirst))
            .await
    }

    async fn alerts_by_id(&self, ids: &[String]) -> Result<Vec<Alert>, StoreError> {
        let ids = ids.to_vec();
        self.read(move |conn| read::alerts_by_id(conn, &ids)).await
    }

    async fn installations(&self, filter: &AlertFilter) -> Result<Vec<Installation>, StoreError> {
        let filter = filter.clone();
        self.read(move |conn| read::installations(conn, &filter))
            .await
    }

    async fn attackers(&self, query: &AttackerQuery) -> Result<Vec<Attacker>, StoreError> {
        let query = query.clone();
        self.read(move |conn| attackers::attackers(conn, &query))
            .await
    }

    async fn statistics(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<StatisticsDocument>, StoreError> {
        self.read(move |conn| users::statistics(conn, from, to))
            .await
    }

    async fn write_statistics(
        &self,
        documents: Vec<(String, StatisticsDocument)>,
    ) -> Result<usize, StoreError> {
        self.write_with(move |conn| users::write_statistics(conn, &documents))
            .await
    }

    async fn user(&self, name: &UserName) -> Result<Option<User>, StoreError> {
        let name = name.clone();
        self.read(move |conn| users::user(conn, name.as_str()))
            .await
    }

    async fn add_user(&self, user: &User) -> Result<(), StoreError> {
        let user = user.clone();
        let name = user.name.to_string();
        if self
            .write_with(move |conn| users::add_user(conn, &user))
            .await?
        {
            Ok(())
        } else {
            Err(StoreError::UserExists(name))
        }
    }

    async fn remove_user(&self, name: &UserName) -> Result<bool, StoreError> {
        let name = name.clone();
        self.write_with(move |conn| users::remove_user(conn, name.as_str()))
            .await
    }

    async fn users(&self) -> Result<Vec<User>, StoreError> {
        self.read(users::users).await
    }

    async fn expire(&self, before: Timestamp, limit: usize) -> Result<usize, StoreError> {
        self.write_with(move |conn| retention::expire(conn, before, limit))
            .await
    }

    async fn release_space(&self) -> Result<bool, StoreError> {
        self.write_with(retention::release_space).await
    }
}
