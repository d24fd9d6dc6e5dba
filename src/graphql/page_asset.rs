//! Answers for the pages peba serves from the binary (`/playground`, `/map`): content type,
//! no caching across versions, no sniffing, and a strict same-origin Content-Security-Policy
//! (scripts, styles, connections and images from peba only; no inline script, no framing).

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The Content-Security-Policy of every embedded page and asset. `connect-src 'self'` covers
/// the same-origin WebSocket (`ws:`/`wss:`) as well; `data:` images and fonts (the playground's
/// bundled fonts) are part of the page, not requests.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// `body` as `content_type`, with the headers above.
pub fn asset(content_type: &'static str, body: impl Into<axum::body::Body>) -> Response {
    let mut response = body.into().into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    response
}
