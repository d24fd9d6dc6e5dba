//! The HTTP server: routes of every front end, shared middleware, graceful shutdown.

use crate::app::AppState;
use crate::compat;
use crate::metrics;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// Longest time a request may take before it is answered 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The complete application: every route with its middleware.
pub fn router(state: AppState) -> Router {
    let body_limit = state.settings.max_body_bytes;
    let cors_domain = state.settings.cors_domain.clone();
    let routes = compat::router()
        .merge(crate::graphql::router(&state))
        .route("/metrics", axum::routing::get(metrics::handler))
        .route_layer(axum::middleware::from_fn(metrics::mark_route))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), id = %id)
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(axum::middleware::from_fn(metrics::record));
    // Outermost, so that every answer (404s and timeouts included) carries the CORS headers.
    compat::cors::apply(routes, &cors_domain).with_state(state)
}

/// Serves `state` on `listener` until SIGINT or SIGTERM.
/// Connections beyond `max_connections` wait to be accepted; connections idle for
/// `idle_timeout` are closed.
pub async fn serve(listener: TcpListener, state: AppState) -> std::io::Result<()> {
    let limits = metrics::ConnectionLimits {
        max_connections: state.settings.max_connections,
        idle_timeout: state.settings.idle_timeout,
    };
    axum::serve(
        metrics::LimitedListener::new(listener, limits),
        router(state).into_make_service_with_connect_info::<PeerAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
}

/// The address a connection comes from (request extension `ConnectInfo<PeerAddr>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub std::net::SocketAddr);

impl
    axum::extract::connect_info::Connected<
        axum::serve::IncomingStream<'_, metrics::LimitedListener>,
    > for PeerAddr
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, metrics::LimitedListener>) -> Self {
        PeerAddr(*stream.remote_addr())
    }
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
