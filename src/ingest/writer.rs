//! Group commit: concurrent submissions are gathered into one store write, and every
//! submitter is answered only once that write is durable. As many writes as the store allows
//! ([`Store::concurrent_writes`]) are under way at once; each takes what queued meanwhile.
//!
//! The writer also knows whether the store accepts writes: every write's outcome says so, and
//! while no write proves it a probe ([`Store::probe_write`]) asks, at start and then every
//! [`PROBE_WHILE_DOWN`] while writes fail and every [`PROBE_WHILE_UP`] otherwise.

use crate::metrics::WriterMetrics;
use crate::store::{Store, StoreError, WriteBatch};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};
use tokio::task::JoinSet;
use tokio::time::Instant;

/// Pause between write probes while the store refuses writes.
pub const PROBE_WHILE_DOWN: Duration = Duration::from_secs(2);
/// Longest time without a successful write before a probe checks the store again.
pub const PROBE_WHILE_UP: Duration = Duration::from_secs(30);

/// Limits of the batching writer.
#[derive(Debug, Clone, Copy)]
pub struct WriterLimits {
    /// Most alerts committed in one store write.
    pub max_batch_alerts: usize,
    /// Most alerts waiting for a write before the writer reports itself unhealthy.
    pub max_backlog_alerts: usize,
    /// How long a submission may wait for room in the queue.
    pub enqueue_timeout: Duration,
}

impl Default for WriterLimits {
    fn default() -> Self {
        WriterLimits {
            max_batch_alerts: 10_000,
            max_backlog_alerts: 200_000,
            enqueue_timeout: Duration::from_secs(30),
        }
    }
}

/// Why a submission was not stored.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The store failed; nothing of the submission is acknowledged.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The writer is overloaded or has stopped.
    #[error("writer unavailable: {0}")]
    Unavailable(&'static str),
}

struct Job {
    batch: WriteBatch,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// A handle to the background writer task.
pub struct BatchWriter {
    queue: mpsc::Sender<Job>,
    backlog: Arc<AtomicUsize>,
    running: Arc<AtomicBool>,
    writable: Arc<AtomicBool>,
    limits: WriterLimits,
    metrics: WriterMetrics,
}

impl BatchWriter {
    /// Starts the writer task on the current tokio runtime; it counts into `metrics`.
    pub fn spawn(store: Arc<dyn Store>, limits: WriterLimits, metrics: WriterMetrics) -> Self {
        let (queue, jobs) = mpsc::channel(4096);
        let backlog = Arc::new(AtomicUsize::new(0));
        let running = Arc::new(AtomicBool::new(true));
        let writable = Arc::new(AtomicBool::new(true));
        tokio::spawn(probe(store.clone(), Arc::downgrade(&writable)));
        let context = WriteContext {
            store,
            backlog: backlog.clone(),
            writable: writable.clone(),
            metrics: metrics.clone(),
        };
        tokio::spawn(run(context, jobs, running.clone(), limits));
        BatchWriter {
            queue,
            backlog,
            running,
            writable,
            limits,
            metrics,
        }
    }

    /// Stores `batch` together with whatever else is waiting; returns once it is durable.
    pub async fn submit(&self, batch: WriteBatch) -> Result<(), WriteError> {
        if batch.alerts.is_empty() && batch.cve_copies.is_empty() {
            return Ok(());
        }
        let size = batch.alerts.len() + batch.cve_copies.len();
        let (done, answer) = oneshot::channel();
        self.backlog.fetch_add(size, Ordering::Relaxed);
        self.metrics.backlog.inc_by(size as i64);
        let sent = tokio::time::timeout(
            self.limits.enqueue_timeout,
            self.queue.send(Job { batch, done }),
        )
        .await;
        if !matches!(sent, Ok(Ok(()))) {
            self.backlog.fetch_sub(size, Ordering::Relaxed);
            self.metrics.backlog.dec_by(size as i64);
            return Err(WriteError::Unavailable(if sent.is_err() {
                "queue full"
            } else {
                "writer stopped"
            }));
        }
        match answer.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(WriteError::Store(error)),
            Err(_) => Err(WriteError::Unavailable("writer stopped")),
        }
    }

    /// Whether the writer runs, its backlog is under the limit, and the store accepted the
    /// latest write or write probe.
    pub fn is_healthy(&self) -> bool {
        self.running.load(Ordering::Relaxed)
            && self.writable.load(Ordering::Relaxed)
            && self.backlog.load(Ordering::Relaxed) < self.limits.max_backlog_alerts
    }

    /// Alerts accepted but not yet written.
    pub fn backlog(&self) -> usize {
        self.backlog.load(Ordering::Relaxed)
    }
}

/// What every group write needs.
#[derive(Clone)]
struct WriteContext {
    store: Arc<dyn Store>,
    backlog: Arc<AtomicUsize>,
    /// Whether the store accepted the latest write or write probe.
    writable: Arc<AtomicBool>,
    metrics: WriterMetrics,
}

async fn run(
    context: WriteContext,
    mut jobs: mpsc::Receiver<Job>,
    running: Arc<AtomicBool>,
    limits: WriterLimits,
) {
    let slots = Arc::new(Semaphore::new(context.store.concurrent_writes().max(1)));
    let mut writes = JoinSet::new();
    loop {
        // Wait for a free slot first, so that the group takes everything queued meanwhile.
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            break;
        };
        let Some(first) = jobs.recv().await else {
            break;
        };
        let mut group = vec![first];
        let mut size = group[0].batch.alerts.len();
        while size < limits.max_batch_alerts {
            match jobs.try_recv() {
                Ok(job) => {
                    size += job.batch.alerts.len();
                    group.push(job);
                }
                Err(_) => break,
            }
        }
        writes.spawn(write_group(context.clone(), group, slot));
        while writes.try_join_next().is_some() {}
    }
    while writes.join_next().await.is_some() {}
    running.store(false, Ordering::Relaxed);
}

/// Writes one group of submissions together and answers each submitter.
async fn write_group(context: WriteContext, mut group: Vec<Job>, _slot: OwnedSemaphorePermit) {
    let mut merged = WriteBatch::default();
    for job in &mut group {
        merged.alerts.append(&mut job.batch.alerts);
        merged.cve_copies.append(&mut job.batch.cve_copies);
    }
    let written = merged.alerts.len() + merged.cve_copies.len();
    let result = context.store.write(merged).await.map(|_| ());
    let metrics = &context.metrics;
    metrics.writes.inc();
    metrics.backlog.dec_by(written as i64);
    if let Err(error) = &result {
        metrics.write_errors.inc();
        tracing::warn!(alerts = written, %error, "store write failed; submitters are told to retry");
    }
    set_writable(&context.writable, result.is_ok());
    context.backlog.fetch_sub(written, Ordering::Relaxed);
    for job in group {
        let _ = job.done.send(result.clone());
    }
}

/// Records whether the store accepts writes, logging each change.
fn set_writable(writable: &AtomicBool, now: bool) {
    if writable.swap(now, Ordering::Relaxed) != now {
        if now {
            tracing::info!("the store accepts writes again; ingest reported up");
        } else {
            tracing::warn!("the store refuses writes; ingest reported down");
        }
    }
}

/// Probes the store's writability at start, then while writes fail, and after a quiet spell;
/// ends with the writer.
async fn probe(store: Arc<dyn Store>, writable: std::sync::Weak<AtomicBool>) {
    let mut last_check = Instant::now();
    let mut first = true;
    loop {
        let Some(flag) = writable.upgrade() else {
            return;
        };
        let due = first || !flag.load(Ordering::Relaxed) || last_check.elapsed() >= PROBE_WHILE_UP;
        if due {
            let outcome = store.probe_write().await;
            if let Err(error) = &outcome
                && (first || flag.load(Ordering::Relaxed))
            {
                tracing::warn!(%error, "write probe failed");
            }
            set_writable(&flag, outcome.is_ok());
            last_check = Instant::now();
            first = false;
        }
        drop(flag);
        tokio::time::sleep(PROBE_WHILE_DOWN).await;
    }
}
