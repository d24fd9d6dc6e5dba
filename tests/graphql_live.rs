//! The GraphQL API over a wrapped store (real server on loopback, real embedded store inside
//! a counting decorator): the live subscription fed by the ingest route, the dataloader's
//! bound on store calls, the request timeout, and store failures answered without internals.

mod support;

use async_trait::async_trait;
use peba::app::AppState;
use peba::config::Settings;
use peba::domain::{
    Alert, AlertFilter, AlertPage, CredentialCount, HistogramBucket, HistogramQuery, Installation,
    TermCount, TermField, Timestamp, User, UserName,
};
use peba::store::embedded::EmbeddedStore;
use peba::store::{StatisticsDocument, Store, StoreError, WriteBatch, WriteOutcome};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use support::graphql::{Gql, NOW, error_codes};
use support::in_process::{compat_dir, read_alerts, serve, user};
use support::ws::{Socket, connect, next, open, send};
use support::{COMMUNITY_TOKEN, COMMUNITY_USER, alert, message};

/// A store that counts the reads it answers, and can be made slow or failing.
struct Counting {
    inner: EmbeddedStore,
    reads: AtomicUsize,
    failing: AtomicBool,
    slow: AtomicBool,
}

impl Counting {
    async fn read(&self) -> Result<(), StoreError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        if self.slow.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
        if self.failing.load(Ordering::SeqCst) {
            return Err(StoreError::Corrupt("secret internal detail".into()));
        }
        Ok(())
    }

    fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl Store for Counting {
    async fn write(&self, batch: WriteBatch) -> Result<WriteOutcome, StoreError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("disk gone".into()));
        }
        self.inner.write(batch).await
    }
    fn concurrent_writes(&self) -> usize {
        self.inner.concurrent_writes()
    }
    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }
    async fn count(&self, filter: &AlertFilter) -> Result<u64, StoreError> {
        self.read().await?;
        self.inner.count(filter).await
    }
    async fn terms(
        &self,
        filter: &AlertFilter,
        field: TermField,
        limit: usize,
    ) -> Result<Vec<TermCount>, StoreError> {
        self.read().await?;
        self.inner.terms(filter, field, limit).await
    }
    async fn credentials(
        &self,
        filter: &AlertFilter,
        limit: usize,
    ) -> Result<Vec<CredentialCount>, StoreError> {
        self.read().await?;
        self.inner.credentials(filter, limit).await
    }
    async fn derived_terms(
        &self,
        filter: &AlertFilter,
        field: peba::domain::DerivedField,
        limit: usize,
    ) -> Result<Vec<TermCount>, StoreError> {
        self.read().await?;
        self.inner.derived_terms(filter, field, limit).await
    }
    async fn histogram(&self, query: &HistogramQuery) -> Result<Vec<HistogramBucket>, StoreError> {
        self.read().await?;
        self.inner.histogram(query).await
    }
    async fn alerts(&self, page: &AlertPage) -> Result<Vec<Alert>, StoreError> {
        self.read().await?;
        self.inner.alerts(page).await
    }
    async fn alerts_oldest_first(&self, page: &AlertPage) -> Result<Vec<Alert>, StoreError> {
        self.read().await?;
        self.inner.alerts_oldest_first(page).await
    }
    async fn alerts_by_id(&self, ids: &[String]) -> Result<Vec<Alert>, StoreError> {
        self.read().await?;
        self.inner.alerts_by_id(ids).await
    }
    async fn installations(&self, filter: &AlertFilter) -> Result<Vec<Installation>, StoreError> {
        self.read().await?;
        self.inner.installations(filter).await
    }
    async fn attackers(
        &self,
        query: &peba::domain::AttackerQuery,
    ) -> Result<Vec<peba::domain::Attacker>, StoreError> {
        self.read().await?;
        self.inner.attackers(query).await
    }
    async fn statistics(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<StatisticsDocument>, StoreError> {
        self.read().await?;
        self.inner.statistics(from, to).await
    }
    async fn write_statistics(
        &self,
        documents: Vec<(String, StatisticsDocument)>,
    ) -> Result<usize, StoreError> {
        self.inner.write_statistics(documents).await
    }
    async fn user(&self, name: &UserName) -> Result<Option<User>, StoreError> {
        self.inner.user(name).await
    }
    async fn add_user(&self, user: &User) -> Result<(), StoreError> {
        self.inner.add_user(user).await
    }
    async fn remove_user(&self, name: &UserName) -> Result<bool, StoreError> {
        self.inner.remove_user(name).await
    }
    async fn users(&self) -> Result<Vec<User>, StoreError> {
        self.inner.users().await
    }
}

struct Live {
    base: String,
    store: Arc<Counting>,
    _dir: tempfile::TempDir,
    _task: tokio::task::JoinHandle<()>,
}

impl Drop for Live {
    fn drop(&mut self) {
        self._task.abort();
    }
}

/// 100 community alerts from 37 sensors and 10 private ones, all received in the last
/// 100 minutes, plus the reader account.
async fn start(timeout_seconds: u64) -> Live {
    start_with(|settings| settings.graphql_timeout = Duration::from_secs(timeout_seconds)).await
}

/// A server over the live fixtures, with `adjust` applied to its settings.
async fn start_with(adjust: impl FnOnce(&mut Settings)) -> Live {
    let dir = tempfile::tempdir().unwrap();
    let inner = EmbeddedStore::open(dir.path()).unwrap();
    let now = Timestamp::parse_legacy(NOW).unwrap();
    let template = read_alerts(&compat_dir().join("fixtures/alerts.jsonl")).remove(0);
    let alerts: Vec<Alert> = (0..110)
        .map(|i| {
            let mut a = template.clone();
            a.id = format!("live-{i:03}");
            a.peer_ident = format!("sensor-{:02}", i % 37);
            a.client_domain = i < 100;
            a.recieved_time = now.plus_seconds(-60 * i64::from(i));
            a.create_time = a.recieved_time;
            a
        })
        .collect();
    inner
        .write(WriteBatch {
            alerts,
            cve_copies: Vec::new(),
        })
        .await
        .unwrap();
    inner
        .add_user(&user("reader", "readerpass", false, false))
        .await
        .unwrap();
    let store = Arc::new(Counting {
        inner,
        reads: AtomicUsize::new(0),
        failing: AtomicBool::new(false),
        slow: AtomicBool::new(false),
    });
    let mut settings = Settings {
        frozen_clock: Some(now),
        data_dir: dir.path().to_owned(),
        jwt_secret: Some("a test secret of enough length and variety".into()),
        ..Settings::default()
    };
    adjust(&mut settings);
    let state = AppState::with_store(settings, store.clone()).unwrap();
    let (base, task) = serve(state).await;
    Live {
        base,
        store,
        _dir: dir,
        _task: task,
    }
}

#[tokio::test]
async fn per_alert_sensor_counts_cost_one_store_call_per_domain() {
    let live = start(30).await;
    let gql = Gql::new(&live.base).login("reader", "readerpass").await;
    let query = "query($n: Int!, $d: DataDomain!) { alerts(domain: $d, first: $n) { nodes { id sensor { id alertsLast24Hours } } } }";
    let mut calls = Vec::new();
    for (n, domain) in [
        (1, "COMMUNITY"),
        (100, "COMMUNITY"),
        (1, "ALL"),
        (110, "ALL"),
    ] {
        let before = live.store.reads();
        let data = gql.data(query, json!({ "n": n, "d": domain })).await;
        calls.push(live.store.reads() - before);
        let nodes = data["alerts"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), n);
        for node in nodes {
            // sensor-NN of domain D received alerts live-i with i % 37 == NN
            let sensor = node["sensor"]["id"].as_str().unwrap();
            let k: usize = sensor.trim_start_matches("sensor-").parse().unwrap();
            let private = node["id"].as_str().unwrap() >= "live-100";
            let expected = (0..110)
                .filter(|i| i % 37 == k && (*i >= 100) == private)
                .count();
            assert_eq!(node["sensor"]["alertsLast24Hours"], expected, "{sensor}");
        }
    }
    // one page read plus one batched count per data domain in the page, whatever its size
    assert_eq!(calls, [2, 2, 2, 3]);
    // the same through edges, twice in one request (the second time from the request's cache)
    let before = live.store.reads();
    let data = gql
        .data(
            "{ a: alerts(first: 100) { edges { node { sensor { alertsLast24Hours } } } }
               b: alerts(first: 100) { nodes { sensor { alertsLast24Hours } } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["a"]["edges"].as_array().unwrap().len(), 100);
    assert!(
        live.store.reads() - before <= 4,
        "{}",
        live.store.reads() - before
    );
}

#[tokio::test]
async fn store_failures_and_slow_stores_answer_with_codes_only() {
    let live = start(1).await;
    let gql = Gql::new(&live.base);
    live.store.failing.store(true, Ordering::SeqCst);
    for query in [
        "{ alertCount }",
        "{ alerts { nodes { id sensor { alertsLast24Hours } } } }",
        "{ alertStats { lastMinute } }",
    ] {
        let body = gql.post(query, json!({})).await;
        assert_eq!(
            error_codes(&body).first().map(String::as_str),
            Some("STORE_UNAVAILABLE"),
            "{body}"
        );
        let text = body.to_string();
        assert!(text.contains("store unavailable"), "{text}");
        assert!(
            !text.contains("secret internal detail") && !text.contains("corrupt"),
            "{text}"
        );
    }
    live.store.failing.store(false, Ordering::SeqCst);
    live.store.slow.store(true, Ordering::SeqCst);
    let started = std::time::Instant::now();
    let body = gql.post("{ alertCount }", json!({})).await;
    assert_eq!(error_codes(&body), ["TIMEOUT"], "{body}");
    assert!(started.elapsed() < Duration::from_secs(4));
}

const SUBSCRIPTION: &str = "subscription($d: DataDomain!, $f: AlertFilter) {
  alertAdded(domain: $d, filter: $f) { id honeypotType receivedAt target { port } source { ip } }
}";

#[tokio::test]
async fn subscriptions_select_alerts_by_text_as_the_store_does() {
    let live = start(30).await;
    let mut socket = connect(host(&live.base), json!({})).await;
    for (id, filter) in [
        ("port", json!({ "text": "ON PORT 445" })),
        ("otherPort", json!({ "text": "on port 22/" })),
        ("notAttack", json!({ "not": { "text": "attack" } })),
    ] {
        let payload =
            json!({ "query": SUBSCRIPTION, "variables": { "d": "COMMUNITY", "f": filter } });
        send(
            &mut socket,
            json!({ "id": id, "type": "subscribe", "payload": payload }),
        )
        .await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let counts = || async {
        Gql::new(&live.base)
            .data(
                "{ port: alertCount(filter: { text: \"ON PORT 445\" })
                   otherPort: alertCount(filter: { text: \"on port 22/\" })
                   notAttack: alertCount(filter: { not: { text: \"attack\" } }) }",
                json!({}),
            )
            .await
    };
    let before = counts().await;
    let body = message(
        COMMUNITY_USER,
        COMMUNITY_TOKEN,
        &alert("8.8.8.8", 4444, "2024-07-01 00:19:00"),
    );
    let status = reqwest::Client::new()
        .post(format!("{}/ews-0.1/alert/postSimpleMessage", live.base))
        .body(body)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
    let event = next(&mut socket, Duration::from_secs(5))
        .await
        .expect("an event");
    assert_eq!(event["id"], "port", "{event}");
    assert_eq!(next(&mut socket, Duration::from_millis(500)).await, None);
    // The store counts the stored alert where the live feed sent it.
    let after = counts().await;
    let grew = |name: &str| after[name].as_u64().unwrap() - before[name].as_u64().unwrap();
    assert_eq!(
        (grew("port"), grew("otherPort"), grew("notAttack")),
        (1, 0, 0),
        "{before} {after}"
    );
}

#[tokio::test]
async fn subscribers_receive_alerts_once_they_are_stored() {
    let live = start(30).await;
    let http = reqwest::Client::new();
    let token = Gql::new(&live.base)
        .login("reader", "readerpass")
        .await
        .token
        .unwrap();

    let mut anonymous = connect(host(&live.base), json!({})).await;
    let mut reader = connect(
        host(&live.base),
        json!({ "Authorization": format!("Bearer {token}") }),
    )
    .await;
    let subscribe = |id: &str, domain: &str, filter: Value| json!({ "id": id, "type": "subscribe", "payload": { "query": SUBSCRIPTION, "variables": { "d": domain, "f": filter } } });
    send(
        &mut anonymous,
        subscribe(
            "all",
            "ALL",
            json!({ "honeypotType": "Network(honeytrap)" }),
        ),
    )
    .await;
    send(&mut anonymous, subscribe("private", "PRIVATE", json!(null))).await;
    send(
        &mut reader,
        subscribe("mine", "COMMUNITY", json!({ "targetPort": 445 })),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let post = |body: String| {
        let http = http.clone();
        let url = format!("{}/ews-0.1/alert/postSimpleMessage", live.base);
        async move {
            http.post(url)
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    // a failed write publishes nothing
    live.store.failing.store(true, Ordering::SeqCst);
    let body = message(
        COMMUNITY_USER,
        COMMUNITY_TOKEN,
        &alert("8.8.4.4", 1111, "2024-07-01 00:19:00"),
    );
    assert_eq!(post(body).await, 503);
    assert_eq!(next(&mut anonymous, Duration::from_millis(500)).await, None);
    live.store.failing.store(false, Ordering::SeqCst);

    // a stored one reaches every matching subscription
    let body = message(
        COMMUNITY_USER,
        COMMUNITY_TOKEN,
        &alert("8.8.8.8", 4444, "2024-07-01 00:19:00"),
    );
    assert_eq!(post(body).await, 200);

    // anonymous subscribers get community data whatever domain they ask for
    let mut events = Vec::new();
    for _ in 0..2 {
        events.push(
            next(&mut anonymous, Duration::from_secs(5))
                .await
                .expect("an event"),
        );
    }
    events.sort_by_key(|e| e["id"].as_str().unwrap_or_default().to_owned());
    assert_eq!(events[0]["id"], "all");
    assert_eq!(events[1]["id"], "private");
    assert_eq!(
        events[0]["payload"]["data"]["alertAdded"],
        events[1]["payload"]["data"]["alertAdded"]
    );
    let event = &events[0];
    assert_eq!(event["type"], "next", "{event}");
    let added = &event["payload"]["data"]["alertAdded"];
    assert_eq!(added["honeypotType"], "Network(honeytrap)");
    assert_eq!(added["receivedAt"], "2024-07-01T00:20:00Z");
    assert_eq!(added["target"]["port"], 445);
    // anonymous subscribers do not see addresses
    assert_eq!(added["source"]["ip"], Value::Null);
    assert_eq!(error_codes(&event["payload"]), ["UNAUTHENTICATED"]);
    // a private alert reaches no anonymous subscription
    let body = message(
        "reader",
        "readerpass",
        &alert("8.8.8.8", 5555, "2024-07-01 00:19:30"),
    );
    assert_eq!(post(body).await, 200);
    assert_eq!(next(&mut anonymous, Duration::from_millis(500)).await, None);

    let event = next(&mut reader, Duration::from_secs(5))
        .await
        .expect("an event");
    assert_eq!(event["id"], "mine");
    assert_eq!(
        event["payload"]["data"]["alertAdded"]["source"]["ip"],
        "8.8.8.8"
    );
    assert!(event["payload"].get("errors").is_none(), "{event}");

    // what was pushed is durable and readable
    let id = added["id"].as_str().unwrap();
    let data = Gql::new(&live.base)
        .data(
            "{ alerts(filter: { honeypotType: \"Network(honeytrap)\" }) { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["alerts"]["nodes"][0]["id"], id);

    // a bad token in connection_init is refused
    let mut socket = open(host(&live.base)).await;
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": { "Authorization": "Bearer nonsense" } }),
    )
    .await;
    let answer = next(&mut socket, Duration::from_secs(2)).await;
    assert!(
        answer
            .as_ref()
            .is_none_or(|a| a["type"] != "connection_ack"),
        "{answer:?}"
    );
}

/// The messages of subscription `id` until it completes (at most `wait`).
async fn until_complete(socket: &mut Socket, wait: Duration) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    let mut messages = Vec::new();
    while let Some(message) = next(
        socket,
        deadline.saturating_duration_since(tokio::time::Instant::now()),
    )
    .await
    {
        let done = message["type"] == "complete";
        messages.push(message);
        if done {
            break;
        }
    }
    messages
}

#[tokio::test]
async fn subscriptions_end_when_the_token_expires_or_the_user_is_removed() {
    let subscribe = json!({ "id": "s", "type": "subscribe", "payload": { "query": "subscription { alertAdded { id } }" } });
    let ended = |messages: &[Value]| {
        messages.len() == 2
            && error_codes(&messages[0]["payload"]) == ["UNAUTHENTICATED"]
            && messages[1]["type"] == "complete"
    };

    // a token of 2 s on the system clock
    let live = start_with(|settings| {
        settings.frozen_clock = None;
        settings.jwt_ttl = Duration::from_secs(2);
    })
    .await;
    let token = Gql::new(&live.base)
        .login("reader", "readerpass")
        .await
        .token
        .unwrap();
    let mut socket = connect(
        host(&live.base),
        json!({ "Authorization": format!("Bearer {token}") }),
    )
    .await;
    send(&mut socket, subscribe.clone()).await;
    let started = std::time::Instant::now();
    let messages = until_complete(&mut socket, Duration::from_secs(5)).await;
    assert!(ended(&messages), "{messages:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // an anonymous subscription is not affected
    let mut anonymous = connect(host(&live.base), json!({})).await;
    send(&mut anonymous, subscribe.clone()).await;
    assert_eq!(
        next(&mut anonymous, Duration::from_millis(2500)).await,
        None
    );

    // a long token whose user is removed: the next re-check ends it
    let live =
        start_with(|settings| settings.graphql_session_recheck = Duration::from_secs(1)).await;
    let token = Gql::new(&live.base)
        .login("reader", "readerpass")
        .await
        .token
        .unwrap();
    let mut socket = connect(
        host(&live.base),
        json!({ "Authorization": format!("Bearer {token}") }),
    )
    .await;
    send(&mut socket, subscribe.clone()).await;
    assert_eq!(next(&mut socket, Duration::from_millis(1500)).await, None);
    let name = UserName::parse("reader").unwrap();
    assert!(live.store.inner.remove_user(&name).await.unwrap());
    let messages = until_complete(&mut socket, Duration::from_secs(3)).await;
    assert!(ended(&messages), "{messages:?}");
}

/// `address:port` of a base URL.
fn host(base: &str) -> &str {
    base.trim_start_matches("http://")
}

#[tokio::test]
async fn subscriptions_apply_negations_and_port_ranges() {
    let live = start(30).await;
    let mut socket = connect(host(&live.base), json!({})).await;
    let subscribe = |id: &str, filter: Value| json!({ "id": id, "type": "subscribe", "payload": { "query": SUBSCRIPTION, "variables": { "d": "COMMUNITY", "f": filter } } });
    let low = json!({ "sourcePortRange": { "to": 2000 } });
    send(&mut socket, subscribe("low", low.clone())).await;
    send(&mut socket, subscribe("notLow", json!({ "not": low }))).await;
    send(
        &mut socket,
        subscribe(
            "ssh",
            json!({ "targetPortRange": { "from": 22, "to": 23 }, "not": { "asn": 1 } }),
        ),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let http = reqwest::Client::new();
    for (port, time) in [(1111, "2024-07-01 00:19:00"), (4444, "2024-07-01 00:19:10")] {
        let status = http
            .post(format!("{}/ews-0.1/alert/postSimpleMessage", live.base))
            .body(message(
                COMMUNITY_USER,
                COMMUNITY_TOKEN,
                &alert("8.8.8.8", port, time),
            ))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200);
        let event = next(&mut socket, Duration::from_secs(5))
            .await
            .expect("an event");
        let expected = if port < 2000 { "low" } else { "notLow" };
        assert_eq!(event["id"], expected, "source port {port}: {event}");
        // Exactly one of the pair sees it; the port-445 alert is outside 22–23.
        assert_eq!(next(&mut socket, Duration::from_millis(500)).await, None);
    }
}
