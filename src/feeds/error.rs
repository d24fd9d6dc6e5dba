//! Why an export or feed request is refused, and the answer each reason gets.

use crate::store::StoreError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// `WWW-Authenticate` of a 401: the two accepted schemes.
const CHALLENGE: &str = "Bearer realm=\"peba\", Basic realm=\"peba\"";

/// A refused export or feed request.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// A query parameter is unknown or its value invalid (400).
    #[error("{0}")]
    BadParameter(String),
    /// No valid token in `Authorization` (401).
    #[error(
        "a token is required: send Authorization: Bearer <GraphQL login token> or Basic <user:token>"
    )]
    Unauthorized,
    /// Too many failed attempts from this client or for this user (429).
    #[error("too many attempts: retry in {0} s")]
    RateLimited(u64),
    /// The store failed (503); logged, answered without detail.
    #[error("store unavailable")]
    Store(#[from] StoreError),
}

impl IntoResponse for FeedError {
    fn into_response(self) -> Response {
        let status = match &self {
            FeedError::BadParameter(_) => StatusCode::BAD_REQUEST,
            FeedError::Unauthorized => StatusCode::UNAUTHORIZED,
            FeedError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            FeedError::Store(error) => {
                tracing::warn!(%error, "export or feed read failed");
                StatusCode::SERVICE_UNAVAILABLE
            }
        };
        let mut response = (status, format!("{self}\n")).into_response();
        let headers = response.headers_mut();
        match self {
            FeedError::Unauthorized => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(CHALLENGE),
                );
            }
            FeedError::RateLimited(seconds) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            FeedError::BadParameter(_) | FeedError::Store(_) => {}
        }
        response
    }
}
