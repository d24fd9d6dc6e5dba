//! Plain requests to the search node for housekeeping: finding and deleting indices, reading
//! and writing the benchmark's own bookkeeping document. Never part of a timed measurement.

use crate::client::{Conn, Response};
use serde_json::Value;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

/// The node's HTTP address from `http://host:port` (or `host:port`).
pub fn address(url: &str) -> io::Result<SocketAddr> {
    let rest = url
        .trim()
        .trim_start_matches("http://")
        .trim_end_matches('/');
    rest.to_socket_addrs()?.next().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("no address for {url:?}"),
        )
    })
}

/// A housekeeping connection to the node.
pub struct Node {
    conn: Conn,
}

impl Node {
    /// Connects to the node at `addr`.
    pub async fn connect(addr: SocketAddr) -> io::Result<Node> {
        Ok(Node {
            conn: Conn::connect(addr).await?,
        })
    }

    /// Sends a request with an optional JSON body.
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> io::Result<Response> {
        let body = body.map(Value::to_string).unwrap_or_default();
        let ct = (!body.is_empty()).then_some("application/json");
        self.conn.send(method, path, ct, body.as_bytes()).await
    }

    /// The names of the indices matching `pattern` (none when nothing matches).
    pub async fn indices(&mut self, pattern: &str) -> io::Result<Vec<String>> {
        let answer = self
            .send(
                "GET",
                &format!("/_cat/indices/{pattern}?format=json&h=index&expand_wildcards=all"),
                None,
            )
            .await?;
        if answer.status == 404 {
            return Ok(Vec::new());
        }
        let value: Value = serde_json::from_slice(&answer.body).map_err(io::Error::other)?;
        Ok(value
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|i| i["index"].as_str().map(str::to_owned))
            .collect())
    }

    /// Deletes every index matching one of `patterns`, by name.
    pub async fn delete_indices(&mut self, patterns: &[&str]) -> io::Result<()> {
        for pattern in patterns {
            for index in self.indices(pattern).await? {
                let answer = self.send("DELETE", &format!("/{index}"), None).await?;
                if answer.status != 200 && answer.status != 404 {
                    return Err(io::Error::other(format!(
                        "cannot delete {index}: HTTP {} {}",
                        answer.status,
                        answer.text()
                    )));
                }
            }
        }
        Ok(())
    }

    /// The `_source` of a document, `None` when it (or its index) does not exist.
    pub async fn document(&mut self, index: &str, id: &str) -> io::Result<Option<Value>> {
        let answer = self
            .send("GET", &format!("/{index}/_doc/{id}"), None)
            .await?;
        if answer.status != 200 {
            return Ok(None);
        }
        let value: Value = serde_json::from_slice(&answer.body).map_err(io::Error::other)?;
        Ok(Some(value["_source"].clone()))
    }

    /// Stores a document, visible to searches when this returns.
    pub async fn put_document(&mut self, index: &str, id: &str, source: &Value) -> io::Result<()> {
        let answer = self
            .send(
                "PUT",
                &format!("/{index}/_doc/{id}?refresh=true"),
                Some(source),
            )
            .await?;
        if answer.status >= 300 {
            return Err(io::Error::other(format!(
                "cannot store {index}/{id}: HTTP {} {}",
                answer.status,
                answer.text()
            )));
        }
        Ok(())
    }

    /// The node's product and version, e.g. `opensearch 2.19.1`.
    pub async fn version(&mut self) -> io::Result<String> {
        let answer = self.send("GET", "/", None).await?;
        let value: Value = serde_json::from_slice(&answer.body).map_err(io::Error::other)?;
        let version = &value["version"];
        Ok(format!(
            "{} {}",
            version["distribution"].as_str().unwrap_or("elasticsearch"),
            version["number"].as_str().unwrap_or("?")
        ))
    }
}
