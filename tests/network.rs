//! Connection-level defences and client addresses against a real `peba serve`: slow
//! senders are cut off while heartbeats stay fast, per-address connection limits, the header
//! deadline, trusted proxies, logs an operator can parse, and where `/metrics` is served.

mod support;

use std::io::{BufRead, BufReader};
use std::net::{IpAddr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// Connects to `server` from the loopback address `from` (any of 127.0.0.0/8).
async fn connect_from(from: &str, server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::new(from.parse().unwrap(), 0))
        .unwrap();
    socket.connect(server).await.unwrap()
}

/// A sender that opens a chunked ingest upload and sends one byte a second until the server
/// closes the connection or answers; how long that took (`None`: not within `limit`).
async fn slow_chunked_sender(
    from: String,
    server: SocketAddr,
    limit: Duration,
) -> Option<Duration> {
    let started = Instant::now();
    let mut stream = connect_from(&from, server).await;
    let head = "POST /ews-0.1/alert/postSimpleMessage HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n";
    if stream.write_all(head.as_bytes()).await.is_err() {
        return Some(started.elapsed());
    }
    let mut buf = [0u8; 512];
    while started.elapsed() < limit {
        if stream.write_all(b"1\r\n<\r\n").await.is_err() {
            return Some(started.elapsed());
        }
        match tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buf)).await {
            Ok(_) => return Some(started.elapsed()), // closed, reset, or answered
            Err(_) => continue,
        }
    }
    None
}

/// Heartbeats from 127.0.0.1 every 100 ms for `span`; the slowest answer.
async fn heartbeats(app: &TestApp, span: Duration) -> Duration {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    while started.elapsed() < span {
        let asked = Instant::now();
        let response = client.get(app.url("/heartbeat")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        slowest = slowest.max(asked.elapsed());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    slowest
}

async fn metrics_text(app: &TestApp) -> String {
    app.get("/metrics").await.text().await.unwrap()
}

fn sample(metrics: &str, name: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no sample {name} in\n{metrics}"))
}

#[tokio::test]
async fn sixty_slow_senders_from_one_address_cannot_starve_heartbeats() {
    let app = spawn_app(&[
        ("max_connections", "20"),
        ("max_connections_per_address", "8"),
        ("body_timeout", "2"),
        ("min_body_rate", "1024"),
    ])
    .await;
    let senders: Vec<_> = (0..60)
        .map(|_| {
            tokio::spawn(slow_chunked_sender(
                "127.0.0.2".into(),
                app.addr,
                Duration::from_secs(30),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let slowest = heartbeats(&app, Duration::from_secs(5)).await;
    assert!(
        slowest < Duration::from_millis(500),
        "heartbeat took {slowest:?}"
    );
    let mut last_cut = Duration::ZERO;
    for sender in senders {
        let cut = sender.await.unwrap().expect("every slow sender is cut off");
        last_cut = last_cut.max(cut);
    }
    // 2 s of grace plus 1 byte a second at 1 KiB/s, with room for a loaded machine.
    assert!(last_cut < Duration::from_secs(6), "cut after {last_cut:?}");
    eprintln!("one address: slowest heartbeat {slowest:?}, last sender cut after {last_cut:?}");
    let text = metrics_text(&app).await;
    assert!(
        sample(&text, "peba_http_connections_refused_total") >= 50.0,
        "{text}"
    );
    assert!(
        sample(&text, "peba_http_slow_bodies_total") >= 1.0,
        "{text}"
    );
}

#[tokio::test]
async fn slow_senders_from_many_addresses_are_cut_within_the_bound() {
    let app = spawn_app(&[
        ("max_connections", "50"),
        ("body_timeout", "2"),
        ("min_body_rate", "1024"),
    ])
    .await;
    let started = Instant::now();
    let senders: Vec<_> = (0..60)
        .map(|i| {
            tokio::spawn(slow_chunked_sender(
                format!("127.0.1.{}", i + 1),
                app.addr,
                Duration::from_secs(30),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Every slot is held for at most the 2 s grace: a heartbeat waits no longer than that.
    let slowest = heartbeats(&app, Duration::from_secs(6)).await;
    assert!(
        slowest < Duration::from_secs(4),
        "heartbeat took {slowest:?}"
    );
    let mut last_cut = Duration::ZERO;
    for sender in senders {
        let cut = sender.await.unwrap().expect("every slow sender is cut off");
        last_cut = last_cut.max(cut);
    }
    assert!(last_cut < Duration::from_secs(10), "cut after {last_cut:?}");
    eprintln!("60 addresses: slowest heartbeat {slowest:?}, last sender cut after {last_cut:?}");
    assert!(started.elapsed() < Duration::from_secs(15));
    let text = metrics_text(&app).await;
    assert!(
        sample(&text, "peba_http_slow_bodies_total") >= 60.0,
        "{text}"
    );
}

#[tokio::test]
async fn a_body_at_a_normal_rate_is_stored_and_a_late_one_answered_408() {
    let app = spawn_app(&[("body_timeout", "1"), ("min_body_rate", "1024")]).await;
    let xml = message(
        COMMUNITY_USER,
        COMMUNITY_TOKEN,
        &alert("8.8.8.8", 1, "2024-06-24 12:00:00"),
    );
    assert_eq!(app.submit(xml.clone()).await.0, 200);
    // Half the body, then a pause past the grace.
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /ews-0.1/alert/postSimpleMessage HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        xml.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
        .write_all(&xml.as_bytes()[..xml.len() / 2])
        .await
        .unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the late body is cut off");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert_eq!(app.stored().await.len(), 1);
}

#[tokio::test]
async fn headers_must_arrive_within_the_header_timeout() {
    let app = spawn_app(&[("header_timeout", "2"), ("idle_timeout", "30")]).await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream
        .write_all(b"GET /heartbeat HTTP/1.1\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 256];
    // One header byte every 300 ms keeps the connection from being idle.
    let closed = loop {
        if started.elapsed() > Duration::from_secs(10) {
            break None;
        }
        if stream.write_all(b"X").await.is_err() {
            break Some(started.elapsed());
        }
        match tokio::time::timeout(Duration::from_millis(300), stream.read(&mut buf)).await {
            Ok(_) => break Some(started.elapsed()),
            Err(_) => continue,
        }
    };
    let closed = closed.expect("a header dribble is cut off");
    assert!(closed < Duration::from_secs(4), "{closed:?}");
}

/// A `peba serve` whose standard error (the logs) is collected line by line.
struct Logged {
    child: Child,
    addr: SocketAddr,
    lines: mpsc::Receiver<String>,
    _dir: tempfile::TempDir,
}

impl Logged {
    fn start(env: &[(&str, &str)], settings: &[(&str, &str)]) -> Logged {
        let dir = tempfile::tempdir().unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_peba"));
        command
            .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .env_remove("PEBA_ELASTICSEARCH_HOST")
            .env_remove("PEBA_LOG")
            .env_remove("PEBA_LOG_FORMAT");
        for (key, value) in settings {
            command.arg("--set").arg(format!("{key}={value}"));
        }
        command.envs(env.iter().copied());
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let addr = first
            .trim()
            .strip_prefix(peba::cli::LISTENING)
            .unwrap()
            .parse()
            .unwrap();
        let (send, lines) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Logged {
            child,
            addr,
            lines,
            _dir: dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Lines logged until `done` holds for one of them (or 10 s passed).
    fn lines_until(&self, done: impl Fn(&str) -> bool) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut lines = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let finished = done(&line);
                    lines.push(line);
                    if finished {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        lines
    }
}

impl Drop for Logged {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A GET from the loopback address `from`, with extra headers; the status.
async fn get_from(from: &str, url: &str, headers: &[(&str, &str)]) -> u16 {
    let mut request = reqwest::Client::builder()
        .local_address(from.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
        .get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn text_logs_have_no_colour_codes_off_a_terminal() {
    let server = Logged::start(&[], &[]);
    get_from("127.0.0.1", &server.url("/heartbeat"), &[]).await;
    let lines = server.lines_until(|l| l.contains("/heartbeat"));
    let access = lines
        .iter()
        .find(|l| l.contains("path=\"/heartbeat\"") || l.contains("path=/heartbeat"))
        .unwrap_or_else(|| panic!("an access-log line in {lines:#?}"));
    assert!(access.contains("status=200"), "{access}");
    for line in &lines {
        assert!(!line.contains('\u{1b}'), "colour codes in {line:?}");
    }
}

#[tokio::test]
async fn json_logs_parse_and_carry_the_access_log_fields() {
    let server = Logged::start(
        &[("PEBA_LOG_FORMAT", "json")],
        &[("trusted_proxies", "127.0.0.1")],
    );
    // Through the trusted proxy (127.0.0.1): the client is the right-most untrusted hop.
    let url = server.url("/alert/retrieveAlertsCount?time=1&token=s3cret");
    let status = get_from(
        "127.0.0.1",
        &url,
        &[("X-Forwarded-For", "203.0.113.66, 198.51.100.7")],
    )
    .await;
    assert_eq!(status, 200);
    // From an untrusted peer the header is ignored.
    get_from(
        "127.0.0.3",
        &server.url("/heartbeat"),
        &[("X-Forwarded-For", "198.51.100.99")],
    )
    .await;
    let lines = server.lines_until(|l| l.contains("\"/heartbeat\""));
    let mut access = Vec::new();
    for line in &lines {
        let value: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
        if value["target"] == "peba::access" {
            access.push(value);
        }
    }
    assert_eq!(access.len(), 2, "{lines:#?}");
    let proxied = &access[0];
    assert_eq!(proxied["level"], "INFO");
    assert_eq!(proxied["method"], "GET");
    assert_eq!(proxied["path"], "/alert/retrieveAlertsCount");
    assert_eq!(proxied["status"], 200);
    assert!(proxied["bytes"].as_u64().is_some(), "{proxied}");
    assert!(proxied["duration_ms"].as_f64().is_some(), "{proxied}");
    assert_eq!(proxied["client"], "198.51.100.7");
    assert_eq!(proxied["request_id"].as_str().unwrap().len(), 36);
    assert!(!lines.iter().any(|l| l.contains("s3cret")));
    assert_eq!(access[1]["client"], "127.0.0.3");
}

#[tokio::test]
async fn trusted_proxies_are_exempt_from_the_per_address_limit() {
    let app = spawn_app(&[
        ("max_connections_per_address", "2"),
        ("trusted_proxies", "127.0.0.4"),
    ])
    .await;
    let mut held = Vec::new();
    for _ in 0..2 {
        held.push(connect_from("127.0.0.5", app.addr).await);
        held.push(connect_from("127.0.0.4", app.addr).await);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // A third connection from the untrusted address is closed at once…
    let mut third = connect_from("127.0.0.5", app.addr).await;
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(2), third.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "{read:?}");
    // …while the proxy's third is served, as are other addresses.
    let url = app.url("/heartbeat");
    assert_eq!(get_from("127.0.0.4", &url, &[]).await, 200);
    assert_eq!(get_from("127.0.0.6", &url, &[]).await, 200);
    drop(held);
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn metrics_can_move_to_their_own_address_or_be_turned_off() {
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let app = spawn_app(&[("metrics_bind", bind.as_str())]).await;
    assert_eq!(app.get("/heartbeat").await.status(), 200);
    assert_eq!(app.get("/metrics").await.status(), 404);
    let text = reqwest::get(format!("http://{bind}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        sample(
            &text,
            "peba_http_requests_total{route=\"/heartbeat\",status=\"200\"}"
        ),
        1.0
    );
    let off = spawn_app(&[("metrics_bind", "off")]).await;
    assert_eq!(off.get("/metrics").await.status(), 404);
}

#[tokio::test]
async fn websocket_upgrades_pass_through_the_server() {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let app = spawn_app(&[("header_timeout", "1")]).await;
    let mut socket = support::ws::open(&app.addr.to_string()).await;
    // Longer than the header timeout: an upgraded connection is no longer bound by it.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    socket
        .send(Message::Text(
            r#"{"type":"connection_init","payload":{}}"#.into(),
        ))
        .await
        .unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(5), socket.next())
        .await
        .expect("an answer")
        .expect("a message")
        .unwrap();
    let answer: serde_json::Value = serde_json::from_str(answer.to_text().unwrap()).unwrap();
    assert_eq!(answer["type"], "connection_ack", "{answer}");
}

#[tokio::test]
async fn the_access_log_can_be_turned_off_and_sigterm_stops_the_server() {
    let mut server = Logged::start(&[], &[("access_log", "false")]);
    assert_eq!(
        get_from("127.0.0.1", &server.url("/heartbeat"), &[]).await,
        200
    );
    let terminated = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(terminated.success());
    let lines = server.lines_until(|l| l.contains("shutting down"));
    assert!(
        lines.iter().any(|l| l.contains("shutting down")),
        "{lines:#?}"
    );
    assert!(
        !lines.iter().any(|l| l.contains("peba::access")),
        "{lines:#?}"
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the server did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}
