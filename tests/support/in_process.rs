//! In-process servers for the legacy-route suites: a real server on 127.0.0.1:0 over the
//! embedded store in a temporary directory (or over Elasticsearch, see [`start_on`]), with a
//! frozen clock.

use super::backend::Backend;
use peba::app::AppState;
use peba::config::Settings;
use peba::domain::{Alert, TokenHash, User, UserName};
use peba::store::{StatisticsDocument, Store, WriteBatch};
use sha2::{Digest, Sha512};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The repository's `compat/` folder.
pub fn compat_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("compat")
}

/// Reads legacy documents (`{"_id": …, "_source": {…}}`, one per line).
pub fn read_documents(path: &Path) -> Vec<(String, serde_json::Map<String, serde_json::Value>)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let mut doc: serde_json::Value = serde_json::from_str(line).expect("fixture line");
            let id = doc["_id"].as_str().expect("_id").to_owned();
            let source = doc["_source"].take().as_object().cloned().expect("_source");
            (id, source)
        })
        .collect()
}

/// Reads legacy alert documents.
pub fn read_alerts(path: &Path) -> Vec<Alert> {
    read_documents(path)
        .into_iter()
        .map(|(id, source)| {
            let mut alert: Alert =
                serde_json::from_value(serde_json::Value::Object(source)).expect("alert document");
            alert.id = id;
            alert
        })
        .collect()
}

/// A user with a legacy SHA-512 token hash.
pub fn user(name: &str, token: &str, read_only: bool, community_only: bool) -> User {
    User {
        name: UserName::parse(name).expect("user name"),
        token: TokenHash::Sha512Hex(hex::encode(Sha512::digest(token.as_bytes()))),
        read_only,
        community_only,
        email: format!("{name}@example.org"),
    }
}

/// A running server.
pub struct Server {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The store behind it.
    pub store: Arc<dyn Store>,
    /// Which store that is.
    pub backend: Backend,
    _dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a server over the embedded store at the frozen time `now` with the given data.
pub async fn start(
    now: &str,
    alerts: Vec<Alert>,
    statistics: Vec<(String, StatisticsDocument)>,
    users: Vec<User>,
) -> Server {
    start_on(Backend::Embedded, now, alerts, statistics, users).await
}

/// Starts a server over `backend` at the frozen time `now` with the given data (written
/// through the same store the server then opens).
pub async fn start_on(
    backend: Backend,
    now: &str,
    alerts: Vec<Alert>,
    statistics: Vec<(String, StatisticsDocument)>,
    users: Vec<User>,
) -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings::default();
    let frozen = peba::domain::Timestamp::parse_legacy(now).expect("clock");
    settings.frozen_clock = Some(frozen);
    settings.data_dir = dir.path().to_owned();
    if let Backend::Elastic(c) = &backend {
        settings.elasticsearch_host = Some(c.url.clone());
        settings.elastic_timeout = c.timeout;
        settings.alert_index = c.alert_write_alias.clone();
        settings.alert_read_prefix = c.alert_read_prefix.clone();
        settings.cve_index = c.cve_index.clone();
        settings.user_index = c.user_index.clone();
        settings.statistic_index = c.statistic_index.clone();
    }
    let store = peba::app::open_store(&settings).await.expect("open store");
    if !alerts.is_empty() {
        store
            .write(WriteBatch {
                alerts,
                cve_copies: Vec::new(),
            })
            .await
            .expect("write fixtures");
    }
    if !statistics.is_empty() {
        store
            .write_statistics(statistics)
            .await
            .expect("write statistics");
    }
    for u in &users {
        store.add_user(u).await.expect("add user");
    }
    backend.refresh().await;
    let state = AppState::build(settings).await.expect("state");
    let (base, task) = serve(state).await;
    Server {
        base,
        store,
        backend,
        _dir: dir,
        task,
    }
}

/// Serves the complete router over `state` on a free loopback port; returns the base URL and
/// the server task.
pub async fn serve(state: AppState) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let app = peba::http::router(state);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (base, task)
}

/// An HTTP client that does not follow redirects.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The credentials body of the private routes.
pub fn credentials(user: &str, token: &str) -> String {
    format!(
        "<EWS-SimpleMessage version=\"2.0\"><Authentication><username>{user}</username><token>{token}</token></Authentication></EWS-SimpleMessage>"
    )
}
