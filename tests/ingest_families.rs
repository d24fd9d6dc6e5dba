//! One real message per honeypot family, posted to a real server with GeoIP databases; every
//! stored field is compared with the reviewed documents in `tests/fixtures/ews/*.stored.jsonl`
//! (`PEBA_BLESS=1 cargo test --test ingest_families` rewrites them after a deliberate change).

mod support;

use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::Path;
use support::*;

const FAMILIES: &[&str] = &[
    "adbhoney",
    "ciscoasa",
    "conpot",
    "cowrie",
    "dionaea",
    "elasticpot",
    "glastopfv3",
    "glutton",
    "heralding",
    "honeytrap",
    "log4pot",
    "suricata",
    "tanner",
];

#[tokio::test]
async fn every_family_is_stored_field_by_field() {
    let geo_dir = tempfile::tempdir().unwrap();
    let mut settings = geoip_fixture(geo_dir.path());
    settings.push(("clock".to_owned(), "2024-06-24 12:00:07".to_owned()));
    let app = spawn_app_with(settings).await;
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ews");
    let bless = std::env::var_os("PEBA_BLESS").is_some();
    let mut seen = BTreeSet::new();
    let mut failures = Vec::new();
    for family in FAMILIES {
        let xml = std::fs::read(fixtures.join(format!("{family}.xml"))).unwrap();
        let (status, body) = app.submit(xml).await;
        assert_eq!(status, 200, "{family}: {body}");
        let mut documents: Vec<Value> = stored_alerts(&app.data_path())
            .await
            .into_iter()
            .filter(|alert| seen.insert(alert.id.clone()))
            .map(|alert| json!({"_id": alert.id, "_source": alert.to_document()}))
            .collect();
        documents.sort_by(|a, b| a["_id"].as_str().cmp(&b["_id"].as_str()));
        assert!(!documents.is_empty(), "{family}: nothing stored");
        let golden = fixtures.join(format!("{family}.stored.jsonl"));
        let actual: String = documents.iter().map(|d| format!("{d}\n")).collect();
        if bless {
            std::fs::write(&golden, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&golden).unwrap_or_default();
        let expected: Vec<Value> = expected
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        if expected != documents {
            failures.push(format!(
                "{family}:\n  expected {expected:?}\n  actual   {documents:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "stored documents differ:\n{}",
        failures.join("\n")
    );
}
