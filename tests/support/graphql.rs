//! GraphQL test helpers: the legacy fixtures behind a real in-process server (frozen clock),
//! and a small client that posts to `/graphql`.

use super::in_process::{Server, compat_dir, read_alerts, read_documents, start, user};
use serde_json::{Value, json};

/// The fixtures' frozen clock.
pub const NOW: &str = "2024-07-01 00:20:00";

/// A server over `compat/fixtures/` with the golden suite's users: `reader` (all data),
/// `readonly` (may not submit), `communityonly` (community data only).
pub async fn fixture_server() -> Server {
    let dir = compat_dir().join("fixtures");
    start(
        NOW,
        read_alerts(&dir.join("alerts.jsonl")),
        read_documents(&dir.join("statistics.jsonl")),
        vec![
            user("reader", "readerpass", false, false),
            user("readonly", "readonlypass", true, false),
            user("communityonly", "communitypass", false, true),
        ],
    )
    .await
}

/// A GraphQL client, anonymous or with a token.
#[derive(Clone)]
pub struct Gql {
    pub base: String,
    pub client: reqwest::Client,
    pub token: Option<String>,
}

impl Gql {
    pub fn new(base: &str) -> Gql {
        Gql {
            base: base.to_owned(),
            client: reqwest::Client::new(),
            token: None,
        }
    }

    /// The same client sending `token`.
    pub fn with_token(&self, token: &str) -> Gql {
        Gql {
            token: Some(token.to_owned()),
            ..self.clone()
        }
    }

    /// The complete response body.
    pub async fn post(&self, query: &str, variables: Value) -> Value {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.base))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request");
        assert!(response.status().is_success(), "HTTP {}", response.status());
        response.json().await.expect("JSON body")
    }

    /// The `data` of a response that must have no errors.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let body = self.post(query, variables).await;
        assert!(
            body.get("errors").is_none(),
            "unexpected errors: {body:#}\nquery: {query}"
        );
        body["data"].clone()
    }

    /// A client logged in as `user`.
    pub async fn login(&self, user: &str, token: &str) -> Gql {
        let data = self
            .data(
                "mutation($u: String!, $t: String!) { login(username: $u, token: $t) { token expiresAt } }",
                json!({ "u": user, "t": token }),
            )
            .await;
        let token = data["login"]["token"].as_str().expect("a token");
        self.with_token(token)
    }
}

/// The `extensions.code` of every error of a response.
pub fn error_codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["extensions"]["code"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}
