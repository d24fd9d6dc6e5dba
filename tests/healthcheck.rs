//! `peba healthcheck` against a real server: healthy while it serves, a failure with one line
//! once it is gone or when it does not answer.

mod support;

use std::process::{Command, Output};

fn healthcheck(bind: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_peba"))
        .args(["healthcheck", "--set", &format!("bindhost={bind}")])
        .env_remove("PEBA_BINDHOST")
        .output()
        .expect("peba runs")
}

#[tokio::test]
async fn healthy_while_the_server_serves_and_failing_once_it_is_gone() {
    let mut app = support::spawn_app(&[]).await;
    let bind = app.addr.to_string();
    let output = healthcheck(&bind);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // a server listening on every address is probed over loopback
    let output = healthcheck(&format!("0.0.0.0:{}", app.addr.port()));
    assert!(output.status.success());

    app.kill_hard();
    let output = healthcheck(&bind);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with(&format!("peba: cannot reach http://{bind}/heartbeat")),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_server_that_does_not_answer_fails_within_the_bound() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let bind = silent.local_addr().unwrap().to_string();
    let started = std::time::Instant::now();
    let output = healthcheck(&bind);
    assert!(!output.status.success());
    assert!(started.elapsed() < peba::healthcheck::PROBE_TIMEOUT * 2);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no answer"), "{stderr}");
    drop(silent);
}
