//! PEBA 2.0's own test-suite (`tests/test_peba.py`, spec §5): the same 45 documents and the
//! same assertions, with the timestamps generated relative to the frozen clock as §5.3
//! recommends (`T` = now + 2 h, so the reference environment's UTC+2 offset is reproduced).

mod support;

use peba::domain::{Alert, Timestamp};
use quick_xml::events::Event;
use serde_json::{Value, json};
use support::backend::Backend;
use support::in_process::{client, credentials, start_on, user};

/// 12:00 UTC, mid-month: inside the 04:00–22:00 window and not within 28 h of a month start.
const NOW: &str = "2024-06-24 12:00:00";

fn base(
    n: usize,
    ident: &str,
    peer_type: &str,
    source: &str,
    received: Timestamp,
    created: Timestamp,
) -> Alert {
    let doc = json!({
        "country": "PIR", "countryName": "IANA Private IP Range", "vulnid": "",
        "originalRequestString": "", "sourceEntryAS": "IANA",
        "createTime": created.format_legacy(), "clientDomain": true, "peerIdent": ident,
        "peerType": peer_type, "client": "-", "location": "0.0 , 0.0",
        "locationDestination": "51.2993 , 9.491", "sourceEntryIp": source,
        "sourceEntryPort": "50522", "additionalData": "{}", "targetEntryIp": "87.150.238.182",
        "targetEntryPort": "22", "targetCountry": "DE", "targetCountryName": "Germany",
        "targetEntryAS": "AS3320 Deutsche Telekom AG", "username": "root", "password": "passw0rd",
        "login": null, "targetport": "tcp", "clientVersion": null, "sessionStart": "",
        "sessionEnd": "", "recievedTime": received.format_legacy(), "externalIP": "87.150.238.182",
        "internalIP": "10.0.0.5", "hostname": "liquidxtc", "rawhttp": "-",
    });
    let mut alert: Alert = serde_json::from_value(doc).expect("alert");
    alert.id = format!("peba-fixture-{n:02}");
    alert
}

fn fixture(now: Timestamp) -> Vec<Alert> {
    let t = now.plus_seconds(2 * 3600);
    let at = |i: i64| t.plus_seconds(-(i + 10));
    let heralding = ("heralding-community-01", "Passwords(heralding)");
    let mut alerts = vec![
        base(0, heralding.0, heralding.1, "87.150.238.111", t, at(0)),
        base(
            1,
            "dionaea-community-01",
            "Network(dionaea)",
            "172.21.0.1",
            t,
            at(1),
        ),
        base(2, heralding.0, heralding.1, "172.21.0.1", t, at(2)),
        base(3, heralding.0, heralding.1, "172.21.0.1", t, at(3)),
    ];
    let old = t.plus_seconds(-30 * 3600);
    alerts.push(base(4, heralding.0, heralding.1, "172.21.0.1", old, old));
    for n in 5..45 {
        alerts.push(base(
            n,
            heralding.0,
            heralding.1,
            "87.150.238.111",
            t,
            at(0),
        ));
    }
    alerts
}

/// A minimal element tree for the structural assertions on XML answers.
#[derive(Debug, Default)]
struct El {
    name: String,
    text: String,
    children: Vec<El>,
}

fn parse_xml(text: &str) -> El {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack = vec![El::default()];
    loop {
        match reader.read_event().expect("xml") {
            Event::Start(e) => stack.push(El {
                name: AsRef::<str>::as_ref(&e.name()).to_owned(),
                ..Default::default()
            }),
            Event::Empty(e) => {
                let el = El {
                    name: AsRef::<str>::as_ref(&e.name()).to_owned(),
                    ..Default::default()
                };
                stack.last_mut().expect("parent").children.push(el);
            }
            Event::Text(t) => stack
                .last_mut()
                .expect("el")
                .text
                .push_str(&t.xml10_content()),
            Event::GeneralRef(r) => stack.last_mut().expect("el").text.push_str(match &*r {
                "lt" => "<",
                "gt" => ">",
                "amp" => "&",
                _ => "?",
            }),
            Event::End(_) => {
                let el = stack.pop().expect("el");
                stack.last_mut().expect("parent").children.push(el);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    stack.pop().expect("doc").children.pop().expect("root")
}

impl El {
    fn child(&self, name: &str) -> &El {
        self.children
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no {name} in {}", self.name))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peba_test_suite() {
    peba_suite(Backend::Embedded).await;
}

/// The same suite over Elasticsearch (the test node).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peba_test_suite_elasticsearch() {
    let Some(backend) = Backend::elastic("pebasuite") else {
        return;
    };
    peba_suite(backend.clone()).await;
    backend.cleanup().await;
}

async fn peba_suite(backend: Backend) {
    let now = Timestamp::parse_legacy(NOW).expect("now");
    let server = start_on(
        backend,
        NOW,
        fixture(now),
        Vec::new(),
        vec![user("test", "testpass", false, false)],
    )
    .await;
    let http = client();
    let url = |path: &str| format!("{}{path}", server.base);
    let get_text = |path: &'static str| {
        let http = http.clone();
        let u = url(path);
        async move {
            let r = http.get(u).send().await.expect("request");
            (r.status().as_u16(), r.text().await.expect("body"))
        }
    };
    let get_json = |path: &'static str| {
        let fut = get_text(path);
        async move {
            let (status, body) = fut.await;
            assert_eq!(status, 200, "{path}");
            serde_json::from_str::<Value>(&body).expect("json")
        }
    };
    let post = |path: &'static str| {
        let http = http.clone();
        let u = url(path);
        async move {
            let r = http
                .post(u)
                .header("Content-Type", "text/xml")
                .body(credentials("test", "testpass"))
                .send()
                .await
                .expect("request");
            (r.status().as_u16(), r.text().await.expect("body"))
        }
    };

    // 1 test_getRoot
    let r = http.get(url("/")).send().await.expect("request");
    assert_eq!(r.status().as_u16(), 302);
    assert_eq!(r.headers()["location"], "https://sicherheitstacho.eu");

    // 2 test_getHeartbeat
    assert_eq!(get_text("/heartbeat").await, (200, "I'm alive".to_owned()));

    // 3, 4 retrieveAlertsCount (XML)
    let (status, body) = get_text("/alert/retrieveAlertsCount?time=10").await;
    assert_eq!(status, 200);
    assert!(body.contains("<AlertCount>44</AlertCount>"), "{body}");
    let (status, body) = get_text("/alert/retrieveAlertsCount?time=1800").await;
    assert_eq!(status, 200);
    assert!(body.contains("<AlertCount>45</AlertCount>"), "{body}");

    // 5, 6 retrieveAlertsCount (JSON)
    assert_eq!(
        get_json("/alert/retrieveAlertsCount?time=10&out=json").await["AlertCount"],
        44
    );
    assert_eq!(
        get_json("/alert/retrieveAlertsCount?time=1800&out=json").await["AlertCount"],
        45
    );

    // 7 test_retrieveAlertsJson
    let v = get_json("/alert/retrieveAlertsJson?ci=-1").await;
    let alerts = v["alerts"].as_array().expect("alerts");
    assert_eq!(alerts.len(), 35);
    for key in [
        "analyzerType",
        "clientDomain",
        "country",
        "countryName",
        "dateCreated",
        "destLat",
        "destLng",
        "id",
        "requestString",
        "sourceLat",
        "sourceLng",
        "targetCountry",
    ] {
        assert!(alerts[0].get(key).is_some(), "missing {key}");
    }

    // 8 test_retrieveAlertStats
    let v = get_json("/alert/retrieveAlertStats?ci=-1").await;
    for key in [
        "AlertsLast24Hours",
        "AlertsLast5Minutes",
        "AlertsLastHour",
        "AlertsLastMinute",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["AlertsLastMinute"], 44);

    // 9 test_retrieveAlertsCountWithType
    let v = get_json("/alert/retrieveAlertsCountWithType?time=1&ci=-1").await;
    assert_eq!(v["AlertCountTotal"], 44);
    assert_eq!(v["AlertCountPerType"]["Network(dionaea)"], 1);
    assert_eq!(v["AlertCountPerType"]["Passwords(heralding)"], 43);

    // 10 (the first test_topCountriesAttacks) is replaced by 16 in PEBA's suite and never ran.

    // 11 test_retrieveIPs
    let (status, body) = post("/alert/retrieveIPs?out=json&ci=-1").await;
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v.as_array().map(Vec::len), Some(1));
    assert_eq!(v[0]["ip"], "87.150.238.111");
    assert_eq!(v[0]["count"], 41);

    // 12 test_retrieveIPs15m
    let (status, body) = post("/alert/retrieveIPs15m?ci=-1").await;
    assert_eq!(status, 200);
    assert!(
        body.contains("<Address>87.150.238.111</Address>") && body.contains("<Count>41</Count>"),
        "{body}"
    );

    // 13 test_retrieveAlertsCyber
    let (status, body) = post("/alert/retrieveAlertsCyber").await;
    assert_eq!(status, 200);
    let doc = parse_xml(&body);
    let list = &doc.child("Alerts").children;
    assert_eq!(list.len(), 5);
    assert_eq!(list[0].children[0].name, "Id");
    assert_eq!(list[1].children[2].children[1].name, "Type");
    assert_eq!(list[2].children[4].children[1].name, "Country");
    for alert in list {
        assert!(
            alert
                .child("Peer")
                .child("Id")
                .text
                .contains("community-01")
        );
    }

    // 14 test_querySingleIP
    let (status, body) = post("/alert/querySingleIP?ip=87.150.238.111").await;
    assert_eq!(status, 200);
    let doc = parse_xml(&body);
    let list = &doc.child("Alerts").children;
    assert_eq!(list.len(), 5);
    assert_eq!(list[0].children[1].name, "DateCreated");
    assert_eq!(list[1].child("Peer").child("Country").text, "DE");
    for alert in list {
        let t = &alert.child("Peer").child("Type").text;
        assert!(
            t == "Passwords(heralding)" || t == "Network(dionaea)",
            "{t}"
        );
    }

    // 15 test_datasetAlertsPerMonth: first key (yesterday) 1, second (today) 44
    let v = get_json("/alert/datasetAlertsPerMonth?ci=-1&days=1").await;
    let days = v[0]["datasetAlertsPerMonth"].as_object().expect("days");
    let values: Vec<&Value> = days.values().collect();
    let keys: Vec<&String> = days.keys().collect();
    assert_eq!(keys, ["2024-06-23 00:00:00", "2024-06-24 00:00:00"]);
    assert_eq!(*values[0], 1);
    assert_eq!(*values[1], 44);

    // 16 test_topCountriesAttacks (effective definition)
    let v = get_json("/alert/topCountriesAttacks").await;
    assert_eq!(v[0]["attacksPerCountry"][0]["code"], "PIR");
    assert_eq!(v[0]["attacksPerCountry"][0]["count"], 1);
    assert_eq!(v[0]["attacksToTargetCountry"][0]["code"], "DE");
    assert_eq!(v[0]["attacksToTargetCountry"][0]["count"], 1);

    // 17 test_datasetAlertTypesPerMonth
    let v = get_json("/alert/datasetAlertTypesPerMonth?days=2").await;
    let days = &v[0]["datasetAlertsPerMonth"];
    assert_eq!(days["2024-06-23 00:00:00"]["Passwords(heralding)"], 1);
    assert_eq!(days["2024-06-24 00:00:00"]["Network(dionaea)"], 1);
    assert_eq!(days["2024-06-24 00:00:00"]["Passwords(heralding)"], 43);

    // 18 test_tpotStats (the date of T)
    let v = get_json("/alert/TpotStats?day=20240624").await;
    let c = &v["communityHoneypots"];
    assert_eq!(c["numberAlertsPerType"]["Network(dionaea)"], 1);
    assert_eq!(c["numberAlertsPerType"]["Passwords(heralding)"], 43);
    assert_eq!(c["numberHoneypotsPerType"]["Network(dionaea)"], 1);
    assert_eq!(c["numberHoneypotsPerType"]["Passwords(heralding)"], 1);
    assert_eq!(c["totalNumberAlerts"], 44);
    assert_eq!(c["totalNumberDaemons"], 2);
    assert_eq!(c["totalNumberHoneypots"], 1);
}
