//! Reading a GraphQL request off HTTP within `graphql_max_body_bytes`: a POST body (JSON, one
//! operation) or a GET query string. Nothing beyond the limit is buffered: a declared length
//! above it is refused before reading, a streamed body as soon as it passes it. Refusals are
//! GraphQL error bodies with a code, never internal detail.

use super::errors::BAD_REQUEST;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;

/// `extensions.code` of a body or query string above the limit.
pub const PAYLOAD_TOO_LARGE: &str = "PAYLOAD_TOO_LARGE";

/// Why a request could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The body or query string is larger than the limit.
    #[error("the request is larger than {limit} bytes")]
    TooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// The body broke off.
    #[error("the request body could not be read")]
    Unreadable,
    /// The body is not one GraphQL request in JSON.
    #[error("the body is not a GraphQL request in JSON: {0}")]
    NotJson(String),
    /// The body is a JSON array of requests.
    #[error("batched requests (a JSON array) are not supported: send one operation per request")]
    Batch,
    /// The query string is not a GraphQL request.
    #[error("the query string is not a GraphQL request: {0}")]
    BadQueryString(String),
}

impl IntoResponse for RequestError {
    fn into_response(self) -> Response {
        let (status, code) = match self {
            RequestError::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, PAYLOAD_TOO_LARGE),
            _ => (StatusCode::BAD_REQUEST, BAD_REQUEST),
        };
        let body = serde_json::json!({
            "errors": [{ "message": self.to_string(), "extensions": { "code": code } }]
        });
        (status, axum::Json(body)).into_response()
    }
}

/// The request a POST body carries, read up to `limit` bytes.
pub async fn from_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<async_graphql::Request, RequestError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(RequestError::TooLarge { limit });
    }
    let mut bytes = Vec::with_capacity(declared.map_or(0, |length| length as usize));
    let mut chunks = body.into_data_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|_| RequestError::Unreadable)?;
        if bytes.len() + chunk.len() > limit {
            return Err(RequestError::TooLarge { limit });
        }
        bytes.extend_from_slice(&chunk);
    }
    parse_json(&bytes)
}

fn parse_json(bytes: &[u8]) -> Result<async_graphql::Request, RequestError> {
    if bytes.trim_ascii_start().starts_with(b"[") {
        return Err(RequestError::Batch);
    }
    serde_json::from_slice(bytes).map_err(|e| RequestError::NotJson(e.to_string()))
}

/// The request a GET query string carries, at most `limit` bytes long.
pub fn from_query_string(
    query: &str,
    limit: usize,
) -> Result<async_graphql::Request, RequestError> {
    if query.len() > limit {
        return Err(RequestError::TooLarge { limit });
    }
    async_graphql::http::parse_query_string(query)
        .map_err(|e| RequestError::BadQueryString(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_parse_or_explain() {
        assert_eq!(
            parse_json(br#"{"query":"{ health { heartbeat } }"}"#)
                .unwrap()
                .query,
            "{ health { heartbeat } }"
        );
        assert!(matches!(
            parse_json(br#" [{"query":"{ a }"}]"#),
            Err(RequestError::Batch)
        ));
        let error = parse_json(b"{not json").unwrap_err().to_string();
        assert!(error.starts_with("the body is not a GraphQL request in JSON: "));
        assert!(!error.contains("Error("), "{error}");
    }

    #[test]
    fn long_query_strings_are_refused() {
        assert!(from_query_string("query=%7Bhealth%7Bheartbeat%7D%7D", 64).is_ok());
        assert!(matches!(
            from_query_string(&"q".repeat(65), 64),
            Err(RequestError::TooLarge { limit: 64 })
        ));
    }
}
