//! Which store a test server uses: the embedded one, or Elasticsearch on the test node.
//!
//! The node's URL comes from `PEBA_TEST_ELASTICSEARCH_URL` (`tests/search-node/start.sh`
//! prints it; `tests/run-all.sh` exports it). Without it, Elasticsearch tests fail when `CI` is
//! set and are skipped with a notice otherwise. Every test gets index names of its own, so
//! tests share one node and run in parallel.

use peba::store::elastic::ElasticConfig;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// The store behind a test server.
#[derive(Debug, Clone)]
pub enum Backend {
    /// The embedded store in the server's temporary directory.
    Embedded,
    /// Elasticsearch at the URL, with index names of this test's own.
    Elastic(ElasticConfig),
}

/// The test node's URL; `None` (with a notice) when there is none and `CI` is unset.
pub fn elastic_url() -> Option<String> {
    match std::env::var("PEBA_TEST_ELASTICSEARCH_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => panic!(
            "PEBA_TEST_ELASTICSEARCH_URL is not set: CI must start a search node \
             (tests/run-all.sh does) and export the URL it prints"
        ),
        _ => {
            eprintln!(
                "notice: PEBA_TEST_ELASTICSEARCH_URL is not set; skipping an Elasticsearch test \
                 (start a node with tests/search-node/start.sh, or run tests/run-all.sh)"
            );
            None
        }
    }
}

static SEQ: AtomicU32 = AtomicU32::new(0);

/// A prefix no other test (of this or another test process) uses.
pub fn unique_prefix(tag: &str) -> String {
    format!(
        "{tag}{}x{}z",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::SeqCst)
    )
}

/// A configuration with index names of its own under `prefix`.
pub fn elastic_config(url: &str, prefix: &str) -> ElasticConfig {
    ElasticConfig {
        url: url.to_owned(),
        http_auth: None,
        timeout: Duration::from_secs(30),
        alert_write_alias: format!("{prefix}_write"),
        alert_read_prefix: prefix.to_owned(),
        cve_index: format!("{prefix}_cve"),
        user_index: format!("{prefix}_users"),
        statistic_index: format!("{prefix}_stats"),
        index_shape: Default::default(),
    }
}

impl Backend {
    /// Elasticsearch with fresh index names, or `None` when the test is to be skipped.
    pub fn elastic(tag: &str) -> Option<Backend> {
        let url = elastic_url()?;
        Some(Backend::Elastic(elastic_config(&url, &unique_prefix(tag))))
    }

    /// The `peba` settings (`--set key=value`, TOML keys) that select this backend.
    pub fn settings(&self) -> Vec<(String, String)> {
        match self {
            Backend::Embedded => Vec::new(),
            Backend::Elastic(c) => vec![
                ("elasticsearch_host".into(), c.url.clone()),
                ("elastictimeout".into(), c.timeout.as_secs().to_string()),
                ("alertindex".into(), c.alert_write_alias.clone()),
                ("alertreadprefix".into(), c.alert_read_prefix.clone()),
                ("cveindex".into(), c.cve_index.clone()),
                ("userindex".into(), c.user_index.clone()),
                ("statisticindex".into(), c.statistic_index.clone()),
            ],
        }
    }

    /// The same settings as `PEBA_*` environment variables.
    pub fn env(&self) -> Vec<(String, String)> {
        self.settings()
            .into_iter()
            .map(|(k, v)| (format!("PEBA_{}", k.to_uppercase()), v))
            .collect()
    }

    /// Makes everything written so far searchable now (Elasticsearch only): writes are
    /// acknowledged once durable and become searchable with the next periodic refresh (within
    /// a second); tests that read right after writing ask for it.
    pub async fn refresh(&self) {
        let Backend::Elastic(c) = self else { return };
        let p = &c.alert_read_prefix;
        let url = format!(
            "{}/{p}-*,{p}_*/_refresh?ignore_unavailable=true&allow_no_indices=true",
            c.url.trim_end_matches('/')
        );
        let answer = reqwest::Client::new()
            .post(url)
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .expect("refresh");
        assert!(answer.status().is_success(), "refresh: {}", answer.status());
    }

    /// Deletes the test's indices and template (Elasticsearch only; best effort). Indices go
    /// by name: Elasticsearch 8 refuses wildcard deletes (`action.destructive_requires_name`).
    pub async fn cleanup(&self) {
        let Backend::Elastic(c) = self else { return };
        let client = reqwest::Client::new();
        let base = c.url.trim_end_matches('/');
        let p = &c.alert_read_prefix;
        let listed: serde_json::Value = match client
            .get(format!(
                "{base}/_cat/indices/{p}-*,{p}_*?format=json&h=index"
            ))
            .timeout(Duration::from_secs(30))
            .send()
            .await
        {
            Ok(answer) => answer.json().await.unwrap_or_default(),
            Err(_) => return,
        };
        let indices: Vec<&str> = listed
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|index| index["index"].as_str())
            .collect();
        let mut paths = vec![format!("_index_template/peba-{p}")];
        if !indices.is_empty() {
            paths.push(indices.join(","));
        }
        for path in paths {
            let _ = client
                .delete(format!("{base}/{path}"))
                .timeout(Duration::from_secs(30))
                .send()
                .await;
        }
    }
}
