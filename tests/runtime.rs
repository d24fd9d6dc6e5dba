//! How a real `peba serve` behaves around its store and its life cycle: an unwritable data
//! directory is reported down everywhere health is reported (and up again once writable),
//! SIGTERM under load loses nothing acknowledged, quiet subscriptions outlive the idle
//! timeout, and start-up says what runs.

mod support;

use serde_json::json;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::ws::{self, Socket};
use support::*;

const ROUTE: &str = "/ews-0.1/alert/postSimpleMessage";

/// A `peba serve` started by the test itself (another user, signals, log capture).
struct Served {
    child: Child,
    addr: SocketAddr,
}

impl Served {
    /// Starts `peba serve` on `data_dir` with `settings`, as `uid` when given.
    fn start(data_dir: &Path, settings: &[(&str, &str)], uid: Option<u32>) -> Served {
        let mut command = Command::new(env!("CARGO_BIN_EXE_peba"));
        command
            .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .env_remove("PEBA_ELASTICSEARCH_HOST")
            .env("PEBA_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (key, value) in settings {
            command.arg("--set").arg(format!("{key}={value}"));
        }
        if let Some(uid) = uid {
            use std::os::unix::process::CommandExt;
            command.uid(uid).gid(uid);
        }
        let mut child = command.spawn().expect("peba starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("peba prints its address");
        let addr = line
            .trim()
            .strip_prefix(peba::cli::LISTENING)
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .parse()
            .expect("an address");
        Served { child, addr }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    async fn text(&self, path: &str) -> (u16, String) {
        let response = reqwest::get(self.url(path)).await.expect("answer");
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }

    async fn submit(&self, client: &reqwest::Client, body: String) -> (u16, String) {
        let response = client
            .post(self.url(ROUTE))
            .body(body)
            .send()
            .await
            .expect("answer");
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }

    async fn health(&self) -> serde_json::Value {
        graphql::Gql::new(&format!("http://{}", self.addr))
            .data("{ health { storeUp ingestUp heartbeat } }", json!({}))
            .await["health"]
            .clone()
    }

    /// Polls `/alert/heartbeat` until it says `token`.
    async fn wait_heartbeat(&self, token: &str, within: Duration) {
        let started = Instant::now();
        loop {
            let (_, said) = self.text("/alert/heartbeat").await;
            if said == token {
                return;
            }
            assert!(
                started.elapsed() < within,
                "heartbeat still {said:?}, expected {token:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn community_alert(source: &str) -> String {
    message(
        COMMUNITY_USER,
        COMMUNITY_TOKEN,
        &alert(source, 4711, "2024-06-24 12:00:00"),
    )
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// An unprivileged user id (`nobody`) the server runs as when the test runs as root.
const OTHER_UID: u32 = 65534;

#[tokio::test]
async fn serve_refuses_a_store_it_cannot_write_with_one_line() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temporary directory");
    // The store exists (created by its owner, who let others read it), but the server may
    // only read it: as root the server runs as another user; otherwise directory and files
    // lose their write permission.
    let created = peba_command(dir.path(), &["user", "list"]);
    assert!(created.status.success(), "{created:?}");
    let file_mode = if is_root() { 0o644 } else { 0o444 };
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(file_mode)).unwrap();
    }
    let mode = if is_root() { 0o755 } else { 0o555 };
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(mode)).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_peba"));
    command
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env_remove("PEBA_ELASTICSEARCH_HOST")
        .env("PEBA_LOG", "off")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if is_root() {
        use std::os::unix::process::CommandExt;
        command.uid(OTHER_UID).gid(OTHER_UID);
    }
    let mut child = command.spawn().expect("peba starts");
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("peba serves a store it cannot write");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().expect("output");
    assert!(!output.status.success());
    assert!(output.stdout.is_empty(), "{output:?}");
    let stderr = String::from_utf8(output.stderr).expect("UTF-8");
    let expected = format!(
        "peba: cannot write the store in {} (data_dir): ",
        dir.path().display()
    );
    assert!(stderr.starts_with(&expected), "{stderr:?}");
    assert!(stderr.contains("readonly"), "{stderr:?}");
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
}

/// A small file system mounted for one test (tmpfs), unmounted when dropped.
struct SmallFileSystem {
    dir: tempfile::TempDir,
}

impl SmallFileSystem {
    /// Mounts a tmpfs of `megabytes`; `None` (with a notice) where the test may not mount.
    fn mount(megabytes: u32) -> Option<SmallFileSystem> {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mounted = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={megabytes}m"),
                "peba-test",
            ])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if mounted {
            return Some(SmallFileSystem { dir });
        }
        assert!(
            std::env::var_os("CI").is_none() || !is_root(),
            "root cannot mount a tmpfs here"
        );
        eprintln!("notice: cannot mount a tmpfs (not root?); skipping the full-disk test");
        None
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills the file system with a file of its own until no byte more fits.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let filler = self.path().join("filler");
        let mut file = std::fs::File::create(&filler).expect("filler");
        let chunk = vec![0u8; 64 * 1024];
        while file.write_all(&chunk).is_ok() {}
        while file.write_all(&chunk[..512]).is_ok() {}
        filler
    }
}

impl Drop for SmallFileSystem {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

#[tokio::test]
async fn a_store_that_stops_accepting_writes_is_reported_down_and_up_again() {
    let Some(fs) = SmallFileSystem::mount(16) else {
        return;
    };
    let data = fs.path().join("data");
    let server = Served::start(&data, &[], None);
    let client = reqwest::Client::new();
    server.wait_heartbeat("me", Duration::from_secs(5)).await;
    let (status, body) = server.submit(&client, community_alert("8.8.8.8")).await;
    assert_eq!(status, 200, "{body}");

    // The file system fills up: the refused write turns every health report to "ingest down".
    let filler = fs.fill();
    let (status, body) = server.submit(&client, community_alert("8.8.4.4")).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("Handling failed"), "{body}");
    assert_eq!(server.text("/alert/heartbeat").await, (200, "e".to_owned()));
    assert_eq!(server.text("/heartbeat").await.0, 401);
    assert_eq!(
        server.health().await,
        json!({"storeUp": true, "ingestUp": false, "heartbeat": "e"})
    );
    // It stays down while writes would fail (the write probe fails too).
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(server.text("/alert/heartbeat").await.1, "e");

    // Room again: the probe finds out, without a restart and without an ingest.
    std::fs::remove_file(filler).expect("remove filler");
    server.wait_heartbeat("me", Duration::from_secs(10)).await;
    assert_eq!(
        server.text("/heartbeat").await,
        (200, "I'm alive".to_owned())
    );
    assert_eq!(
        server.health().await,
        json!({"storeUp": true, "ingestUp": true, "heartbeat": "me"})
    );
    let (status, body) = server.submit(&client, community_alert("1.1.1.1")).await;
    assert_eq!(status, 200, "{body}");
    drop(server);
    let mut stored: Vec<String> = stored_alerts(&data)
        .await
        .iter()
        .map(|a| a.source_entry_ip.to_string())
        .collect();
    stored.sort();
    assert_eq!(stored, ["1.1.1.1", "8.8.8.8"]);
}

/// A `graphql-transport-ws` connection with one `alertAdded` subscription (id `s`).
async fn subscribe(server: &Served) -> Socket {
    let mut socket = ws::open(&server.addr.to_string()).await;
    for message in [
        json!({ "type": "connection_init", "payload": {} }),
        json!({ "id": "s", "type": "subscribe", "payload": {
            "query": "subscription { alertAdded(domain: ALL) { source { country { code } } } }" } }),
    ] {
        ws::send(&mut socket, message).await;
    }
    socket
}

/// What a client sees on a WebSocket during `wait`: text messages, pings, and how it ended.
#[derive(Debug, Default)]
struct Seen {
    texts: Vec<serde_json::Value>,
    pings: usize,
    close: Option<(u16, String)>,
    /// The connection ended without a close frame (or failed).
    dropped: bool,
}

async fn watch(socket: &mut Socket, wait: Duration, until_text: usize) -> Seen {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let deadline = tokio::time::Instant::now() + wait;
    let mut seen = Seen::default();
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await {
            Err(_) => return seen,
            Ok(None) | Ok(Some(Err(_))) => {
                seen.dropped = seen.close.is_none();
                return seen;
            }
            Ok(Some(Ok(message))) => match message {
                Message::Text(text) => {
                    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
                    if value["type"] == "next" {
                        seen.texts.push(value);
                        if seen.texts.len() >= until_text {
                            return seen;
                        }
                    }
                }
                Message::Ping(_) => seen.pings += 1,
                Message::Close(frame) => {
                    seen.close = frame.map(|f| (u16::from(f.code), f.reason.to_string()));
                }
                _ => {}
            },
        }
    }
}

#[tokio::test]
async fn a_quiet_subscription_outlives_the_idle_timeout() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let server = Served::start(dir.path(), &[("idle_timeout", "2")], None);
    let mut socket = subscribe(&server).await;
    // Three idle timeouts without an event: the server's pings keep the connection open.
    let quiet = watch(&mut socket, Duration::from_secs(6), 1).await;
    assert!(!quiet.dropped && quiet.close.is_none(), "{quiet:?}");
    assert!(quiet.pings >= 4, "a ping every second expected: {quiet:?}");
    // And the subscription still delivers.
    let client = reqwest::Client::new();
    let (status, body) = server.submit(&client, community_alert("8.8.8.8")).await;
    assert_eq!(status, 200, "{body}");
    let delivered = watch(&mut socket, Duration::from_secs(5), 1).await;
    assert_eq!(delivered.texts.len(), 1, "{delivered:?}");
    assert_eq!(delivered.texts[0]["id"], "s");
}

/// A distinct public source address per message number.
fn source(n: usize) -> String {
    format!("11.{}.{}.{}", n / 65536 % 256, n / 256 % 256, n % 256)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_loses_nothing_acknowledged_and_closes_websockets() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut server = Served::start(dir.path(), &[], None);
    let mut socket = subscribe(&server).await;
    let url = server.url(ROUTE);
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut senders = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let url = url.clone();
        let next = next.clone();
        senders.spawn(async move {
            let client = reqwest::Client::new();
            let (mut acknowledged, mut failed) = (Vec::new(), Vec::new());
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let ip = source(n);
                let answer = client.post(&url).body(community_alert(&ip)).send().await;
                match answer {
                    Ok(response) if response.status() == 200 => acknowledged.push(ip),
                    Ok(response) => {
                        let status = response.status();
                        panic!("{ip}: answered {status} during shutdown");
                    }
                    Err(error) if error.is_connect() => return (acknowledged, failed),
                    Err(_) => failed.push(ip),
                }
            }
        });
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let signalled = Instant::now();
    let killed = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());

    // The subscriber is told the server goes away.
    let goodbye = watch(&mut socket, Duration::from_secs(10), usize::MAX).await;
    assert_eq!(
        goodbye.close,
        Some((1001, "server shutting down".to_owned())),
        "{goodbye:?}"
    );
    let status = tokio::task::spawn_blocking(move || {
        let status = server.child.wait().expect("wait");
        (status, server)
    })
    .await
    .expect("join");
    let took = signalled.elapsed();
    assert!(status.0.success(), "{:?}", status.0);
    assert!(took < Duration::from_secs(10), "exit took {took:?}");
    drop(status);

    let (mut acknowledged, mut failed) = (Vec::new(), Vec::new());
    while let Some(result) = senders.join_next().await {
        let (a, f) = result.expect("sender");
        acknowledged.extend(a);
        failed.extend(f);
    }
    let stored: std::collections::HashSet<String> = stored_alerts(dir.path())
        .await
        .iter()
        .map(|a| a.source_entry_ip.to_string())
        .collect();
    println!(
        "{} acknowledged, {} cut off, {} stored; exit {took:?} after SIGTERM",
        acknowledged.len(),
        failed.len(),
        stored.len()
    );
    assert!(
        acknowledged.len() > 50,
        "too little load: {}",
        acknowledged.len()
    );
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|ip| !stored.contains(*ip))
        .collect();
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");
    let cut_but_stored: Vec<_> = failed.iter().filter(|ip| stored.contains(*ip)).collect();
    assert!(
        cut_but_stored.is_empty(),
        "stored, yet the sender saw its connection fail: {cut_but_stored:?}"
    );
}

/// Starts `peba serve` with `settings` and info logs into a file; the log once it listens.
fn start_up_log(data_dir: &Path, settings: &[(String, String)]) -> String {
    let log_path = data_dir.join("serve.log");
    let mut command = Command::new(env!("CARGO_BIN_EXE_peba"));
    command
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir.join("store"))
        .env_remove("PEBA_ELASTICSEARCH_HOST")
        .env("PEBA_LOG", "peba=info")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log_path).expect("log file"));
    for (key, value) in settings {
        command.arg("--set").arg(format!("{key}={value}"));
    }
    let mut child = command.spawn().expect("peba starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("peba prints its address");
    assert!(line.starts_with(peba::cli::LISTENING), "{line:?}");
    let _ = child.kill();
    let _ = child.wait();
    std::fs::read_to_string(log_path).expect("log")
}

#[test]
fn start_up_summary_names_version_store_geoip_address_and_limits() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let geoip = geoip_fixture(dir.path());
    let log = start_up_log(dir.path(), &geoip);
    for expected in [
        "peba starting",
        env!("CARGO_PKG_VERSION"),
        "embedded",
        &dir.path().join("store").display().to_string(),
        "GeoIP database",
        "GeoLite2-City",
        "GeoLite2-ASN",
        "listening",
        "cache and limits",
        "max_connections",
    ] {
        assert!(log.contains(expected), "no {expected:?} in\n{log}");
    }
    // The fixtures' build time, 1 700 000 000 s after the epoch.
    assert!(log.contains("2023-11-14"), "no build date in\n{log}");
    assert!(!log.contains("every country will be"), "{log}");
    assert!(!log.contains("every AS will be"), "{log}");

    // No databases: said once, clearly.
    let bare = tempfile::tempdir().expect("temporary directory");
    let log = start_up_log(bare.path(), &[]);
    assert!(log.contains("every country will be `-`"), "{log}");

    // An ASN setting pointing at a City database: its fields do not match.
    let swapped: Vec<(String, String)> = geoip
        .iter()
        .map(|(k, v)| match k.as_str() {
            "geoip_asn" => (
                k.clone(),
                dir.path().join("city.mmdb").display().to_string(),
            ),
            _ => (k.clone(), v.clone()),
        })
        .collect();
    let log = start_up_log(bare.path(), &swapped);
    assert!(
        log.contains("lack autonomous_system_number: every AS will be `-`"),
        "{log}"
    );
}

#[test]
fn import_ends_with_a_summary_of_lines_rate_and_errors() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut child = Command::new(env!("CARGO_BIN_EXE_peba"))
        .arg("import")
        .env("PEBA_DATA_DIR", dir.path())
        .env_remove("PEBA_ELASTICSEARCH_HOST")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("peba import");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"not json\n\n[1]\n")
        .unwrap();
    let output = child.wait_with_output().expect("output");
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("3 lines in ") && last.contains(" lines/s), 2 errors"),
        "{stderr}"
    );
    // Not a terminal: no progress line rewritten in place.
    assert!(!stderr.contains('\r'), "{stderr:?}");
}

#[test]
fn user_list_aligns_its_columns() {
    let dir = tempfile::tempdir().expect("temporary directory");
    for (name, email) in [
        ("a-sensor-with-a-name-longer-than-thirty-two", ""),
        ("s", "ops@example.org"),
    ] {
        let added = peba_command(
            dir.path(),
            &["user", "add", name, "--token", "t0ken", "--email", email],
        );
        assert!(added.status.success(), "{added:?}");
    }
    let list = String::from_utf8(peba_command(dir.path(), &["user", "list"]).stdout).unwrap();
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 3, "{list}");
    let column = |word: &str, line: &str| line.find(word).unwrap_or_else(|| panic!("{list}"));
    let hash = column("hash", lines[0]);
    assert!(
        lines[1..].iter().all(|l| column("argon2id", l) == hash),
        "{list}"
    );
    let email = column("email", lines[0]);
    assert_eq!(column("ops@example.org", lines[2]), email, "{list}");
}
