//! peba on a three-node OpenSearch cluster with one replica per shard: ingest and reads keep
//! working while a node is stopped and started again, and no acknowledged alert is lost.
//!
//! Needs a running cluster started by `SEARCH_NODE_COUNT=3 tests/search-node/start.sh
//! opensearch` with `SEARCH_NODE_STATE=<dir>`, named by `PEBA_TEST_CLUSTER_STATE=<dir>`
//! (`tests/run-all.sh` does both); skipped without it.

mod support;

use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use support::backend::{Backend, elastic_config, unique_prefix};
use support::{COMMUNITY_TOKEN, COMMUNITY_USER, TestApp, alert, message, spawn_on};

/// The cluster the test runs on: its nodes' URLs and where its control file lives.
struct Cluster {
    urls: Vec<String>,
    data: PathBuf,
}

impl Cluster {
    fn from_env() -> Option<Cluster> {
        let Ok(state) = std::env::var("PEBA_TEST_CLUSTER_STATE") else {
            eprintln!("PEBA_TEST_CLUSTER_STATE is not set: the cluster test is skipped");
            return None;
        };
        let state = PathBuf::from(state);
        let read = |name: &str| std::fs::read_to_string(state.join(name)).unwrap();
        Some(Cluster {
            urls: read("urls").lines().map(str::to_owned).collect(),
            data: PathBuf::from(read("data").trim()),
        })
    }

    /// Stops or starts node `n` (from 1) and waits until that is done.
    async fn command(&self, command: &str) {
        let done = self.data.join("control.done");
        let _ = std::fs::remove_file(&done);
        std::fs::write(self.data.join("control"), command).unwrap();
        let started = Instant::now();
        while !done.exists() {
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "{command}: not done"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let outcome = std::fs::read_to_string(&done).unwrap();
        assert_eq!(outcome.trim(), "ok", "{command}");
    }

    /// The node (from 1) that holds the primary shard of the newest index matching `pattern`.
    async fn primary_of(&self, pattern: &str) -> usize {
        let shards: Value = reqwest::Client::new()
            .get(format!(
                "{}/_cat/shards/{pattern}?format=json&h=index,prirep,state,node&s=index:desc",
                self.urls[0]
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let primary = shards
            .as_array()
            .unwrap()
            .iter()
            .find(|shard| shard["prirep"] == "p")
            .unwrap_or_else(|| panic!("no primary in {shards}"));
        let node = primary["node"].as_str().unwrap();
        node.trim_start_matches("Node ").parse().unwrap()
    }

    /// Waits until the cluster has `nodes` nodes, is `status` or better and moves no shard.
    async fn wait_for(&self, nodes: usize, status: &str) -> Value {
        let url = format!(
            "{}/_cluster/health?wait_for_nodes={nodes}&wait_for_status={status}&wait_for_no_relocating_shards=true&timeout=90s",
            self.urls[0]
        );
        let health: Value = reqwest::Client::new()
            .get(url)
            .timeout(Duration::from_secs(100))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(health["timed_out"], false, "{health}");
        health
    }
}

/// Posts message `n` (10 alerts from its own addresses) until it is acknowledged, as
/// ewsposter retries; how many tries it took.
async fn post_until_acknowledged(app: &TestApp, n: u16) -> usize {
    let alerts: String = (0..10)
        .map(|i| {
            alert(
                &format!("10.{}.{}.{i}", n / 200, n % 200),
                20_000 + n,
                "2024-07-01 00:10:00",
            )
        })
        .collect();
    let body = message(COMMUNITY_USER, COMMUNITY_TOKEN, &alerts);
    for tries in 1.. {
        let (status, _) = app.submit(body.clone()).await;
        if status == 200 {
            return tries;
        }
        assert!(
            tries < 60,
            "message {n} not acknowledged after {tries} tries"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    unreachable!()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_stopped_and_started_again_loses_nothing_acknowledged() {
    let Some(cluster) = Cluster::from_env() else {
        return;
    };
    assert!(cluster.urls.len() >= 3, "a cluster of three nodes");
    let backend = Backend::Elastic(elastic_config(&cluster.urls[0], &unique_prefix("cluster")));
    let app = Arc::new(spawn_on(&backend, &[("elastic_replicas", "1")]).await);

    // Ingest and reads run throughout.
    let stop = Arc::new(AtomicBool::new(false));
    let ingest = tokio::spawn({
        let (app, stop) = (app.clone(), stop.clone());
        async move {
            let (mut sent, mut retried) = (0u16, 0usize);
            while !stop.load(Ordering::SeqCst) {
                retried += post_until_acknowledged(&app, sent).await - 1;
                sent += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            (sent, retried)
        }
    });
    let reads = tokio::spawn({
        let (app, stop) = (app.clone(), stop.clone());
        async move {
            let (mut answered, mut failed) = (0usize, 0usize);
            while !stop.load(Ordering::SeqCst) {
                let response = app
                    .get("/alert/retrieveAlertsCount?time=100000&out=json")
                    .await;
                if response.status() == 200 {
                    answered += 1;
                } else {
                    failed += 1;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            (answered, failed)
        }
    });

    // Keep the test's shards off node 1 (the one peba talks to), so that the node stopped
    // below holds the write index's primary and its replica has to take over.
    let prefix = unique_prefix_of(&backend);
    let moved = reqwest::Client::new()
        .put(format!(
            "{}/{prefix}-*,{prefix}_*/_settings",
            cluster.urls[0]
        ))
        .json(&serde_json::json!({ "index.routing.allocation.exclude._name": "Node 1" }))
        .send()
        .await
        .unwrap();
    assert!(
        moved.status().is_success(),
        "{}",
        moved.text().await.unwrap()
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let health = cluster.wait_for(3, "green").await;
    assert!(
        health["active_shards"].as_u64() > health["active_primary_shards"].as_u64(),
        "replicas allocated: {health}"
    );
    let primary = cluster.primary_of(&format!("{prefix}-*")).await;
    assert_ne!(primary, 1, "the write index's primary left node 1");
    tokio::time::sleep(Duration::from_secs(2)).await;
    cluster.command(&format!("stop {primary}")).await;
    cluster.wait_for(2, "yellow").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    cluster.command(&format!("start {primary}")).await;
    cluster.wait_for(3, "green").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::SeqCst);
    let (sent, retried) = ingest.await.unwrap();
    let (answered, failed) = reads.await.unwrap();
    eprintln!(
        "{sent} messages acknowledged ({retried} retries), {answered} reads answered, {failed} failed"
    );

    backend.refresh().await;
    let stored = support::all_alerts(&*app.store().await).await;
    assert_eq!(
        stored.len(),
        usize::from(sent) * 10,
        "every acknowledged alert is stored"
    );
    assert!(
        answered > 0 && failed * 10 <= answered,
        "reads keep working: {answered} answered, {failed} failed"
    );
    let settings: Value = reqwest::Client::new()
        .get(format!(
            "{}/{}-*/_settings/index.number_of_replicas",
            cluster.urls[0],
            unique_prefix_of(&backend)
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let replicas: Vec<&Value> = settings
        .as_object()
        .unwrap()
        .values()
        .map(|index| &index["settings"]["index"]["number_of_replicas"])
        .collect();
    assert!(
        !replicas.is_empty() && replicas.iter().all(|r| *r == "1"),
        "{settings}"
    );
    backend.cleanup().await;
}

fn unique_prefix_of(backend: &Backend) -> String {
    let Backend::Elastic(config) = backend else {
        unreachable!()
    };
    config.alert_read_prefix.clone()
}
