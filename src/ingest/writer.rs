//! Group commit: concurrent submissions are gathered into one store write, and every
//! submitter is answered only once that write is durable. As many writes as the store allows
//! ([`Store::concurrent_writes`]) are under way at once; each takes what queued meanwhile.

use crate::metrics::WriterMetrics;
use crate::store::{Store, StoreError, WriteBatch};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};
use tokio::task::JoinSet;

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
    done: oneshot::Sender<Result<(), String>>,
}

/// A handle to the background writer task.
pub struct BatchWriter {
    queue: mpsc::Sender<Job>,
    backlog: Arc<AtomicUsize>,
    running: Arc<AtomicBool>,
    /// Whether the latest store write succeeded (a full disk makes it fail).
    last_write_ok: Arc<AtomicBool>,
    limits: WriterLimits,
    metrics: WriterMetrics,
}

impl BatchWriter {
    /// Starts the writer task on the current tokio runtime; it counts into `metrics`.
    pub fn spawn(store: Arc<dyn Store>, limits: WriterLimits, metrics: WriterMetrics) -> Self {
        let (queue, jobs) = mpsc::channel(4096);
        let backlog = Arc::new(AtomicUsize::new(0));
        let running = Arc::new(AtomicBool::new(true));
        let last_write_ok = Arc::new(AtomicBool::new(true));
        let context = WriteContext {
            store,
            backlog: backlog.clone(),
            last_write_ok: last_write_ok.clone(),
            metrics: metrics.clone(),
        };
        tokio::spawn(run(context, jobs, running.clone(), limits));
        BatchWriter {
            queue,
            backlog,
            running,
            last_write_ok,
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
            Ok(Err(message)) => Err(WriteError::Store(StoreError::Unavailable(message))),
            Err(_) => Err(WriteError::Unavailable("writer stopped")),
        }
    }

    /// Whether the writer runs, its latest store write succeeded and its backlog is under the
    /// limit.
    pub fn is_healthy(&self) -> bool {
        self.running.load(Ordering::Relaxed)
            && self.last_write_ok.load(Ordering::Relaxed)
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
    /// Set after each write: whether it succeeded.
    last_write_ok: Arc<AtomicBool>,
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
    let result = context
        .store
        .write(merged)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string());
    let metrics = &context.metrics;
    metrics.writes.inc();
    metrics.backlog.dec_by(written as i64);
    if let Err(message) = &result {
        metrics.write_errors.inc();
        tracing::warn!(alerts = written, error = %message, "store write failed; submitters are told to retry");
    }
    context
        .last_write_ok
        .store(result.is_ok(), Ordering::Relaxed);
    context.backlog.fetch_sub(written, Ordering::Relaxed);
    for job in group {
        let _ = job.done.send(result.clone());
    }
}
