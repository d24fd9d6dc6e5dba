//! The ingest route against a real server and store: happy paths, bad input, credentials,
//! idempotence and durability. Every test runs twice: over the embedded store (`…::embedded`)
//! and over Elasticsearch on the test node (`…::elasticsearch`, see `support/backend.rs`).

mod support;

use peba::domain::{TokenHash, User, UserName};
use sha2::{Digest, Sha512};
use support::backend::Backend;
use support::*;

const OK: &str = "<Result><StatusCode>OK</StatusCode><Text></Text></Result>";
const ROUTE: &str = "/ews-0.1/alert/postSimpleMessage";

/// Runs each named test over both stores: `<name>::embedded` and `<name>::elasticsearch`.
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn embedded() {
                super::$name(Backend::Embedded).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn elasticsearch() {
                let Some(backend) = Backend::elastic("ingest") else {
                    return;
                };
                super::$name(backend.clone()).await;
                backend.cleanup().await;
            }
        }
    )*};
}

on_both_stores!(
    community_alerts_are_stored_and_acknowledged,
    the_ok_answer_has_the_legacy_content_type,
    get_answers_like_peba,
    resubmission_does_not_duplicate,
    bad_bodies_are_refused_and_change_nothing,
    incomplete_alerts_are_skipped_without_failing_the_message,
    stored_users_submit_private_alerts_and_read_only_users_cannot,
    users_added_on_the_command_line_can_submit_at_once,
    acknowledged_alerts_survive_a_hard_kill,
    another_sender_cannot_replace_an_alert,
);

fn community(alerts: &str) -> String {
    message(COMMUNITY_USER, COMMUNITY_TOKEN, alerts)
}

async fn community_alerts_are_stored_and_acknowledged(backend: Backend) {
    let app = spawn_on(&backend, &[("clock", "2024-06-24 12:00:07")]).await;
    let (status, body) = app
        .submit(community(&alert("8.8.8.8", 50522, "2024-06-24 12:00:00")))
        .await;
    assert_eq!((status, body.as_str()), (200, OK));

    let stored = app.stored().await;
    assert_eq!(stored.len(), 1);
    let a = &stored[0];
    assert_eq!(
        a.id, "5810f151a2059bd3ec40d64302df67ab",
        "PEBA's document id"
    );
    assert!(a.client_domain);
    assert_eq!(a.peer_type, "Network(honeytrap)");
    assert_eq!(a.original_request_string, "Attack on port 445/tcp");
    assert_eq!(a.recieved_time.format_legacy(), "2024-06-24 12:00:07");
    assert_eq!(a.create_time.format_legacy(), "2024-06-24 12:00:00");
}

async fn the_ok_answer_has_the_legacy_content_type(backend: Backend) {
    let app = spawn_on(&backend, &[]).await;
    let response = app
        .post(
            ROUTE,
            community(&alert("8.8.8.8", 1, "2024-06-24 12:00:00")),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/xml; charset=utf-8"
    );
}

async fn get_answers_like_peba(backend: Backend) {
    let app = spawn_on(&backend, &[]).await;
    let response = app.get(ROUTE).await;
    assert_eq!(response.status(), 500);
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    assert_eq!(
        response.text().await.unwrap(),
        "POST is required for this action."
    );
}

async fn resubmission_does_not_duplicate(backend: Backend) {
    let app = spawn_on(&backend, &[]).await;
    let alerts: String = (0..20)
        .map(|i| alert(&format!("8.8.8.{i}"), 1000, "2024-06-24 12:00:00"))
        .collect();
    for _ in 0..3 {
        assert_eq!(app.submit(community(&alerts)).await, (200, OK.to_owned()));
    }
    assert_eq!(app.stored().await.len(), 20);
}

/// Hostile and broken bodies: each gets a clear non-OK `Result`, nothing is stored, and the
/// server keeps serving.
async fn bad_bodies_are_refused_and_change_nothing(backend: Backend) {
    let app = spawn_on(&backend, &[("max_body_bytes", "65536")]).await;
    let valid = alert("8.8.8.8", 1, "2024-06-24 12:00:00");
    let bomb = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]>{}",
        community(&valid.replace("8.8.8.8", "&lol2;"))
    );
    let external = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>{}",
        community(&valid.replace("tcp", "&xxe;"))
    );
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("empty", Vec::new(), 400),
        ("not xml", b"hello".to_vec(), 400),
        (
            "unclosed",
            community(&valid)
                .replace("</EWS-SimpleMessage>", "")
                .into_bytes(),
            400,
        ),
        (
            "mismatched",
            community(&valid)
                .replace("</Alert>", "</Alarm>")
                .into_bytes(),
            400,
        ),
        ("entity bomb", bomb.into_bytes(), 400),
        ("external entity", external.into_bytes(), 400),
        (
            "not utf-8",
            [community("").as_bytes(), &[0xff, 0xfe]].concat(),
            400,
        ),
        ("oversized", community(&valid.repeat(400)).into_bytes(), 413),
        (
            "no authentication",
            format!("<EWS-SimpleMessage>{valid}</EWS-SimpleMessage>").into_bytes(),
            403,
        ),
        (
            "wrong token",
            message(COMMUNITY_USER, "wrong", &valid).into_bytes(),
            403,
        ),
        (
            "unknown user",
            message("mallory", "secret", &valid).into_bytes(),
            403,
        ),
        (
            "empty token",
            message(COMMUNITY_USER, "", &valid).into_bytes(),
            403,
        ),
    ];
    for (name, body, expected) in cases {
        let (status, text) = app.submit(body).await;
        assert_eq!(status, expected, "{name}: {text}");
        assert!(
            text.contains("<StatusCode>") && !text.contains("<StatusCode>OK<"),
            "{name}: {text}"
        );
    }
    assert!(app.stored().await.is_empty());
    assert_eq!(
        app.submit(community(&valid)).await,
        (200, OK.to_owned()),
        "still serving"
    );
}

/// Alerts with invalid addresses or timestamps are skipped; their valid neighbours are stored.
async fn incomplete_alerts_are_skipped_without_failing_the_message(backend: Backend) {
    let app = spawn_on(&backend, &[]).await;
    let alerts = [
        alert("8.8.8.8", 1, "2024-06-24 12:00:00"),
        alert("not-an-ip", 2, "2024-06-24 12:00:00"),
        alert("2001:db8::1", 3, "2024-06-24 12:00:00"),
        alert("8.8.4.4", 4, "yesterday"),
        alert("8.8.4.4", 5, "2024-06-24 12:00:00")
            .replace("tz=\"+0000\"", "tz=\"UTC\"")
            .replace("honeytrap", "cowrie"),
        alert("8.8.4.4", 6, "2024-06-24 12:00:00")
            .replace("<Analyzer id=\"honeytrap-community-01\"/>", "<Analyzer/>"),
        alert("1.2.3.4", 7, "2024-06-24 12:00:00"),
    ]
    .concat();
    assert_eq!(app.submit(community(&alerts)).await, (200, OK.to_owned()));
    let mut sources: Vec<String> = app
        .stored()
        .await
        .iter()
        .map(|a| a.source_entry_ip.to_string())
        .collect();
    sources.sort();
    assert_eq!(sources, ["1.2.3.4", "8.8.8.8"]);
}

fn legacy_user(name: &str, token: &str, read_only: bool) -> User {
    User {
        name: UserName::parse(name).unwrap(),
        token: TokenHash::Sha512Hex(hex::encode(Sha512::digest(token.as_bytes()))),
        read_only,
        community_only: false,
        email: String::new(),
    }
}

async fn stored_users_submit_private_alerts_and_read_only_users_cannot(backend: Backend) {
    let app = spawn_on(&backend, &[]).await;
    {
        let store = app.store().await;
        store
            .add_user(&legacy_user("dtag-sensor", "s3cret", false))
            .await
            .unwrap();
        store
            .add_user(&legacy_user("reader", "r3ad", true))
            .await
            .unwrap();
    }
    let valid = alert("8.8.8.8", 1, "2024-06-24 12:00:00");
    assert_eq!(
        app.submit(message("dtag-sensor", "s3cret", &valid)).await,
        (200, OK.to_owned())
    );
    assert_eq!(
        app.submit(message("dtag-sensor", "wrong", &valid)).await.0,
        403
    );
    assert_eq!(
        app.submit(message(
            "reader",
            "r3ad",
            &alert("8.8.4.4", 1, "2024-06-24 12:00:00")
        ))
        .await
        .0,
        403
    );
    let stored = app.stored().await;
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].client_domain, "private domain");
}

/// `querySingleIP` of `ip` in the private domain, as `user`.
async fn private_single_ip(app: &TestApp, user: &str, token: &str, ip: &str) -> String {
    let response = app
        .post(
            &format!("/alert/querySingleIP?ip={ip}&ci=0"),
            message(user, token, ""),
        )
        .await;
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// The public community account re-sends a private alert (same id fields, other content): the
/// private alert stays as it was and the re-sent one is stored beside it; re-sending is
/// idempotent for both senders.
async fn another_sender_cannot_replace_an_alert(backend: Backend) {
    let app = spawn_on(&backend, &[("cache", "false")]).await;
    app.store()
        .await
        .add_user(&legacy_user("dtag-sensor", "s3cret", false))
        .await
        .unwrap();
    let created = "2024-06-24 12:00:00";
    let private = message("dtag-sensor", "s3cret", &alert("8.8.8.8", 1111, created));
    assert_eq!(app.submit(private.clone()).await, (200, OK.to_owned()));
    // `stored` first: it makes the write searchable (Elasticsearch acknowledges before that).
    let original = app.stored().await;
    assert_eq!(original.len(), 1);
    let private_answer = private_single_ip(&app, "dtag-sensor", "s3cret", "8.8.8.8").await;
    let id_element = format!("<Id>{}</Id>", original[0].id);
    assert!(private_answer.contains(&id_element), "{private_answer}");
    assert_eq!(original[0].client, "dtag-sensor");

    // Same createTime, addresses, request and sensor (so the same PEBA id), other source port.
    let hostile = community(&alert("8.8.8.8", 2222, created));
    for _ in 0..2 {
        assert_eq!(app.submit(hostile.clone()).await, (200, OK.to_owned()));
    }
    let stored = app.stored().await;
    assert_eq!(stored.len(), 2, "stored beside, once: {stored:?}");
    let kept = stored.iter().find(|a| a.id == original[0].id).unwrap();
    assert_eq!(kept, &original[0], "the private alert is unchanged");
    let beside = stored.iter().find(|a| a.id != original[0].id).unwrap();
    assert!(beside.client_domain);
    assert_eq!(beside.source_entry_port.as_deref(), Some("2222"));
    let mut expected = beside.clone();
    expected.id = original[0].id.clone();
    assert_eq!(beside.id, expected.id_beside(), "the documented derived id");
    assert_eq!(
        private_single_ip(&app, "dtag-sensor", "s3cret", "8.8.8.8").await,
        private_answer
    );

    // The owner re-sends with other content: its alert is replaced, nothing is added.
    let changed = message("dtag-sensor", "s3cret", &alert("8.8.8.8", 3333, created));
    assert_eq!(app.submit(changed).await, (200, OK.to_owned()));
    let stored = app.stored().await;
    assert_eq!(stored.len(), 2);
    let replaced = stored.iter().find(|a| a.id == original[0].id).unwrap();
    assert_eq!(replaced.source_entry_port.as_deref(), Some("3333"));
    assert!(!replaced.client_domain);
}

async fn users_added_on_the_command_line_can_submit_at_once(backend: Backend) {
    let app = spawn_on(&backend, &[]).await;
    let out = app.peba(&[
        "user",
        "add",
        "sensor-7",
        "--token",
        "t0ken",
        "--email",
        "ops@example.org",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = String::from_utf8(app.peba(&["user", "list"]).stdout).unwrap();
    assert!(
        list.contains("sensor-7") && list.contains("argon2id") && list.contains("ops@example.org"),
        "{list}"
    );
    let again = app.peba(&["user", "add", "sensor-7", "--token", "x"]);
    assert!(!again.status.success());

    let valid = alert("8.8.8.8", 1, "2024-06-24 12:00:00");
    assert_eq!(
        app.submit(message("sensor-7", "t0ken", &valid)).await,
        (200, OK.to_owned())
    );
    assert_eq!(
        app.submit(message("sensor-7", "other", &valid)).await.0,
        403
    );

    assert!(app.peba(&["user", "remove", "sensor-7"]).status.success());
    assert!(!app.peba(&["user", "remove", "sensor-7"]).status.success());
    let list = String::from_utf8(app.peba(&["user", "list"]).stdout).unwrap();
    assert!(!list.contains("sensor-7"), "{list}");
}

/// A distinct source address per number (PEBA's id does not include ports).
fn source_for(n: u16) -> String {
    format!("11.0.{}.{}", n / 256, n % 256)
}

/// Acknowledged alerts survive `kill -9` during concurrent ingest and a restart, each exactly
/// once, over several kill/restart rounds (`PEBA_CRASH_ROUNDS`, default 2, at most 8; each kill
/// comes once the round has some acknowledgements, 300 to 600 ms in).
async fn acknowledged_alerts_survive_a_hard_kill(backend: Backend) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};
    let rounds: u16 = std::env::var("PEBA_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2)
        .clamp(1, 8);
    let mut app = spawn_on(&backend, &[]).await;
    let mut acknowledged = Vec::new();
    for round in 0..rounds {
        let acks = Arc::new(AtomicUsize::new(0));
        let mut senders = Vec::new();
        for sender in 0..8u16 {
            let client = app.client.clone();
            let url = app.url(ROUTE);
            let acks = acks.clone();
            senders.push(tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                for batch in 0..40u16 {
                    let ports: Vec<u16> = (0..25)
                        .map(|i| round * 8_000 + sender * 1_000 + batch * 25 + i)
                        .collect();
                    let alerts: String = ports
                        .iter()
                        .map(|p| alert(&source_for(*p), *p, "2024-06-24 12:00:00"))
                        .collect();
                    let Ok(response) = client.post(&url).body(community(&alerts)).send().await
                    else {
                        break;
                    };
                    let status = response.status();
                    match response.text().await {
                        Ok(text) if status == 200 && text == OK => {
                            acknowledged.extend(ports);
                            acks.fetch_add(1, Ordering::Relaxed);
                        }
                        _ => break,
                    }
                }
                acknowledged
            }));
        }
        // Kill once some submissions were acknowledged (a write to Elasticsearch takes longer).
        tokio::time::sleep(Duration::from_millis(300 + (u64::from(round) * 137) % 300)).await;
        let waiting = Instant::now();
        while acks.load(Ordering::Relaxed) == 0 && waiting.elapsed() < Duration::from_secs(20) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        app.kill_hard();
        let before = acknowledged.len();
        for sender in senders {
            acknowledged.extend(sender.await.unwrap());
        }
        assert!(
            acknowledged.len() > before,
            "round {round}: some alerts were acknowledged before the kill"
        );
        app.restart();
    }
    let stored = app.stored().await;
    let mut stored_ports: Vec<u16> = stored
        .iter()
        .map(|a| a.source_entry_port.as_deref().unwrap().parse().unwrap())
        .collect();
    stored_ports.sort();
    let unique = stored_ports.len();
    stored_ports.dedup();
    assert_eq!(unique, stored_ports.len(), "no alert stored twice");
    for port in &acknowledged {
        assert!(
            stored_ports.binary_search(port).is_ok(),
            "acknowledged alert {port} lost"
        );
    }
    assert_eq!(
        app.submit(community(&alert("8.8.8.8", 1, "2024-06-24 12:00:00")))
            .await
            .0,
        200
    );
}
