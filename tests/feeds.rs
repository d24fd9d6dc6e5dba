//! Exports and attacker feeds against a real `peba serve` on loopback: the token they need,
//! what they list (checked against an aggregation of the seeded alerts made here), their
//! formats (the STIX bundle validated against the OASIS STIX 2.1 schemas), their cache, and
//! a large export streamed in bounded memory.

mod support;

use peba::domain::{Alert, DataDomain, Timestamp};
use peba::store::embedded::EmbeddedStore;
use peba::store::{Store, WriteBatch};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use support::backend::Backend;
use support::graphql::Gql;
use support::in_process::user;
use support::{COMMUNITY_TOKEN, COMMUNITY_USER, TestApp, spawn_on_dir};

const NOW: &str = "2024-07-01 00:20:00";
const FEED_ROUTES: [&str; 4] = [
    "/feeds/attackers.txt",
    "/feeds/attackers.csv",
    "/feeds/attackers.json",
    "/feeds/attackers.stix.json",
];
const EXPORT_ROUTES: [&str; 2] = ["/export/alerts.csv", "/export/alerts.ndjson"];

fn now() -> Timestamp {
    Timestamp::parse_legacy(NOW).expect("time")
}

/// An alert with the fields the feeds and exports look at set, the others plausible.
fn alert(
    id: String,
    source: &str,
    peer_type: &str,
    port: Option<&str>,
    received: Timestamp,
    community: bool,
) -> Alert {
    Alert {
        id,
        country: "DE".into(),
        country_name: "Germany, \"Federal\" Republic".into(),
        vulnid: String::new(),
        original_request_string: "GET /,x\n\"y\"".into(),
        source_entry_as: "AS3320 Deutsche Telekom AG".into(),
        create_time: received.plus_seconds(-5),
        client_domain: community,
        peer_ident: "sensor-1".into(),
        peer_type: peer_type.into(),
        client: if community {
            "-".into()
        } else {
            "reader".into()
        },
        location: "51.2993 , 9.491".into(),
        location_destination: "51.2993 , 9.491".into(),
        source_entry_ip: source.parse().expect("address"),
        source_entry_port: Some("40000".into()),
        additional_data: "{}".into(),
        target_entry_ip: "87.150.238.182".parse().expect("address"),
        target_entry_port: port.map(str::to_owned),
        target_country: "DE".into(),
        target_country_name: "Germany".into(),
        target_entry_as: "AS3320 Deutsche Telekom AG".into(),
        username: Some("root".into()),
        password: None,
        login: None,
        targetport: Some("tcp".into()),
        client_version: None,
        session_start: String::new(),
        session_end: String::new(),
        recieved_time: received,
        external_ip: "1.1.1.1".into(),
        internal_ip: "1.1.1.1".into(),
        hostname: "tpot-1".into(),
        rawhttp: "-".into(),
    }
}

/// Seeded alerts over the two days before [`NOW`]: global and non-global sources (IPv4 and
/// IPv6), both domains, several honeypot types, numeric, non-numeric and missing ports.
fn feed_alerts() -> Vec<Alert> {
    let sources = [
        "45.1.2.3",
        "45.1.2.4",
        "2a00:1450::1",
        "10.0.0.1",
        "198.51.100.9",
        "9.9.9.9",
        "100.64.0.3",
        "45.1.2.3",
        "9.9.9.9",
    ];
    let types = ["SSH/console(cowrie)", "Webpage", "Network(honeytrap)"];
    let ports = [
        Some("22"),
        Some("80"),
        None,
        Some("ssh"),
        Some("23"),
        Some("22"),
    ];
    (0..400u32)
        .map(|i| {
            let i64i = i64::from(i);
            alert(
                format!("feed-{i:04}"),
                sources[(i as usize * 7 + i as usize / 3) % sources.len()],
                types[i as usize % types.len()],
                ports[i as usize % ports.len()],
                now().plus_seconds(-(i64i * 431 % (48 * 3600)) - 1),
                i % 5 != 0,
            )
        })
        .collect()
}

/// Writes `alerts` and the test users into a new data directory.
async fn seeded_dir(alerts: Vec<Alert>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = EmbeddedStore::open(dir.path()).expect("store");
    for chunk in alerts.chunks(10_000) {
        store
            .write(WriteBatch {
                alerts: chunk.to_vec(),
                cve_copies: Vec::new(),
            })
            .await
            .expect("write");
    }
    for u in [
        user("reader", "readerpass", false, false),
        user("communityonly", "communitypass", false, true),
    ] {
        store.add_user(&u).await.expect("user");
    }
    dir
}

async fn serve(alerts: Vec<Alert>, settings: &[(&str, &str)]) -> TestApp {
    let mut all = vec![("clock", NOW)];
    all.extend_from_slice(settings);
    spawn_on_dir(&Backend::Embedded, seeded_dir(alerts).await, &all)
}

/// A GET with HTTP basic credentials.
async fn get_as(app: &TestApp, path: &str, user: &str, token: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .basic_auth(user, Some(token))
        .send()
        .await
        .expect("request")
}

async fn text_of(response: reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.expect("body")
}

/// What a feed must list, aggregated here from the seeded alerts.
struct Expected<'a> {
    domain: DataDomain,
    hours: i64,
    honeypot_type: Option<&'a str>,
    port: Option<&'a str>,
    min_count: u64,
    global_only: bool,
    limit: usize,
}

fn rfc3339(t: Timestamp) -> String {
    t.to_datetime()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn expected(alerts: &[Alert], e: &Expected<'_>) -> Vec<Value> {
    let since = now().plus_seconds(-3600 * e.hours);
    #[derive(Default)]
    struct Seen {
        count: u64,
        first: Option<Timestamp>,
        last: Option<Timestamp>,
        types: BTreeSet<String>,
        ports: BTreeSet<u16>,
    }
    let mut by_address: BTreeMap<IpAddr, Seen> = BTreeMap::new();
    for a in alerts.iter().filter(|a| {
        a.recieved_time >= since
            && e.domain.includes(a.client_domain)
            && e.honeypot_type.is_none_or(|t| a.peer_type == t)
            && e.port
                .is_none_or(|p| a.target_entry_port.as_deref() == Some(p))
    }) {
        let seen = by_address.entry(a.source_entry_ip).or_default();
        seen.count += 1;
        seen.first = Some(
            seen.first
                .map_or(a.recieved_time, |t| t.min(a.recieved_time)),
        );
        seen.last = Some(
            seen.last
                .map_or(a.recieved_time, |t| t.max(a.recieved_time)),
        );
        seen.types.insert(a.peer_type.clone());
        if let Some(port) = a.target_entry_port.as_deref().and_then(|p| p.parse().ok()) {
            seen.ports.insert(port);
        }
    }
    let mapped = |ip: &IpAddr| match ip {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => u128::from(*v6),
    };
    let mut listed: Vec<(IpAddr, Seen)> = by_address
        .into_iter()
        .filter(|(ip, seen)| {
            seen.count >= e.min_count && (!e.global_only || peba::ingest::is_global(*ip))
        })
        .collect();
    listed.sort_by(|(a, x), (b, y)| y.count.cmp(&x.count).then(mapped(a).cmp(&mapped(b))));
    listed
        .into_iter()
        .take(e.limit)
        .map(|(ip, seen)| {
            json!({
                "address": ip.to_string(),
                "count": seen.count,
                "firstSeen": rfc3339(seen.first.expect("seen")),
                "lastSeen": rfc3339(seen.last.expect("seen")),
                "honeypotTypes": seen.types,
                "ports": seen.ports,
            })
        })
        .collect()
}

#[tokio::test]
async fn every_export_and_feed_needs_a_valid_token() {
    let app = serve(feed_alerts(), &[]).await;
    for route in FEED_ROUTES.iter().chain(&EXPORT_ROUTES) {
        let response = app.get(route).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{route}");
        let challenge = response.headers()["www-authenticate"].to_str().unwrap();
        assert!(challenge.contains("Bearer") && challenge.contains("Basic"));
        for bad in [
            "Bearer not-a-token",
            "Basic cmVhZGVyOndyb25n", // reader:wrong
            "Basic !!!",
            "Token readerpass",
            "Bearer",
        ] {
            let response = app
                .client
                .get(app.url(route))
                .header("Authorization", bad)
                .send()
                .await
                .expect("request");
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{route} {bad}");
        }
        assert_eq!(
            get_as(&app, route, "reader", "readerpass").await.status(),
            StatusCode::OK,
            "{route}"
        );
    }
    // A GraphQL login token works as well.
    let gql = Gql::new(&format!("http://{}", app.addr))
        .login("reader", "readerpass")
        .await;
    let token = gql.token.expect("token");
    for route in FEED_ROUTES.iter().chain(&EXPORT_ROUTES) {
        let response = app
            .client
            .get(app.url(route))
            .bearer_auth(&token)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::OK, "{route}");
    }
    // The community account has no reading rights.
    let response = get_as(&app, FEED_ROUTES[0], COMMUNITY_USER, COMMUNITY_TOKEN).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn attacker_feeds_list_what_the_alerts_show_in_every_format() {
    let alerts = feed_alerts();
    let app = serve(alerts.clone(), &[]).await;
    let cases = [
        (
            "",
            Expected {
                domain: DataDomain::Community,
                hours: 24,
                honeypot_type: None,
                port: None,
                min_count: 1,
                global_only: true,
                limit: 10_000,
            },
        ),
        (
            "hours=48&domain=all&globalOnly=false",
            Expected {
                domain: DataDomain::All,
                hours: 48,
                honeypot_type: None,
                port: None,
                min_count: 1,
                global_only: false,
                limit: 10_000,
            },
        ),
        (
            "hours=48&domain=private&honeypotType=Webpage&minCount=3",
            Expected {
                domain: DataDomain::Private,
                hours: 48,
                honeypot_type: Some("Webpage"),
                port: None,
                min_count: 3,
                global_only: true,
                limit: 10_000,
            },
        ),
        (
            "hours=5&targetPort=22&globalOnly=false",
            Expected {
                domain: DataDomain::Community,
                hours: 5,
                honeypot_type: None,
                port: Some("22"),
                min_count: 1,
                global_only: false,
                limit: 10_000,
            },
        ),
        (
            "hours=48&domain=all&limit=2&minCount=20",
            Expected {
                domain: DataDomain::All,
                hours: 48,
                honeypot_type: None,
                port: None,
                min_count: 20,
                global_only: true,
                limit: 2,
            },
        ),
    ];
    for (query, case) in &cases {
        let want = expected(&alerts, case);
        assert!(!want.is_empty(), "{query}: the case lists nobody");
        let path = |ext: &str| format!("/feeds/attackers.{ext}?{query}");
        let body: Value = serde_json::from_str(
            &text_of(get_as(&app, &path("json"), "reader", "readerpass").await).await,
        )
        .expect("JSON");
        assert_eq!(body["attackers"], Value::Array(want.clone()), "{query}");
        assert_eq!(body["count"], want.len(), "{query}");
        assert_eq!(body["window"]["to"], rfc3339(now()));
        assert_eq!(
            body["window"]["from"],
            rfc3339(now().plus_seconds(-3600 * case.hours))
        );

        let addresses: Vec<&str> = want
            .iter()
            .map(|a| a["address"].as_str().unwrap())
            .collect();
        let text = text_of(get_as(&app, &path("txt"), "reader", "readerpass").await).await;
        assert_eq!(text.lines().collect::<Vec<_>>(), addresses, "{query}");

        let csv = text_of(get_as(&app, &path("csv"), "reader", "readerpass").await).await;
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        assert_eq!(
            reader.headers().unwrap(),
            vec![
                "address",
                "count",
                "first_seen",
                "last_seen",
                "honeypot_types",
                "ports"
            ]
        );
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), want.len());
        for (row, a) in rows.iter().zip(&want) {
            let list = |v: &Value| {
                v.as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join(";")
            };
            assert_eq!(row[0], *a["address"].as_str().unwrap());
            assert_eq!(row[1], a["count"].to_string());
            assert_eq!(row[2], *a["firstSeen"].as_str().unwrap());
            assert_eq!(row[3], *a["lastSeen"].as_str().unwrap());
            assert_eq!(row[4], list(&a["honeypotTypes"]));
            assert_eq!(row[5], list(&a["ports"]));
        }

        let stix: Value = serde_json::from_str(
            &text_of(get_as(&app, &path("stix.json"), "reader", "readerpass").await).await,
        )
        .expect("STIX JSON");
        let indicators: Vec<&Value> = stix["objects"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["type"] == "indicator")
            .collect();
        assert_eq!(indicators.len(), want.len());
        for (indicator, a) in indicators.iter().zip(&want) {
            let address = a["address"].as_str().unwrap();
            assert!(
                indicator["pattern"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("'{address}'"))
            );
            assert_eq!(indicator["x_peba_count"], a["count"]);
        }
    }
    // A community-only reader asking for everything sees community data only.
    let narrowed = text_of(
        get_as(
            &app,
            "/feeds/attackers.json?hours=48&domain=all&globalOnly=false",
            "communityonly",
            "communitypass",
        )
        .await,
    )
    .await;
    let narrowed: Value = serde_json::from_str(&narrowed).unwrap();
    let community = expected(
        &alerts,
        &Expected {
            domain: DataDomain::Community,
            hours: 48,
            honeypot_type: None,
            port: None,
            min_count: 1,
            global_only: false,
            limit: 10_000,
        },
    );
    assert_eq!(narrowed["attackers"], Value::Array(community));
    // Parameters that are unknown or invalid are refused, saying why.
    for bad in [
        "hours=0",
        "hours=1&minutes=1",
        "port=22",
        "limit=100001",
        "domain=mine",
    ] {
        let response = get_as(
            &app,
            &format!("/feeds/attackers.txt?{bad}"),
            "reader",
            "readerpass",
        )
        .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert!(!response.text().await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn the_stix_feed_validates_against_the_stix_2_1_schemas() {
    let app = serve(feed_alerts(), &[]).await;
    let body = text_of(
        get_as(
            &app,
            "/feeds/attackers.stix.json?hours=48&domain=all&globalOnly=false",
            "reader",
            "readerpass",
        )
        .await,
    )
    .await;
    let bundle: Value = serde_json::from_str(&body).expect("JSON");
    assert!(bundle["objects"].as_array().unwrap().len() > 5);
    let dir = tempfile::tempdir().expect("temporary directory");
    let valid = dir.path().join("feed.stix.json");
    std::fs::write(&valid, &body).expect("write");
    // The same bundle broken in two ways must be refused, so the check can fail.
    let mut broken = bundle.clone();
    broken["objects"][1]["pattern"] = json!("ipv4-addr:value = '45.1.2.3'");
    broken["objects"][2]
        .as_object_mut()
        .unwrap()
        .remove("valid_from");
    let invalid = dir.path().join("broken.stix.json");
    std::fs::write(&invalid, broken.to_string()).expect("write");

    let validate = |path: &std::path::Path| {
        std::process::Command::new("python3")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/stix/validate.py"
            ))
            .arg(path)
            .output()
            .expect("python3 runs (install: pip install -r tests/stix/requirements.txt)")
    };
    let output = validate(&valid);
    assert!(
        output.status.success(),
        "the STIX bundle is not valid STIX 2.1 (or the validator is missing: pip install -r \
         tests/stix/requirements.txt):\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let output = validate(&invalid);
    let report = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert!(
        report.contains("square brackets") && report.contains("valid_from"),
        "{report}"
    );
}

#[tokio::test]
async fn feeds_are_cached_by_their_parameters_for_the_configured_time() {
    let alerts = feed_alerts();
    let cached = serve(alerts.clone(), &[("feed_cache_seconds", "60")]).await;
    let uncached = serve(alerts, &[("feed_cache_seconds", "0")]).await;
    let newcomer = "8.8.4.4";
    let lists = |app: &TestApp, query: &'static str| {
        let app_url = app.url(&format!("/feeds/attackers.txt{query}"));
        let client = app.client.clone();
        async move {
            let response = client
                .get(app_url)
                .basic_auth("reader", Some("readerpass"))
                .send()
                .await
                .expect("request");
            text_of(response).await.lines().any(|l| l == newcomer)
        }
    };
    for app in [&cached, &uncached] {
        assert!(!lists(app, "").await);
        let alert = support::alert(newcomer, 4444, "2024-07-01 00:19:00");
        let (status, _) = app
            .submit(support::message(COMMUNITY_USER, COMMUNITY_TOKEN, &alert))
            .await;
        assert_eq!(status, 200);
    }
    // The same parsed parameters (defaults spelt out) are the same cache entry.
    assert!(!lists(&cached, "").await);
    assert!(!lists(&cached, "?hours=24&minCount=1&domain=community").await);
    let response = get_as(&cached, "/feeds/attackers.txt", "reader", "readerpass").await;
    assert_eq!(
        response.headers()["cache-control"].to_str().unwrap(),
        "private, max-age=60"
    );
    // Other parameters are computed afresh, as is everything without a cache.
    assert!(lists(&cached, "?hours=23").await);
    assert!(lists(&uncached, "").await);
}

/// Alerts for the export tests: many share their received second (cursor ties).
fn export_alerts(n: u32) -> Vec<Alert> {
    let types = ["SSH/console(cowrie)", "Webpage", "Network(honeytrap)"];
    (0..n)
        .map(|i| {
            alert(
                format!("exp-{:07}", (i * 7919) % n),
                &format!("45.{}.{}.{}", i % 3, (i / 7) % 250, i % 250),
                types[i as usize % 3],
                Some("22"),
                now().plus_seconds(-i64::from(i / 9)),
                i % 4 != 0,
            )
        })
        .collect()
}

/// Expected export order: received time descending, then id descending.
fn ordered(mut alerts: Vec<&Alert>) -> Vec<String> {
    alerts.sort_by(|a, b| b.recieved_time.cmp(&a.recieved_time).then(b.id.cmp(&a.id)));
    alerts.into_iter().map(|a| a.id.clone()).collect()
}

#[tokio::test]
async fn exports_stream_every_matching_alert_in_order() {
    let alerts = export_alerts(2_600);
    let app = serve(alerts.clone(), &[]).await;

    let ndjson = get_as(
        &app,
        "/export/alerts.ndjson?domain=all",
        "reader",
        "readerpass",
    )
    .await;
    assert_eq!(ndjson.headers()["content-type"], "application/x-ndjson");
    let body = text_of(ndjson).await;
    let lines: Vec<Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    let ids: Vec<String> = lines
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ordered(alerts.iter().collect()));
    // Each line is the stored document.
    let first = alerts.iter().find(|a| a.id == ids[0]).unwrap();
    let mut document = first.to_document();
    document["id"] = json!(first.id);
    assert_eq!(lines[0], document);

    let csv_body = text_of(
        get_as(
            &app,
            "/export/alerts.csv?domain=all&honeypotType=Webpage&sourceIp=45.1.0.0/16",
            "reader",
            "readerpass",
        )
        .await,
    )
    .await;
    let mut reader = csv::Reader::from_reader(csv_body.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "id");
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let matching: Vec<&Alert> = alerts
        .iter()
        .filter(|a| a.peer_type == "Webpage" && a.source_entry_ip.to_string().starts_with("45.1."))
        .collect();
    assert_eq!(
        rows.iter().map(|r| r[0].to_owned()).collect::<Vec<_>>(),
        ordered(matching)
    );
    // Quotes, commas and line breaks survive.
    assert_eq!(&rows[0][column("originalRequestString")], "GET /,x\n\"y\"");
    assert_eq!(
        &rows[0][column("countryName")],
        "Germany, \"Federal\" Republic"
    );

    // Community data by default (and for community-only readers whatever they ask), limits,
    // and windows.
    let count = |body: String| body.lines().count();
    let community = alerts.iter().filter(|a| a.client_domain).count();
    let ndjson = |query: &'static str, user: &'static str, token: &'static str| {
        let app = &app;
        async move {
            text_of(get_as(app, &format!("/export/alerts.ndjson?{query}"), user, token).await).await
        }
    };
    assert_eq!(count(ndjson("", "reader", "readerpass").await), community);
    assert_eq!(
        count(ndjson("domain=all", "communityonly", "communitypass").await),
        community
    );
    assert_eq!(
        count(ndjson("domain=all&limit=1234", "reader", "readerpass").await),
        1234
    );
    let recent = alerts
        .iter()
        .filter(|a| a.recieved_time >= now().plus_seconds(-60))
        .count();
    assert_eq!(
        count(ndjson("domain=all&lastMinutes=1", "reader", "readerpass").await),
        recent
    );
    // Free text, as GraphQL's `text` (every request here is `GET /,x\n"y"`).
    let webpages = alerts.iter().filter(|a| a.peer_type == "Webpage").count();
    assert_eq!(
        count(
            ndjson(
                "domain=all&honeypotType=Webpage&text=%22Y%22",
                "reader",
                "readerpass"
            )
            .await
        ),
        webpages
    );
    assert_eq!(
        count(ndjson("domain=all&text=%22Y%22%20", "reader", "readerpass").await),
        0
    );
    for bad in [
        "text=%22y",
        "receivedFrom=yesterday",
        "sourceIp=45.1",
        "colour=blue",
        "orderBy=size",
    ] {
        let response = get_as(
            &app,
            &format!("/export/alerts.csv?{bad}"),
            "reader",
            "readerpass",
        )
        .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}

/// The server's resident memory of `kind` (`VmRSS`, or `RssAnon`: without the store file
/// the read connections map), KiB.
fn rss_kib(pid: u32, kind: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(kind)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// `PEBA_EXPORT_TEST_ROWS` alerts (default 200,000; BENCHMARKS.md gives a run with
/// 1,000,000) are exported as NDJSON, every one of them, while the server's anonymous
/// resident memory (its heap; the read connections map the store file besides) stays bounded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_export_streams_in_bounded_memory() {
    let rows: u32 = std::env::var("PEBA_EXPORT_TEST_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let started = std::time::Instant::now();
    let dir = tempfile::tempdir().expect("temporary directory");
    {
        let store = EmbeddedStore::open(dir.path()).expect("store");
        let template = alert(
            String::new(),
            "45.0.0.1",
            "Webpage",
            Some("80"),
            now(),
            true,
        );
        for start in (0..rows).step_by(20_000) {
            let batch = (start..(start + 20_000).min(rows))
                .map(|i| Alert {
                    id: format!("big-{i:08}"),
                    source_entry_ip: IpAddr::from([45, (i >> 16) as u8, (i >> 8) as u8, i as u8]),
                    recieved_time: now().plus_seconds(-i64::from(i / 4)),
                    ..template.clone()
                })
                .collect();
            store
                .write(WriteBatch {
                    alerts: batch,
                    cve_copies: Vec::new(),
                })
                .await
                .expect("write");
        }
        store
            .add_user(&user("reader", "readerpass", false, false))
            .await
            .expect("user");
    }
    let written = started.elapsed();
    let app = spawn_on_dir(&Backend::Embedded, dir, &[("clock", NOW)]);
    let pid = app.pid();
    let before = rss_kib(pid, "RssAnon");
    let response = get_as(&app, "/export/alerts.ndjson", "reader", "readerpass").await;
    assert_eq!(response.status(), StatusCode::OK);
    let mut response = response;
    let (mut lines, mut bytes, mut peak, mut early) = (0u64, 0u64, 0u64, 0u64);
    let (mut next_sample, mut peak_total) = (0u64, 0u64);
    while let Some(chunk) = response.chunk().await.expect("the stream is complete") {
        bytes += chunk.len() as u64;
        lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        if lines >= next_sample {
            next_sample = lines + 10_000;
            let rss = rss_kib(pid, "RssAnon");
            peak = peak.max(rss);
            peak_total = peak_total.max(rss_kib(pid, "VmRSS"));
            if early == 0 && lines >= u64::from(rows) / 10 {
                early = rss;
            }
        }
    }
    let exported = started.elapsed() - written;
    eprintln!(
        "export: {rows} alerts written in {written:?}, {lines} lines ({} MiB) exported in \
         {exported:?}; server anonymous RSS {} MiB before, {} MiB at 10 %, {} MiB peak; \
         peak RSS with the mapped store file {} MiB",
        bytes >> 20,
        before >> 10,
        early >> 10,
        peak >> 10,
        peak_total >> 10
    );
    assert_eq!(lines, u64::from(rows));
    // Bounded: far below the size of the answer, and not growing with the rows sent.
    assert!(peak < 256 << 10, "peak RSS {peak} KiB");
    assert!(
        peak < early + (64 << 10),
        "RSS grew from {early} to {peak} KiB"
    );
}
