//! The GraphiQL playground, served entirely from the binary: the page, the bundle built from
//! `playground/src/` (committed in `playground/dist/`) and the example queries.

use super::examples::examples_json;
use super::page_asset::asset;
use axum::response::Response;

/// `playground/index.html`.
pub const INDEX_HTML: &str = include_str!("../../playground/index.html");
/// `playground/dist/playground.js`.
pub const SCRIPT: &[u8] = include_bytes!("../../playground/dist/playground.js");
/// `playground/dist/playground.css`.
pub const STYLE: &[u8] = include_bytes!("../../playground/dist/playground.css");
/// `playground/page.css` (the page's own layout; no inline styles under the CSP).
pub const PAGE_STYLE: &str = include_str!("../../playground/page.css");

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

/// `GET /playground/page.css`.
pub async fn page_style() -> Response {
    asset("text/css; charset=utf-8", PAGE_STYLE)
}

/// `GET /playground/examples.json`.
pub async fn examples() -> Response {
    asset("application/json", examples_json())
}
