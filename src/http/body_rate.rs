//! Minimum body rate: every request body gets `body_timeout`, and after that must keep
//! arriving at `min_body_rate` bytes a second on average. A body that falls behind is cut
//! off and the request answered 408 with the connection closed, so slow senders cannot hold
//! connection slots that others need.

use crate::metrics::Metrics;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body::{Frame, SizeHint};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

/// The slowest body accepted.
#[derive(Debug, Clone, Copy)]
pub struct BodyRate {
    /// Time every body gets before the rate applies.
    pub grace: Duration,
    /// Bytes a second the body must average after that.
    pub min_bytes_per_second: u64,
}

impl BodyRate {
    /// When a body that started at `started` and has delivered `received` bytes is late.
    fn deadline(&self, started: Instant, received: u64) -> Instant {
        started
            + self.grace
            + Duration::from_secs_f64(received as f64 / self.min_bytes_per_second as f64)
    }
}

/// What the middleware needs.
#[derive(Clone)]
pub struct BodyRateState {
    /// The rate enforced.
    pub rate: BodyRate,
    /// Where cut-offs are counted.
    pub metrics: Arc<Metrics>,
}

/// Middleware: enforces [`BodyRate`] on the request body.
pub async fn enforce(State(state): State<BodyRateState>, request: Request, next: Next) -> Response {
    if http_body::Body::is_end_stream(request.body()) {
        return next.run(request).await;
    }
    let cut = Arc::new(AtomicBool::new(false));
    let request = request.map(|body| {
        let started = Instant::now();
        Body::new(RateBody {
            inner: body,
            rate: state.rate,
            started,
            received: 0,
            late: Box::pin(tokio::time::sleep_until(state.rate.deadline(started, 0))),
            cut: cut.clone(),
        })
    });
    let response = next.run(request).await;
    if !cut.load(Ordering::Relaxed) {
        return response;
    }
    state.metrics.slow_bodies.inc();
    tracing::debug!("request body below the minimum rate; cut off");
    (
        StatusCode::REQUEST_TIMEOUT,
        [(header::CONNECTION, "close")],
        "request body too slow\n",
    )
        .into_response()
}

/// A request body that fails once it falls behind its deadline.
struct RateBody {
    inner: Body,
    rate: BodyRate,
    started: Instant,
    received: u64,
    late: Pin<Box<Sleep>>,
    cut: Arc<AtomicBool>,
}

/// The error a late body ends with.
#[derive(Debug, thiserror::Error)]
#[error("request body below the minimum rate")]
struct TooSlow;

impl http_body::Body for RateBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        if this.cut.load(Ordering::Relaxed) {
            return Poll::Ready(Some(Err(axum::Error::new(TooSlow))));
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received += data.len() as u64;
                    let deadline = this.rate.deadline(this.started, this.received);
                    this.late.as_mut().reset(deadline);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Pending => match this.late.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.cut.store(true, Ordering::Relaxed);
                    Poll::Ready(Some(Err(axum::Error::new(TooSlow))))
                }
                Poll::Pending => Poll::Pending,
            },
            other => other,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
