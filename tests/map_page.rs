//! The live attack map at `/map`: the page and its bundle come from the binary under the
//! same-origin Content-Security-Policy (as the playground does), and every document of
//! `map/src/queries.graphql` (the reference for dashboard authors) runs against the real
//! schema on the legacy fixtures, handing source addresses to logged-in users only.
//! The page itself runs in headless Chromium: tests/browser/map.test.mjs.

mod support;

use peba::graphql::page_asset::CONTENT_SECURITY_POLICY;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use support::graphql::{error_codes, fixture_server};
use support::in_process::client;

fn map_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("map")
}

fn documents() -> String {
    std::fs::read_to_string(map_dir().join("src/queries.graphql")).unwrap()
}

async fn run(base: &str, token: Option<&str>, operation: &str, variables: Value) -> Value {
    let mut request = client().post(format!("{base}/graphql")).json(&json!({
        "query": documents(),
        "operationName": operation,
        "variables": variables,
    }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn panels(domain: &str, with_addresses: bool) -> Value {
    json!({
        "domain": domain,
        "window": { "received": { "lastMinutes": 1440 } },
        "since": "2024-06-30T00:20:00Z",
        "bucketSeconds": 3600,
        "withAddresses": with_addresses,
    })
}

#[tokio::test]
async fn map_and_playground_are_served_from_the_binary_under_a_same_origin_csp() {
    let server = fixture_server().await;
    let cases = [
        ("/map", "text/html; charset=utf-8", "index.html"),
        (
            "/map/map.js",
            "text/javascript; charset=utf-8",
            "dist/map.js",
        ),
        ("/map/map.css", "text/css; charset=utf-8", "dist/map.css"),
    ];
    for (path, content_type, file) in cases {
        let response = client()
            .get(format!("{}{path}", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers().clone();
        assert_eq!(headers["content-type"], content_type, "{path}");
        assert_eq!(headers["content-security-policy"], CONTENT_SECURITY_POLICY);
        assert_eq!(headers["x-content-type-options"], "nosniff");
        let expected = std::fs::read(map_dir().join(file)).unwrap();
        assert!(response.bytes().await.unwrap() == expected, "{path}");
    }
    for path in ["/playground", "/playground/page.css"] {
        let response = client()
            .get(format!("{}{path}", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            response.headers()["content-security-policy"],
            CONTENT_SECURITY_POLICY
        );
    }
    for page in ["map/index.html", "playground/index.html"] {
        let text =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(page)).unwrap();
        assert!(
            !text.contains("http://") && !text.contains("https://"),
            "{page}"
        );
        assert!(
            !text.contains("<style") && !text.contains("style="),
            "{page}: no inline style"
        );
        assert!(
            !text.contains("<script>") && !text.contains("onload="),
            "{page}: no inline script"
        );
    }
    for (directive, expected) in [
        ("default-src", "'none'"),
        ("script-src", "'self'"),
        ("style-src", "'self'"),
        ("connect-src", "'self'"),
        ("frame-ancestors", "'none'"),
    ] {
        assert!(
            CONTENT_SECURITY_POLICY.contains(&format!("{directive} {expected};"))
                || CONTENT_SECURITY_POLICY.ends_with(&format!("{directive} {expected}")),
            "{directive}"
        );
    }
}

#[tokio::test]
async fn the_map_documents_run_against_the_schema() {
    let server = fixture_server().await;

    let anonymous = run(&server.base, None, "MapPanels", panels("COMMUNITY", false)).await;
    assert!(anonymous.get("errors").is_none(), "{anonymous:#}");
    let data = &anonymous["data"];
    assert_eq!(data["alertStats"]["last24Hours"], 16);
    assert!(!data["sourceCountries"].as_array().unwrap().is_empty());
    assert!(!data["honeypotTypes"].as_array().unwrap().is_empty());
    assert!(!data["timeline"].as_array().unwrap().is_empty());
    assert_eq!(data["viewer"], Value::Null);
    let recent = data["recent"]["nodes"].as_array().unwrap();
    assert!(!recent.is_empty());
    for alert in recent {
        assert!(alert["source"].get("ip").is_none(), "no address asked for");
        assert!(alert["target"]["location"].is_object() || alert["target"]["location"].is_null());
    }

    // Asking for addresses without a token is refused, not answered.
    let refused = run(&server.base, None, "MapPanels", panels("COMMUNITY", true)).await;
    assert_eq!(
        error_codes(&refused),
        vec!["UNAUTHENTICATED"; error_codes(&refused).len()]
    );
    assert!(!error_codes(&refused).is_empty());

    let login = run(
        &server.base,
        None,
        "MapLogin",
        json!({ "username": "reader", "token": "readerpass" }),
    )
    .await;
    let token = login["data"]["login"]["token"]
        .as_str()
        .expect("a token")
        .to_owned();

    let private = run(
        &server.base,
        Some(&token),
        "MapPanels",
        panels("PRIVATE", true),
    )
    .await;
    assert!(private.get("errors").is_none(), "{private:#}");
    assert_eq!(private["data"]["viewer"]["name"], "reader");
    let nodes = private["data"]["recent"]["nodes"].as_array().unwrap();
    assert!(!nodes.is_empty());
    assert!(nodes.iter().all(|a| a["source"]["ip"].is_string()));
    assert_ne!(
        private["data"]["alertStats"], anonymous["data"]["alertStats"],
        "private data differs from community data"
    );
}
