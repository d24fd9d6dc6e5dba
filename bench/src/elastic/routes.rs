//! Legacy routes on Elasticsearch: what each route asks the node (captured through the
//! proxy), and its latency through peba against the same requests sent directly and sent
//! through a forwarding proxy.

use super::proxy::Proxy;
use super::replay::{Plan, Replayer};
use crate::client::Conn;
use crate::measure::{Case, Summary};
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Sends every case once through `server` (a peba pointed at `proxy`) and returns, per case,
/// the requests peba sent to the node. A first pass over all cases is discarded, so that
/// one-time requests (reading the field mappings) do not count for the first route.
pub async fn capture(server: SocketAddr, proxy: &Proxy, cases: &[Case]) -> io::Result<Vec<Plan>> {
    let mut conn = Conn::connect(server).await?;
    for case in cases {
        case.send(&mut conn).await?;
    }
    proxy.take();
    let mut plans = Vec::new();
    for case in cases {
        case.send(&mut conn).await?;
        plans.push(Plan::new(proxy.take()));
    }
    Ok(plans)
}

/// One case, peba beside the raw requests.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The case's name.
    pub name: String,
    /// Requests peba sends to the node for it.
    pub requests: usize,
    /// The most of them in flight at once.
    pub concurrency: usize,
    /// Latency through peba.
    pub peba: Summary,
    /// Time of the same requests sent directly.
    pub raw: Summary,
    /// Time of the same requests sent through a forwarding proxy: what any server between
    /// the client and the node costs before it does any work of its own.
    pub hop: Summary,
    /// Status of peba's last answer.
    pub status: u16,
    /// Size of peba's last answer.
    pub bytes: usize,
}

impl Comparison {
    /// peba's median over the raw median.
    pub fn ratio(&self) -> f64 {
        self.peba.p50.as_secs_f64() / self.raw.p50.as_secs_f64().max(1e-9)
    }

    /// peba's median over the median through the forwarding proxy.
    pub fn hop_ratio(&self) -> f64 {
        self.peba.p50.as_secs_f64() / self.hop.p50.as_secs_f64().max(1e-9)
    }
}

/// For each case: 2 warm-up rounds, then up to `iterations` rounds (at least 5, at most
/// `budget` per case) of one request to peba, one replay of its captured requests to the node
/// and one replay through the forwarding `proxy`, rotating which goes first so all three see
/// the same machine load.
pub async fn compare(
    server: SocketAddr,
    node: SocketAddr,
    proxy: &Proxy,
    cases: &[Case],
    plans: &[Plan],
    iterations: usize,
    budget: Duration,
) -> io::Result<Vec<Comparison>> {
    let mut conn = Conn::connect(server).await?;
    let mut replayer = Replayer::connect(node).await?;
    let mut hop = Replayer::connect(proxy.addr).await?;
    let mut out = Vec::new();
    for (case, plan) in cases.iter().zip(plans) {
        for _ in 0..2 {
            case.send(&mut conn).await?;
            replayer.run(plan).await?;
            hop.run(plan).await?;
        }
        let (mut peba, mut raw, mut hopped) = (Vec::new(), Vec::new(), Vec::new());
        let (mut status, mut bytes) = (0, 0);
        let began = Instant::now();
        while peba.len() < iterations && (peba.len() < 5 || began.elapsed() < budget) {
            let round = peba.len();
            for turn in 0..3 {
                match (round + turn) % 3 {
                    0 => {
                        let t = Instant::now();
                        let answer = case.send(&mut conn).await?;
                        peba.push(t.elapsed());
                        (status, bytes) = (answer.status, answer.body.len());
                    }
                    1 => raw.push(replayer.run(plan).await?),
                    _ => hopped.push(hop.run(plan).await?),
                }
            }
            proxy.take();
        }
        out.push(Comparison {
            name: case.name.clone(),
            requests: plan.requests(),
            concurrency: plan.concurrency(),
            peba: Summary::of(&mut peba),
            raw: Summary::of(&mut raw),
            hop: Summary::of(&mut hopped),
            status,
            bytes,
        });
    }
    Ok(out)
}
