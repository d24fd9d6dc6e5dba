//! The service's metrics, kept in a `prometheus-client` registry owned by the application
//! state and exposed as `GET /metrics` in the Prometheus text format (version 0.0.4).
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `peba_http_requests_total` | counter | `route` (the matched route pattern, `unmatched` for 404s), `status` |
//! | `peba_http_request_duration_seconds` | histogram | `route` |
//! | `peba_http_requests_in_flight` | gauge | |
//! | `peba_http_connections_open` | gauge | |
//! | `peba_http_connections_total` | counter | |
//! | `peba_http_connections_waited_total` | counter | (accepts delayed by the connection limit) |
//! | `peba_http_connections_refused_total` | counter | (closed at once: the client address had its limit) |
//! | `peba_http_connections_idle_closed_total` | counter | (closed by the idle timeout) |
//! | `peba_http_connections_limit` | gauge | |
//! | `peba_http_slow_bodies_total` | counter | (bodies cut off below the minimum rate) |
//! | `peba_ingest_messages_total` | counter | `outcome` (`ok`, `refused`, `failed`) |
//! | `peba_ingest_alerts_total` | counter | (acknowledged, durable alerts) |
//! | `peba_store_write_errors_total` | counter | |
//! | `peba_store_writes_total` | counter | (group commits) |
//! | `peba_writer_backlog_alerts` | gauge | |
//! | `peba_cache_hits_total`, `peba_cache_misses_total` | counter | |
//! | `peba_store_read_errors_total` | counter | |
//! | `peba_retention_passes_total` | counter | (retention passes completed, space returned) |
//! | `peba_retention_deleted_alerts_total` | counter | |

use crate::app::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::Instant;

/// Upper bounds (seconds) of the latency histogram buckets.
pub const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Label of requests that matched no route.
pub const UNMATCHED: &str = "unmatched";

/// Labels of a request count.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteStatus {
    route: String,
    status: u16,
}

/// Labels of a latency histogram.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteOnly {
    route: String,
}

/// Labels of an ingest outcome.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    outcome: &'static str,
}

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS.iter().copied())
}

/// What the listener counts about connections.
#[derive(Clone, Default)]
pub struct ConnectionMetrics {
    /// Open client connections.
    pub open: Gauge,
    /// Connections accepted since start.
    pub total: Counter,
    /// Accepts that had to wait for a free connection slot.
    pub waited: Counter,
    /// Connections closed at once because their address held its limit.
    pub refused: Counter,
    /// Connections closed because the client sent nothing for the idle timeout.
    pub idle_closed: Counter,
    /// The connection limit in force.
    pub limit: Gauge,
}

/// What the group-commit writer counts.
#[derive(Clone, Default)]
pub struct WriterMetrics {
    /// Group commits written.
    pub writes: Counter,
    /// Group commits that failed.
    pub write_errors: Counter,
    /// Alerts waiting for the writer.
    pub backlog: Gauge,
}

/// What the query layer counts.
#[derive(Clone, Default)]
pub struct ReadMetrics {
    /// Answers served from the cache.
    pub cache_hits: Counter,
    /// Answers computed for the cache.
    pub cache_misses: Counter,
    /// Reads answered with a store error.
    pub store_read_errors: Counter,
}

/// What retention counts.
#[derive(Clone, Default)]
pub struct RetentionMetrics {
    /// Passes completed (old alerts deleted and their space returned).
    pub passes: Counter,
    /// Alerts deleted.
    pub deleted_alerts: Counter,
}

/// Every metric of one server, and the registry that exposes them.
pub struct Metrics {
    registry: Registry,
    requests: Family<RouteStatus, Counter>,
    durations: Family<RouteOnly, Histogram, fn() -> Histogram>,
    in_flight: Gauge,
    /// Bodies cut off because they arrived below the minimum rate.
    pub slow_bodies: Counter,
    /// Connection accounting.
    pub connections: ConnectionMetrics,
    ingest_messages: Family<Outcome, Counter>,
    /// Alerts acknowledged (durable).
    pub alerts_ingested: Counter,
    /// Group-commit writer accounting.
    pub writer: WriterMetrics,
    /// Read and cache accounting.
    pub reads: ReadMetrics,
    /// Retention accounting.
    pub retention: RetentionMetrics,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A registry with every metric at zero.
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let requests = Family::<RouteStatus, Counter>::default();
        let durations: Family<RouteOnly, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        let in_flight = Gauge::default();
        let slow_bodies = Counter::default();
        let connections = ConnectionMetrics::default();
        let ingest_messages = Family::<Outcome, Counter>::default();
        for outcome in ["ok", "refused", "failed"] {
            let _ = ingest_messages.get_or_create(&Outcome { outcome });
        }
        let alerts_ingested = Counter::default();
        let writer = WriterMetrics::default();
        let reads = ReadMetrics::default();
        let retention = RetentionMetrics::default();
        let r = &mut registry;
        r.register(
            "peba_http_requests",
            "HTTP requests answered, by route and status",
            requests.clone(),
        );
        r.register(
            "peba_http_request_duration_seconds",
            "Time to answer a request, by route",
            durations.clone(),
        );
        r.register(
            "peba_http_requests_in_flight",
            "Requests being answered",
            in_flight.clone(),
        );
        r.register(
            "peba_http_connections_open",
            "Open client connections",
            connections.open.clone(),
        );
        r.register(
            "peba_http_connections_limit",
            "Most client connections served at once",
            connections.limit.clone(),
        );
        r.register(
            "peba_http_connections",
            "Client connections accepted",
            connections.total.clone(),
        );
        r.register(
            "peba_http_connections_waited",
            "Connections that waited for a free slot under the connection limit",
            connections.waited.clone(),
        );
        r.register(
            "peba_http_connections_refused",
            "Connections closed at once because their client address held its limit",
            connections.refused.clone(),
        );
        r.register(
            "peba_http_connections_idle_closed",
            "Connections closed because the client sent nothing within the idle timeout",
            connections.idle_closed.clone(),
        );
        r.register(
            "peba_http_slow_bodies",
            "Request bodies cut off because they arrived below the minimum rate",
            slow_bodies.clone(),
        );
        r.register(
            "peba_ingest_messages",
            "EWS messages posted, by outcome",
            ingest_messages.clone(),
        );
        r.register(
            "peba_ingest_alerts",
            "Alerts acknowledged as durable",
            alerts_ingested.clone(),
        );
        r.register(
            "peba_store_writes",
            "Group commits written to the store",
            writer.writes.clone(),
        );
        r.register(
            "peba_store_write_errors",
            "Group commits the store refused",
            writer.write_errors.clone(),
        );
        r.register(
            "peba_store_read_errors",
            "Reads answered with a store error",
            reads.store_read_errors.clone(),
        );
        r.register(
            "peba_writer_backlog_alerts",
            "Alerts accepted but not yet written",
            writer.backlog.clone(),
        );
        r.register(
            "peba_cache_hits",
            "Answers served from the answer cache",
            reads.cache_hits.clone(),
        );
        r.register(
            "peba_cache_misses",
            "Answers computed for the answer cache",
            reads.cache_misses.clone(),
        );
        r.register(
            "peba_retention_passes",
            "Retention passes completed (old alerts deleted, their space returned)",
            retention.passes.clone(),
        );
        r.register(
            "peba_retention_deleted_alerts",
            "Alerts deleted by retention",
            retention.deleted_alerts.clone(),
        );
        Metrics {
            registry,
            requests,
            durations,
            in_flight,
            slow_bodies,
            connections,
            ingest_messages,
            alerts_ingested,
            writer,
            reads,
            retention,
        }
    }

    /// Records one answered request.
    pub fn record_request(&self, route: &str, status: u16, elapsed: std::time::Duration) {
        self.requests
            .get_or_create(&RouteStatus {
                route: route.to_owned(),
                status,
            })
            .inc();
        self.durations
            .get_or_create(&RouteOnly {
                route: route.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// Requests counted for `route` with `status`.
    pub fn requests(&self, route: &str, status: u16) -> u64 {
        self.requests
            .get(&RouteStatus {
                route: route.to_owned(),
                status,
            })
            .map_or(0, |c| c.get())
    }

    /// Counts one ingest message: `ok`, `refused` (bad body, credentials, size) or `failed`
    /// (the store could not write it).
    pub fn ingest_message(&self, outcome: &'static str) {
        self.ingest_messages
            .get_or_create(&Outcome { outcome })
            .inc();
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(8 * 1024);
        // Writing into a `String` cannot fail.
        let _ = prometheus_text::encode(&mut out, &self.registry);
        out
    }
}

/// `GET /metrics`.
pub async fn handler(State(state): State<AppState>) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, prometheus_text::CONTENT_TYPE)],
        state.metrics.render(),
    )
        .into_response()
}

/// The route a request matched, handed from the inner marker to the outer recorder.
#[derive(Clone)]
struct RouteLabel(Arc<str>);

/// Inner middleware (a route layer): notes the matched route pattern on the response.
pub async fn mark_route(request: Request, next: Next) -> Response {
    let label = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| RouteLabel(Arc::from(p.as_str())));
    let mut response = next.run(request).await;
    if let Some(label) = label {
        response.extensions_mut().insert(label);
    }
    response
}

/// Outer middleware: counts every request by route and status and times it.
pub async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let metrics = &state.metrics;
    let started = Instant::now();
    metrics.in_flight.inc();
    let response = next.run(request).await;
    metrics.in_flight.dec();
    let route = response
        .extensions()
        .get::<RouteLabel>()
        .map_or(UNMATCHED, |l| &l.0);
    metrics.record_request(route, response.status().as_u16(), started.elapsed());
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn exposition_has_every_family() {
        let m = Metrics::new();
        m.record_request("/alert/x", 200, Duration::from_millis(3));
        m.record_request("/alert/x", 200, Duration::from_secs(20));
        m.record_request("/alert/x", 503, Duration::from_micros(100));
        m.reads.cache_hits.inc_by(2);
        let text = m.render();
        assert!(
            text.contains("peba_http_requests_total{route=\"/alert/x\",status=\"200\"} 2"),
            "{text}"
        );
        assert!(text.contains("peba_http_requests_total{route=\"/alert/x\",status=\"503\"} 1"));
        for (bound, count) in [("0.0005", 1), ("0.005", 2), ("2.5", 2), ("+Inf", 3)] {
            let sample = format!(
                "peba_http_request_duration_seconds_bucket{{route=\"/alert/x\",le=\"{bound}\"}} {count}"
            );
            assert!(text.contains(&sample), "{sample} in\n{text}");
        }
        assert!(text.contains("peba_http_request_duration_seconds_count{route=\"/alert/x\"} 3"));
        assert!(text.contains("peba_cache_hits_total 2"));
        assert!(text.contains("peba_ingest_messages_total{outcome=\"failed\"} 0"));
        assert_eq!(m.requests("/alert/x", 200), 2);
        // Every sample line is `name{labels} value` or `name value`.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let value = line.rsplit(' ').next().unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
    }

    #[test]
    fn every_server_has_its_own_registry() {
        let (a, b) = (Metrics::new(), Metrics::new());
        a.alerts_ingested.inc();
        assert!(a.render().contains("peba_ingest_alerts_total 1"));
        assert!(b.render().contains("peba_ingest_alerts_total 0"));
    }
}
