//! `peba serve`, `peba import` and `peba user` over Elasticsearch, on data as PEBA left it.
//!
//! - Indices that PEBA wrote (a dated daily index behind the write alias with PEBA's explicit
//!   mapping, a dynamically mapped `users` index, the statistics index) are served: every GET
//!   case of the golden suite answers exactly as its golden file says; a PEBA user submits; the
//!   first write rolls the alias over to today's index; the missing template is created.
//! - A PEBA export (search hits with `_index`, `_type`, `_id`, `_score`, `_source`) imported
//!   with `peba import` into Elasticsearch and into the embedded store gives the same answers
//!   on every GET route of the golden suite.
//!
//! Needs the test node (`PEBA_TEST_ELASTICSEARCH_URL`, see `tests/support/backend.rs`).

mod support;

use serde_json::{Value, json};
use sha2::{Digest, Sha512};
use std::path::Path;
use support::backend::Backend;
use support::in_process::compat_dir;
use support::*;

const NOW: &str = "2024-07-01 00:20:00";
const OK: &str = "<Result><StatusCode>OK</StatusCode><Text></Text></Result>";

/// The GET cases of the golden suite: (case name, target, status, body).
fn golden_gets() -> Vec<(String, String, u16, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(compat_dir().join("golden")).expect("golden dir") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("golden file");
        let Some((head, body)) = text.split_once("\n\n") else {
            continue;
        };
        let mut lines = head.lines();
        let request = lines.next().unwrap_or_default();
        let Some(target) = request.strip_prefix("GET ") else {
            continue;
        };
        let status = lines.next().and_then(|s| s.parse().ok()).expect("status");
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        out.push((name, target.to_owned(), status, body.to_owned()));
    }
    out.sort();
    assert!(out.len() > 50, "golden GET cases: {}", out.len());
    out
}

async fn get(client: &reqwest::Client, app: &TestApp, target: &str) -> (u16, String) {
    let response = client.get(app.url(target)).send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn es(url: &str, method: reqwest::Method, path: &str, body: Option<String>) -> Value {
    let client = reqwest::Client::new();
    let mut request = client.request(method, format!("{}/{path}", url.trim_end_matches('/')));
    if let Some(b) = body {
        request = request
            .header("Content-Type", "application/x-ndjson")
            .body(b);
    }
    let response = request.send().await.expect("search node");
    let status = response.status();
    let value: Value = response.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{path}: {status} {value}");
    value
}

/// The explicit mapping of PEBA's daily alert indices (V2020, legacy-api §4.3), as PEBA's
/// index template gave it.
fn peba_alert_mapping() -> Value {
    let kw = json!({"type": "keyword"});
    let kw_no = json!({"type": "keyword", "index": false});
    let date = json!({"type": "date", "format": "yyyy-MM-dd HH:mm:ss||yyyy-MM-dd||epoch_millis"});
    let mut properties = serde_json::Map::new();
    for f in [
        "country",
        "countryName",
        "hostname",
        "originalRequestString",
        "peerIdent",
        "peerType",
        "sourceEntryAS",
        "targetCountry",
        "targetCountryName",
    ] {
        properties.insert(f.into(), kw.clone());
    }
    for f in [
        "additionalData",
        "client",
        "clientVersion",
        "location",
        "locationDestination",
        "login",
        "password",
        "rawhttp",
        "sessionEnd",
        "sessionStart",
        "sourceEntryPort",
        "targetEntryAS",
        "targetEntryPort",
        "targetport",
        "username",
        "vulnid",
    ] {
        properties.insert(f.into(), kw_no.clone());
    }
    properties.insert("clientDomain".into(), json!({"type": "boolean"}));
    properties.insert("createTime".into(), date.clone());
    properties.insert("recievedTime".into(), date);
    properties.insert("sourceEntryIp".into(), json!({"type": "ip"}));
    properties.insert("targetEntryIp".into(), json!({"type": "ip"}));
    properties.insert("externalIP".into(), json!({"type": "ip", "index": false}));
    properties.insert("internalIP".into(), json!({"type": "ip", "index": false}));
    json!({"properties": properties})
}

fn fixture_lines(name: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(compat_dir().join("fixtures").join(name)).expect("fixture");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("fixture line"))
        .collect()
}

fn sha512(text: &str) -> String {
    hex::encode(Sha512::digest(text.as_bytes()))
}

/// Compares every golden GET case with the server's answer.
async fn assert_golden_gets(app: &TestApp, what: &str) {
    let client = client();
    let mut failures = Vec::new();
    let cases = golden_gets();
    for (name, target, status, body) in &cases {
        let (got_status, got_body) = get(&client, app, target).await;
        if (got_status, &got_body) != (*status, body) {
            failures.push(format!(
                "{name} GET {target}\n--- golden\n{status}\n{body}\n--- {what}\n{got_status}\n{got_body}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} golden GET cases differ over {what}:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_the_indices_peba_wrote() {
    let Some(backend) = Backend::elastic("pebawrote") else {
        return;
    };
    let Backend::Elastic(c) = &backend else {
        unreachable!()
    };
    let url = c.url.clone();
    let p = &c.alert_read_prefix;
    // PEBA's layout: a dated daily index behind the write alias, explicit mapping; users
    // and statistics indices mapped dynamically by the documents PEBA put there.
    let daily = format!("{p}-2024.07.01-000001");
    es(
        &url,
        reqwest::Method::PUT,
        &daily,
        Some(
            json!({
                "settings": {"index": {"number_of_shards": 1, "number_of_replicas": 0}},
                "mappings": peba_alert_mapping(),
                "aliases": {c.alert_write_alias.clone(): {"is_write_index": true}},
            })
            .to_string(),
        ),
    )
    .await;
    let mut bulk = String::new();
    for doc in fixture_lines("alerts.jsonl") {
        bulk.push_str(
            &json!({"index": {"_index": c.alert_write_alias, "_id": doc["_id"]}}).to_string(),
        );
        bulk.push('\n');
        bulk.push_str(&doc["_source"].to_string());
        bulk.push('\n');
    }
    for doc in fixture_lines("statistics.jsonl") {
        bulk.push_str(
            &json!({"index": {"_index": c.statistic_index, "_id": doc["_id"]}}).to_string(),
        );
        bulk.push('\n');
        bulk.push_str(&doc["_source"].to_string());
        bulk.push('\n');
    }
    for (name, token, get_only, community) in [
        ("reader", "readerpass", false, false),
        ("readonly", "readonlypass", true, false),
        ("communityonly", "communitypass", false, true),
        ("dtag-sensor", "s3cret", false, false),
    ] {
        bulk.push_str(&json!({"index": {"_index": c.user_index}}).to_string());
        bulk.push('\n');
        bulk.push_str(
            &json!({"peerName": name, "token": sha512(token), "email": format!("{name}@example.org"),
                    "getOnly": get_only, "community": community})
            .to_string(),
        );
        bulk.push('\n');
    }
    let answer = es(
        &url,
        reqwest::Method::POST,
        "_bulk?refresh=true",
        Some(bulk),
    )
    .await;
    assert_eq!(answer["errors"], false, "{answer}");
    let users_mapping = es(
        &url,
        reqwest::Method::GET,
        &format!("{}/_mapping", c.user_index),
        None,
    )
    .await;
    assert_eq!(
        users_mapping[&c.user_index]["mappings"]["properties"]["peerName"]["type"], "text",
        "the users index is mapped dynamically, as PEBA's was"
    );

    let app = spawn_on(&backend, &[("clock", NOW)]).await;
    // The template for new daily indices was missing; peba created it.
    es(
        &url,
        reqwest::Method::GET,
        &format!("_index_template/peba-{p}"),
        None,
    )
    .await;

    assert_golden_gets(&app, "indices PEBA wrote").await;

    // A PEBA user (SHA-512 token in the dynamic users index) submits; the write rolls the
    // alias from PEBA's dated index over to today's.
    let (status, body) = app
        .submit(message(
            "dtag-sensor",
            "s3cret",
            &alert("8.8.8.8", 4242, "2024-07-01 00:19:59"),
        ))
        .await;
    assert_eq!((status, body.as_str()), (200, OK));
    let aliases = es(
        &url,
        reqwest::Method::GET,
        &format!("_alias/{}", c.alert_write_alias),
        None,
    )
    .await;
    let today = chrono::Utc::now().format("%Y.%m.%d").to_string();
    let current = format!("{p}-{today}-000002");
    assert_eq!(
        aliases[&current]["aliases"][&c.alert_write_alias]["is_write_index"], true,
        "{aliases}"
    );
    assert_eq!(
        aliases[&daily]["aliases"][&c.alert_write_alias]["is_write_index"], false,
        "{aliases}"
    );
    let mapping = es(
        &url,
        reqwest::Method::GET,
        &format!("{current}/_mapping"),
        None,
    )
    .await;
    assert_eq!(
        mapping[&current]["mappings"]["properties"]["country"]["type"], "keyword",
        "the new index has the template's mapping"
    );
    let stored = app.stored().await;
    assert_eq!(stored.len(), fixture_lines("alerts.jsonl").len() + 1);
    assert!(
        stored
            .iter()
            .any(|a| !a.client_domain && a.source_entry_ip.to_string() == "8.8.8.8")
    );

    // `peba user` reads and writes the same users index.
    let list = String::from_utf8(app.peba(&["user", "list"]).stdout).unwrap();
    assert!(
        list.contains("dtag-sensor") && list.contains("readonly"),
        "{list}"
    );
    drop(app);
    backend.cleanup().await;
}

/// A PEBA export: search hits as `elasticdump` or a scroll writes them.
fn peba_export(dir: &Path, statistics_index: &str) -> std::path::PathBuf {
    let mut text = String::new();
    for doc in fixture_lines("alerts.jsonl") {
        let received = doc["_source"]["recievedTime"].as_str().unwrap().to_owned();
        let day = received[..10].replace('-', ".");
        let hit = json!({"_index": format!("ews-{day}-000001"), "_type": "_doc",
                         "_id": doc["_id"], "_score": 1.0, "_source": doc["_source"]});
        text.push_str(&hit.to_string());
        text.push('\n');
    }
    for doc in fixture_lines("statistics.jsonl") {
        let hit = json!({"_index": statistics_index, "_type": "_doc",
                         "_id": doc["_id"], "_score": 1.0, "_source": doc["_source"]});
        text.push_str(&hit.to_string());
        text.push('\n');
    }
    let path = dir.join(format!("export-{statistics_index}.jsonl"));
    std::fs::write(&path, text).expect("export");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peba_export_imports_into_both_stores_alike() {
    let Some(backend) = Backend::elastic("import") else {
        return;
    };
    let Backend::Elastic(c) = &backend else {
        unreachable!()
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let mut apps = Vec::new();
    for (b, stats_index) in [
        (Backend::Embedded, "statistics".to_owned()),
        (backend.clone(), c.statistic_index.clone()),
    ] {
        let data = tempfile::tempdir().expect("data dir");
        let export = peba_export(dir.path(), &stats_index);
        let out = peba_command_on(&b, data.path(), &["import", export.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "imported 25, duplicates 0, statistics 3, skipped 0",
            "{b:?}"
        );
        // Again: every document is a duplicate now.
        let out = peba_command_on(&b, data.path(), &["import", export.to_str().unwrap()]);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "imported 0, duplicates 25, statistics 3, skipped 0",
            "{b:?}"
        );
        for (name, token) in [("reader", "readerpass"), ("communityonly", "communitypass")] {
            let out = peba_command_on(&b, data.path(), &["user", "add", name, "--token", token]);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let app = spawn_on_dir(&b, data, &[("clock", NOW)]);
        apps.push(app);
    }
    // Both answer every GET case of the golden suite exactly as its golden file says.
    assert_golden_gets(&apps[0], "the embedded store after import").await;
    assert_golden_gets(&apps[1], "Elasticsearch after import").await;
    // And the private routes for an imported user.
    let client = client();
    for target in [
        "/alert/retrieveIPs",
        "/alert/retrieveAlertsCyber",
        "/alert/querySingleIP?ip=8.8.8.8",
    ] {
        let mut answers = Vec::new();
        for app in &apps {
            let r = client
                .post(app.url(target))
                .header("Content-Type", "text/xml")
                .body(support::in_process::credentials("reader", "readerpass"))
                .send()
                .await
                .expect("request");
            answers.push((r.status().as_u16(), r.text().await.expect("body")));
        }
        assert_eq!(answers[0], answers[1], "{target}");
    }
    drop(apps);
    backend.cleanup().await;
}
