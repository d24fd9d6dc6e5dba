//! `peba serve` started before its search cluster answers (compose or systemd bring the
//! cluster up later): it serves at once with the store reported down, answers ingest and reads
//! with their error forms, and once the cluster is reachable it creates its indices and
//! serves normally, with no restart.
//!
//! The cluster's address is a port nobody listens on at first; the test then forwards that
//! port to the test node (`PEBA_TEST_ELASTICSEARCH_URL`).

mod support;

use serde_json::json;
use std::time::{Duration, Instant};
use support::backend::{Backend, elastic_config, elastic_url, unique_prefix};
use support::graphql::{Gql, error_codes};
use support::*;
use tokio::net::{TcpListener, TcpStream};

/// Forwards every connection to `listener`'s port to `target`.
fn forward(listener: TcpListener, target: String) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let target = target.clone();
            tokio::spawn(async move {
                if let Ok(mut node) = TcpStream::connect(target).await {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut node).await;
                }
            });
        }
    })
}

async fn text(app: &TestApp, path: &str) -> (u16, String) {
    let response = app.get(path).await;
    let status = response.status().as_u16();
    (
        status,
        response.text().await.expect("body").trim_end().to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_starts_before_the_cluster_and_recovers_when_it_answers() {
    let Some(node_url) = elastic_url() else {
        return;
    };
    let node = url::Url::parse(&node_url).expect("node URL");
    let node_address = format!(
        "{}:{}",
        node.host_str().expect("host"),
        node.port_or_known_default().expect("port")
    );
    // A port that is closed until the test forwards it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut config = elastic_config(&format!("http://127.0.0.1:{port}"), &unique_prefix("late"));
    config.timeout = Duration::from_secs(3);
    let alias = config.alert_write_alias.clone();
    let backend = Backend::Elastic(config);
    let app = spawn_on(&backend, &[("cache", "false")]).await;
    let gql = Gql::new(&format!("http://{}", app.addr));

    // Down: heartbeats say so, ingest is refused for a retry, reads give their error forms.
    assert_eq!(
        text(&app, "/alert/heartbeat").await,
        (200, "flatline".to_owned())
    );
    assert_eq!(text(&app, "/heartbeat").await.0, 401);
    let (status, body) = app
        .submit(message(
            COMMUNITY_USER,
            COMMUNITY_TOKEN,
            &alert("8.8.8.8", 4711, "2024-06-24 12:00:00"),
        ))
        .await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("Handling failed"), "{body}");
    assert_eq!(
        text(&app, "/alert/retrieveAlertsCount?time=10&out=json").await,
        (200, "{\"AlertCount\":false}".to_owned())
    );
    assert_eq!(text(&app, "/alert/topCountriesAttacks").await.1, "\"Nope\"");
    let health = gql
        .data("{ health { storeUp ingestUp heartbeat } }", json!({}))
        .await;
    assert_eq!(
        health["health"],
        json!({"storeUp": false, "ingestUp": false, "heartbeat": "flatline"})
    );
    let answer = gql.post("{ alertCount(domain: ALL) }", json!({})).await;
    assert_eq!(error_codes(&answer), ["STORE_UNAVAILABLE"], "{answer}");

    // The cluster becomes reachable at the configured address: peba finds it by itself.
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("the reserved port");
    let forwarder = forward(listener, node_address);
    let started = Instant::now();
    while text(&app, "/alert/heartbeat").await.1 != "me" {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "peba did not reach the cluster"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    println!("recovered {:?} after the port opened", started.elapsed());
    assert_eq!(
        text(&app, "/heartbeat").await,
        (200, "I'm alive".to_owned())
    );

    // Its layout was created on the way, and ingest and reads work.
    let created = reqwest::get(format!("{}/_alias/{alias}", node_url.trim_end_matches('/')))
        .await
        .expect("alias look-up");
    assert_eq!(created.status(), 200, "the write alias {alias} is missing");
    let (status, body) = app
        .submit(message(
            COMMUNITY_USER,
            COMMUNITY_TOKEN,
            &alert("8.8.4.4", 4711, "2024-06-24 12:00:00"),
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        text(&app, "/alert/retrieveAlertsCount?time=10&out=json").await,
        (200, "{\"AlertCount\":1}".to_owned())
    );
    assert_eq!(
        gql.data("{ alertCount(domain: ALL) }", json!({})).await["alertCount"],
        1
    );

    backend.cleanup().await;
    forwarder.abort();
}
