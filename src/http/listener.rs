//! The listener: counts connections, holds at most `max_connections` open (more wait in the
//! listen backlog), at most `max_connections_per_address` per client address (more are
//! closed at once), and closes connections whose client stays silent for `idle_timeout`.

use super::client_addr::{TrustedProxies, limit_key};
use crate::metrics::ConnectionMetrics;
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How many connections are served at once, per address, and how long one may stay silent.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Most connections served at once; further ones wait in the listen backlog.
    pub max_connections: usize,
    /// Most connections one client address holds; further ones are closed at once.
    /// Trusted proxies are exempt.
    pub max_per_address: usize,
    /// A connection on which the client sends nothing for this long is closed.
    pub idle_timeout: Duration,
}

/// Open connections per client address (IPv6 by /64).
#[derive(Default)]
struct AddressCounts(Mutex<HashMap<IpAddr, usize>>);

impl AddressCounts {
    /// Takes a slot for `ip` unless it holds `max` already.
    fn take(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<AddressSlot> {
        let key = limit_key(ip);
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let count = counts.entry(key).or_default();
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(AddressSlot {
            counts: self.clone(),
            key,
        })
    }
}

/// One connection's share of its address's limit, given back on drop.
struct AddressSlot {
    counts: Arc<AddressCounts>,
    key: IpAddr,
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut counts = self.counts.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = counts.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.key);
            }
        }
    }
}

/// A listener enforcing [`ConnectionLimits`].
pub struct LimitedListener {
    inner: TcpListener,
    slots: Arc<Semaphore>,
    per_address: Arc<AddressCounts>,
    proxies: Arc<TrustedProxies>,
    limits: ConnectionLimits,
    metrics: ConnectionMetrics,
}

impl LimitedListener {
    /// Wraps `inner`; connections from `proxies` are not limited per address.
    pub fn new(
        inner: TcpListener,
        limits: ConnectionLimits,
        proxies: Arc<TrustedProxies>,
        metrics: ConnectionMetrics,
    ) -> Self {
        metrics.limit.set(limits.max_connections as i64);
        LimitedListener {
            inner,
            slots: Arc::new(Semaphore::new(limits.max_connections.max(1))),
            per_address: Arc::default(),
            proxies,
            limits,
            metrics,
        }
    }

    /// The next connection within the limits.
    pub async fn accept(&mut self) -> (LimitedStream, SocketAddr) {
        let permit = match self.slots.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                self.metrics.waited.inc();
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
            let (stream, addr) = match self.inner.accept().await {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait a little, as axum does.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let address_slot = if self.proxies.contains(addr.ip()) {
                None
            } else {
                match self
                    .per_address
                    .take(addr.ip(), self.limits.max_per_address)
                {
                    Some(slot) => Some(slot),
                    None => {
                        self.metrics.refused.inc();
                        tracing::debug!(client = %addr.ip(), limit = self.limits.max_per_address, "per-address connection limit reached; connection closed");
                        continue;
                    }
                }
            };
            let _ = stream.set_nodelay(true);
            self.metrics.total.inc();
            self.metrics.open.inc();
            let stream = LimitedStream {
                inner: stream,
                _permit: permit,
                _address_slot: address_slot,
                idle_timeout: self.limits.idle_timeout,
                deadline: Box::pin(tokio::time::sleep(self.limits.idle_timeout)),
                metrics: self.metrics.clone(),
            };
            return (stream, addr);
        }
    }
}

/// An accepted connection: holds its slots, counts itself open, and times out when idle.
pub struct LimitedStream {
    inner: TcpStream,
    _permit: OwnedSemaphorePermit,
    _address_slot: Option<AddressSlot>,
    idle_timeout: Duration,
    deadline: Pin<Box<tokio::time::Sleep>>,
    metrics: ConnectionMetrics,
}

impl LimitedStream {
    fn touch(&mut self) {
        let next = tokio::time::Instant::now() + self.idle_timeout;
        self.deadline.as_mut().reset(next);
    }
}

impl Drop for LimitedStream {
    fn drop(&mut self) {
        self.metrics.open.dec();
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
                    self.touch();
                }
                Poll::Ready(result)
            }
            Poll::Pending => match self.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    self.metrics.idle_closed.inc();
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
            self.touch();
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
            self.touch();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
