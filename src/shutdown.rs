//! Graceful shutdown: the signal long-lived tasks (WebSocket sessions) listen to, and the
//! tally of those still running, so that the server can wait for them within a bound.

use std::future::Future;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tokio_util::task::task_tracker::TrackedFuture;

/// Shared by the server and every task that must end cleanly when it stops; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    requested: CancellationToken,
    sessions: TaskTracker,
}

impl Shutdown {
    /// Asks every listener to finish.
    pub fn request(&self) {
        self.requested.cancel();
    }

    /// Completes once shutdown was requested.
    pub async fn requested(&self) {
        self.requested.cancelled().await;
    }

    /// Wraps a long-lived session so that [`Shutdown::sessions_ended`] waits for it.
    pub fn track<F: Future>(&self, session: F) -> TrackedFuture<F> {
        self.sessions.track_future(session)
    }

    /// Completes once every tracked session has ended (call after [`Shutdown::request`]).
    pub async fn sessions_ended(&self) {
        self.sessions.close();
        self.sessions.wait().await;
    }
}
