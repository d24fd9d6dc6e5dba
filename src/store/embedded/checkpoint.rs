//! Keeps the write-ahead log short under sustained ingest.
//!
//! A thread with a connection of its own copies committed pages from the log into the database
//! (a passive checkpoint, which never blocks the writer or readers) whenever the log has grown
//! past [`CHECKPOINT_AT_BYTES`]. The writer's own automatic checkpoint after a commit
//! ([`AUTOCHECKPOINT_PAGES`]) then finds the log almost completely copied, finishes it cheaply
//! and starts the log over; `journal_size_limit` ([`WAL_LIMIT_BYTES`]) cuts the file back
//! when it does. The log file stays under [`WAL_LIMIT_BYTES`] unless a single read runs for as
//! long as it takes to ingest that much (a backup, for one): the log cannot start over while a
//! reader still needs it.

use super::error::DbError;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

/// The bound on the log file the README documents.
pub(crate) const WAL_LIMIT_BYTES: u64 = 64 << 20;
/// Log size from which the background thread copies pages into the database.
const CHECKPOINT_AT_BYTES: u64 = 4 << 20;
/// Log pages after which the writer checkpoints and starts the log over (16 MiB of 4 KiB
/// pages), mostly copied already by then.
pub(crate) const AUTOCHECKPOINT_PAGES: u32 = 4096;
/// How often the background thread looks at the log's size.
const POLL: Duration = Duration::from_millis(100);

/// The background checkpoint thread; it ends when this is dropped.
pub(crate) struct Checkpointer {
    _stop: mpsc::Sender<()>,
}

impl Checkpointer {
    /// Starts checkpointing the database at `path`.
    pub(crate) fn start(path: &Path) -> Result<Checkpointer, DbError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(1))?;
        let wal = wal_path(path);
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("peba-checkpoint".to_owned())
            .spawn(move || {
                let mut failing = false;
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(POLL) {
                    let size = std::fs::metadata(&wal).map_or(0, |m| m.len());
                    if size < CHECKPOINT_AT_BYTES {
                        continue;
                    }
                    // Said once when checkpoints start failing (a full disk) and once when
                    // they work again.
                    match passive_checkpoint(&conn) {
                        Err(e) if !failing => {
                            tracing::warn!(error = %e, "checkpoint of the write-ahead log failed");
                            failing = true;
                        }
                        Ok(()) if failing => {
                            tracing::info!("checkpoints of the write-ahead log work again");
                            failing = false;
                        }
                        _ => {}
                    }
                }
            })
            .map_err(|e| {
                DbError::Unavailable(format!("cannot start the checkpoint thread: {e}"))
            })?;
        Ok(Checkpointer { _stop: stop })
    }
}

fn passive_checkpoint(conn: &Connection) -> Result<(), DbError> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
    Ok(())
}

/// The write-ahead log of the database at `path`.
pub(crate) fn wal_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}
