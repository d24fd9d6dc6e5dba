//! Process-wide counters, exposed as `GET /metrics` in the Prometheus text format
//! (version 0.0.4), and the connection-counting, connection-limiting listener.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `peba_http_requests_total` | counter | `route` (the matched route pattern, `unmatched` for 404s), `status` |
//! | `peba_http_request_duration_seconds` | histogram | `route` |
//! | `peba_http_requests_in_flight` | gauge | |
//! | `peba_http_connections_open` | gauge | |
//! | `peba_http_connections_total` | counter | |
//! | `peba_http_connections_waited_total` | counter | (accepts delayed by the connection limit) |
//! | `peba_http_connections_idle_closed_total` | counter | (closed by the idle timeout) |
//! | `peba_http_connections_limit` | gauge | |
//! | `peba_ingest_messages_total` | counter | `outcome` (`ok`, `refused`, `failed`) |
//! | `peba_ingest_alerts_total` | counter | (acknowledged, durable alerts) |
//! | `peba_store_write_errors_total` | counter | |
//! | `peba_store_writes_total` | counter | (group commits) |
//! | `peba_writer_backlog_alerts` | gauge | |
//! | `peba_cache_hits_total`, `peba_cache_misses_total` | counter | |
//! | `peba_store_read_errors_total` | counter | |
//!
//! Counters are plain atomics: recording costs a few nanoseconds and never blocks a request on
//! another one (per-route series are created once, under a short lock).

use axum::extract::{MatchedPath, Request};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, RwLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Upper bounds (seconds) of the latency histogram buckets.
pub const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Label of requests that matched no route.
pub const UNMATCHED: &str = "unmatched";

#[derive(Default)]
struct RouteSeries {
    /// Counts per status code.
    statuses: RwLock<BTreeMap<u16, Arc<AtomicU64>>>,
    /// Cumulative-free bucket counts (one per bound, plus +Inf).
    buckets: [AtomicU64; 15],
    /// Sum of latencies in microseconds.
    sum_micros: AtomicU64,
    count: AtomicU64,
}

impl RouteSeries {
    fn record(&self, status: u16, elapsed: Duration) {
        let counter = self
            .statuses
            .read()
            .ok()
            .and_then(|m| m.get(&status).cloned());
        let counter = match counter {
            Some(c) => c,
            None => match self.statuses.write() {
                Ok(mut m) => m.entry(status).or_default().clone(),
                Err(_) => return,
            },
        };
        counter.fetch_add(1, Ordering::Relaxed);
        let seconds = elapsed.as_secs_f64();
        let slot = LATENCY_BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(LATENCY_BUCKETS.len());
        self.buckets[slot].fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }
}

/// Every counter of the process.
#[derive(Default)]
pub struct Metrics {
    routes: RwLock<BTreeMap<String, Arc<RouteSeries>>>,
    /// Requests being answered.
    pub in_flight: AtomicI64,
    /// Open client connections.
    pub connections_open: AtomicI64,
    /// Connections accepted since start.
    pub connections_total: AtomicU64,
    /// Accepts that had to wait for a free connection slot.
    pub connections_waited: AtomicU64,
    /// Connections closed because the client sent nothing for the idle timeout.
    pub connections_idle_closed: AtomicU64,
    /// The connection limit in force (0: none).
    pub connections_limit: AtomicU64,
    /// Ingest messages acknowledged.
    pub ingest_ok: AtomicU64,
    /// Ingest messages refused (bad body, credentials, size).
    pub ingest_refused: AtomicU64,
    /// Ingest messages that failed in the store (answered 503).
    pub ingest_failed: AtomicU64,
    /// Alerts acknowledged (durable).
    pub alerts_ingested: AtomicU64,
    /// Group commits written.
    pub store_writes: AtomicU64,
    /// Group commits that failed.
    pub store_write_errors: AtomicU64,
    /// Reads answered with a store error.
    pub store_read_errors: AtomicU64,
    /// Answers served from the cache.
    pub cache_hits: AtomicU64,
    /// Answers computed for the cache.
    pub cache_misses: AtomicU64,
    /// Alerts waiting for the writer.
    pub writer_backlog: AtomicI64,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::default);

/// The process-wide metrics.
pub fn global() -> &'static Metrics {
    &METRICS
}

/// Adds one to a counter of [`global`].
pub fn inc(counter: impl Fn(&Metrics) -> &AtomicU64) {
    counter(global()).fetch_add(1, Ordering::Relaxed);
}

impl Metrics {
    /// Records one answered request.
    pub fn record_request(&self, route: &str, status: u16, elapsed: Duration) {
        let series = self.routes.read().ok().and_then(|m| m.get(route).cloned());
        let series = match series {
            Some(s) => s,
            None => match self.routes.write() {
                Ok(mut m) => m.entry(route.to_owned()).or_default().clone(),
                Err(_) => return,
            },
        };
        series.record(status, elapsed);
    }

    /// Requests counted for `route` with `status`.
    pub fn requests(&self, route: &str, status: u16) -> u64 {
        self.routes
            .read()
            .ok()
            .and_then(|m| {
                m.get(route).and_then(|s| {
                    s.statuses
                        .read()
                        .ok()
                        .and_then(|st| st.get(&status).map(|c| c.load(Ordering::Relaxed)))
                })
            })
            .unwrap_or(0)
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(8 * 1024);
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        out.push_str("# HELP peba_http_requests_total HTTP requests answered, by route and status.\n# TYPE peba_http_requests_total counter\n");
        let routes: Vec<(String, Arc<RouteSeries>)> = self
            .routes
            .read()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        for (route, series) in &routes {
            if let Ok(statuses) = series.statuses.read() {
                for (status, count) in statuses.iter() {
                    let _ = writeln!(
                        out,
                        "peba_http_requests_total{{route=\"{}\",status=\"{status}\"}} {}",
                        escape(route),
                        load(count)
                    );
                }
            }
        }
        out.push_str("# HELP peba_http_request_duration_seconds Time to answer a request, by route.\n# TYPE peba_http_request_duration_seconds histogram\n");
        for (route, series) in &routes {
            let route = escape(route);
            let mut cumulative = 0;
            for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
                cumulative += load(&series.buckets[i]);
                let _ = writeln!(
                    out,
                    "peba_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}"
                );
            }
            cumulative += load(&series.buckets[LATENCY_BUCKETS.len()]);
            let _ = writeln!(
                out,
                "peba_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {cumulative}\n\
                 peba_http_request_duration_seconds_sum{{route=\"{route}\"}} {}\n\
                 peba_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                load(&series.sum_micros) as f64 / 1e6,
                load(&series.count)
            );
        }
        let gauge = |out: &mut String, name: &str, help: &str, value: i64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        };
        let counter = |out: &mut String, name: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        };
        gauge(
            &mut out,
            "peba_http_requests_in_flight",
            "Requests being answered.",
            self.in_flight.load(Ordering::Relaxed),
        );
        gauge(
            &mut out,
            "peba_http_connections_open",
            "Open client connections.",
            self.connections_open.load(Ordering::Relaxed),
        );
        gauge(
            &mut out,
            "peba_http_connections_limit",
            "Most client connections served at once (0: no limit).",
            load(&self.connections_limit) as i64,
        );
        counter(
            &mut out,
            "peba_http_connections_total",
            "Client connections accepted.",
            load(&self.connections_total),
        );
        counter(
            &mut out,
            "peba_http_connections_waited_total",
            "Connections that waited for a free slot under the connection limit.",
            load(&self.connections_waited),
        );
        counter(
            &mut out,
            "peba_http_connections_idle_closed_total",
            "Connections closed because the client sent nothing within the idle timeout.",
            load(&self.connections_idle_closed),
        );
        let _ = writeln!(
            out,
            "# HELP peba_ingest_messages_total EWS messages posted, by outcome.\n# TYPE peba_ingest_messages_total counter\n\
             peba_ingest_messages_total{{outcome=\"ok\"}} {}\n\
             peba_ingest_messages_total{{outcome=\"refused\"}} {}\n\
             peba_ingest_messages_total{{outcome=\"failed\"}} {}",
            load(&self.ingest_ok),
            load(&self.ingest_refused),
            load(&self.ingest_failed)
        );
        counter(
            &mut out,
            "peba_ingest_alerts_total",
            "Alerts acknowledged as durable.",
            load(&self.alerts_ingested),
        );
        counter(
            &mut out,
            "peba_store_writes_total",
            "Group commits written to the store.",
            load(&self.store_writes),
        );
        counter(
            &mut out,
            "peba_store_write_errors_total",
            "Group commits the store refused.",
            load(&self.store_write_errors),
        );
        counter(
            &mut out,
            "peba_store_read_errors_total",
            "Reads answered with a store error.",
            load(&self.store_read_errors),
        );
        gauge(
            &mut out,
            "peba_writer_backlog_alerts",
            "Alerts accepted but not yet written.",
            self.writer_backlog.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "peba_cache_hits_total",
            "Answers served from the answer cache.",
            load(&self.cache_hits),
        );
        counter(
            &mut out,
            "peba_cache_misses_total",
            "Answers computed for the answer cache.",
            load(&self.cache_misses),
        );
        out
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// `GET /metrics`.
pub async fn handler() -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        global().render(),
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
pub async fn record(request: Request, next: Next) -> Response {
    let metrics = global();
    let started = Instant::now();
    metrics.in_flight.fetch_add(1, Ordering::Relaxed);
    let response = next.run(request).await;
    metrics.in_flight.fetch_sub(1, Ordering::Relaxed);
    let route = response
        .extensions()
        .get::<RouteLabel>()
        .map_or(UNMATCHED, |l| &l.0);
    metrics.record_request(route, response.status().as_u16(), started.elapsed());
    response
}

/// Connection limits: how many connections are served at once, and how long a connection may
/// stay silent.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Most connections served at once; further ones wait in the listen backlog.
    pub max_connections: usize,
    /// A connection on which the client sends nothing for this long is closed (this bounds
    /// slow clients: a request's headers and body must keep arriving).
    pub idle_timeout: Duration,
}

/// A listener that counts connections, holds at most `max_connections` open, and closes
/// connections idle for `idle_timeout`.
pub struct LimitedListener {
    inner: TcpListener,
    slots: Arc<Semaphore>,
    limits: ConnectionLimits,
}

impl LimitedListener {
    /// Wraps `inner`.
    pub fn new(inner: TcpListener, limits: ConnectionLimits) -> Self {
        global()
            .connections_limit
            .store(limits.max_connections as u64, Ordering::Relaxed);
        LimitedListener {
            inner,
            slots: Arc::new(Semaphore::new(limits.max_connections.max(1))),
            limits,
        }
    }
}

impl axum::serve::Listener for LimitedListener {
    type Io = LimitedStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let permit = match self.slots.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                global().connections_waited.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    limit = self.limits.max_connections,
                    "connection limit reached; new connections wait"
                );
                self.slots
                    .clone()
                    .acquire_owned()
                    .await
                    .expect("the semaphore is never closed")
            }
        };
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    let _ = stream.set_nodelay(true);
                    let metrics = global();
                    metrics.connections_total.fetch_add(1, Ordering::Relaxed);
                    metrics.connections_open.fetch_add(1, Ordering::Relaxed);
                    return (
                        LimitedStream {
                            inner: stream,
                            _permit: permit,
                            idle_timeout: self.limits.idle_timeout,
                            deadline: Box::pin(tokio::time::sleep(self.limits.idle_timeout)),
                        },
                        addr,
                    );
                }
                Err(error) => {
                    // Out of file descriptors and the like: wait a little, as axum does.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// An accepted connection: holds its slot, counts itself open, and times out when idle.
pub struct LimitedStream {
    inner: TcpStream,
    _permit: OwnedSemaphorePermit,
    idle_timeout: Duration,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl Drop for LimitedStream {
    fn drop(&mut self) {
        global().connections_open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl AsyncRead for LimitedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(result) => {
                if buf.filled().len() > before {
                    let next = tokio::time::Instant::now() + self.idle_timeout;
                    self.deadline.as_mut().reset(next);
                }
                Poll::Ready(result)
            }
            Poll::Pending => match self.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    global()
                        .connections_idle_closed
                        .fetch_add(1, Ordering::Relaxed);
                    Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "client idle for too long",
                    )))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

impl AsyncWrite for LimitedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            // An answer is going out: the client is not idle, the server is working.
            let next = tokio::time::Instant::now() + self.idle_timeout;
            self.deadline.as_mut().reset(next);
        }
        result
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            let next = tokio::time::Instant::now() + self.idle_timeout;
            self.deadline.as_mut().reset(next);
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_has_every_family() {
        let m = Metrics::default();
        m.record_request("/alert/x", 200, Duration::from_millis(3));
        m.record_request("/alert/x", 200, Duration::from_secs(20));
        m.record_request("/alert/x", 503, Duration::from_micros(100));
        m.cache_hits.fetch_add(2, Ordering::Relaxed);
        let text = m.render();
        assert!(
            text.contains("peba_http_requests_total{route=\"/alert/x\",status=\"200\"} 2"),
            "{text}"
        );
        assert!(text.contains("peba_http_requests_total{route=\"/alert/x\",status=\"503\"} 1"));
        assert!(text.contains(
            "peba_http_request_duration_seconds_bucket{route=\"/alert/x\",le=\"0.0005\"} 1"
        ));
        assert!(text.contains(
            "peba_http_request_duration_seconds_bucket{route=\"/alert/x\",le=\"0.005\"} 2"
        ));
        assert!(text.contains(
            "peba_http_request_duration_seconds_bucket{route=\"/alert/x\",le=\"+Inf\"} 3"
        ));
        assert!(text.contains("peba_http_request_duration_seconds_count{route=\"/alert/x\"} 3"));
        assert!(text.contains("peba_cache_hits_total 2"));
        assert_eq!(m.requests("/alert/x", 200), 2);
        // Every sample line is `name{labels} value` or `name value`.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let value = line.rsplit(' ').next().unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
    }

    #[test]
    fn labels_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
