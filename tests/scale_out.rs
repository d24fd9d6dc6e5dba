//! Several `peba serve` processes on one cluster (Elasticsearch only; skipped without a node):
//! the live feed is cluster-wide, users and login tokens work on every server, and servers
//! starting together on fresh indices do not race into errors.

mod support;

use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::{Duration, Instant};
use support::backend::Backend;
use support::graphql::Gql;
use support::ws::{self, Socket};
use support::{COMMUNITY_TOKEN, COMMUNITY_USER, TestApp, alert, message, spawn_on_dir};

/// A secret both servers share, as the README's "Scaling out" asks.
const JWT_SECRET: &str = "a-shared-secret-of-the-two-peba-servers-0123456789";
/// How soon an alert posted to one server reaches a subscriber of the other.
const ACROSS_SERVERS: Duration = Duration::from_secs(2);

fn settings() -> [(&'static str, &'static str); 1] {
    [("jwt_secret", JWT_SECRET)]
}

/// Two servers on fresh indices of one cluster, started at the same time.
async fn two_servers(tag: &str) -> Option<(Backend, TestApp, TestApp)> {
    let backend = Backend::elastic(tag)?;
    let start = || {
        let backend = backend.clone();
        std::thread::spawn(move || {
            spawn_on_dir(&backend, tempfile::tempdir().unwrap(), &settings())
        })
    };
    let (a, b) = (start(), start());
    Some((backend, a.join().unwrap(), b.join().unwrap()))
}

async fn subscribe(app: &TestApp) -> Socket {
    let mut socket = ws::connect(&app.addr.to_string(), json!({})).await;
    ws::send(
        &mut socket,
        json!({ "id": "s", "type": "subscribe", "payload": {
            "query": "subscription { alertAdded(domain: COMMUNITY) { id } }" } }),
    )
    .await;
    socket
}

/// The ids of the alerts `socket` receives within `wait`.
async fn received(socket: &mut Socket, wait: Duration) -> Vec<String> {
    let deadline = Instant::now() + wait;
    let mut ids = Vec::new();
    while let Some(message) =
        ws::next(socket, deadline.saturating_duration_since(Instant::now())).await
    {
        let id = &message["payload"]["data"]["alertAdded"]["id"];
        ids.push(
            id.as_str()
                .unwrap_or_else(|| panic!("{message}"))
                .to_owned(),
        );
    }
    ids
}

/// The id of the next alert, which must come within [`ACROSS_SERVERS`].
async fn received_one(socket: &mut Socket) -> String {
    let message = ws::next(socket, ACROSS_SERVERS)
        .await
        .expect("an alert within 2 s");
    let id = &message["payload"]["data"]["alertAdded"]["id"];
    id.as_str()
        .unwrap_or_else(|| panic!("{message}"))
        .to_owned()
}

async fn post(app: &TestApp, source: &str, port: u16) {
    let now = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string();
    let (status, body) = app
        .submit(message(
            COMMUNITY_USER,
            COMMUNITY_TOKEN,
            &alert(source, port, &now),
        ))
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_feed_is_cluster_wide_and_carries_each_alert_once() {
    let Some((backend, a, b)) = two_servers("scale_feed").await else {
        return;
    };
    let mut on_a = subscribe(&a).await;
    let mut on_b = subscribe(&b).await;
    // let both subscriptions start before anything is posted
    tokio::time::sleep(Duration::from_millis(300)).await;

    let posted = Instant::now();
    post(&b, "8.8.8.8", 40001).await;
    let first = received_one(&mut on_a).await;
    let took = posted.elapsed();
    eprintln!("alert posted to B reached A's subscriber after {took:?}");

    post(&a, "9.9.9.9", 40002).await;
    // Each server's subscriber sees each alert exactly once, whoever stored it, even though
    // every poll of the cluster reads the last seconds again.
    let settle = Duration::from_secs(4);
    let (mut seen_a, mut seen_b) =
        tokio::join!(received(&mut on_a, settle), received(&mut on_b, settle));
    seen_a.insert(0, first);
    seen_a.sort();
    seen_b.sort();
    assert_eq!(seen_a.len(), 2, "server A's subscriber: {seen_a:?}");
    assert_ne!(seen_a[0], seen_a[1], "server A's subscriber: {seen_a:?}");
    assert_eq!(seen_a, seen_b, "both subscribers see the same alerts");
    backend.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_and_login_tokens_work_on_every_server() {
    let Some((backend, a, b)) = two_servers("scale_users").await else {
        return;
    };
    let out = a.peba(&[
        "user",
        "add",
        "analyst",
        "--token",
        "analyst-token-1234567890",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A token issued by A is accepted by B (they share the JWT secret).
    let on_a = Gql::new(&a.url(""))
        .login("analyst", "analyst-token-1234567890")
        .await;
    let token = on_a.token.clone().expect("a login token");
    let on_b = Gql::new(&b.url("")).with_token(&token);
    let viewer = on_b.data("{ viewer { name } }", json!({})).await;
    assert_eq!(viewer["viewer"]["name"], "analyst");

    // Removed through the command line: refused by both servers within the recheck time.
    let out = b.peba(&["user", "remove", "analyst"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let started = Instant::now();
    for app in [&a, &b] {
        loop {
            let answer: Value = Gql::new(&app.url(""))
                .with_token(&token)
                .post("{ viewer { name } }", json!({}))
                .await;
            if answer["data"]["viewer"]["name"] != "analyst" {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(4),
                "a removed user's token still works on {}: {answer}",
                app.addr
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    backend.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_starting_together_store_into_the_same_indices() {
    let Some((backend, a, b)) = two_servers("scale_start").await else {
        return;
    };
    // Both write at once into indices neither created before.
    let sources: Vec<String> = (1..=20).map(|i| format!("8.8.{i}.1")).collect();
    let posts = sources.iter().enumerate().map(|(i, source)| {
        let app = if i % 2 == 0 { &a } else { &b };
        post(app, source, 41000 + i as u16)
    });
    futures::future::join_all(posts).await;
    backend.refresh().await;
    for app in [&a, &b] {
        let stored = support::all_alerts(&*app.store().await).await;
        let addresses: HashSet<String> = stored
            .iter()
            .map(|alert| alert.source_entry_ip.to_string())
            .collect();
        assert_eq!(addresses, sources.iter().cloned().collect::<HashSet<_>>());
        assert_eq!(app.get("/heartbeat").await.status(), 200);
    }
    backend.cleanup().await;
}
