//! The HTTP server: routes of every front end, shared middleware, client addresses,
//! connection limits and graceful shutdown.

mod access_log;
mod body_rate;
pub mod client_addr;
mod listener;

pub use client_addr::{ClientAddr, ForwardedHeader, TrustedProxies};

use crate::app::AppState;
use crate::compat;
use crate::config::{MetricsBind, Settings};
use crate::metrics;
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, DefaultBodyLimit};
use axum::http::{HeaderName, Request};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::get;
use body_rate::{BodyRate, BodyRateState};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use listener::{ConnectionLimits, LimitedListener};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt as _;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// Longest time a request may take before it is answered 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The trusted proxies the settings name.
pub fn trusted_proxies(settings: &Settings) -> Arc<TrustedProxies> {
    Arc::new(TrustedProxies::new(
        settings.trusted_proxies.clone(),
        settings.forwarded_header,
    ))
}

/// The complete application: every route with its middleware.
pub fn router(state: AppState) -> Router {
    let settings = state.settings.clone();
    let mut routes = compat::router()
        .merge(crate::graphql::router(&state))
        .merge(crate::feeds::router(&state));
    if settings.metrics_bind == MetricsBind::Same {
        routes = routes.route("/metrics", get(metrics::handler));
    }
    let body_rate = BodyRateState {
        rate: BodyRate {
            grace: settings.body_timeout,
            min_bytes_per_second: settings.min_body_rate,
        },
        metrics: state.metrics.clone(),
    };
    let routes = routes
        .route_layer(from_fn(metrics::mark_route))
        .layer(DefaultBodyLimit::max(settings.max_body_bytes))
        .layer(from_fn_with_state(body_rate, body_rate::enforce))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), id = %id)
        }));
    let routes = if settings.access_log {
        routes.layer(from_fn(access_log::log))
    } else {
        routes
    };
    let routes = routes
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(from_fn_with_state(state.clone(), metrics::record))
        .layer(from_fn_with_state(
            trusted_proxies(&settings),
            client_addr::resolve,
        ));
    // Outermost, so that every answer (404s and timeouts included) carries the CORS headers.
    compat::cors::apply(
        routes,
        &settings.cors_domain,
        &settings.graphql_cors_origins,
    )
    .with_state(state)
}

/// Serves `state` on `listener` (and `GET /metrics` on `metrics_bind` when that is an
/// address of its own) until SIGINT or SIGTERM. On the signal the listener closes, requests
/// under way are answered, WebSocket sessions close with 1001 (going away), and the function
/// returns once all of that is done or `shutdown_timeout` has passed.
pub async fn serve(listener: TcpListener, state: AppState) -> std::io::Result<()> {
    let settings = state.settings.clone();
    let metrics_listener = match settings.metrics_bind {
        MetricsBind::Address(address) => Some(TcpListener::bind(address).await.map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("cannot listen on {address} (metrics_bind): {e}"),
            )
        })?),
        MetricsBind::Same | MetricsBind::Off => None,
    };
    let listener = LimitedListener::new(
        listener,
        ConnectionLimits {
            max_connections: settings.max_connections,
            max_per_address: settings.max_connections_per_address,
            idle_timeout: settings.idle_timeout,
        },
        trusted_proxies(&settings),
        state.metrics.connections.clone(),
    );
    let (stop, stopped) = watch::channel(false);
    let metrics_server = metrics_listener.map(|listener| {
        if let Ok(address) = listener.local_addr() {
            tracing::info!(%address, "metrics listening");
        }
        let app = Router::new()
            .route("/metrics", get(metrics::handler))
            .with_state(state.clone());
        let mut stopped = stopped.clone();
        tokio::spawn(
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.wait_for(|s| *s).await;
                })
                .into_future(),
        )
    });
    let shutdown = state.shutdown.clone();
    tokio::spawn({
        let shutdown = shutdown.clone();
        async move {
            shutdown_signal().await;
            shutdown.request();
        }
    });
    let drained = async {
        let requested = shutdown.clone();
        serve_connections(
            listener,
            router(state),
            settings.header_timeout,
            async move { requested.requested().await },
        )
        .await;
        shutdown.sessions_ended().await;
    };
    let deadline = async {
        shutdown.requested().await;
        tokio::time::sleep(settings.shutdown_timeout).await;
    };
    tokio::select! {
        () = drained => {}
        () = deadline => {
            tracing::warn!(seconds = settings.shutdown_timeout.as_secs(), "shutdown_timeout passed; closing what is still open");
        }
    }
    let _ = stop.send(true);
    if let Some(server) = metrics_server {
        server.await.map_err(std::io::Error::other)??;
    }
    Ok(())
}

/// Accepts connections until `signal`, serving each with HTTP/1.1 (upgrades included) and a
/// deadline of `header_timeout` for the request headers; then lets every connection finish
/// its request in flight and returns once all are closed.
async fn serve_connections(
    mut listener: LimitedListener,
    app: Router,
    header_timeout: Duration,
    signal: impl Future<Output = ()>,
) {
    let (shut_down, shutting_down) = watch::channel(false);
    let (all_closed, open) = watch::channel(());
    tokio::pin!(signal);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut signal => break,
        };
        let service = TowerToHyperService::new(app.clone().map_request(
            move |mut request: Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request.map(Body::new)
            },
        ));
        let mut shutting_down = shutting_down.clone();
        let open = open.clone();
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout);
            let connection = builder
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            tokio::pin!(connection);
            let finished = tokio::select! {
                result = connection.as_mut() => Some(result),
                _ = shutting_down.wait_for(|s| *s) => None,
            };
            let result = match finished {
                Some(result) => result,
                None => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = result {
                tracing::debug!(%error, client = %peer, "connection ended with an error");
            }
            drop(open);
        });
    }
    drop(listener);
    let _ = shut_down.send(true);
    drop(open);
    all_closed.closed().await;
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
