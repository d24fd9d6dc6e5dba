//! Hostile GraphQL requests replayed against a real `peba serve`: each is refused quickly,
//! with a coded error, and leaves the server small and responsive.

mod support;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::graphql::{Gql, error_codes};
use support::ws::{self, Socket, send};
use support::{COMMUNITY_TOKEN, COMMUNITY_USER, TestApp, alert, message, spawn_app};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

/// `fragment F1 on T { ...F0 ...F0 }` … `F{n}`: 2^n selections once expanded.
fn doubling_fragments(n: usize, on: &str, leaf: &str) -> String {
    let mut fragments = format!("fragment F0 on {on} {{ {leaf} }}");
    for i in 1..=n {
        fragments.push_str(&format!(
            " fragment F{i} on {on} {{ ...F{m} ...F{m} }}",
            m = i - 1
        ));
    }
    fragments
}

/// A peak resident set size of the server, in MiB.
fn peak_rss_mib(app: &TestApp) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", app.pid())).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib / 1024
}

async fn post_raw(app: &TestApp, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn fragment_expansion_is_refused_in_milliseconds() {
    let app = spawn_app(&[]).await;
    let gql = Gql::new(&app.url(""));
    let query = format!(
        "{{ health {{ ...F29 }} }} {}",
        doubling_fragments(29, "Health", "heartbeat")
    );
    assert!(query.len() < 1_500, "{}", query.len());
    for _ in 0..3 {
        let started = Instant::now();
        let body = gql.post(&query, json!({})).await;
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(error_codes(&body), ["QUERY_TOO_COMPLEX"], "{body}");
        assert_eq!(body["errors"][0]["extensions"]["measure"], "selections");
        assert_eq!(body["errors"][0]["extensions"]["limit"], 5000);
    }
    // cyclic fragments are refused as well
    let body = gql
        .post(
            "{ health { ...A } } fragment A on Health { ...B } fragment B on Health { heartbeat ...A }",
            json!({}),
        )
        .await;
    assert_eq!(error_codes(&body), ["GRAPHQL_VALIDATION_FAILED"], "{body}");
    // a modest use of fragments still runs
    let data = gql
        .data(
            &format!(
                "{{ health {{ ...F3 }} }} {}",
                doubling_fragments(3, "Health", "heartbeat")
            ),
            json!({}),
        )
        .await;
    assert_eq!(data["health"]["heartbeat"], "me");

    // the same over the WebSocket
    let mut socket = connect(&app).await;
    let subscription = format!(
        "subscription {{ alertAdded {{ ...F29 }} }} {}",
        doubling_fragments(29, "Alert", "id")
    );
    let started = Instant::now();
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": subscription } }),
    )
    .await;
    let answer = next_json(&mut socket, Duration::from_secs(2))
        .await
        .expect("an answer");
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(
        answer["payload"]["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX",
        "{answer}"
    );
}

#[tokio::test]
async fn parse_validation_and_request_errors_carry_codes_without_internals() {
    let app = spawn_app(&[]).await;
    let gql = Gql::new(&app.url(""));
    let body = gql.post("{ health { ", json!({})).await;
    assert_eq!(error_codes(&body), ["GRAPHQL_PARSE_FAILED"], "{body}");
    let body = gql.post("{ health { nosuchfield } }", json!({})).await;
    assert_eq!(error_codes(&body), ["GRAPHQL_VALIDATION_FAILED"], "{body}");

    // malformed JSON, wrong shapes and batches: a JSON GraphQL error, no Rust debug text
    for (body, expected) in [
        ("{\"query\": ", "not a GraphQL request in JSON"),
        ("not json at all", "not a GraphQL request in JSON"),
        ("{\"query\": 5}", "not a GraphQL request in JSON"),
        (
            "[{\"query\":\"{ alertCount }\"},{\"query\":\"{ alertCount }\"}]",
            "batched requests",
        ),
    ] {
        let (status, answer) = post_raw(&app, body).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(error_codes(&answer), ["BAD_REQUEST"], "{answer}");
        let text = answer.to_string();
        assert!(text.contains(expected), "{text}");
        assert!(
            !text.contains("Error(") && !text.contains("InvalidRequest"),
            "{text}"
        );
    }
    let response = app.get("/graphql?query=%7B&variables=%7Bnope").await;
    assert_eq!(response.status(), 400);
    let text = response.text().await.unwrap();
    assert!(
        !text.contains("Error(") && text.contains("BAD_REQUEST"),
        "{text}"
    );
}

#[tokio::test]
async fn request_bodies_and_query_strings_are_bounded() {
    let app = spawn_app(&[]).await;
    // a declared length above the limit is refused before anything is read
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        app.addr,
        300 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut answer))
        .await
        .expect("answered without the body")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("PAYLOAD_TOO_LARGE"), "{answer}");
    // 100 MB streamed without a length: cut off at the limit, nothing more is buffered
    let started = Instant::now();
    let status = stream_chunked(&app, 100 << 20).await;
    assert_eq!(status, Some(413));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        peak_rss_mib(&app) < 100,
        "peak RSS {} MiB",
        peak_rss_mib(&app)
    );
    // a request just below the limit still runs
    let padded =
        json!({ "query": format!("{{ health {{ heartbeat }} }}{}", " ".repeat(200 * 1024)) });
    let (status, answer) = post_raw(&app, padded.to_string()).await;
    assert_eq!(status, 200);
    assert_eq!(answer["data"]["health"]["heartbeat"], "me");

    // a WebSocket message above the limit closes the socket
    let mut socket = connect(&app).await;
    let big = json!({ "id": "1", "type": "subscribe", "payload": { "query": format!("subscription {{ alertAdded {{ id }} }}{}", " ".repeat(300 * 1024)) } });
    let _ = socket.send(Message::Text(big.to_string().into())).await;
    let closed = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            match socket.next().await {
                None | Some(Err(_)) => return None,
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => {}
            }
        }
    })
    .await
    .expect("the socket closes");
    assert!(closed.is_none_or(|code| code == 1009), "{closed:?}");
}

/// Posts `total` bytes to `/graphql` with chunked encoding (1 MiB chunks); the answer's status.
async fn stream_chunked(app: &TestApp, total: usize) -> Option<u16> {
    let stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        app.addr
    );
    let upload = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await?;
        let chunk = vec![b' '; 1 << 20];
        let mut sent = 0;
        while sent < total {
            writer
                .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .await?;
            writer.write_all(&chunk).await?;
            writer.write_all(b"\r\n").await?;
            sent += chunk.len();
        }
        writer.write_all(b"0\r\n\r\n").await
    });
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    upload.abort();
    read.ok()?;
    let text = String::from_utf8_lossy(&answer);
    text.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test]
async fn store_backed_fields_are_bounded_by_complexity() {
    let app = spawn_app(&[]).await;
    let gql = Gql::new(&app.url(""));
    for (field, copies) in [
        ("alertCount(filter: { received: { lastMinutes: 5 } })", 1000),
        ("honeypotStatistics { totalAlerts }", 600),
        ("timeline(intervalSeconds: 3600) { count }", 200),
        ("topPorts(first: 1) { value }", 200),
    ] {
        let query = format!(
            "{{ {} }}",
            (0..copies)
                .map(|i| format!("a{i}: {field}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let started = Instant::now();
        let body = gql.post(&query, json!({})).await;
        assert!(started.elapsed() < Duration::from_secs(2), "{field}");
        assert_eq!(error_codes(&body), ["QUERY_TOO_COMPLEX"], "{field}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["measure"], "complexity");
    }
    // a dashboard's worth of store fields still runs
    let data = gql
        .data(
            "{ alertStats { lastHour } a: alertCount b: alertCount(domain: ALL)
               honeypotTypes { count } topSourceCountries { code } honeypotStatistics { totalAlerts }
               timeline(intervalSeconds: 3600) { count } health { heartbeat } }",
            json!({}),
        )
        .await;
    assert_eq!(data["a"], 0);
}

#[tokio::test]
async fn anonymous_callers_see_community_alerts_only() {
    let app = spawn_app(&[]).await;
    let added = app.peba(&[
        "user",
        "add",
        "private-sender",
        "--token",
        "a-private-token",
    ]);
    assert!(added.status.success(), "{added:?}");
    let private = message(
        "private-sender",
        "a-private-token",
        &alert("8.8.8.8", 1000, "2024-07-01 00:10:00"),
    );
    assert_eq!(app.submit(private).await.0, 200);
    let community = message(
        COMMUNITY_USER,
        COMMUNITY_TOKEN,
        &alert("8.8.4.4", 2000, "2024-07-01 00:11:00"),
    );
    assert_eq!(app.submit(community).await.0, 200);

    let gql = Gql::new(&app.url(""));
    for domain in ["PRIVATE", "ALL", "COMMUNITY"] {
        let data = gql
            .data(
                "query($d: DataDomain!) { alertCount(domain: $d) alerts(domain: $d) { nodes { domain source { port } } } }",
                json!({ "d": domain }),
            )
            .await;
        assert_eq!(data["alertCount"], 1, "{domain}");
        assert_eq!(
            data["alerts"]["nodes"],
            json!([{ "domain": "COMMUNITY", "source": { "port": 2000 } }]),
            "{domain}"
        );
    }
}

#[tokio::test]
async fn subscriptions_are_capped_per_connection_and_per_address() {
    let app = spawn_app(&[
        ("graphql_subscriptions_per_connection", "3"),
        ("graphql_subscriptions_per_address", "5"),
    ])
    .await;
    let subscribe = |id: usize| json!({ "id": id.to_string(), "type": "subscribe", "payload": { "query": "subscription { alertAdded { id } }" } });
    let mut first = connect(&app).await;
    for id in 0..4 {
        send(&mut first, subscribe(id)).await;
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let refused = next_json(&mut first, Duration::from_secs(2))
        .await
        .expect("the fourth is refused");
    assert_eq!(refused["id"], "3", "{refused}");
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"], "TOO_MANY_SUBSCRIPTIONS",
        "{refused}"
    );
    // the address holds 3; a second socket may add 2 more
    let mut second = connect(&app).await;
    for id in 10..13 {
        send(&mut second, subscribe(id)).await;
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let refused = next_json(&mut second, Duration::from_secs(2))
        .await
        .expect("the third is refused");
    assert_eq!(refused["id"], "12", "{refused}");
    assert!(
        refused.to_string().contains("per client address"),
        "{refused}"
    );
    // closing the first socket frees its address slots (the second socket is at 2 of 3)
    drop(first);
    tokio::time::sleep(Duration::from_millis(300)).await;
    send(&mut second, subscribe(20)).await;
    assert_eq!(
        next_json(&mut second, Duration::from_millis(500)).await,
        None
    );
    // and each subscription gets each alert once
    let body = message(
        COMMUNITY_USER,
        COMMUNITY_TOKEN,
        &alert("8.8.4.4", 2000, "2024-07-01 00:11:00"),
    );
    assert_eq!(app.submit(body).await.0, 200);
    let mut ids = Vec::new();
    while let Some(event) = next_json(&mut second, Duration::from_millis(700)).await {
        ids.push(event["id"].as_str().unwrap().to_owned());
    }
    ids.sort();
    assert_eq!(ids, ["10", "11", "20"]);
}

#[tokio::test]
async fn a_bad_token_at_connection_init_closes_with_4403() {
    let app = spawn_app(&[]).await;
    let mut socket = ws::open(&app.addr.to_string()).await;
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": { "Authorization": "Bearer nonsense" } }),
    )
    .await;
    let code = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => {}
                _ => return None,
            }
        }
    })
    .await
    .expect("closed");
    assert_eq!(code, Some(4403));
}

/// An anonymous, acknowledged `graphql-transport-ws` connection.
async fn connect(app: &TestApp) -> Socket {
    ws::connect(&app.addr.to_string(), json!({})).await
}

/// The next JSON message within `wait` (pings and completions skipped).
async fn next_json(socket: &mut Socket, wait: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let message = tokio::time::timeout_at(deadline, socket.next())
            .await
            .ok()??
            .ok()?;
        if let Message::Text(text) = message {
            let value: Value = serde_json::from_str(&text).unwrap();
            if !["ping", "pong", "complete"].contains(&value["type"].as_str().unwrap_or("")) {
                return Some(value);
            }
        }
    }
}
