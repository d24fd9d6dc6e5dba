//! The errors GraphQL callers see: a short message plus an `extensions.code`, never an
//! internal detail (store failures are logged and answered as "store unavailable").

use crate::store::StoreError;
use async_graphql::{Error, ErrorExtensions};

/// `extensions.code` of a store failure.
pub const STORE_UNAVAILABLE: &str = "STORE_UNAVAILABLE";
/// `extensions.code` of a field or argument that needs a token.
pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
/// `extensions.code` of an action the token does not allow.
pub const FORBIDDEN: &str = "FORBIDDEN";
/// `extensions.code` of an invalid argument.
pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
/// `extensions.code` of a login refused because too many attempts were made; the message
/// says when to retry.
pub const RATE_LIMITED: &str = "RATE_LIMITED";
/// `extensions.code` of a request that ran out of time.
pub const TIMEOUT: &str = "TIMEOUT";
/// `extensions.code` of a request that is not GraphQL over JSON (or a batch).
pub const BAD_REQUEST: &str = "BAD_REQUEST";
/// `extensions.code` of a document that does not parse.
pub const GRAPHQL_PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
/// `extensions.code` of a document the schema does not accept.
pub const GRAPHQL_VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
/// `extensions.code` of a document beyond the depth, complexity or size limits (with
/// `measure`, `limit` and `actual`).
pub const QUERY_TOO_COMPLEX: &str = "QUERY_TOO_COMPLEX";

/// An error with a code.
pub fn coded(code: &'static str, message: impl Into<String>) -> Error {
    Error::new(message).extend_with(|_, e| e.set("code", code))
}

/// A store failure: logged in full, answered generically.
pub fn store(error: StoreError) -> Error {
    tracing::warn!(%error, "GraphQL read failed");
    coded(STORE_UNAVAILABLE, "store unavailable")
}

/// A store failure shared by the waiters of a batch: logged, answered generically.
pub fn shared_store(error: &StoreError) -> Error {
    tracing::warn!(%error, "GraphQL batch read failed");
    coded(STORE_UNAVAILABLE, "store unavailable")
}

/// An invalid argument.
pub fn bad_input(message: impl Into<String>) -> Error {
    coded(BAD_USER_INPUT, message)
}

/// A field or argument anonymous callers may not use.
pub fn token_required(what: &str) -> Error {
    coded(
        UNAUTHENTICATED,
        format!(
            "{what} needs a token: call the login mutation and send Authorization: Bearer <token>"
        ),
    )
}
