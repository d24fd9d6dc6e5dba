//! Test harness: each test gets its own real `peba` process, on a free loopback port, with its
//! own data directory (and, over Elasticsearch, index names of its own: see [`backend`]).
#![allow(dead_code)]

pub mod backend;
pub mod graphql;
pub mod in_process;
pub mod mmdb;
pub mod ws;

use backend::Backend;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The community credentials every T-Pot ships with.
pub const COMMUNITY_USER: &str = "community-01-user";
pub const COMMUNITY_TOKEN: &str = "foth{a5maiCee8fineu7";

/// A running server and the directory it stores into.
pub struct TestApp {
    pub addr: SocketAddr,
    pub data_dir: tempfile::TempDir,
    pub client: reqwest::Client,
    /// The store the server uses.
    pub backend: Backend,
    settings: Vec<(String, String)>,
    child: Child,
}

/// Starts `peba serve` with the given extra settings (`key`, `value`).
pub async fn spawn_app(settings: &[(&str, &str)]) -> TestApp {
    let settings: Vec<(String, String)> = settings
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    spawn_app_with(settings).await
}

/// Starts `peba serve` with owned settings.
pub async fn spawn_app_with(settings: Vec<(String, String)>) -> TestApp {
    spawn_with(Backend::Embedded, settings)
}

/// Starts `peba serve` over `backend` with the given extra settings.
pub async fn spawn_on(backend: &Backend, settings: &[(&str, &str)]) -> TestApp {
    let settings: Vec<(String, String)> = settings
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    spawn_with(backend.clone(), settings)
}

/// Starts `peba serve` over `backend` with `data_dir` (which may hold data already).
pub fn spawn_on_dir(
    backend: &Backend,
    data_dir: tempfile::TempDir,
    settings: &[(&str, &str)],
) -> TestApp {
    let settings: Vec<(String, String)> = settings
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    spawn_in(backend.clone(), data_dir, settings)
}

fn spawn_with(backend: Backend, settings: Vec<(String, String)>) -> TestApp {
    spawn_in(
        backend,
        tempfile::tempdir().expect("temporary directory"),
        settings,
    )
}

fn spawn_in(
    backend: Backend,
    data_dir: tempfile::TempDir,
    mut settings: Vec<(String, String)>,
) -> TestApp {
    settings.extend(backend.settings());
    let (child, addr) = start(data_dir.path(), &settings);
    TestApp {
        addr,
        data_dir,
        client: reqwest::Client::new(),
        backend,
        settings,
        child,
    }
}

fn start(data_dir: &Path, settings: &[(String, String)]) -> (Child, SocketAddr) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_peba"));
    command
        .arg("serve")
        .arg("--bind")
        .arg("127.0.0.1:0")
        .arg("--data-dir")
        .arg(data_dir);
    // `log` is the harness's own setting: the server's `PEBA_LOG` (default `warn`).
    let mut log = "warn";
    for (key, value) in settings {
        if key == "log" {
            log = value;
            continue;
        }
        command.arg("--set").arg(format!("{key}={value}"));
    }
    command
        .env_remove("PEBA_ELASTICSEARCH_HOST")
        .env("PEBA_LOG", log);
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("peba starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("peba prints its address");
    let addr = line
        .trim()
        .strip_prefix(peba::cli::LISTENING)
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .parse()
        .expect("an address");
    (child, addr)
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn post(&self, path: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("Content-Type", "text/xml")
            .body(body)
            .send()
            .await
            .expect("request")
    }

    /// The value of an unlabelled counter or gauge in `GET /metrics` (e.g. `peba_cache_hits_total`).
    pub async fn metric(&self, name: &str) -> f64 {
        let text = self.get("/metrics").await.text().await.expect("metrics");
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in metrics"))
    }

    /// Posts an EWS message to the ingest route; returns status and body.
    pub async fn submit(&self, xml: impl Into<reqwest::Body>) -> (u16, String) {
        let response = self.post("/ews-0.1/alert/postSimpleMessage", xml).await;
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the server without warning (SIGKILL).
    pub fn kill_hard(&mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("wait");
    }

    /// Starts the server again on the same data directory (new port).
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let (child, addr) = start(self.data_dir.path(), &self.settings);
        self.child = child;
        self.addr = addr;
    }

    /// Runs a `peba` subcommand on this app's store (data directory or Elasticsearch).
    pub fn peba(&self, args: &[&str]) -> std::process::Output {
        peba_command_on(&self.backend, self.data_dir.path(), args)
    }

    /// The app's store, opened anew (the embedded one on its data directory).
    pub async fn store(&self) -> std::sync::Arc<dyn peba::store::Store> {
        let mut overrides = self.backend.settings();
        overrides.push((
            "data_dir".into(),
            self.data_dir.path().display().to_string(),
        ));
        let settings =
            peba::config::Settings::load(None, |_| None, &overrides).expect("test settings");
        peba::app::open_store(&settings).await.expect("store opens")
    }

    /// Every stored alert (all domains), newest first (everything written is made searchable
    /// first).
    pub async fn stored(&self) -> Vec<peba::domain::Alert> {
        self.backend.refresh().await;
        all_alerts(self.store().await.as_ref()).await
    }

    pub fn data_path(&self) -> PathBuf {
        self.data_dir.path().to_owned()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `peba ARGS` with `data_dir` as its store.
pub fn peba_command(data_dir: &Path, args: &[&str]) -> std::process::Output {
    peba_command_on(&Backend::Embedded, data_dir, args)
}

/// Runs `peba ARGS` over `backend` (given as `PEBA_*` variables), `data_dir` for the embedded
/// store.
pub fn peba_command_on(backend: &Backend, data_dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_peba"))
        .args(args)
        .env("PEBA_DATA_DIR", data_dir)
        .env_remove("PEBA_ELASTICSEARCH_HOST")
        .envs(backend.env())
        .output()
        .expect("peba runs")
}

/// Every alert of a store (all domains), newest first.
pub async fn all_alerts(store: &dyn peba::store::Store) -> Vec<peba::domain::Alert> {
    use peba::domain::{AlertFilter, AlertPage, DataDomain, TimeField};
    let page = AlertPage {
        filter: AlertFilter::domain(DataDomain::All),
        order_by: TimeField::Received,
        limit: 100_000,
        after: None,
    };
    store.alerts(&page).await.expect("alerts")
}

/// An EWS message with the given credentials around the given `<Alert>` elements.
pub fn message(user: &str, token: &str, alerts: &str) -> String {
    format!(
        "<EWS-SimpleMessage version=\"3.0\"><Authentication><username>{user}</username><token>{token}</token></Authentication>{alerts}</EWS-SimpleMessage>"
    )
}

/// A minimal complete honeytrap-style alert.
pub fn alert(source: &str, port: u16, create_time: &str) -> String {
    format!(
        "<Alert><Analyzer id=\"honeytrap-community-01\"/><CreateTime tz=\"+0000\">{create_time}</CreateTime>\
         <Source category=\"ipv4\" port=\"{port}\" protocol=\"tcp\">{source}</Source>\
         <Target category=\"ipv4\" port=\"445\" protocol=\"tcp\">87.150.238.182</Target>\
         <Request type=\"description\">NetworkHoneypot Honeytrap v1.1</Request></Alert>"
    )
}

/// Every stored alert (all domains), newest first, read through the embedded store.
pub async fn stored_alerts(data_dir: &Path) -> Vec<peba::domain::Alert> {
    let store = peba::store::embedded::EmbeddedStore::open(data_dir).expect("store opens");
    all_alerts(&store).await
}

/// Writes small city and ASN databases covering the addresses the fixtures use; returns the
/// settings that select them.
pub fn geoip_fixture(dir: &Path) -> Vec<(String, String)> {
    use mmdb::{AsnRecord, CityRecord, write_asn_db, write_city_db};
    let city = dir.join("city.mmdb");
    let asn = dir.join("asn.mmdb");
    let net = |text: &str| text.parse().expect("network");
    write_city_db(
        &city,
        &[
            (
                net("8.8.8.0/24"),
                CityRecord::new("US", "United States", 37.751, -97.822),
            ),
            (
                net("87.150.0.0/16"),
                CityRecord::new("DE", "Germany", 51.2993, 9.491),
            ),
            (
                net("222.186.0.0/16"),
                CityRecord::new("CN", "China", 32.0617, 118.7778),
            ),
        ],
    )
    .expect("city database");
    write_asn_db(
        &asn,
        &[
            (net("8.8.8.0/24"), AsnRecord::new(15169, "GOOGLE")),
            (
                net("87.128.0.0/10"),
                AsnRecord::new(3320, "Deutsche Telekom AG"),
            ),
        ],
    )
    .expect("asn database");
    vec![
        ("geoip_city".to_owned(), city.display().to_string()),
        ("geoip_asn".to_owned(), asn.display().to_string()),
    ]
}
