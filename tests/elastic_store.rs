//! The Elasticsearch store against a real node.
//!
//! Start one with `tests/search-node/start.sh` and export the `PEBA_TEST_ELASTICSEARCH_URL` it
//! prints. Without it these tests fail when `CI` is set and are skipped (with a notice)
//! otherwise. Every test uses its own index names, so they run in parallel.

use peba::domain::{
    Alert, AlertCursor, AlertFilter, AlertPage, DataDomain, HistogramQuery, TermCount, TermField,
    TimeField, TimeRange, Timestamp, TokenHash, User, UserName,
};
use peba::store::elastic::{ElasticConfig, ElasticStore};
use peba::store::{Store, StoreError, WriteBatch};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

fn node_url() -> Option<String> {
    match std::env::var("PEBA_TEST_ELASTICSEARCH_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => panic!(
            "PEBA_TEST_ELASTICSEARCH_URL is not set: CI must start a search node \
             (tests/search-node/start.sh) and export the URL it prints"
        ),
        _ => {
            eprintln!(
                "notice: PEBA_TEST_ELASTICSEARCH_URL is not set; skipping the Elasticsearch store test \
                 (start a node with tests/search-node/start.sh)"
            );
            None
        }
    }
}

static SEQ: AtomicU32 = AtomicU32::new(0);

/// Index names of their own for one test: `pt<pid>x<n>z-*`, `…_write`, `…_cve`, ….
fn config(url: &str) -> ElasticConfig {
    let prefix = format!(
        "pt{}x{}z",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::SeqCst)
    );
    ElasticConfig {
        url: url.to_owned(),
        http_auth: None,
        timeout: Duration::from_secs(20),
        alert_write_alias: format!("{prefix}_write"),
        alert_read_prefix: prefix.clone(),
        cve_index: format!("{prefix}_cve"),
        user_index: format!("{prefix}_users"),
        statistic_index: format!("{prefix}_stats"),
        index_shape: Default::default(),
    }
}

fn t(text: &str) -> Timestamp {
    Timestamp::parse_legacy(text).unwrap()
}

fn alert(id: &str, received: &str) -> Alert {
    Alert {
        id: id.to_owned(),
        country: "US".into(),
        country_name: "United States".into(),
        vulnid: String::new(),
        original_request_string: "['uname -a', 'cat /proc/cpuinfo']".into(),
        source_entry_as: "AS15169 GOOGLE".into(),
        create_time: t(received).plus_seconds(-7),
        client_domain: true,
        peer_ident: "cowrie-community-01".into(),
        peer_type: "SSH/console(cowrie)".into(),
        client: "-".into(),
        location: "37.751 , -97.822".into(),
        location_destination: "51.2993 , 9.491".into(),
        source_entry_ip: "8.8.8.8".parse().unwrap(),
        source_entry_port: Some("50522".into()),
        additional_data: "{\"protocol\": \"ssh\"}".into(),
        target_entry_ip: "87.150.238.182".parse().unwrap(),
        target_entry_port: Some("22".into()),
        target_country: "DE".into(),
        target_country_name: "Germany".into(),
        target_entry_as: "AS3320 Deutsche Telekom AG".into(),
        username: Some("root".into()),
        password: Some("admin".into()),
        login: Some("Success".into()),
        targetport: Some("tcp".into()),
        client_version: Some("SSH-2.0-Go".into()),
        session_start: String::new(),
        session_end: String::new(),
        recieved_time: t(received),
        external_ip: "87.150.238.182".into(),
        internal_ip: "10.0.0.5".into(),
        hostname: "tpot-host".into(),
        rawhttp: "-".into(),
    }
}

fn batch(alerts: Vec<Alert>) -> WriteBatch {
    WriteBatch {
        alerts,
        cve_copies: Vec::new(),
    }
}

fn tc(key: &str, count: u64, label: Option<&str>) -> TermCount {
    TermCount {
        key: key.into(),
        count,
        label: label.map(str::to_owned),
    }
}

/// Makes what the store wrote searchable now. Writes are acknowledged once durable and become
/// searchable with the indices' periodic refresh (within a second); tests read back at once.
async fn refresh(store: &ElasticStore) {
    let c = store.config();
    let path = format!("{},{}/_refresh", c.alert_read_pattern(), c.cve_index);
    raw(&c.url, reqwest::Method::POST, &path, None).await;
}

async fn raw(url: &str, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
    let client = reqwest::Client::new();
    let mut req = client.request(method, format!("{}/{path}", url.trim_end_matches('/')));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let value: Value = resp.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{path}: {status} {value}");
    value
}

/// The names of the indices matching `pattern`, sorted.
async fn index_names(url: &str, pattern: &str) -> Vec<String> {
    let indices = raw(
        url,
        reqwest::Method::GET,
        &format!("_cat/indices/{pattern}?format=json"),
        None,
    )
    .await;
    let mut names: Vec<String> = indices
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["index"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn writes_and_reads_back_every_field() {
    let Some(url) = node_url() else { return };
    let store = ElasticStore::connect(config(&url)).await.unwrap();
    store.ping().await.unwrap();
    let mut a = alert("a1", "2024-06-24 10:00:07");
    let mut b = alert("b1", "2024-06-24 10:00:08");
    b.source_entry_port = None;
    b.target_entry_port = None;
    b.username = None;
    b.password = None;
    b.login = None;
    b.targetport = None;
    b.client_version = None;
    b.source_entry_ip = "2001:db8::1".parse().unwrap();
    a.country_name = "Ünïcödé \"quoted\" \\ name".into();
    let out = store
        .write(batch(vec![a.clone(), b.clone()]))
        .await
        .unwrap();
    assert_eq!((out.created, out.replaced, out.cve_copies), (2, 0, 0));
    refresh(&store).await;

    let got = store
        .alerts_by_id(&["b1".into(), "missing".into(), "a1".into()])
        .await
        .unwrap();
    assert_eq!(got, vec![b.clone(), a.clone()]);

    // The stored `_source` is exactly the legacy document.
    let doc = raw(
        &url,
        reqwest::Method::GET,
        &format!("{}_write/_doc/a1", store.config().alert_read_prefix),
        None,
    )
    .await;
    assert_eq!(doc["_source"], a.to_document());
    assert_eq!(doc["_source"]["recievedTime"], "2024-06-24 10:00:07");
    assert_eq!(doc["_source"].as_object().unwrap().len(), 32);
}

#[tokio::test]
async fn replaces_by_id_and_stores_cve_copies_once() {
    let Some(url) = node_url() else { return };
    let store = ElasticStore::connect(config(&url)).await.unwrap();
    let a = alert("r1", "2024-06-24 10:00:00");
    let out = store.write(batch(vec![a.clone()])).await.unwrap();
    assert_eq!((out.created, out.replaced), (1, 0));
    let mut a2 = a.clone();
    a2.recieved_time = t("2024-06-24 11:00:00");
    let b = alert("r2", "2024-06-24 10:00:00");
    let out = store.write(batch(vec![a2.clone(), b])).await.unwrap();
    assert_eq!((out.created, out.replaced), (1, 1));
    // The same id twice in one batch: created, then replaced.
    let c = alert("r3", "2024-06-24 10:00:00");
    let out = store.write(batch(vec![c.clone(), c])).await.unwrap();
    assert_eq!((out.created, out.replaced), (1, 1));
    refresh(&store).await;
    assert_eq!(
        store
            .count(&AlertFilter::domain(DataDomain::All))
            .await
            .unwrap(),
        3
    );
    assert_eq!(store.alerts_by_id(&["r1".into()]).await.unwrap(), vec![a2]);

    let mut cve = alert("cve1", "2024-06-24 10:00:00");
    cve.vulnid = "CVE-2017-0144".into();
    let mut cve_dup = alert("cve2", "2024-06-24 10:00:01");
    cve_dup.vulnid = "CVE-2017-0144".into();
    let mut other = alert("cve3", "2024-06-24 10:00:02");
    other.vulnid = "CVE-2021-44228".into();
    let out = store
        .write(WriteBatch {
            alerts: vec![],
            cve_copies: vec![cve.clone(), cve_dup.clone()],
        })
        .await
        .unwrap();
    assert_eq!(out.cve_copies, 1);
    let out = store
        .write(WriteBatch {
            alerts: vec![],
            cve_copies: vec![cve_dup, other],
        })
        .await
        .unwrap();
    assert_eq!(out.cve_copies, 1);
    let copies = raw(
        &url,
        reqwest::Method::POST,
        &format!("{}/_search", store.config().cve_index),
        Some(json!({"size": 10})),
    )
    .await;
    assert_eq!(copies["hits"]["total"]["value"], 2);
}

/// A fixture with two days, both domains, ties and missing values.
fn fixture() -> Vec<Alert> {
    let mut out = Vec::new();
    for i in 0..6 {
        let mut a = alert(&format!("c{i}"), "2024-06-24 10:00:00");
        a.recieved_time = t("2024-06-24 10:00:00").plus_seconds(i * 600);
        a.create_time = a.recieved_time.plus_seconds(-5);
        a.peer_type = if i % 2 == 0 {
            "SSH/console(cowrie)"
        } else {
            "Passwords(heralding)"
        }
        .into();
        a.peer_ident = format!("sensor-{}", i % 3);
        a.source_entry_ip = format!("10.0.0.{}", 9 + i % 2).parse().unwrap();
        a.country = if i < 4 { "CN" } else { "US" }.into();
        a.country_name = if i == 1 {
            "China"
        } else if i < 4 {
            "China (PRC)"
        } else {
            "United States"
        }
        .into();
        a.target_entry_port = if i == 5 { None } else { Some("22".into()) };
        a.hostname = if i < 3 {
            "tpot-a".into()
        } else {
            "undefined".into()
        };
        out.push(a);
    }
    // Same second: ties ordered by id descending.
    for id in ["t1", "t3", "t2"] {
        let mut a = alert(id, "2024-06-25 08:00:00");
        a.client_domain = false;
        a.peer_type = "Webpage".into();
        a.hostname = "tpot-b".into();
        out.push(a);
    }
    out
}

async fn answers(store: &ElasticStore) -> Vec<String> {
    let all = AlertFilter::domain(DataDomain::All);
    let day = TimeRange::between(t("2024-06-24 00:00:00"), t("2024-06-25 00:00:00"));
    let mut out = vec![
        format!("{:?}", store.count(&all).await.unwrap()),
        format!(
            "{:?}",
            store
                .count(&AlertFilter::domain(DataDomain::Community))
                .await
                .unwrap()
        ),
        format!(
            "{:?}",
            store
                .count(&all.clone().within(TimeField::Received, day))
                .await
                .unwrap()
        ),
        format!(
            "{:?}",
            store
                .count(
                    &all.clone()
                        .matching(TermField::SourceLocation, "37.751 , -97.822")
                )
                .await
                .unwrap()
        ),
        format!(
            "{:?}",
            store
                .count(&AlertFilter {
                    source_net: Some("10.0.0.8/30".parse().unwrap()),
                    ..all.clone()
                })
                .await
                .unwrap()
        ),
    ];
    for field in [
        TermField::PeerType,
        TermField::PeerIdent,
        TermField::SourceCountry,
        TermField::SourceIp,
        TermField::TargetPort,
        TermField::Hostname,
    ] {
        out.push(format!("{:?}", store.terms(&all, field, 10).await.unwrap()));
    }
    out.push(format!(
        "{:?}",
        store
            .histogram(&HistogramQuery {
                filter: all.clone(),
                field: TimeField::Received,
                interval_seconds: 3600,
                split: Some((TermField::PeerType, 1)),
            })
            .await
            .unwrap()
    ));
    out.push(format!("{:?}", store.installations(&all).await.unwrap()));
    out.push(format!(
        "{:?}",
        store
            .alerts(&AlertPage {
                filter: all.clone(),
                order_by: TimeField::Received,
                limit: 100,
                after: None,
            })
            .await
            .unwrap()
            .iter()
            .map(|a| a.id.clone())
            .collect::<Vec<_>>()
    ));
    out
}

#[tokio::test]
async fn answers_each_query_family() {
    let Some(url) = node_url() else { return };
    let store = ElasticStore::connect(config(&url)).await.unwrap();
    store.write(batch(fixture())).await.unwrap();
    refresh(&store).await;
    let all = AlertFilter::domain(DataDomain::All);

    assert_eq!(store.count(&all).await.unwrap(), 9);
    assert_eq!(
        store
            .count(&AlertFilter::domain(DataDomain::Private))
            .await
            .unwrap(),
        3
    );
    let morning = TimeRange::between(t("2024-06-24 10:00:00"), t("2024-06-24 10:30:00"));
    assert_eq!(
        store
            .count(&all.clone().within(TimeField::Received, morning))
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        store
            .count(&all.clone().within(
                TimeField::Created,
                TimeRange::since(t("2024-06-25 00:00:00"))
            ))
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        store
            .count(&all.clone().matching(TermField::SourceIp, "10.0.0.9"))
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        store
            .count(&all.clone().matching(TermField::SourceIp, "nonsense"))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .count(&all.clone().matching(TermField::TargetPort, "22"))
            .await
            .unwrap(),
        8
    );

    // Terms: count desc, key asc; labels are the smallest country name; nulls form no bucket.
    assert_eq!(
        store
            .terms(&all, TermField::SourceCountry, 10)
            .await
            .unwrap(),
        vec![
            tc("US", 5, Some("United States")),
            tc("CN", 4, Some("China"))
        ]
    );
    assert_eq!(
        store.terms(&all, TermField::PeerType, 2).await.unwrap(),
        vec![
            tc("SSH/console(cowrie)", 3, None),
            tc("Passwords(heralding)", 3, None)
        ]
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
    );
    assert_eq!(
        store.terms(&all, TermField::TargetPort, 10).await.unwrap(),
        vec![tc("22", 8, None)]
    );
    // Textual order of ip keys: "10.0.0.10" < "10.0.0.9" < "8.8.8.8".
    assert_eq!(
        store.terms(&all, TermField::SourceIp, 2).await.unwrap(),
        vec![tc("10.0.0.10", 3, None), tc("10.0.0.9", 3, None)]
    );

    // Histogram: epoch-aligned hourly buckets, non-empty only, split by type.
    let h = store
        .histogram(&HistogramQuery {
            filter: all.clone(),
            field: TimeField::Received,
            interval_seconds: 3600,
            split: Some((TermField::PeerType, 5)),
        })
        .await
        .unwrap();
    let starts: Vec<String> = h.iter().map(|b| b.start.to_string()).collect();
    assert_eq!(starts, ["2024-06-24 10:00:00", "2024-06-25 08:00:00"]);
    assert_eq!(h[0].count, 6);
    assert_eq!(
        h[0].split,
        vec![
            tc("Passwords(heralding)", 3, None),
            tc("SSH/console(cowrie)", 3, None)
        ]
    );
    assert_eq!(h[1].split, vec![tc("Webpage", 3, None)]);
    let daily = store
        .histogram(&HistogramQuery {
            filter: all.clone(),
            field: TimeField::Created,
            interval_seconds: 86_400,
            split: None,
        })
        .await
        .unwrap();
    assert_eq!(daily.len(), 2);
    assert_eq!(daily[0].start.to_string(), "2024-06-24 00:00:00");

    // Paging: newest first, ties by id descending, cursors exact.
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .alerts(&AlertPage {
                filter: all.clone(),
                order_by: TimeField::Received,
                limit: 2,
                after: after.clone(),
            })
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        let last = page.last().unwrap();
        after = Some(AlertCursor {
            time: last.recieved_time,
            id: last.id.clone(),
        });
        seen.extend(page.into_iter().map(|a| a.id));
    }
    assert_eq!(seen, ["t3", "t2", "t1", "c5", "c4", "c3", "c2", "c1", "c0"]);

    // Installations: host names, then target addresses for `undefined`.
    let inst = store.installations(&all).await.unwrap();
    assert_eq!(inst.len(), 3);
    assert_eq!(inst[0].hostname.as_deref(), Some("tpot-a"));
    assert_eq!(
        inst[0].daemons,
        vec![
            tc("sensor-0", 1, None),
            tc("sensor-1", 1, None),
            tc("sensor-2", 1, None)
        ]
    );
    assert_eq!(
        inst[0].peer_types,
        ["Passwords(heralding)", "SSH/console(cowrie)"]
    );
    assert_eq!(inst[1].hostname.as_deref(), Some("tpot-b"));
    assert_eq!(inst[2].hostname, None);
    assert_eq!(inst[2].target_ip.as_deref(), Some("87.150.238.182"));

    // A window with nothing in it.
    let empty = all.clone().within(
        TimeField::Received,
        TimeRange::since(t("2030-01-01 00:00:00")),
    );
    assert!(
        store
            .terms(&empty, TermField::PeerType, 5)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .histogram(&HistogramQuery {
                filter: empty.clone(),
                field: TimeField::Received,
                interval_seconds: 60,
                split: None
            })
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn dynamic_mapping_gives_the_same_answers() {
    let Some(url) = node_url() else { return };
    // An index as V2017 clusters have it: only times, addresses and the domain mapped.
    let cfg = config(&url);
    // Today's date: the writes go to this index (an older one would be rolled over first).
    let index = format!(
        "{}-{}-000001",
        cfg.alert_read_prefix,
        chrono::Utc::now().format("%Y.%m.%d")
    );
    let date = json!({"type": "date", "format": "yyyy-MM-dd HH:mm:ss||yyyy-MM-dd||epoch_millis"});
    raw(
        &url,
        reqwest::Method::PUT,
        &index,
        Some(json!({
            "aliases": {cfg.alert_write_alias.clone(): {"is_write_index": true}},
            "mappings": {"properties": {
                "createTime": date, "recievedTime": date,
                "sourceEntryIp": {"type": "ip"}, "targetEntryIp": {"type": "ip"},
                "clientDomain": {"type": "boolean"}
            }}
        })),
    )
    .await;
    let dynamic = ElasticStore::connect(cfg).await.unwrap();
    let explicit = ElasticStore::connect(config(&url)).await.unwrap();
    dynamic.write(batch(fixture())).await.unwrap();
    explicit.write(batch(fixture())).await.unwrap();
    refresh(&dynamic).await;
    refresh(&explicit).await;
    let mapping = raw(
        &url,
        reqwest::Method::GET,
        &format!("{index}/_mapping"),
        None,
    )
    .await;
    assert_eq!(
        mapping[&index]["mappings"]["properties"]["peerType"]["fields"]["keyword"]["type"],
        "keyword"
    );
    assert_eq!(answers(&dynamic).await, answers(&explicit).await);
}

#[tokio::test]
async fn statistics_are_read_by_time_from() {
    let Some(url) = node_url() else { return };
    let store = ElasticStore::connect(config(&url)).await.unwrap();
    let doc = |from: &str| {
        json!({"UTCtimeFrom": from, "UTCtimeTo": from, "comm_totalRatio": 1.7,
               "comm_ratio_SSH/console(cowrie)": 0.5})
        .as_object()
        .unwrap()
        .clone()
    };
    let n = store
        .write_statistics(vec![
            ("s2".into(), doc("2019-01-22 15:05:00")),
            ("s1".into(), doc("2019-01-22 15:00:00")),
            ("s3".into(), doc("2019-01-22 16:00:00")),
        ])
        .await
        .unwrap();
    assert_eq!(n, 3);
    let got = store
        .statistics(t("2019-01-22 15:00:00"), t("2019-01-22 15:05:00"))
        .await
        .unwrap();
    assert_eq!(
        got,
        vec![doc("2019-01-22 15:00:00"), doc("2019-01-22 15:05:00")]
    );
}

#[tokio::test]
async fn users_in_peba_shape_are_found() {
    let Some(url) = node_url() else { return };
    let cfg = config(&url);
    // PEBA's users index: created by dynamic mapping from a document with a random id.
    let sha = "ab".repeat(64);
    raw(
        &url,
        reqwest::Method::POST,
        &format!("{}/_doc?refresh=true", cfg.user_index),
        Some(json!({"peerName": "community-01-user", "token": sha,
                    "getOnly": false, "community": false, "email": "c@example.org"})),
    )
    .await;
    let store = ElasticStore::connect(cfg).await.unwrap();
    let name = UserName::parse("community-01-user").unwrap();
    let user = store.user(&name).await.unwrap().unwrap();
    assert_eq!(user.token, TokenHash::Sha512Hex(sha));
    assert!(
        store
            .user(&UserName::parse("community").unwrap())
            .await
            .unwrap()
            .is_none()
    );

    let err = store.add_user(&user).await.unwrap_err();
    assert!(matches!(err, StoreError::UserExists(_)), "{err:?}");
    let alice = User {
        name: UserName::parse("Alice/ü").unwrap(),
        token: TokenHash::Md5Hex("0".repeat(32)),
        read_only: true,
        community_only: false,
        email: "a@example.org".into(),
    };
    store.add_user(&alice).await.unwrap();
    assert_eq!(store.user(&alice.name).await.unwrap(), Some(alice.clone()));
    assert!(matches!(
        store.add_user(&alice).await,
        Err(StoreError::UserExists(_))
    ));
    let names: Vec<String> = store
        .users()
        .await
        .unwrap()
        .iter()
        .map(|u| u.name.to_string())
        .collect();
    assert_eq!(names, ["Alice/ü", "community-01-user"]);
    assert!(store.remove_user(&name).await.unwrap());
    assert!(!store.remove_user(&name).await.unwrap());
    assert!(store.user(&name).await.unwrap().is_none());
}

#[tokio::test]
async fn an_unreachable_node_is_unavailable_within_the_timeout() {
    let Some(_) = node_url() else { return };
    // A port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut cfg = ElasticConfig::new(format!("127.0.0.1:{port}"));
    cfg.timeout = Duration::from_secs(2);
    let started = Instant::now();
    let err = ElasticStore::connect(cfg).await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3));

    // A listener that accepts and never answers: the timeout bounds the wait.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = silent.local_addr().unwrap();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            held.push(s);
        }
    });
    let mut cfg = ElasticConfig::new(format!("http://{addr}"));
    cfg.timeout = Duration::from_secs(1);
    let started = Instant::now();
    let err = ElasticStore::connect(cfg).await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    hold.abort();
}

#[tokio::test]
async fn an_id_stays_unique_across_a_rollover() {
    let Some(url) = node_url() else { return };
    let cfg = config(&url);
    let store = ElasticStore::connect(cfg.clone()).await.unwrap();
    let a = alert("x1", "2024-06-24 23:59:59");
    let mut b = alert("x2", "2024-06-24 23:59:59");
    b.peer_type = "Webpage".into();
    store.write(batch(vec![a.clone(), b])).await.unwrap();
    // A second later the periodic refresh has made them searchable.
    refresh(&store).await;
    // The daily job rolls the alias over to a new index.
    raw(
        &url,
        reqwest::Method::POST,
        &format!("{}/_rollover", cfg.alert_write_alias),
        None,
    )
    .await;
    let mut again = a.clone();
    again.recieved_time = t("2024-06-25 00:00:03");
    let mut c = alert("x3", "2024-06-25 00:00:04");
    c.peer_type = "Webpage".into();
    let out = store.write(batch(vec![again.clone(), c])).await.unwrap();
    assert_eq!((out.created, out.replaced), (1, 1));
    let all = AlertFilter::domain(DataDomain::All);
    refresh(&store).await;
    assert_eq!(store.count(&all).await.unwrap(), 3);
    assert_eq!(
        store.alerts_by_id(&["x1".into()]).await.unwrap(),
        vec![again]
    );
    // Rankings over two indices.
    assert_eq!(
        store.terms(&all, TermField::PeerType, 1).await.unwrap(),
        vec![tc("Webpage", 2, None)]
    );
}

/// Values longer than a keyword may hold (32 766 bytes) are stored and read back unchanged;
/// the write is not refused.
#[tokio::test]
async fn very_long_values_are_stored() {
    let Some(url) = node_url() else { return };
    let store = ElasticStore::connect(config(&url)).await.unwrap();
    let mut a = alert("long1", "2024-06-24 10:00:07");
    a.original_request_string = format!("GET /{} HTTP/1.1", "ü".repeat(20_000));
    a.rawhttp = "QUJD".repeat(30_000);
    a.additional_data = format!("{{\"x\": \"{}\"}}", "y".repeat(70_000));
    a.peer_type = "W".repeat(9_000);
    let b = alert("short1", "2024-06-24 10:00:08");
    let out = store.write(batch(vec![a.clone(), b])).await.unwrap();
    assert_eq!(out.created, 2);
    refresh(&store).await;
    assert_eq!(
        store.alerts_by_id(&["long1".into()]).await.unwrap(),
        vec![a]
    );
    let all = AlertFilter::domain(DataDomain::All);
    assert_eq!(store.count(&all).await.unwrap(), 2);
}

/// A write index created without length limits (as PEBA created them) gets them before the
/// first write, so a very long value is not refused there either.
#[tokio::test]
async fn a_write_index_without_keyword_limits_gets_them() {
    let Some(url) = node_url() else { return };
    let cfg = config(&url);
    let index = format!(
        "{}-{}-000001",
        cfg.alert_read_prefix,
        chrono::Utc::now().format("%Y.%m.%d")
    );
    raw(
        &url,
        reqwest::Method::PUT,
        &index,
        Some(json!({
            "aliases": {cfg.alert_write_alias.clone(): {"is_write_index": true}},
            "mappings": {"properties": {
                "originalRequestString": {"type": "keyword"},
                "rawhttp": {"type": "keyword", "index": false},
            }}
        })),
    )
    .await;
    let store = ElasticStore::connect(cfg).await.unwrap();
    let mut a = alert("long2", "2024-06-24 10:00:07");
    a.original_request_string = "x".repeat(40_000);
    a.rawhttp = "y".repeat(40_000);
    store.write(batch(vec![a.clone()])).await.unwrap();
    refresh(&store).await;
    assert_eq!(
        store.alerts_by_id(&["long2".into()]).await.unwrap(),
        vec![a]
    );
    let mapping = raw(
        &url,
        reqwest::Method::GET,
        &format!("{index}/_mapping"),
        None,
    )
    .await;
    assert_eq!(
        mapping[&index]["mappings"]["properties"]["originalRequestString"]["ignore_above"],
        8191
    );
}

/// Writers that see the day change at once (tasks and separate stores, i.e. processes) roll the
/// alias over exactly once, and all agree on the new write index.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_roll_over_once() {
    let Some(url) = node_url() else { return };
    let cfg = config(&url);
    let mut stores = Vec::new();
    for _ in 0..4 {
        stores.push(std::sync::Arc::new(
            ElasticStore::connect(cfg.clone()).await.unwrap(),
        ));
    }
    let today = chrono::Utc::now().date_naive();
    let tomorrow = today + chrono::Days::new(1);
    let mut tasks = Vec::new();
    for store in &stores {
        for _ in 0..3 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store.ensure_daily_index(tomorrow).await.unwrap()
            }));
        }
    }
    let mut names = std::collections::BTreeSet::new();
    for t in tasks {
        names.insert(t.await.unwrap());
    }
    let expected = format!(
        "{}-{}-000002",
        cfg.alert_read_prefix,
        tomorrow.format("%Y.%m.%d")
    );
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        vec![expected.clone()]
    );
    let indices = raw(
        &url,
        reqwest::Method::GET,
        &format!("_cat/indices/{}-*?format=json", cfg.alert_read_prefix),
        None,
    )
    .await;
    assert_eq!(indices.as_array().unwrap().len(), 2, "{indices}");
    // Writes go to the new index; the day after, the counter goes on.
    stores[0]
        .write(batch(vec![alert("r1", "2024-06-24 10:00:00")]))
        .await
        .unwrap();
    let hit = raw(
        &url,
        reqwest::Method::GET,
        &format!("{expected}/_doc/r1"),
        None,
    )
    .await;
    assert_eq!(hit["found"], true);
    let after = tomorrow + chrono::Days::new(1);
    assert_eq!(
        stores[1].ensure_daily_index(after).await.unwrap(),
        format!(
            "{}-{}-000003",
            cfg.alert_read_prefix,
            after.format("%Y.%m.%d")
        )
    );
}

/// The reason alert reads may search `<prefix>-*`: with `pre_filter_shard_size=1` the cluster
/// skips the daily indices whose time range cannot match a window, and answers as a search of
/// every index would.
#[tokio::test]
async fn windowed_searches_skip_the_daily_indices_they_do_not_need() {
    let Some(url) = node_url() else { return };
    let cfg = config(&url);
    let store = ElasticStore::connect(cfg.clone()).await.unwrap();
    let today = chrono::Utc::now().date_naive();
    for (day, received) in [
        "2024-06-21 10:00:00",
        "2024-06-22 10:00:00",
        "2024-06-23 10:00:00",
    ]
    .into_iter()
    .enumerate()
    {
        store
            .ensure_daily_index(today + chrono::Days::new(day as u64))
            .await
            .unwrap();
        store
            .write(batch(vec![alert(&format!("d{day}"), received)]))
            .await
            .unwrap();
    }
    refresh(&store).await;
    let window = json!({
        "size": 0,
        "track_total_hits": true,
        "query": {"bool": {"filter": [{"range": {"recievedTime": {
            "gte": "2024-06-23 00:00:00", "lt": "2024-06-24 00:00:00",
            "format": "yyyy-MM-dd HH:mm:ss"}}}]}}
    });
    let answer = raw(
        &url,
        reqwest::Method::POST,
        &format!(
            "{}-*/_search?pre_filter_shard_size=1&ignore_unavailable=true&allow_no_indices=true",
            cfg.alert_read_prefix
        ),
        Some(window),
    )
    .await;
    assert_eq!(answer["_shards"]["total"], 3, "{answer}");
    assert_eq!(answer["_shards"]["skipped"], 2, "{answer}");
    assert_eq!(answer["hits"]["total"]["value"], 1, "{answer}");
    let filter = AlertFilter::domain(DataDomain::All).within(
        TimeField::Received,
        TimeRange::between(t("2024-06-23 00:00:00"), t("2024-06-24 00:00:00")),
    );
    assert_eq!(store.count(&filter).await.unwrap(), 1);
}

/// Retention deletes the daily indices whose alerts are all past the window, and nothing
/// else: not an index with a newer alert, not the write index, not an index of another name
/// under the prefix, not the CVE, user or statistics indices, of which it deletes only the CVE
/// copies received and the statistics starting before the cut-off; two servers passing at once
/// both succeed.
#[tokio::test]
async fn retention_deletes_only_daily_indices_past_the_window() {
    let Some(url) = node_url() else { return };
    let cfg = config(&url);
    let prefix = cfg.alert_read_prefix.clone();
    let stores = [
        ElasticStore::connect(cfg.clone()).await.unwrap(),
        ElasticStore::connect(cfg.clone()).await.unwrap(),
    ];
    let today = chrono::Utc::now().date_naive();
    let old = alert("a1", "2024-06-01 10:00:00");
    stores[0]
        .write(batch(vec![old, alert("a2", "2024-06-01 11:00:00")]))
        .await
        .unwrap();
    let mixed = stores[0]
        .ensure_daily_index(today + chrono::Days::new(1))
        .await
        .unwrap();
    stores[0]
        .write(batch(vec![
            alert("b1", "2024-06-01 12:00:00"),
            alert("b2", "2024-06-20 12:00:00"),
        ]))
        .await
        .unwrap();
    let write_index = stores[0]
        .ensure_daily_index(today + chrono::Days::new(2))
        .await
        .unwrap();
    stores[0]
        .write(batch(vec![alert("c1", "2024-06-02 12:00:00")]))
        .await
        .unwrap();
    // CVE copies and statistics documents on both sides of the cut-off.
    let cve_copy = |id: &str, vulnid: &str, received: &str| Alert {
        vulnid: vulnid.to_owned(),
        ..alert(id, received)
    };
    stores[0]
        .write(WriteBatch {
            alerts: Vec::new(),
            cve_copies: vec![
                cve_copy("cve-old", "CVE-2017-0144", "2024-06-09 23:59:59"),
                cve_copy("cve-new", "CVE-2021-44228", "2024-06-10 00:00:00"),
            ],
        })
        .await
        .unwrap();
    let period = |from: &str| {
        json!({"UTCtimeFrom": from, "UTCtimeTo": from, "comm_totalNumberAlerts": 1})
            .as_object()
            .cloned()
            .unwrap()
    };
    stores[0]
        .write_statistics(vec![
            ("s-old".into(), period("2024-06-09 23:55:00")),
            ("s-new".into(), period("2024-06-10 00:00:00")),
        ])
        .await
        .unwrap();
    let stranger = format!("{prefix}-archive");
    raw(
        &url,
        reqwest::Method::PUT,
        &format!("{stranger}/_doc/s1?refresh=true"),
        Some(json!({"recievedTime": "2024-06-01 00:00:00"})),
    )
    .await;
    let before = index_names(&url, &format!("{prefix}*")).await;
    let first = format!("{prefix}-{}-000001", today.format("%Y.%m.%d"));
    assert!(before.contains(&first), "{before:?}");

    let cutoff = t("2024-06-10 00:00:00");
    let (x, y) = tokio::join!(
        peba::retention::pass(&stores[0], cutoff),
        peba::retention::pass(&stores[1], cutoff)
    );
    assert_eq!(
        x.unwrap() + y.unwrap(),
        2,
        "the two alerts of the old index"
    );

    let after = index_names(&url, &format!("{prefix}*")).await;
    let expected: Vec<String> = before.iter().filter(|n| **n != first).cloned().collect();
    assert_eq!(after, expected);
    for kept in [
        &mixed,
        &write_index,
        &stranger,
        &cfg.cve_index,
        &cfg.user_index,
    ] {
        assert!(after.contains(kept), "{kept} deleted: {after:?}");
    }
    // b1, b2, c1, and the stranger's document (reads cover every index under the prefix).
    let all = AlertFilter::domain(DataDomain::All);
    refresh(&stores[0]).await;
    assert_eq!(stores[0].count(&all).await.unwrap(), 4);
    // The CVE copy and the statistics document from before the cut-off are gone, the newer
    // ones stay.
    let ids = |index: String| {
        let url = url.clone();
        async move {
            let hits = raw(
                &url,
                reqwest::Method::POST,
                &format!("{index}/_search"),
                Some(json!({"query": {"match_all": {}}, "_source": false})),
            )
            .await;
            let mut ids: Vec<String> = hits["hits"]["hits"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h["_id"].as_str().unwrap().to_owned())
                .collect();
            ids.sort();
            ids
        }
    };
    assert_eq!(ids(cfg.cve_index.clone()).await, ["cve-new"]);
    assert_eq!(ids(cfg.statistic_index.clone()).await, ["s-new"]);
    // By name: Elasticsearch 8 refuses wildcard deletes (`action.destructive_requires_name`).
    let left = index_names(&url, &format!("{prefix}*")).await;
    raw(&url, reqwest::Method::DELETE, &left.join(","), None).await;
}

/// The cluster-wide live feed's poll: the ids of the newest alerts received since a time, as
/// the embedded store lists them from whole alerts.
#[tokio::test]
async fn recent_alert_ids_are_the_newest_received_since_a_time() {
    let Some(url) = node_url() else { return };
    let cfg = config(&url);
    let store = ElasticStore::connect(cfg.clone()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let embedded = peba::store::embedded::EmbeddedStore::open(dir.path()).unwrap();
    let alerts = vec![
        alert("old", "2024-06-02 09:59:59"),
        alert("n1", "2024-06-02 10:00:00"),
        alert("n2", "2024-06-02 10:00:05"),
        alert("n3", "2024-06-02 10:00:09"),
    ];
    store.write(batch(alerts.clone())).await.unwrap();
    embedded.write(batch(alerts)).await.unwrap();
    refresh(&store).await;
    let since = t("2024-06-02 10:00:00");
    for limit in [10, 2] {
        let ids = store.recent_alert_ids(since, limit).await.unwrap();
        assert_eq!(ids, ["n3", "n2", "n1"][..limit.min(3)]);
        assert_eq!(embedded.recent_alert_ids(since, limit).await.unwrap(), ids);
    }
    let left = index_names(&url, &format!("{}*", cfg.alert_read_prefix)).await;
    raw(&url, reqwest::Method::DELETE, &left.join(","), None).await;
}
