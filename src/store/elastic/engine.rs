//! Which search engine and version the cluster runs, read once from `GET /`, and what the
//! queries may rely on because of it.

use super::http::Http;
use crate::store::StoreError;
use elasticsearch::http::Method;
use serde_json::Value;
use std::sync::{Arc, OnceLock};

/// The engine a cluster runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Distribution {
    Elasticsearch,
    OpenSearch,
}

/// The engine and version of a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Engine {
    pub distribution: Distribution,
    /// Major and minor version.
    pub version: (u32, u32),
}

impl Engine {
    /// Reads a `GET /` answer; `None` when it names no version.
    pub fn from_info(info: &Value) -> Option<Engine> {
        let version = &info["version"];
        let distribution = match version["distribution"].as_str() {
            Some("opensearch") => Distribution::OpenSearch,
            _ => Distribution::Elasticsearch,
        };
        let mut parts = version["number"].as_str()?.split(['.', '-']);
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().and_then(|m| m.parse().ok()).unwrap_or(0);
        Some(Engine {
            distribution,
            version: (major, minor),
        })
    }

    /// Whether a `term` query on a keyword field with `index: false` (doc values only) is
    /// answered from its doc values: Elasticsearch 8.1+ and OpenSearch 2.19+ (the oldest
    /// OpenSearch verified). Older engines (Elasticsearch 7.x refuses such a query) are sent a
    /// doc-values script for such a field instead.
    pub fn queries_doc_values(&self) -> bool {
        match self.distribution {
            Distribution::Elasticsearch => self.version >= (8, 1),
            Distribution::OpenSearch => self.version >= (2, 19),
        }
    }
}

/// The engine of a cluster, read on first need and then kept (shared by the store's parts).
#[derive(Debug, Clone, Default)]
pub(crate) struct EngineCell(Arc<OnceLock<Engine>>);

impl EngineCell {
    /// Remembers the engine named by a `GET /` answer.
    pub fn learn(&self, info: &Value) {
        if let Some(engine) = Engine::from_info(info) {
            let _ = self.0.set(engine);
        }
    }

    /// The engine, asking the cluster when it is not known yet.
    pub async fn get(&self, http: &Http) -> Result<Engine, StoreError> {
        if let Some(engine) = self.0.get() {
            return Ok(*engine);
        }
        let info = http.ok(Method::Get, "", &[], None).await?;
        self.learn(&info);
        self.0.get().copied().ok_or_else(|| {
            StoreError::Unavailable(format!(
                "the cluster's answer to GET / names no version: {info}"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn engine(distribution: Option<&str>, number: &str) -> Engine {
        let mut version = json!({"number": number});
        if let Some(d) = distribution {
            version["distribution"] = json!(d);
        }
        Engine::from_info(&json!({"version": version})).unwrap()
    }

    #[test]
    fn doc_values_queries_by_version() {
        assert!(!engine(None, "7.10.2").queries_doc_values());
        assert!(!engine(None, "8.0.1").queries_doc_values());
        assert!(engine(None, "8.1.0").queries_doc_values());
        assert!(engine(None, "8.19.21").queries_doc_values());
        assert!(engine(None, "9.0.0-SNAPSHOT").queries_doc_values());
        assert!(!engine(Some("opensearch"), "2.11.1").queries_doc_values());
        assert!(!engine(Some("opensearch"), "2.18.0").queries_doc_values());
        assert!(engine(Some("opensearch"), "2.19.1").queries_doc_values());
        assert!(engine(Some("opensearch"), "3.3.2").queries_doc_values());
        assert_eq!(Engine::from_info(&json!({"tagline": "x"})), None);
    }
}
