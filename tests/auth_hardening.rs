//! Credentials under attack, against a real `peba serve` on loopback: user changes made by
//! `peba user …` in another process take effect within seconds (ingest, private routes,
//! GraphQL tokens), failed checks back off per client address and per user name with 429
//! (concurrent checks of the same credentials spend one attempt),
//! unknown users cost as much as wrong tokens, Argon2id work is bounded, weak secrets are
//! refused, and failures are logged without the token.

mod support;

use serde_json::json;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::backend::Backend;
use support::graphql::{Gql, error_codes};
use support::in_process::credentials;
use support::{TestApp, alert, message, spawn_app, spawn_on};

const USER: &str = "sensor-7";
const TOKEN: &str = "a-long-sensor-token-1";

/// `peba user add NAME` on the app's store, the token arriving on standard input.
fn add_user_from_stdin(app: &TestApp, name: &str, token: &str, option: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_peba"))
        .args(["user", "add", name, option])
        .args((option == "--token").then_some("-"))
        .env("PEBA_DATA_DIR", app.data_path())
        .env_remove("PEBA_ELASTICSEARCH_HOST")
        .envs(app.backend.env())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("peba runs");
    let mut stdin = child.stdin.take().expect("stdin");
    writeln!(stdin, "{token}").expect("token written");
    drop(stdin);
    let output = child.wait_with_output().expect("peba ends");
    assert!(output.status.success(), "{output:?}");
}

fn run(app: &TestApp, args: &[&str]) {
    let output = app.peba(args);
    assert!(output.status.success(), "{args:?}: {output:?}");
}

async fn ingest(app: &TestApp, client: &reqwest::Client, user: &str, token: &str) -> u16 {
    client
        .post(app.url("/ews-0.1/alert/postSimpleMessage"))
        .header("Content-Type", "text/xml")
        .body(message(
            user,
            token,
            &alert("203.0.113.9", 22, "2024-07-01 00:10:00"),
        ))
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

async fn private_read(app: &TestApp, user: &str, token: &str) -> u16 {
    app.post("/alert/retrieveIPs", credentials(user, token))
        .await
        .status()
        .as_u16()
}

async fn viewer_codes(gql: &Gql) -> Vec<String> {
    error_codes(&gql.post("{ viewer { name } }", json!({})).await)
}

/// A client whose connections come from `source` (any 127.0.0.0/8 address is loopback).
fn client_from(source: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::from(source))
        .build()
        .expect("client")
}

#[tokio::test]
async fn a_removed_user_loses_ingest_private_routes_and_tokens_within_five_seconds() {
    removed_user_is_refused(spawn_app(&[]).await).await;
}

#[tokio::test]
async fn a_removed_user_loses_access_within_five_seconds_over_elasticsearch() {
    let Some(backend) = Backend::elastic("auth-removal") else {
        return;
    };
    removed_user_is_refused(spawn_on(&backend, &[]).await).await;
    backend.cleanup().await;
}

async fn removed_user_is_refused(app: TestApp) {
    add_user_from_stdin(&app, USER, TOKEN, "--token-stdin");
    let gql = Gql::new(&app.url("")).login(USER, TOKEN).await;
    assert_eq!(ingest(&app, &app.client, USER, TOKEN).await, 200);
    assert_eq!(private_read(&app, USER, TOKEN).await, 200);
    assert!(viewer_codes(&gql).await.is_empty());

    run(&app, &["user", "remove", USER]);
    let removed = Instant::now();
    let (mut ingest_refused, mut read_refused, mut token_refused) = (None, None, None);
    while removed.elapsed() < Duration::from_secs(8)
        && (ingest_refused.is_none() || read_refused.is_none() || token_refused.is_none())
    {
        if ingest_refused.is_none() && ingest(&app, &app.client, USER, TOKEN).await == 403 {
            ingest_refused = Some(removed.elapsed());
        }
        if read_refused.is_none() && private_read(&app, USER, TOKEN).await == 403 {
            read_refused = Some(removed.elapsed());
        }
        if token_refused.is_none() && viewer_codes(&gql).await == ["UNAUTHENTICATED"] {
            token_refused = Some(removed.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for (what, refused) in [
        ("ingest", ingest_refused),
        ("private route", read_refused),
        ("GraphQL token", token_refused),
    ] {
        let after = refused.unwrap_or_else(|| panic!("{what} still accepted after 8 s"));
        eprintln!("{what} refused {} ms after the removal", after.as_millis());
        assert!(after < Duration::from_secs(5), "{what}: {after:?}");
    }

    // Added again with another token: the old token and the old login token stay refused.
    add_user_from_stdin(&app, USER, "the-new-token-of-sensor-7", "--token");
    tokio::time::sleep(auth_recheck()).await;
    assert_eq!(
        ingest(&app, &app.client, USER, "the-new-token-of-sensor-7").await,
        200
    );
    assert_eq!(ingest(&app, &app.client, USER, TOKEN).await, 403);
    assert_eq!(viewer_codes(&gql).await, ["UNAUTHENTICATED"]);
}

fn auth_recheck() -> Duration {
    peba::auth::USER_RECHECK + Duration::from_millis(500)
}

#[tokio::test]
async fn user_add_reads_the_token_from_a_file_or_the_argument() {
    let app = spawn_app(&[]).await;
    let file = app.data_path().join("token.txt");
    std::fs::write(&file, "token-from-a-file\n").unwrap();
    run(
        &app,
        &[
            "user",
            "add",
            "filed",
            "--token-file",
            file.to_str().unwrap(),
        ],
    );
    run(
        &app,
        &["user", "add", "argued", "--token", "token-as-argument"],
    );
    // one source only, and one is required
    assert!(!app.peba(&["user", "add", "none"]).status.success());
    assert!(
        !app.peba(&["user", "add", "two", "--token", "x", "--token-stdin"])
            .status
            .success()
    );
    tokio::time::sleep(auth_recheck()).await;
    assert_eq!(
        ingest(&app, &app.client, "filed", "token-from-a-file").await,
        200
    );
    assert_eq!(
        ingest(&app, &app.client, "argued", "token-as-argument").await,
        200
    );
}

#[tokio::test]
async fn failed_checks_back_off_per_address_and_per_user_with_429() {
    let app = spawn_app(&[("auth_attempts_per_minute", "4")]).await;
    add_user_from_stdin(&app, USER, TOKEN, "--token-stdin");
    add_user_from_stdin(&app, "other", "the-other-token", "--token-stdin");
    tokio::time::sleep(auth_recheck()).await;
    // The real sender has verified its token before the attack.
    let sender = client_from([127, 0, 0, 3]);
    assert_eq!(ingest(&app, &sender, USER, TOKEN).await, 200);

    // An attacker on 127.0.0.1 guesses USER's token: 3 more refusals, then 429.
    let mut statuses = Vec::new();
    for guess in 0..6 {
        statuses.push(ingest(&app, &app.client, USER, &format!("guess-{guess}")).await);
    }
    assert_eq!(statuses, [403, 403, 403, 429, 429, 429]);
    let refused = app
        .post(
            "/ews-0.1/alert/postSimpleMessage",
            message(USER, "guess", ""),
        )
        .await;
    assert_eq!(refused.status(), 429);
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15).contains(&wait), "Retry-After {wait}");
    assert_eq!(
        refused.text().await.unwrap(),
        format!(
            "<Result><StatusCode>Too many attempts</StatusCode><Text>too many attempts: retry in {wait} s</Text></Result>"
        )
    );
    // the same address is refused for other users, on the private routes and at login
    assert_eq!(private_read(&app, "other", "the-other-token").await, 429);
    let login = Gql::new(&app.url(""))
        .post(
            "mutation { login(username: \"other\", token: \"x\") { token } }",
            json!({}),
        )
        .await;
    assert_eq!(error_codes(&login), ["RATE_LIMITED"]);
    assert!(
        login["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("retry in"),
        "{login}"
    );

    // From another address: USER is spent, "other" is not.
    let elsewhere = client_from([127, 0, 0, 2]);
    assert_eq!(ingest(&app, &elsewhere, USER, "guess-x").await, 429);
    assert_eq!(ingest(&app, &elsewhere, "other", "wrong").await, 403);
    assert_eq!(
        ingest(&app, &elsewhere, "other", "the-other-token").await,
        200
    );
    // The real sender keeps delivering: its verified token costs no attempt.
    assert_eq!(ingest(&app, &sender, USER, TOKEN).await, 200);
}

/// A fleet of sensors sharing one account behind one address, all sending at once after a
/// restart: one verification serves them all and spends one attempt, so none is refused.
#[tokio::test]
async fn concurrent_first_checks_of_the_same_credentials_spend_one_attempt() {
    let app = spawn_app(&[("auth_attempts_per_minute", "4")]).await;
    add_user_from_stdin(&app, USER, TOKEN, "--token-stdin");
    tokio::time::sleep(auth_recheck()).await;
    let app = std::sync::Arc::new(app);
    let mut senders = tokio::task::JoinSet::new();
    for _ in 0..32 {
        let app = app.clone();
        senders.spawn(async move { ingest(&app, &app.client, USER, TOKEN).await });
    }
    let statuses: Vec<u16> = senders.join_all().await;
    assert_eq!(statuses, [200; 32]);
    // One attempt of 4 was spent: three wrong guesses are refused as such, the fourth is not
    // even checked.
    let mut guesses = Vec::new();
    for guess in 0..4 {
        guesses.push(ingest(&app, &app.client, USER, &format!("guess-{guess}")).await);
    }
    assert_eq!(guesses, [403, 403, 403, 429]);
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::test]
async fn unknown_users_take_as_long_as_wrong_tokens() {
    let app = spawn_app(&[("auth_attempts_per_minute", "100000")]).await;
    add_user_from_stdin(&app, USER, TOKEN, "--token-stdin");
    tokio::time::sleep(auth_recheck()).await;
    let (mut unknown, mut wrong) = (Vec::new(), Vec::new());
    for round in 0..9 {
        let started = Instant::now();
        assert_eq!(
            ingest(&app, &app.client, &format!("nobody-{round}"), "guess").await,
            403
        );
        unknown.push(started.elapsed());
        let started = Instant::now();
        assert_eq!(ingest(&app, &app.client, USER, "guess").await, 403);
        wrong.push(started.elapsed());
    }
    let (unknown, wrong) = (median(unknown), median(wrong));
    eprintln!("median refusal: unknown user {unknown:?}, wrong token {wrong:?}");
    // Without the dummy verification the unknown user is refused 10-30 times faster.
    assert!(
        unknown * 3 > wrong && wrong * 3 > unknown,
        "unknown {unknown:?} vs wrong token {wrong:?}"
    );
}

fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

#[tokio::test]
async fn a_flood_of_wrong_tokens_keeps_argon2_memory_bounded() {
    let app = spawn_app(&[("auth_attempts_per_minute", "100000")]).await;
    add_user_from_stdin(&app, USER, TOKEN, "--token-stdin");
    tokio::time::sleep(auth_recheck()).await;
    let started = Instant::now();
    // Distinct guesses: concurrent checks of one guess share a verification.
    let guesses: Vec<String> = (0..60).map(|i| format!("guess-{i}")).collect();
    let answers = futures::future::join_all(
        guesses
            .iter()
            .map(|guess| ingest(&app, &app.client, USER, guess)),
    )
    .await;
    let took = started.elapsed();
    let busy = answers.iter().filter(|s| **s == 429).count();
    let peak = peak_rss_kib(app.pid()) / 1024;
    eprintln!(
        "60 concurrent wrong tokens (under the per-address connection limit): {busy} answered 429, {took:?}, peak RSS {peak} MiB"
    );
    assert!(
        answers.iter().all(|s| *s == 403 || *s == 429),
        "{answers:?}"
    );
    assert!(busy > 0, "waiting verifications are bounded");
    assert!(peak < 150, "peak RSS {peak} MiB");
    // Once the flood is over, the right token works at once.
    assert_eq!(ingest(&app, &app.client, USER, TOKEN).await, 200);
}

/// Starts `peba serve` with `settings`, stderr to a file; `Err(stderr)` when it exits.
fn serve_logged(
    dir: &std::path::Path,
    settings: &[&str],
    env: &[(&str, &str)],
) -> Result<(std::process::Child, SocketAddr), String> {
    let log = std::fs::File::create(dir.join("stderr.log")).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_peba"));
    command
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(dir.join("data"))
        .env_remove("PEBA_ELASTICSEARCH_HOST")
        .env_remove("PEBA_JWT_SECRET")
        .env("PEBA_LOG", "info")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(log);
    for setting in settings {
        command.arg("--set").arg(setting);
    }
    let mut child = command.spawn().expect("peba starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    match line.trim().strip_prefix(peba::cli::LISTENING) {
        Some(addr) => Ok((child, addr.parse().unwrap())),
        None => {
            child.wait().unwrap();
            Err(std::fs::read_to_string(dir.join("stderr.log")).unwrap())
        }
    }
}

fn without_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn empty_or_weak_jwt_secrets_are_refused_and_an_unset_one_warns() {
    let dir = tempfile::tempdir().unwrap();
    for (env, why) in [
        ("", "invalid setting jwt_secret (PEBA_JWT_SECRET): empty"),
        ("short-secret", "jwt_secret is weak: 12 bytes"),
        (
            "abababababababababababababababababab",
            "jwt_secret is weak: only 2 distinct",
        ),
    ] {
        let stderr = serve_logged(dir.path(), &[], &[("PEBA_JWT_SECRET", env)])
            .err()
            .unwrap_or_else(|| panic!("{env:?} accepted"));
        assert!(stderr.contains(why), "{env:?}: {stderr}");
    }
    let (mut child, _) = serve_logged(dir.path(), &[], &[]).expect("starts without a secret");
    child.kill().unwrap();
    child.wait().unwrap();
    let log = without_ansi(&std::fs::read_to_string(dir.path().join("stderr.log")).unwrap());
    assert_eq!(log.matches("random per-process secret").count(), 1, "{log}");
    assert!(log.contains("WARN"), "{log}");
}

#[tokio::test]
async fn authentication_failures_are_logged_with_user_and_address_never_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, addr) = serve_logged(dir.path(), &[], &[]).expect("starts");
    let base = format!("http://{addr}");
    let secret_guess = "Zq7-not-the-right-token";
    let client = reqwest::Client::new();
    let ingest = client
        .post(format!("{base}/ews-0.1/alert/postSimpleMessage"))
        .body(message("mallory", secret_guess, ""))
        .send()
        .await
        .unwrap();
    assert_eq!(ingest.status(), 403);
    let read = client
        .post(format!("{base}/alert/retrieveIPs"))
        .body(credentials("trudy", secret_guess))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 403);
    let login = Gql::new(&base)
        .post(
            "mutation($t: String!) { login(username: \"eve\", token: $t) { token } }",
            json!({ "t": secret_guess }),
        )
        .await;
    assert_eq!(error_codes(&login), ["UNAUTHENTICATED"]);
    let forged = Gql::new(&base)
        .with_token("eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl")
        .post("{ viewer { name } }", json!({}))
        .await;
    assert_eq!(error_codes(&forged), ["UNAUTHENTICATED"]);
    child.kill().unwrap();
    child.wait().unwrap();
    let mut log = String::new();
    std::fs::File::open(dir.path().join("stderr.log"))
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    let log = without_ansi(&log);
    for user in ["mallory", "trudy", "eve"] {
        let line = log
            .lines()
            .find(|l| l.contains("authentication failed") && l.contains(&format!("\"{user}\"")))
            .unwrap_or_else(|| panic!("no failure logged for {user}: {log}"));
        assert!(line.contains("client=127.0.0.1"), "{line}");
        assert!(line.contains("WARN"), "{line}");
    }
    assert!(!log.contains(secret_guess), "the token is logged: {log}");
    assert!(
        !log.contains("c2lnbmF0dXJl"),
        "the bearer token is logged: {log}"
    );
}

/// With the store down (a cluster nobody listens on), legacy reads answer their legacy error
/// forms (a private route: 403, as PEBA rejected on store errors) and each failure is logged
/// once, with its route.
#[tokio::test]
async fn store_outages_of_legacy_routes_are_logged_once_with_the_route() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let cluster = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let dir = tempfile::tempdir().unwrap();
    let host = format!("elasticsearch_host={cluster}");
    let (mut child, addr) =
        serve_logged(dir.path(), &[&host, "elastictimeout=1"], &[]).expect("starts");
    let base = format!("http://{addr}");
    let client = reqwest::Client::new();
    let count = client
        .get(format!(
            "{base}/alert/retrieveAlertsCount?time=day&out=json"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(count.status(), 200);
    assert_eq!(count.text().await.unwrap(), "{\"AlertCount\":false}\n");
    let tops = client
        .get(format!("{base}/alert/tops?type=urls"))
        .send()
        .await
        .unwrap();
    assert_eq!(tops.text().await.unwrap(), "Nope");
    let private = client
        .post(format!("{base}/alert/retrieveIPs"))
        .body(credentials("reader", "readerpass"))
        .send()
        .await
        .unwrap();
    assert_eq!(private.status(), 403);
    child.kill().unwrap();
    child.wait().unwrap();
    let log = without_ansi(&std::fs::read_to_string(dir.path().join("stderr.log")).unwrap());
    for route in [
        "/alert/retrieveAlertsCount",
        "/alert/tops",
        "/alert/retrieveIPs",
    ] {
        let lines: Vec<&str> = log
            .lines()
            .filter(|l| {
                l.contains("store read failed") && l.contains(&format!("route=\"{route}\""))
            })
            .collect();
        assert_eq!(lines.len(), 1, "{route}: {log}");
        assert!(
            lines[0].contains("ERROR") && lines[0].contains("store unavailable"),
            "{}",
            lines[0]
        );
    }
}
