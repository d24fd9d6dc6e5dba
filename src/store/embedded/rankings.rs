//! Rankings beyond single fields: username/password pairs, values read out of stored texts.

use super::error::DbError;
use super::read::{count_of, raw_rows};
use crate::domain::{
    AlertFilter, CredentialCount, DerivedCounts, DerivedField, TermCount, rank_credentials,
};
use rusqlite::Connection;

/// The `limit` most tried pairs among matching alerts with a non-empty username; an empty
/// password counts as none.
pub(crate) fn credentials(
    conn: &Connection,
    filter: &AlertFilter,
    limit: usize,
) -> Result<Vec<CredentialCount>, DbError> {
    let mut pairs = Vec::new();
    raw_rows(
        conn,
        filter,
        "username, NULLIF(password, ''), COUNT(*)",
        Some(("username IS NOT NULL AND username != ''", vec![])),
        "GROUP BY 1, 2",
        |r| {
            pairs.push(CredentialCount {
                username: r.get(0)?,
                password: r.get(1)?,
                count: count_of(r.get(2)?)?,
            });
            Ok(())
        },
    )?;
    rank_credentials(&mut pairs);
    pairs.truncate(limit);
    Ok(pairs)
}

/// The `limit` most frequent values of `field`: every distinct stored text counted here, then
/// folded into its value.
pub(crate) fn derived_terms(
    conn: &Connection,
    filter: &AlertFilter,
    field: DerivedField,
    limit: usize,
) -> Result<Vec<TermCount>, DbError> {
    let column = match field {
        DerivedField::UserAgent => "rawhttp",
        DerivedField::HttpPath => "request",
    };
    let mut counts = DerivedCounts::new(field);
    raw_rows(
        conn,
        filter,
        &format!("{column}, COUNT(*)"),
        None,
        "GROUP BY 1",
        |r| {
            let text: String = r.get(0)?;
            counts.add(&text, count_of(r.get(1)?)?);
            Ok(())
        },
    )?;
    Ok(counts.ranked(limit))
}
