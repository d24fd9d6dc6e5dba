//! Copies of the embedded store: `peba backup` and `peba restore`.
//!
//! A backup is `VACUUM INTO` a temporary file beside the target, made from one read
//! transaction (a consistent snapshot that a running server keeps writing past), synced and
//! renamed into place, so a backup file is complete or absent. A restore checks the file, then
//! copies it page by page into the data directory's database (SQLite's backup API, one
//! transaction in the destination): a crash in the middle leaves the old store as it was.

use super::DATABASE_FILE;
use super::schema::SCHEMA_VERSION;
use rusqlite::backup::Backup;
use rusqlite::{Connection, ErrorCode, OpenFlags};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why a backup or restore failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The data directory holds no store to back up.
    #[error("no store to back up in {0}")]
    NoStore(PathBuf),
    /// The backup file exists already.
    #[error("{0} exists already; choose another file")]
    TargetExists(PathBuf),
    /// The data directory holds a store and replacing it was not asked for.
    #[error("{0} holds a store already; add --replace to overwrite it")]
    StoreExists(PathBuf),
    /// A server (or another command) has the store open.
    #[error("the store in {0} is in use; stop the server first")]
    InUse(PathBuf),
    /// The file to restore is not a usable store.
    #[error("{path} is not a peba store: {reason}")]
    NotAStore {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// SQLite failed.
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A file operation failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// What a backup or restore copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopySummary {
    /// Alerts in the copy.
    pub alerts: u64,
    /// Size of the copied database in bytes.
    pub bytes: u64,
}

/// Writes a consistent copy of the store in `dir` to `target` (which must not exist).
pub fn backup(dir: &Path, target: &Path) -> Result<CopySummary, BackupError> {
    let source = dir.join(DATABASE_FILE);
    if !source.is_file() {
        return Err(BackupError::NoStore(dir.to_owned()));
    }
    if target.exists() {
        return Err(BackupError::TargetExists(target.to_owned()));
    }
    let partial = partial_path(target);
    let _ = std::fs::remove_file(&partial);
    // Created empty and private first: the copy holds the users' token hashes.
    private_file(&partial)?;
    let conn = Connection::open_with_flags(&source, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    let copied = conn
        .execute("VACUUM INTO ?1", [partial.to_string_lossy()])
        .map_err(BackupError::from)
        .and_then(|_| {
            File::open(&partial)?.sync_all()?;
            summary(&partial)
        });
    match copied {
        Ok(summary) => {
            std::fs::rename(&partial, target)?;
            sync_parent(target)?;
            Ok(summary)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

/// Copies the store in `file` into `dir`, replacing a store there only when `replace` is set
/// and no process has it open.
pub fn restore(file: &Path, dir: &Path, replace: bool) -> Result<CopySummary, BackupError> {
    let summary = summary(file)?;
    std::fs::create_dir_all(dir)?;
    let database = dir.join(DATABASE_FILE);
    let exists = database.is_file();
    if exists && !replace {
        return Err(BackupError::StoreExists(dir.to_owned()));
    }
    if !exists {
        private_file(&database)?;
    }
    let mut destination = Connection::open(&database)?;
    destination.busy_timeout(Duration::from_secs(1))?;
    // An exclusive lock is only granted while no other connection has the database open.
    destination.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
    if exists {
        destination
            .execute_batch("BEGIN EXCLUSIVE; COMMIT;")
            .map_err(|e| match e.sqlite_error_code() {
                Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                    BackupError::InUse(dir.to_owned())
                }
                _ => BackupError::from(e),
            })?;
    }
    let source = Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    Backup::new(&source, &mut destination)?.run_to_completion(4096, Duration::ZERO, None)?;
    let auto_vacuum: i64 = destination.query_row("PRAGMA auto_vacuum", [], |r| r.get(0))?;
    if auto_vacuum != 2 {
        // A store created before incremental auto-vacuum: rewritten once so that retention can
        // return freed space to the file system.
        destination.execute_batch("PRAGMA auto_vacuum = INCREMENTAL; VACUUM;")?;
    }
    destination.pragma_update(None, "synchronous", "FULL")?;
    let mode: String = destination.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    debug_assert!(mode.eq_ignore_ascii_case("wal"));
    Ok(summary)
}

/// Checks that `path` is a sound store this version can open, and counts its alerts.
fn summary(path: &Path) -> Result<CopySummary, BackupError> {
    let not_a_store = |reason: String| BackupError::NotAStore {
        path: path.to_owned(),
        reason,
    };
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| not_a_store(e.to_string()))?;
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(|e| not_a_store(e.to_string()))?;
    if check != "ok" {
        return Err(not_a_store(format!("integrity check: {check}")));
    }
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if !(1..=SCHEMA_VERSION).contains(&version) {
        return Err(not_a_store(format!(
            "layout version {version}, this version reads 1 to {SCHEMA_VERSION}"
        )));
    }
    let alerts: i64 = conn
        .query_row("SELECT COUNT(*) FROM alerts", [], |r| r.get(0))
        .map_err(|e| not_a_store(e.to_string()))?;
    Ok(CopySummary {
        alerts: alerts as u64,
        bytes: std::fs::metadata(path)?.len(),
    })
}

/// Creates an empty file only its owner may read and write.
fn private_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(drop)
}

/// The name a backup is written under until it is complete.
fn partial_path(target: &Path) -> PathBuf {
    let mut name = target.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    target.with_file_name(name)
}

/// Makes a rename in `path`'s directory durable.
fn sync_parent(path: &Path) -> std::io::Result<()> {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => File::open(parent)?.sync_all(),
        _ => File::open(".")?.sync_all(),
    }
}
