//! Users and statistics documents: small tables holding JSON documents.

use super::error::DbError;
use crate::domain::{Timestamp, User};
use crate::store::StatisticsDocument;
use rusqlite::{Connection, ErrorCode, OptionalExtension, params};

/// A user by name.
pub(crate) fn user(conn: &Connection, name: &str) -> Result<Option<User>, DbError> {
    let doc: Option<String> = conn
        .prepare_cached("SELECT doc FROM users WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?;
    doc.map(|d| serde_json::from_str(&d).map_err(DbError::from))
        .transpose()
}

/// Adds a user; `Ok(false)` when the name is taken.
pub(crate) fn add_user(conn: &Connection, user: &User) -> Result<bool, DbError> {
    let doc = serde_json::to_string(user)?;
    match conn.execute(
        "INSERT INTO users (name, doc) VALUES (?1, ?2)",
        params![user.name.as_str(), doc],
    ) {
        Ok(_) => Ok(true),
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == ErrorCode::ConstraintViolation => {
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// Removes a user; `false` if there was none.
pub(crate) fn remove_user(conn: &Connection, name: &str) -> Result<bool, DbError> {
    Ok(conn.execute("DELETE FROM users WHERE name = ?1", [name])? > 0)
}

/// All users ordered by name.
pub(crate) fn users(conn: &Connection) -> Result<Vec<User>, DbError> {
    let mut stmt = conn.prepare_cached("SELECT doc FROM users ORDER BY name")?;
    let docs = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    docs.iter()
        .map(|d| serde_json::from_str(d).map_err(DbError::from))
        .collect()
}

/// The `UTCtimeFrom` of a statistics document, when it reads as a time.
fn time_from(doc: &StatisticsDocument) -> Option<i64> {
    match doc.get("UTCtimeFrom")? {
        serde_json::Value::String(text) => Timestamp::parse_mapping_format(text)
            .ok()
            .map(Timestamp::unix),
        serde_json::Value::Number(n) => n.as_i64().map(|ms| ms.div_euclid(1000)),
        _ => None,
    }
}

/// Upserts statistics documents by id in one transaction.
pub(crate) fn write_statistics(
    conn: &mut Connection,
    documents: &[(String, StatisticsDocument)],
) -> Result<usize, DbError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO statistics (id, time_from, doc) VALUES (?1, ?2, ?3) \
             ON CONFLICT (id) DO UPDATE SET time_from = excluded.time_from, doc = excluded.doc",
        )?;
        for (id, doc) in documents {
            stmt.execute(params![id, time_from(doc), serde_json::to_string(doc)?])?;
        }
    }
    tx.commit()?;
    Ok(documents.len())
}

/// Statistics documents with `UTCtimeFrom` in `[from, to]`, ascending.
pub(crate) fn statistics(
    conn: &Connection,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<StatisticsDocument>, DbError> {
    let mut stmt = conn.prepare_cached(
        "SELECT doc FROM statistics WHERE time_from BETWEEN ?1 AND ?2 ORDER BY time_from, id",
    )?;
    let docs = stmt
        .query_map([from.unix(), to.unix()], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    docs.iter()
        .map(|d| serde_json::from_str(d).map_err(DbError::from))
        .collect()
}
