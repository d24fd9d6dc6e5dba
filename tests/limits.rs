//! Slow clients, many connections and oversized bodies against a real server: it stays
//! responsive, sheds what it must, and says so in `GET /metrics`.

mod support;

use std::time::{Duration, Instant};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The value of an unlabelled sample (or of a full `name{labels}` key) in a metrics text.
fn sample(metrics: &str, key: &str) -> f64 {
    metrics
        .lines()
        .find_map(|line| {
            line.strip_prefix(key)
                .and_then(|rest| rest.strip_prefix(' '))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or_else(|| panic!("no sample {key} in\n{metrics}"))
}

async fn metrics(app: &TestApp) -> String {
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    response.text().await.unwrap()
}

/// Reads until the server closes the connection; how long that took.
async fn time_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(
            limit.saturating_sub(started.elapsed()),
            stream.read(&mut buf),
        )
        .await
        {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => continue,
            Err(_) => return None,
        }
    }
}

#[tokio::test]
async fn slow_clients_are_cut_off_and_others_are_served() {
    let app = spawn_app(&[("idle_timeout", "1")]).await;
    // A client that sends half a request line and then nothing (slowloris).
    let mut slow = TcpStream::connect(app.addr).await.unwrap();
    slow.write_all(b"GET /heartbeat HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // Others are answered meanwhile.
    let started = Instant::now();
    assert_eq!(app.get("/heartbeat").await.status(), 200);
    assert!(started.elapsed() < Duration::from_secs(1));
    let closed = time_until_closed(&mut slow, Duration::from_secs(10)).await;
    let closed = closed.expect("the slow client is disconnected");
    assert!(closed < Duration::from_secs(5), "{closed:?}");
    // A client that sends a body one byte at a time, slower than the idle timeout allows.
    let mut dribble = TcpStream::connect(app.addr).await.unwrap();
    dribble
        .write_all(b"POST /ews-0.1/alert/postSimpleMessage HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n<")
        .await
        .unwrap();
    let closed = time_until_closed(&mut dribble, Duration::from_secs(10)).await;
    assert!(closed.is_some(), "a stalled body is cut off");
    let text = metrics(&app).await;
    assert!(sample(&text, "peba_http_connections_idle_closed_total") >= 2.0);
}

#[tokio::test]
async fn the_connection_limit_holds_and_the_server_recovers() {
    let app = spawn_app(&[("max_connections", "4"), ("idle_timeout", "1")]).await;
    // Four idle connections take every slot.
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(TcpStream::connect(app.addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The fifth waits until the idle ones are closed by the idle timeout, then is served.
    let started = Instant::now();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let response = client.get(app.url("/heartbeat")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    drop(idle);
    let text = metrics(&app).await;
    assert!(sample(&text, "peba_http_connections_waited_total") >= 1.0);
    assert_eq!(sample(&text, "peba_http_connections_limit"), 4.0);
    assert!(sample(&text, "peba_http_connections_open") <= 4.0);
    // Many concurrent clients are all answered (they queue for the slots; these clients do
    // not keep idle connections, which would hold slots until the idle timeout).
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let (client, url) = (client.clone(), app.url("/alert/retrieveAlertsCount?time=1"));
        tasks.push(tokio::spawn(async move {
            client.get(url).send().await.map(|r| r.status().as_u16())
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), 200);
    }
}

#[tokio::test]
async fn oversized_bodies_are_refused_and_counted() {
    let app = spawn_app(&[("max_body_bytes", "4096")]).await;
    let big = message(
        COMMUNITY_USER,
        COMMUNITY_TOKEN,
        &alert("8.8.8.8", 1, "2024-06-24 12:00:00").repeat(20),
    );
    assert!(big.len() > 4096);
    let (status, _) = app.submit(big).await;
    assert_eq!(status, 413);
    let (status, _) = app
        .submit(message(
            COMMUNITY_USER,
            COMMUNITY_TOKEN,
            &alert("8.8.8.8", 1, "2024-06-24 12:00:00"),
        ))
        .await;
    assert_eq!(status, 200);
    let text = metrics(&app).await;
    assert_eq!(
        sample(
            &text,
            "peba_http_requests_total{route=\"/ews-0.1/alert/postSimpleMessage\",status=\"413\"}"
        ),
        1.0
    );
    assert_eq!(
        sample(&text, "peba_ingest_messages_total{outcome=\"ok\"}"),
        1.0
    );
    assert_eq!(
        sample(&text, "peba_ingest_messages_total{outcome=\"refused\"}"),
        1.0
    );
    assert_eq!(sample(&text, "peba_ingest_alerts_total"), 1.0);
    assert!(sample(&text, "peba_store_writes_total") >= 1.0);
}

#[tokio::test]
async fn metrics_count_routes_statuses_and_cache() {
    let app = spawn_app(&[]).await;
    for _ in 0..3 {
        assert_eq!(
            app.get("/alert/retrieveAlertStats?ci=1").await.status(),
            200
        );
    }
    assert_eq!(app.get("/no/such/route").await.status(), 404);
    let text = metrics(&app).await;
    assert_eq!(
        sample(
            &text,
            "peba_http_requests_total{route=\"/alert/retrieveAlertStats\",status=\"200\"}"
        ),
        3.0
    );
    assert_eq!(
        sample(
            &text,
            "peba_http_requests_total{route=\"unmatched\",status=\"404\"}"
        ),
        1.0
    );
    assert_eq!(
        sample(
            &text,
            "peba_http_request_duration_seconds_count{route=\"/alert/retrieveAlertStats\"}"
        ),
        3.0
    );
    assert_eq!(sample(&text, "peba_cache_misses_total"), 1.0);
    assert_eq!(sample(&text, "peba_cache_hits_total"), 2.0);
    assert!(sample(&text, "peba_http_connections_total") >= 1.0);
}
