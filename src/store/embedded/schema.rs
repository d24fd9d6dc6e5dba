//! The database layout and its migrations (tracked in `PRAGMA user_version`).

use super::error::DbError;
use rusqlite::Connection;

/// The layout version this code writes and reads.
pub(crate) const SCHEMA_VERSION: i64 = 3;

/// Version 1: alerts with their time indexes, rollups, CVE copies, users, statistics.
const V1: &str = "
CREATE TABLE alerts (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    dom INTEGER NOT NULL,
    rt INTEGER NOT NULL,
    ct INTEGER NOT NULL,
    src_ip_key BLOB NOT NULL,
    src_ip TEXT NOT NULL,
    country TEXT NOT NULL,
    country_name TEXT NOT NULL,
    vulnid TEXT NOT NULL,
    request TEXT NOT NULL,
    source_as TEXT NOT NULL,
    peer_ident TEXT NOT NULL,
    peer_type TEXT NOT NULL,
    client TEXT NOT NULL,
    location TEXT NOT NULL,
    location_dest TEXT NOT NULL,
    src_port TEXT,
    additional_data TEXT NOT NULL,
    target_ip TEXT NOT NULL,
    target_port TEXT,
    target_country TEXT NOT NULL,
    target_country_name TEXT NOT NULL,
    target_as TEXT NOT NULL,
    username TEXT,
    password TEXT,
    login TEXT,
    targetport TEXT,
    client_version TEXT,
    session_start TEXT NOT NULL,
    session_end TEXT NOT NULL,
    external_ip TEXT NOT NULL,
    internal_ip TEXT NOT NULL,
    hostname TEXT NOT NULL,
    rawhttp TEXT NOT NULL
);
CREATE INDEX alerts_rt ON alerts (rt, dom, peer_type);
CREATE INDEX alerts_ct ON alerts (ct, dom, peer_type);
CREATE INDEX alerts_ip ON alerts (src_ip_key, ct);

CREATE TABLE rollup (
    tf INTEGER NOT NULL,
    dim INTEGER NOT NULL,
    gran INTEGER NOT NULL,
    bucket INTEGER NOT NULL,
    dom INTEGER NOT NULL,
    k1 TEXT NOT NULL,
    k2 TEXT NOT NULL,
    k3 TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (tf, dim, gran, bucket, dom, k1, k2, k3)
) WITHOUT ROWID;
CREATE INDEX rollup_keyed ON rollup (tf, dim, gran, k1, bucket) WHERE dim IN (1, 4, 5);

CREATE TABLE cve (
    vulnid TEXT PRIMARY KEY,
    id TEXT NOT NULL,
    doc TEXT NOT NULL
);

CREATE TABLE users (
    name TEXT PRIMARY KEY,
    doc TEXT NOT NULL
);

CREATE TABLE statistics (
    id TEXT PRIMARY KEY,
    time_from INTEGER,
    doc TEXT NOT NULL
);
CREATE INDEX statistics_from ON statistics (time_from);
";

/// Version 2: source and target locations counted per hour and day of receipt too (GraphQL
/// asks for geo points by received time); filled from the stored alerts.
const V2: &str = "
INSERT INTO rollup (tf, dim, gran, bucket, dom, k1, k2, k3, n)
SELECT 0, dim, gran, rt - (((rt % gran) + gran) % gran) AS b, dom, k1, '', '', COUNT(*)
FROM (
    SELECT 8 AS dim, rt, dom, location AS k1 FROM alerts
    UNION ALL
    SELECT 9 AS dim, rt, dom, location_dest AS k1 FROM alerts
), (SELECT 86400 AS gran UNION ALL SELECT 3600)
GROUP BY dim, gran, b, dom, k1;
";

/// Version 3: the search index of free-text filters ([`crate::domain::SearchText`]), filled
/// from the stored alerts and kept in step with them by triggers (inserts, replacements,
/// retention deletes). It holds the request, username and password with ASCII letters in
/// lower case (SQLite's `lower`), split into trigrams compared exactly, so a phrase query of
/// the lowered search text matches exactly the alerts whose fields contain it, ASCII letters
/// in either case. Contentless: only the trigram index is stored, not the text again.
const V3: &str = "
CREATE VIRTUAL TABLE alert_text USING fts5(
    request, username, password,
    content = '', contentless_delete = 1, tokenize = 'trigram case_sensitive 1'
);
INSERT INTO alert_text (rowid, request, username, password)
SELECT rowid, lower(request), lower(username), lower(password) FROM alerts;
CREATE TRIGGER alert_text_insert AFTER INSERT ON alerts BEGIN
    INSERT INTO alert_text (rowid, request, username, password)
    VALUES (new.rowid, lower(new.request), lower(new.username), lower(new.password));
END;
CREATE TRIGGER alert_text_update AFTER UPDATE OF request, username, password ON alerts BEGIN
    DELETE FROM alert_text WHERE rowid = old.rowid;
    INSERT INTO alert_text (rowid, request, username, password)
    VALUES (new.rowid, lower(new.request), lower(new.username), lower(new.password));
END;
CREATE TRIGGER alert_text_delete AFTER DELETE ON alerts BEGIN
    DELETE FROM alert_text WHERE rowid = old.rowid;
END;
";

/// The migration steps; step `i` brings the layout from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[V1, V2, V3];

/// Brings the database to [`SCHEMA_VERSION`], refusing databases written by a newer version.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), DbError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if !(0..=SCHEMA_VERSION).contains(&current) {
        return Err(DbError::Corrupt(format!(
            "database layout version {current} is not one of 0..={SCHEMA_VERSION}"
        )));
    }
    // Steps that aggregate stored alerts sort on disk, not in memory.
    conn.pragma_update(None, "temp_store", "FILE")?;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    for (version, step) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", version as i64 + 1)?;
    }
    tx.commit()?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(())
}

/// Writes the current layout version again in a transaction of its own: a write that changes
/// nothing but reaches the database file like any other.
pub(crate) fn rewrite_version(conn: &mut Connection) -> Result<(), DbError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let current: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    tx.pragma_update(None, "user_version", current)?;
    tx.commit()?;
    Ok(())
}
