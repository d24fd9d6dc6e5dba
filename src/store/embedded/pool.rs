//! Connections: one writer behind a mutex, a small pool of read-only readers. All SQLite work
//! runs on blocking threads, never on the async runtime. A panic in a closure loses nothing:
//! the reader goes back to the pool as the closure unwinds, and the writer lock recovers,
//! rolling back whatever transaction the panic left open.

use super::checkpoint::{AUTOCHECKPOINT_PAGES, WAL_LIMIT_BYTES};
use super::error::DbError;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::sync::Semaphore;

const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether the database file holds nothing yet (a store being created).
fn is_empty(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.len() == 0)
}

/// Opens the writer connection: WAL journal (kept short, see [`super::checkpoint`]), full
/// synchronisation on commit. The database is readable by its owner only (see
/// [`make_private`]).
pub(crate) fn open_writer(path: &Path) -> Result<Connection, DbError> {
    make_private(path)?;
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    if is_empty(path) {
        // A new store returns the space retention frees to the file system (see
        // `retention::release_space`); this must come before anything is written. An existing
        // store keeps the mode it was created with.
        conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
    }
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(DbError::Unavailable(format!(
            "cannot use WAL journal (got {mode})"
        )));
    }
    conn.execute_batch(&format!(
        "PRAGMA synchronous = FULL;
         PRAGMA cache_size = -32768;
         PRAGMA temp_store = MEMORY;
         PRAGMA wal_autocheckpoint = {AUTOCHECKPOINT_PAGES};
         PRAGMA journal_size_limit = {WAL_LIMIT_BYTES};"
    ))?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// Creates the database file with mode 0600 when it is missing, and takes group and other
/// permissions away from it and its WAL and shared-memory files when present: SQLite gives the
/// WAL and shared-memory files the database file's mode, and they hold user token hashes.
#[cfg(unix)]
fn make_private(path: &Path) -> Result<(), DbError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let unavailable = |e: std::io::Error| {
        DbError::Unavailable(format!(
            "cannot restrict {} to its owner: {e}",
            path.display()
        ))
    };
    // A store of another user cannot be restricted by this one; whether it can be written is
    // checked when it is opened, which says so in one line.
    let not_ours = |e: &std::io::Error| e.kind() == std::io::ErrorKind::PermissionDenied;
    match std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => {}
        Err(e) if not_ours(&e) && path.exists() => return Ok(()),
        Err(e) => return Err(unavailable(e)),
    }
    for suffix in ["", "-wal", "-shm"] {
        let file = path.with_file_name(format!(
            "{}{suffix}",
            path.file_name().unwrap_or_default().to_string_lossy()
        ));
        match std::fs::metadata(&file) {
            Ok(meta) if meta.permissions().mode() & 0o077 != 0 => {
                let mode = meta.permissions().mode() & !0o077;
                match std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)) {
                    Ok(()) => {}
                    Err(e) if not_ours(&e) => {
                        tracing::warn!(file = %file.display(), "cannot restrict a store file of another user to its owner");
                    }
                    Err(e) => return Err(unavailable(e)),
                }
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn make_private(_path: &Path) -> Result<(), DbError> {
    Ok(())
}

/// Opens a read-only connection.
fn open_reader(path: &Path) -> Result<Connection, DbError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.execute_batch(
        "PRAGMA cache_size = -32768;
         PRAGMA mmap_size = 1073741824;
         PRAGMA temp_store = MEMORY;",
    )?;
    conn.set_prepared_statement_cache_capacity(128);
    Ok(conn)
}

/// The single writer connection.
pub(crate) struct Writer {
    conn: Arc<Mutex<Connection>>,
}

impl Writer {
    pub(crate) fn new(conn: Connection) -> Self {
        Writer {
            conn: Arc::new(Mutex::new(conn)),
        }
    }

    /// Runs `f` on the writer connection on a blocking thread.
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, DbError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || f(&mut *lock_recovered(&conn)?)).await?
    }
}

/// Locks the writer; after a panic while it was held, clears the poison and rolls back the
/// transaction the panic may have left open, so the next write starts clean.
fn lock_recovered(conn: &Mutex<Connection>) -> Result<MutexGuard<'_, Connection>, DbError> {
    match conn.lock() {
        Ok(guard) => Ok(guard),
        Err(poisoned) => {
            conn.clear_poison();
            let guard = poisoned.into_inner();
            if !guard.is_autocommit() {
                guard.execute_batch("ROLLBACK")?;
            }
            tracing::warn!("store writer recovered after a panic");
            Ok(guard)
        }
    }
}

/// A fixed set of read-only connections.
pub(crate) struct ReadPool {
    idle: Arc<Mutex<Vec<Connection>>>,
    permits: Semaphore,
}

impl ReadPool {
    /// Opens `size` readers on the database at `path`.
    pub(crate) fn open(path: &Path, size: usize) -> Result<Self, DbError> {
        let idle = (0..size)
            .map(|_| open_reader(path))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ReadPool {
            idle: Arc::new(Mutex::new(idle)),
            permits: Semaphore::new(size),
        })
    }

    /// Runs `f` on an idle reader on a blocking thread, waiting (asynchronously) for one.
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, DbError> + Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| DbError::Unavailable("reader pool closed".to_owned()))?;
        let conn = idle_list(&self.idle)
            .pop()
            .ok_or_else(|| DbError::Unavailable("no reader connection left".to_owned()))?;
        let borrowed = Borrowed {
            conn: Some(conn),
            idle: Arc::clone(&self.idle),
        };
        tokio::task::spawn_blocking(move || f(borrowed.conn()?)).await?
    }
}

/// The idle readers; the list stays whole whatever panicked while it was locked (a push or a
/// pop cannot be left half done).
fn idle_list(idle: &Mutex<Vec<Connection>>) -> MutexGuard<'_, Vec<Connection>> {
    idle.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A reader taken from the pool, returned when dropped, also while a panic unwinds.
struct Borrowed {
    conn: Option<Connection>,
    idle: Arc<Mutex<Vec<Connection>>>,
}

impl Borrowed {
    /// The connection (held from the pool's pop until the drop).
    fn conn(&self) -> Result<&Connection, DbError> {
        self.conn
            .as_ref()
            .ok_or_else(|| DbError::Unavailable("reader connection already returned".to_owned()))
    }
}

impl Drop for Borrowed {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            idle_list(&self.idle).push(conn);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const READERS: usize = 2;

    fn count(conn: &Connection) -> Result<i64, DbError> {
        Ok(conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?)
    }

    #[tokio::test]
    async fn panicking_closures_lose_no_connection() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pool.sqlite");
        let writer = Writer::new(open_writer(&path).unwrap());
        writer
            .run(|conn| Ok(conn.execute_batch("CREATE TABLE t (x INTEGER)")?))
            .await
            .unwrap();
        let pool = ReadPool::open(&path, READERS).unwrap();

        for _ in 0..3 * READERS {
            let outcome = pool
                .run(|conn| -> Result<(), DbError> {
                    count(conn)?;
                    panic!("reader closure panics")
                })
                .await;
            assert!(
                matches!(outcome, Err(DbError::Unavailable(_))),
                "{outcome:?}"
            );
        }
        assert_eq!(idle_list(&pool.idle).len(), READERS);

        for _ in 0..3 {
            let outcome = writer
                .run(|conn| -> Result<(), DbError> {
                    conn.execute_batch("BEGIN; INSERT INTO t VALUES (1);")?;
                    panic!("writer closure panics inside a transaction")
                })
                .await;
            assert!(
                matches!(outcome, Err(DbError::Unavailable(_))),
                "{outcome:?}"
            );
        }
        writer
            .run(|conn| Ok(conn.execute("INSERT INTO t VALUES (2)", [])?))
            .await
            .unwrap();

        // Every reader answers at once, and sees the one committed row only.
        let reads = (0..READERS).map(|_| pool.run(count));
        for read in futures::future::join_all(reads).await {
            assert_eq!(read.unwrap(), 1);
        }
    }
}
