//! Errors inside the embedded store and their mapping to [`StoreError`].

use crate::store::StoreError;
use rusqlite::ErrorCode;

/// What went wrong inside the embedded store.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DbError {
    /// SQLite refused or failed.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// Stored data that does not decode.
    #[error("{0}")]
    Corrupt(String),
    /// A connection, thread or lock is gone.
    #[error("{0}")]
    Unavailable(String),
    /// A question the store cannot answer as asked.
    #[error("invalid query: {0}")]
    Invalid(String),
}

impl From<DbError> for StoreError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Sqlite(rusqlite::Error::SqliteFailure(code, msg)) => {
                let text = msg.unwrap_or_else(|| code.to_string());
                match code.code {
                    ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => {
                        StoreError::Corrupt(text)
                    }
                    _ => StoreError::Unavailable(text),
                }
            }
            DbError::Sqlite(
                err @ (rusqlite::Error::FromSqlConversionFailure(..)
                | rusqlite::Error::InvalidColumnType(..)
                | rusqlite::Error::IntegralValueOutOfRange(..)
                | rusqlite::Error::Utf8Error(..)),
            ) => StoreError::Corrupt(err.to_string()),
            DbError::Sqlite(err) => StoreError::Unavailable(err.to_string()),
            DbError::Corrupt(text) => StoreError::Corrupt(text),
            DbError::Unavailable(text) | DbError::Invalid(text) => StoreError::Unavailable(text),
        }
    }
}

impl From<serde_json::Error> for DbError {
    fn from(e: serde_json::Error) -> Self {
        DbError::Corrupt(e.to_string())
    }
}

impl<T> From<std::sync::PoisonError<T>> for DbError {
    fn from(_: std::sync::PoisonError<T>) -> Self {
        DbError::Unavailable("a store connection lock is poisoned".to_owned())
    }
}

impl From<tokio::task::JoinError> for DbError {
    fn from(e: tokio::task::JoinError) -> Self {
        DbError::Unavailable(format!("store task failed: {e}"))
    }
}
