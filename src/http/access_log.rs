//! The access log: one line per answered request at info (target `peba::access`), with
//! method, path (never the query string, which may carry secrets), status, body bytes when
//! known, duration, client address and request id.

use super::REQUEST_ID;
use super::client_addr;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http_body::Body as _;
use std::time::Instant;

/// Middleware: logs the request once it is answered.
pub async fn log(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let client = client_addr::of(request.extensions());
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let response = next.run(request).await;
    let bytes = response.body().size_hint().exact();
    tracing::info!(
        target: "peba::access",
        %method,
        path,
        status = response.status().as_u16(),
        bytes,
        duration_ms = started.elapsed().as_secs_f64() * 1000.0,
        %client,
        request_id = id,
        "request"
    );
    response
}
