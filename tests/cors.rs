//! Browser origins against a real `peba serve`: `/graphql` accepts `corsdomain` and every origin
//! of `graphql_cors_origins` (preflight and simple requests), refuses others, while the legacy
//! routes and `GET /` keep `corsdomain` alone.

mod support;

use reqwest::header::HeaderMap;
use reqwest::redirect::Policy;
use serde_json::json;
use support::*;

const LEGACY_ORIGIN: &str = "https://sicherheitstacho.eu";
const DASHBOARD: &str = "http://localhost:3000";
const SHARED_DASHBOARD: &str = "https://dash.example.org";
const REFUSED: &str = "https://elsewhere.example";

async fn server() -> TestApp {
    spawn_app(&[(
        "graphql_cors_origins",
        &format!("{DASHBOARD}, {SHARED_DASHBOARD}"),
    )])
    .await
}

fn allowed_origin(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("access-control-allow-origin")
        .map(|value| value.to_str().expect("ASCII"))
}

async fn preflight(app: &TestApp, path: &str, origin: &str) -> reqwest::Response {
    app.client
        .request(reqwest::Method::OPTIONS, app.url(path))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type",
        )
        .send()
        .await
        .expect("preflight")
}

async fn graphql_from(app: &TestApp, origin: &str) -> reqwest::Response {
    app.client
        .post(app.url("/graphql"))
        .header("Origin", origin)
        .json(&json!({"query": "{ alertStats { last24Hours } }"}))
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn every_configured_origin_may_call_graphql_and_others_are_refused() {
    let app = server().await;
    for origin in [LEGACY_ORIGIN, DASHBOARD, SHARED_DASHBOARD] {
        let answer = preflight(&app, "/graphql", origin).await;
        assert_eq!(answer.status(), 200, "{origin}");
        let headers = answer.headers();
        assert_eq!(allowed_origin(headers), Some(origin));
        assert_eq!(
            headers["access-control-allow-headers"],
            "Authorization, Content-Type"
        );
        assert!(
            headers["access-control-allow-methods"]
                .to_str()
                .unwrap()
                .contains("POST")
        );
        assert_eq!(headers["vary"], "Origin");

        let answer = graphql_from(&app, origin).await;
        assert_eq!(answer.status(), 200);
        assert_eq!(allowed_origin(answer.headers()), Some(origin));
        assert_eq!(answer.headers()["vary"], "Origin");
        let body: serde_json::Value = answer.json().await.unwrap();
        assert_eq!(body["data"]["alertStats"]["last24Hours"], 0, "{body}");
    }

    let answer = preflight(&app, "/graphql", REFUSED).await;
    assert!(allowed_origin(answer.headers()).is_none());
    assert!(
        answer
            .headers()
            .get("access-control-allow-headers")
            .is_none()
    );
    let answer = graphql_from(&app, REFUSED).await;
    assert_eq!(answer.status(), 200);
    assert!(allowed_origin(answer.headers()).is_none());
    assert_eq!(answer.headers()["vary"], "Origin");
}

#[tokio::test]
async fn legacy_routes_and_the_root_redirect_keep_corsdomain_alone() {
    let app = server().await;
    let legacy = "/alert/retrieveAlertsCount?time=10&out=json";
    for origin in [DASHBOARD, SHARED_DASHBOARD, REFUSED] {
        let answer = app
            .client
            .get(app.url(legacy))
            .header("Origin", origin)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        assert!(allowed_origin(answer.headers()).is_none(), "{origin}");
        let answer = preflight(&app, "/alert/retrieveAlertsCount", origin).await;
        assert!(allowed_origin(answer.headers()).is_none(), "{origin}");
    }
    let answer = app
        .client
        .get(app.url(legacy))
        .header("Origin", LEGACY_ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(allowed_origin(answer.headers()), Some(LEGACY_ORIGIN));

    let no_redirects = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let root = no_redirects.get(app.url("/")).send().await.unwrap();
    assert_eq!(root.status(), 302);
    assert_eq!(root.headers()["location"], LEGACY_ORIGIN);
}

#[tokio::test]
async fn a_malformed_origin_list_stops_startup_with_the_setting_named() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_peba"))
        .args(["config", "--set", "graphql_cors_origins=localhost:3000"])
        .output()
        .expect("peba runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("graphql_cors_origins"), "{stderr}");
}
