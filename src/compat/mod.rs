//! The legacy PEBA REST routes, answering exactly as PEBA did.

pub mod post_simple_message;

use crate::app::AppState;
use axum::Router;
use axum::routing::post;

/// Every legacy route.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/ews-0.1/alert/postSimpleMessage",
        post(post_simple_message::post).get(post_simple_message::get),
    )
}
