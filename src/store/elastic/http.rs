//! A thin JSON-over-HTTP layer on the `elasticsearch` crate's transport.
//!
//! Requests go through [`Transport::send`] with plain `application/json` headers and without
//! the client's meta header, so that Elasticsearch 7.10+, 8.x and OpenSearch 2.x all accept
//! them, and without gzip (see [`identity_encoding`]). Every request is bounded by the
//! configured timeout; transport failures, timeouts, 429 and 5xx answers become
//! [`StoreError::Unavailable`].

use crate::store::StoreError;
use bytes::Bytes;
use elasticsearch::auth::Credentials;
use elasticsearch::http::headers::{ACCEPT_ENCODING, HeaderMap, HeaderValue};
use elasticsearch::http::transport::{SingleNodeConnectionPool, Transport, TransportBuilder};
use elasticsearch::http::{Method, Url};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::time::Duration;

/// The status and parsed body of an answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A connection to one cluster.
#[derive(Clone)]
pub(crate) struct Http {
    transport: Transport,
    timeout: Duration,
    base: String,
}

/// Reads `host:port` (PEBA style, no scheme) or a full URL.
pub(crate) fn parse_url(url: &str) -> Result<Url, StoreError> {
    let text = url.trim();
    let with_scheme = if text.contains("://") {
        text.to_owned()
    } else {
        format!("http://{text}")
    };
    Url::parse(&with_scheme)
        .map_err(|e| StoreError::Unavailable(format!("invalid Elasticsearch URL {url:?}: {e}")))
}

impl Http {
    pub fn new(url: &str, http_auth: Option<&str>, timeout: Duration) -> Result<Http, StoreError> {
        let url = parse_url(url)?;
        let base = url.as_str().trim_end_matches('/').to_owned();
        let mut builder = TransportBuilder::new(SingleNodeConnectionPool::new(url))
            .enable_meta_header(false)
            .timeout(timeout);
        if let Some(auth) = http_auth.filter(|a| !a.is_empty()) {
            let (user, password) = auth.split_once(':').unwrap_or((auth, ""));
            builder = builder.auth(Credentials::Basic(user.to_owned(), password.to_owned()));
        }
        let transport = builder.build().map_err(|e| {
            StoreError::Unavailable(format!("cannot build the Elasticsearch client: {e}"))
        })?;
        Ok(Http {
            transport,
            timeout,
            base,
        })
    }

    /// Sends a request and returns the status and raw body of the answer; transport failures,
    /// timeouts, 429 and 5xx answers are errors.
    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<String>,
    ) -> Result<(u16, Bytes), StoreError> {
        let full_path = format!("/{path}");
        let what = || self.what(method, path);
        let send = self.transport.send(
            method,
            &full_path,
            identity_encoding(),
            Some(query),
            body,
            Some(self.timeout),
        );
        // The transport enforces the timeout too; this bound also covers reading the body.
        let guard = self.timeout + Duration::from_millis(500);
        let outcome = tokio::time::timeout(guard, async {
            let response = send
                .await
                .map_err(|e| unavailable(&what(), &e.to_string()))?;
            let status = response.status_code().as_u16();
            let bytes = response
                .bytes()
                .await
                .map_err(|e| unavailable(&what(), &e.to_string()))?;
            Ok::<_, StoreError>((status, bytes))
        })
        .await;
        let (status, bytes) = match outcome {
            Ok(result) => result?,
            Err(_) => {
                return Err(unavailable(
                    &what(),
                    &format!("no answer within {:?}", self.timeout),
                ));
            }
        };
        if status == 429 || status >= 500 {
            return Err(unavailable(
                &what(),
                &format!("HTTP {status}: {}", truncate(&bytes)),
            ));
        }
        Ok((status, bytes))
    }

    /// Sends a request and returns whatever the cluster answered, except that transport
    /// failures, timeouts, 429 and 5xx answers are errors.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<String>,
    ) -> Result<Answer, StoreError> {
        let (status, bytes) = self.send(method, path, query, body).await?;
        let body = self.read_body(method, path, status, &bytes)?;
        Ok(Answer { status, body })
    }

    /// Like [`Http::request`], but any non-2xx answer is an error and the body is read straight
    /// into `T` (no intermediate JSON value).
    pub async fn ok_as<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<String>,
    ) -> Result<T, StoreError> {
        let (status, bytes) = self.send(method, path, query, body).await?;
        if !(200..300).contains(&status) {
            return Err(StoreError::Unavailable(format!(
                "Elasticsearch refused {} /{path}: HTTP {status}: {}",
                method_name(method),
                truncate(&bytes)
            )));
        }
        self.read_body(method, path, status, &bytes)
    }

    /// Like [`Http::request`], but any non-2xx answer is an error.
    pub async fn ok(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<String>,
    ) -> Result<Value, StoreError> {
        self.ok_as(method, path, query, body).await
    }

    /// Reads an answer's body as `T`; an empty body reads as JSON `null`.
    fn read_body<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        status: u16,
        bytes: &[u8],
    ) -> Result<T, StoreError> {
        let json: &[u8] = if bytes.trim_ascii().is_empty() {
            b"null"
        } else {
            bytes
        };
        serde_json::from_slice(json).map_err(|e| {
            unavailable(
                &self.what(method, path),
                &format!("HTTP {status}, unreadable answer: {e}"),
            )
        })
    }

    /// Names a request in error messages.
    fn what(&self, method: Method, path: &str) -> String {
        format!("{} {}/{path}", method_name(method), self.base)
    }

    /// Sends a JSON body and requires a 2xx answer.
    pub async fn json(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: &Value,
    ) -> Result<Value, StoreError> {
        self.ok(method, path, query, Some(body.to_string())).await
    }
}

/// Asks for uncompressed answers. The client would otherwise accept gzip, and the cluster
/// would spend CPU compressing every answer (and peba inflating it) for a node that is on the
/// same host or network.
fn identity_encoding() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("identity"));
    headers
}

fn method_name(method: Method) -> &'static str {
    match method {
        Method::Get => "GET",
        Method::Put => "PUT",
        Method::Post => "POST",
        Method::Delete => "DELETE",
        Method::Head => "HEAD",
    }
}

fn unavailable(what: &str, why: &str) -> StoreError {
    StoreError::Unavailable(format!("Elasticsearch at {what} failed: {why}"))
}

fn truncate(bytes: &[u8]) -> String {
    const MAX: usize = 600;
    let text = String::from_utf8_lossy(bytes);
    if text.len() <= MAX {
        return text.into_owned();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_without_scheme_are_http() {
        assert_eq!(
            parse_url("localhost:9200").unwrap().as_str(),
            "http://localhost:9200/"
        );
        assert_eq!(
            parse_url("https://es.example:9243").unwrap().as_str(),
            "https://es.example:9243/"
        );
    }
}
