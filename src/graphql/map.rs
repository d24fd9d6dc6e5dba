//! The live attack map at `/map`, served entirely from the binary: the page and the bundle
//! built from `map/src/` (committed in `map/dist/`). It reads nothing but the public GraphQL
//! API (`map/src/queries.graphql`).

use super::page_asset::asset;
use axum::response::Response;

/// `map/index.html`.
pub const INDEX_HTML: &str = include_str!("../../map/index.html");
/// `map/dist/map.js`.
pub const SCRIPT: &[u8] = include_bytes!("../../map/dist/map.js");
/// `map/dist/map.css`.
pub const STYLE: &[u8] = include_bytes!("../../map/dist/map.css");

/// `GET /map`.
pub async fn page() -> Response {
    asset("text/html; charset=utf-8", INDEX_HTML)
}

/// `GET /map/map.js`.
pub async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

/// `GET /map/map.css`.
pub async fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE)
}
