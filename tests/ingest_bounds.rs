//! Hostile ingest input against a real `peba serve`: elements with hundreds of thousands of
//! attributes are refused at once, oversized text fields are cut when stored so anonymous reads
//! stay small, and query parameters a route does not read (or spellings of one number) cannot
//! make it miss the cache.

mod support;

use std::time::{Duration, Instant};
use support::*;

/// The default `max_field_bytes`.
const FIELD_LIMIT: usize = 64 * 1024;
const MARKER: &str = "...[truncated]";

/// A tanner alert whose URL is `url`.
fn web_alert(source: &str, url: &str) -> String {
    format!(
        "<Alert><Analyzer id=\"tanner-community-01\"/><CreateTime tz=\"+0000\">2024-06-24 12:00:00</CreateTime>\
         <Source category=\"ipv4\" port=\"4000\" protocol=\"tcp\">{source}</Source>\
         <Target category=\"ipv4\" port=\"80\" protocol=\"tcp\">87.150.238.182</Target>\
         <Request type=\"url\">{url}</Request></Alert>"
    )
}

/// The server's resident and peak resident memory, bytes (Linux).
fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map(|kib| kib * 1024)
            .unwrap_or_else(|| panic!("no {name} in {status}"))
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_element_with_300k_attributes_is_refused_at_once() {
    let app = spawn_app(&[]).await;
    let attributes: String = (0..300_000).map(|i| format!(" a{i}=\"v\"")).collect();
    let bodies = [
        // On the root, before any credentials.
        format!("<EWS-SimpleMessage{attributes}><Alert/></EWS-SimpleMessage>"),
        // On an alert child, after valid credentials.
        message(
            COMMUNITY_USER,
            COMMUNITY_TOKEN,
            &format!("<Alert><Source{attributes}>8.8.8.8</Source></Alert>"),
        ),
    ];
    for body in bodies {
        assert!(body.len() > 3_000_000);
        let started = Instant::now();
        let (status, text) = app.submit(body).await;
        let took = started.elapsed();
        assert_eq!(status, 400, "{text}");
        assert!(text.contains("Invalid message"), "{text}");
        assert!(text.contains("more than 32 attributes"), "{text}");
        assert!(took < Duration::from_millis(500), "refused after {took:?}");
    }
    // The server answers others at once afterwards.
    let started = Instant::now();
    assert_eq!(app.get("/heartbeat").await.status(), 200);
    assert!(started.elapsed() < Duration::from_millis(100));
    assert!(app.stored().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn megabyte_urls_are_cut_and_anonymous_reads_stay_small() {
    let app = spawn_app(&[("clock", "2024-06-24 12:00:07")]).await;
    let megabyte = "a".repeat(1 << 20);
    for batch in 0..4 {
        let alerts: String = (0..9)
            .map(|i| {
                let n = batch * 9 + i;
                web_alert(&format!("8.8.{batch}.{i}"), &format!("/{n}/{megabyte}"))
            })
            .collect();
        let (status, text) = app
            .submit(message(COMMUNITY_USER, COMMUNITY_TOKEN, &alerts))
            .await;
        assert_eq!(status, 200, "{text}");
    }
    let stored = app.stored().await;
    assert_eq!(stored.len(), 36);
    for alert in &stored {
        assert_eq!(alert.original_request_string.len(), FIELD_LIMIT);
        assert!(alert.original_request_string.ends_with(MARKER));
    }

    // Each answer holds at most 36 cut URLs: far below the 36 MB sent.
    let bound = 36 * FIELD_LIMIT + 64 * 1024;
    for path in [
        "/alert/retrieveAlertsJson",
        "/alert/retrieveAlertsJson?ci=-1",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let body = response.text().await.unwrap();
        assert!(
            body.contains(MARKER),
            "{path}: {}",
            &body[..200.min(body.len())]
        );
        assert!(body.len() < bound, "{path}: {} bytes", body.len());
    }
    let graphql = app
        .client
        .post(app.url("/graphql"))
        .json(&serde_json::json!({
            "query": "{ alerts(domain: ALL, first: 100) { nodes { request displayRequest } } }"
        }))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        graphql.contains(MARKER),
        "{}",
        &graphql[..200.min(graphql.len())]
    );
    assert!(
        graphql.len() < 2 * bound,
        "GraphQL: {} bytes",
        graphql.len()
    );

    let (rss, peak) = memory(app.pid());
    assert!(rss < 200 << 20, "resident {} MiB", rss >> 20);
    assert!(peak < 300 << 20, "peak resident {} MiB", peak >> 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameters_a_route_does_not_read_do_not_bypass_the_cache() {
    let app = spawn_app(&[("clock", "2024-06-24 12:00:07")]).await;
    let alerts = web_alert("8.8.8.8", "/index.html");
    assert_eq!(
        app.submit(message(COMMUNITY_USER, COMMUNITY_TOKEN, &alerts))
            .await
            .0,
        200
    );
    let first = app
        .get("/alert/retrieveAlertsJson")
        .await
        .text()
        .await
        .unwrap();
    let misses = app.metric("peba_cache_misses_total").await;
    for n in 0..50 {
        let path = format!("/alert/retrieveAlertsJson?nocache={n}&ci=1&x{n}=y");
        assert_eq!(app.get(&path).await.text().await.unwrap(), first);
    }
    assert_eq!(app.metric("peba_cache_misses_total").await, misses);
    // A parameter the route reads is part of the key.
    let count = app
        .get("/alert/retrieveAlertsCount?time=5")
        .await
        .text()
        .await
        .unwrap();
    let misses = app.metric("peba_cache_misses_total").await;
    for n in 0..20 {
        let path = format!("/alert/retrieveAlertsCount?time=5&pad={n}");
        assert_eq!(app.get(&path).await.text().await.unwrap(), count);
    }
    assert_eq!(app.metric("peba_cache_misses_total").await, misses);
    app.get("/alert/retrieveAlertsCount?time=6").await;
    assert_eq!(app.metric("peba_cache_misses_total").await, misses + 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spellings_of_one_number_share_one_cache_entry() {
    let app = spawn_app(&[("clock", "2024-06-24 12:00:07")]).await;
    let alerts = web_alert("8.8.8.8", "/index.html");
    assert_eq!(
        app.submit(message(COMMUNITY_USER, COMMUNITY_TOKEN, &alerts))
            .await
            .0,
        200
    );
    let routes = [
        "/alert/topCountriesAttacks?topx=",
        "/alert/retrieveLatLonAttacks?topx=",
        "/alert/retrieveLatLonAttacks?offset=",
        "/alert/datasetAlertsPerMonth?days=",
        "/alert/tops?type=urls&topx=",
    ];
    for route in routes {
        // Leading zeros spell the same number; every non-number is read the same.
        let numbers = (1..=40).map(|width| format!("{:0>width$}", 3));
        let non_numbers = (0..40).map(|n| format!("x{n}"));
        for spellings in [numbers.collect::<Vec<_>>(), non_numbers.collect()] {
            let first = app.get(&format!("{route}{}", spellings[0])).await;
            assert_eq!(first.status(), 200, "{route}{}", spellings[0]);
            let first = first.text().await.unwrap();
            let misses = app.metric("peba_cache_misses_total").await;
            for spelling in &spellings[1..] {
                let answer = app.get(&format!("{route}{spelling}")).await;
                assert_eq!(answer.text().await.unwrap(), first, "{route}{spelling}");
            }
            assert_eq!(
                app.metric("peba_cache_misses_total").await,
                misses,
                "{route}: {} spellings of one value missed the cache",
                spellings.len() - 1
            );
        }
    }
    // A parameter read as text keeps its spellings apart: `tops` knows `days=1`, not `01`.
    let one = app.get("/alert/tops?type=urls&days=1").await;
    let zero_one = app.get("/alert/tops?type=urls&days=01").await;
    assert_ne!(one.text().await.unwrap(), zero_one.text().await.unwrap());
}
