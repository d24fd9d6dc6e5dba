//! The GraphiQL playground, served entirely from the binary: the page, the bundle built from
//! `playground/src/` (committed in `playground/dist/`) and the example queries.

use super::examples::examples_json;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// `playground/index.html`.
pub const INDEX_HTML: &str = include_str!("../../playground/index.html");
/// `playground/dist/playground.js`.
pub const SCRIPT: &[u8] = include_bytes!("../../playground/dist/playground.js");
/// `playground/dist/playground.css`.
pub const STYLE: &[u8] = include_bytes!("../../playground/dist/playground.css");

fn asset(content_type: &'static str, body: impl Into<axum::body::Body>) -> Response {
    let mut response = body.into().into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// `GET /playground`.
pub async fn page() -> Response {
    asset("text/html; charset=utf-8", INDEX_HTML)
}

/// `GET /playground/playground.js`.
pub async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

/// `GET /playground/playground.css`.
pub async fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE)
}

/// `GET /playground/examples.json`.
pub async fn examples() -> Response {
    asset("application/json", examples_json())
}
