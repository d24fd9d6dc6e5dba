//! Replaying recorded requests directly to the search node, with the concurrency peba used.
//!
//! A [`Plan`] groups the recorded requests into waves: requests whose time in flight
//! overlapped (peba had them outstanding at once) form one wave and are sent concurrently,
//! each on its own kept-alive connection; waves follow one another. Sequential requests are
//! therefore sent one after the other on one connection, as peba sends them.
//! [`Replayer::run_window`] instead keeps as many requests in flight as peba had at most, for
//! streams such as ingest where every request overlaps the next.

use super::proxy::Exchange;
use crate::client::Conn;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// One request to send again, with the status the node answered when peba sent it.
#[derive(Debug)]
pub struct Request {
    method: String,
    target: String,
    content_type: Option<String>,
    body: Vec<u8>,
    status: u16,
}

/// The recorded requests of one operation, in waves.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    waves: Vec<Vec<Arc<Request>>>,
    /// The most requests peba had outstanding at the same instant.
    max_in_flight: usize,
}

impl Plan {
    /// Groups `exchanges` (any order) into waves of overlapping requests.
    pub fn new(mut exchanges: Vec<Exchange>) -> Plan {
        exchanges.sort_by_key(|e| e.sent);
        let max_in_flight = max_in_flight(&exchanges);
        let mut waves: Vec<Vec<Arc<Request>>> = Vec::new();
        let mut wave_end: Option<Instant> = None;
        for e in exchanges {
            let request = Arc::new(Request {
                method: e.method,
                target: e.target,
                content_type: e.content_type,
                body: e.body,
                status: e.status,
            });
            match (wave_end, waves.last_mut()) {
                (Some(end), Some(wave)) if e.sent < end => {
                    wave.push(request);
                    wave_end = Some(end.max(e.answered));
                }
                _ => {
                    waves.push(vec![request]);
                    wave_end = Some(e.answered);
                }
            }
        }
        Plan {
            waves,
            max_in_flight,
        }
    }

    /// Requests in all.
    pub fn requests(&self) -> usize {
        self.waves.iter().map(Vec::len).sum()
    }

    /// The most requests of one wave (sent together by [`Replayer::run`]).
    pub fn concurrency(&self) -> usize {
        self.waves.iter().map(Vec::len).max().unwrap_or(0)
    }

    /// The most requests peba had outstanding at the same instant.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight
    }

    /// Bytes of request bodies in all.
    pub fn body_bytes(&self) -> usize {
        self.waves.iter().flatten().map(|r| r.body.len()).sum()
    }

    /// Method and target of every request, in the order sent.
    pub fn targets(&self) -> impl Iterator<Item = (&str, &str)> {
        self.waves
            .iter()
            .flatten()
            .map(|r| (r.method.as_str(), r.target.as_str()))
    }
}

/// Kept-alive connections to the node, enough for the widest wave.
pub struct Replayer {
    node: SocketAddr,
    conns: Vec<Conn>,
}

impl Replayer {
    /// Connects one connection to `node` (more are opened when a wave needs them).
    pub async fn connect(node: SocketAddr) -> io::Result<Replayer> {
        Ok(Replayer {
            node,
            conns: vec![Conn::connect(node).await?],
        })
    }

    /// Sends every wave of `plan` and returns the time from the first request to the last
    /// answer. An answer with another status than the recorded one is an error: the replay
    /// would not be doing what peba did.
    pub async fn run(&mut self, plan: &Plan) -> io::Result<Duration> {
        while self.conns.len() < plan.concurrency() {
            self.conns.push(Conn::connect(self.node).await?);
        }
        let began = Instant::now();
        for wave in &plan.waves {
            if let [request] = wave.as_slice() {
                send(&mut self.conns[0], request).await?;
                continue;
            }
            let mut tasks = JoinSet::new();
            for request in wave {
                let mut conn = self.conns.pop().expect("a connection per request");
                let request = request.clone();
                tasks.spawn(async move {
                    let outcome = send(&mut conn, &request).await;
                    (conn, outcome)
                });
            }
            let mut failure = None;
            while let Some(joined) = tasks.join_next().await {
                let (conn, outcome) = joined.map_err(io::Error::other)?;
                self.conns.push(conn);
                if let Err(e) = outcome {
                    failure = Some(e);
                }
            }
            if let Some(e) = failure {
                return Err(e);
            }
        }
        Ok(began.elapsed())
    }

    /// Sends every request of `plan` in the recorded order, keeping up to
    /// [`Plan::max_in_flight`] outstanding, and returns the time to the last answer.
    pub async fn run_window(&mut self, plan: &Plan) -> io::Result<Duration> {
        let window = plan.max_in_flight().max(1);
        while self.conns.len() < window {
            self.conns.push(Conn::connect(self.node).await?);
        }
        let began = Instant::now();
        let mut tasks: JoinSet<(Conn, io::Result<()>)> = JoinSet::new();
        let mut failure = None;
        for request in plan.waves.iter().flatten() {
            if self.conns.is_empty()
                && let Some(joined) = tasks.join_next().await
            {
                let (conn, outcome) = joined.map_err(io::Error::other)?;
                self.conns.push(conn);
                failure = failure.or(outcome.err());
            }
            let mut conn = self.conns.pop().expect("a free connection");
            let request = request.clone();
            tasks.spawn(async move {
                let outcome = send(&mut conn, &request).await;
                (conn, outcome)
            });
        }
        while let Some(joined) = tasks.join_next().await {
            let (conn, outcome) = joined.map_err(io::Error::other)?;
            self.conns.push(conn);
            failure = failure.or(outcome.err());
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(began.elapsed()),
        }
    }
}

/// The most exchanges outstanding at one instant (an answer at the instant of a send counts
/// as earlier).
fn max_in_flight(exchanges: &[Exchange]) -> usize {
    let mut events: Vec<(Instant, i32)> = exchanges
        .iter()
        .flat_map(|e| [(e.sent, 1), (e.answered, -1)])
        .collect();
    events.sort();
    let (mut now, mut most) = (0i32, 0i32);
    for (_, change) in events {
        now += change;
        most = most.max(now);
    }
    most as usize
}

async fn send(conn: &mut Conn, request: &Request) -> io::Result<()> {
    let answer = conn
        .send(
            &request.method,
            &request.target,
            request.content_type.as_deref(),
            &request.body,
        )
        .await?;
    if answer.status != request.status {
        return Err(io::Error::other(format!(
            "{} {} answered HTTP {} in the replay, {} for peba: {}",
            request.method,
            request.target,
            answer.status,
            request.status,
            String::from_utf8_lossy(&answer.body[..answer.body.len().min(300)])
        )));
    }
    Ok(())
}
