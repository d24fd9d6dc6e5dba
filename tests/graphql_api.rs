//! The GraphQL API on the legacy fixtures (real server on loopback, real embedded store,
//! clock frozen at 2024-07-01 00:20:00 UTC): each query family, authentication both ways for
//! every protected field, the limits, the checked-in schema, the examples and the playground.

mod support;

use peba::domain::{Alert, Timestamp};
use serde_json::{Value, json};
use std::collections::HashSet;
use support::backend::Backend;
use support::graphql::{Gql, NOW, error_codes, fixture_server};
use support::in_process::{
    Server, client, compat_dir, read_alerts, read_documents, start_on, user,
};

fn fixtures() -> Vec<Alert> {
    read_alerts(&compat_dir().join("fixtures/alerts.jsonl"))
}

fn now() -> Timestamp {
    Timestamp::parse_legacy(NOW).unwrap()
}

fn ids(nodes: &Value) -> Vec<String> {
    nodes
        .as_array()
        .expect("a list")
        .iter()
        .map(|n| n["id"].as_str().expect("an id").to_owned())
        .collect()
}

#[test]
fn checked_in_schema_is_the_served_schema() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    let served = peba::graphql::sdl();
    if std::env::var_os("PEBA_BLESS").is_some() {
        std::fs::write(&path, &served).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap();
    assert!(
        checked_in == served,
        "schema.graphql differs from the served schema: run `peba schema > schema.graphql` (or PEBA_BLESS=1 cargo test --test graphql_api)"
    );
    let printed = std::process::Command::new(env!("CARGO_BIN_EXE_peba"))
        .arg("schema")
        .output()
        .unwrap();
    assert!(printed.status.success());
    assert_eq!(String::from_utf8(printed.stdout).unwrap(), checked_in);
    // The SDL is documented: every type and field of the root query has a description.
    assert!(served.contains("\"\"\"\nOne honeypot event"));
    assert!(served.contains("enum DataDomain"));
}

#[tokio::test]
async fn alert_listing_pages_newest_first_with_cursors() {
    let server = fixture_server().await;
    let gql = Gql::new(&server.base).login("reader", "readerpass").await;
    let mut expected: Vec<Alert> = fixtures().into_iter().filter(|a| a.client_domain).collect();
    expected.sort_by(|a, b| {
        b.recieved_time
            .cmp(&a.recieved_time)
            .then_with(|| b.id.cmp(&a.id))
    });
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let data = gql
            .data(
                "query($after: String) {
                   alerts(first: 7, after: $after) {
                     totalCount
                     edges { cursor node { id receivedAt } }
                     pageInfo { hasNextPage hasPreviousPage endCursor startCursor }
                   }
                 }",
                json!({ "after": after }),
            )
            .await;
        let connection = &data["alerts"];
        assert_eq!(connection["totalCount"], expected.len());
        assert_eq!(connection["pageInfo"]["hasPreviousPage"], pages > 0);
        let edges = connection["edges"].as_array().unwrap();
        seen.extend(
            edges
                .iter()
                .map(|e| e["node"]["id"].as_str().unwrap().to_owned()),
        );
        assert_eq!(
            connection["pageInfo"]["endCursor"],
            edges.last().map_or(Value::Null, |e| e["cursor"].clone())
        );
        pages += 1;
        if connection["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = connection["pageInfo"]["endCursor"]
            .as_str()
            .map(str::to_owned);
        assert!(pages < 10);
    }
    assert_eq!(pages, expected.len().div_ceil(7));
    let expected_ids: Vec<String> = expected.iter().map(|a| a.id.clone()).collect();
    assert_eq!(seen, expected_ids);

    // ordered by creation time
    let data = gql
        .data(
            "{ alerts(domain: ALL, first: 500, orderBy: CREATED) { nodes { id createdAt } } }",
            json!({}),
        )
        .await;
    let mut by_created = fixtures();
    by_created.sort_by(|a, b| {
        b.create_time
            .cmp(&a.create_time)
            .then_with(|| b.id.cmp(&a.id))
    });
    assert_eq!(
        ids(&data["alerts"]["nodes"]),
        by_created.iter().map(|a| a.id.clone()).collect::<Vec<_>>()
    );
    // a cursor of one order is refused by the other
    let cursor = gql
        .data("{ alerts(first: 1) { pageInfo { endCursor } } }", json!({}))
        .await["alerts"]["pageInfo"]["endCursor"]
        .clone();
    let body = gql
        .post(
            "query($c: String) { alerts(orderBy: CREATED, after: $c) { totalCount } }",
            json!({ "c": cursor }),
        )
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    let body = gql
        .post(
            "{ alerts(after: \"not-a-cursor\") { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
}

#[tokio::test]
async fn filters_select_what_the_fixtures_say() {
    let server = fixture_server().await;
    let reader = Gql::new(&server.base).login("reader", "readerpass").await;
    let all = fixtures();
    let now = now();
    let count = |pred: &dyn Fn(&Alert) -> bool| all.iter().filter(|a| pred(a)).count();
    let cases: Vec<(&str, usize)> = vec![
        (
            "{ honeypotType: \"Webpage\" }",
            count(&|a| a.peer_type == "Webpage"),
        ),
        (
            "{ targetPort: 445 }",
            count(&|a| a.target_entry_port.as_deref() == Some("445")),
        ),
        ("{ sourceCountry: \"TR\" }", count(&|a| a.country == "TR")),
        (
            "{ targetCountry: \"DE\" }",
            count(&|a| a.target_country == "DE"),
        ),
        (
            "{ sensor: \"tanner-community-01\" }",
            count(&|a| a.peer_ident == "tanner-community-01"),
        ),
        (
            "{ hostname: \"tpot-b\" }",
            count(&|a| a.hostname == "tpot-b"),
        ),
        (
            "{ sourceIp: \"87.150.0.0/16\" }",
            count(&|a| a.source_entry_ip.to_string().starts_with("87.150.")),
        ),
        (
            "{ sourceIp: \"8.8.8.8\" }",
            count(&|a| a.source_entry_ip.to_string() == "8.8.8.8"),
        ),
        (
            "{ received: { lastMinutes: 60 } }",
            count(&|a| a.recieved_time >= now.plus_seconds(-3600)),
        ),
        (
            "{ created: { from: \"2024-06-30\", to: \"2024-07-01T00:00:00Z\" } }",
            count(&|a| {
                a.create_time >= Timestamp::parse_legacy("2024-06-30 00:00:00").unwrap()
                    && a.create_time < Timestamp::parse_legacy("2024-07-01 00:00:00").unwrap()
            }),
        ),
        (
            "{ honeypotType: \"Passwords(heralding)\", sourceCountry: \"CN\" }",
            count(&|a| a.peer_type == "Passwords(heralding)" && a.country == "CN"),
        ),
    ];
    for (filter, expected) in cases {
        assert!(expected > 0, "{filter} selects fixtures");
        let query = format!(
            "{{ alertCount(domain: ALL, filter: {filter}) alerts(domain: ALL, filter: {filter}, first: 100) {{ totalCount nodes {{ id }} }} }}"
        );
        let data = reader.data(&query, json!({})).await;
        assert_eq!(data["alertCount"], expected, "{filter}");
        assert_eq!(data["alerts"]["totalCount"], expected, "{filter}");
        assert_eq!(
            data["alerts"]["nodes"].as_array().unwrap().len(),
            expected,
            "{filter}"
        );
    }
    // domains
    for (domain, expected) in [
        ("COMMUNITY", count(&|a| a.client_domain)),
        ("PRIVATE", count(&|a| !a.client_domain)),
        ("ALL", all.len()),
    ] {
        let data = reader
            .data(&format!("{{ alertCount(domain: {domain}) }}"), json!({}))
            .await;
        assert_eq!(data["alertCount"], expected, "{domain}");
    }
}

#[tokio::test]
async fn alerts_carry_their_domain_data() {
    let server = fixture_server().await;
    let reader = Gql::new(&server.base).login("reader", "readerpass").await;
    let data = reader
        .data(
            "{ alerts(filter: { sensor: \"cowrie-community-01\", sourceCountry: \"US\" }, first: 1) { nodes {
                 id domain createdAt receivedAt honeypotType protocol request displayRequest cve
                 sensor { id hostname externalIp internalIp alertsLast24Hours }
                 source { ip port country { code name } autonomousSystem location { latitude longitude } }
                 target { ip port country { code name } autonomousSystem location { latitude longitude } }
                 credentials { username password loginResult }
                 session { start end clientVersion }
                 additionalData rawHttp
             } } }",
            json!({}),
        )
        .await;
    let alert = &data["alerts"]["nodes"][0];
    let fixture = fixtures()
        .into_iter()
        .find(|a| a.id == alert["id"].as_str().unwrap())
        .unwrap();
    assert_eq!(alert["domain"], "COMMUNITY");
    assert_eq!(alert["honeypotType"], fixture.peer_type);
    assert_eq!(alert["request"], fixture.original_request_string);
    assert_eq!(alert["displayRequest"], "uname -a; cat /proc/cpuinfo");
    assert_eq!(alert["receivedAt"], "2024-07-01T00:19:00Z");
    assert_eq!(alert["source"]["ip"], "8.8.8.8");
    assert_eq!(
        alert["source"]["country"],
        json!({ "code": "US", "name": "United States" })
    );
    assert_eq!(
        alert["source"]["location"],
        json!({ "latitude": 37.751, "longitude": -97.822 })
    );
    assert_eq!(alert["target"]["port"], 22);
    assert_eq!(alert["credentials"]["password"], "admin");
    assert_eq!(alert["credentials"]["loginResult"], "Success");
    assert_eq!(alert["sensor"]["hostname"], "tpot-a");
    assert_eq!(alert["sensor"]["externalIp"], fixture.external_ip);
    // the sensor's alerts received in the 24 hours before now
    let since = now().plus_seconds(-86_400);
    let recent = fixtures()
        .iter()
        .filter(|a| {
            a.client_domain && a.peer_ident == fixture.peer_ident && a.recieved_time >= since
        })
        .count();
    assert_eq!(alert["sensor"]["alertsLast24Hours"], recent);
}

#[tokio::test]
async fn aggregations_answer_with_arguments() {
    let server = fixture_server().await;
    let gql = Gql::new(&server.base).login("reader", "readerpass").await;
    let data = gql
        .data(
            "{
               types: honeypotTypes(domain: ALL, first: 2) { honeypotType count }
               day: timeline(domain: ALL, intervalSeconds: 86400, field: CREATED, splitByType: 2,
                             filter: { created: { from: \"2024-06-29\" } }) {
                 start count byHoneypotType { honeypotType count }
               }
               hours: timeline(intervalSeconds: 3600, fill: WINDOW, filter: { received: { lastMinutes: 180 } }) { start count }
               urls: topUrls(domain: ALL, first: 1) { value count timeline(intervalSeconds: 86400) { start count } }
               ports: topPorts(domain: ALL) { value count }
               sources: topSourceCountries(first: 3) { code name count }
               points: topGeoPoints(direction: TARGET, first: 1) { latitude longitude location count }
               stats: honeypotStatistics(filter: { received: { from: \"2024-07-01\" } }) { totalAlerts totalHoneypots totalDaemons }
               health { storeUp ingestUp ingestBacklog heartbeat }
               viewer { name }
             }",
            json!({}),
        )
        .await;
    let all = fixtures();
    let heralding = all
        .iter()
        .filter(|a| a.peer_type == "Passwords(heralding)")
        .count();
    assert_eq!(
        data["types"][0],
        json!({ "honeypotType": "Passwords(heralding)", "count": heralding })
    );
    assert_eq!(data["types"].as_array().unwrap().len(), 2);
    let days = data["day"].as_array().unwrap();
    assert_eq!(days[0]["start"], "2024-06-29T00:00:00Z");
    for day in days {
        let split: u64 = day["byHoneypotType"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["count"].as_u64().unwrap())
            .sum();
        assert!(split <= day["count"].as_u64().unwrap());
        assert!(day["byHoneypotType"].as_array().unwrap().len() <= 2);
    }
    // WINDOW fill: every hour from 21:00 to 00:00 plus the future-dated alert's hour
    let hours: Vec<&str> = data["hours"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["start"].as_str().unwrap())
        .collect();
    assert_eq!(
        hours,
        [
            "2024-06-30T21:00:00Z",
            "2024-06-30T22:00:00Z",
            "2024-06-30T23:00:00Z",
            "2024-07-01T00:00:00Z",
            "2024-07-01T01:00:00Z",
            "2024-07-01T02:00:00Z"
        ]
    );
    assert_eq!(
        data["urls"][0]["count"].as_u64().unwrap(),
        data["urls"][0]["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["count"].as_u64().unwrap())
            .sum::<u64>()
    );
    assert_eq!(data["ports"][0]["value"], "22");
    assert_eq!(data["points"][0]["location"], "51.0585 , 8.7833");
    assert_eq!(data["points"][0]["latitude"], 51.0585);
    assert_eq!(data["health"]["heartbeat"], "me");
    assert_eq!(data["health"]["storeUp"], true);
    assert_eq!(data["viewer"]["name"], "reader");
    assert!(data["stats"]["totalHoneypots"].as_u64().unwrap() > 0);
}

/// Every protected field and argument, asked anonymously (refused with UNAUTHENTICATED, the
/// rest of the answer intact) and with a token (answered).
#[tokio::test]
async fn protected_fields_need_a_token_and_public_ones_do_not() {
    let server = fixture_server().await;
    let anonymous = Gql::new(&server.base);
    let reader = anonymous.login("reader", "readerpass").await;
    let protected = [
        (
            "source address",
            "{ alerts(first: 2) { totalCount nodes { id source { ip } } } }",
        ),
        (
            "target address",
            "{ alerts(first: 2) { totalCount nodes { id target { ip } } } }",
        ),
        (
            "sensor addresses",
            "{ alerts(first: 2) { totalCount nodes { id sensor { id externalIp internalIp } } } }",
        ),
        (
            "additional data",
            "{ alerts(first: 2) { totalCount nodes { id additionalData } } }",
        ),
        (
            "raw HTTP",
            "{ alerts(first: 2) { totalCount nodes { id rawHttp } } }",
        ),
        (
            "attackers",
            "{ alertCount attackers(domain: ALL) { ip count } }",
        ),
        (
            "IP report",
            "{ alertCount ipReport(ip: \"8.8.8.8\") { alertCount alerts { id } } }",
        ),
        (
            "source filter",
            "{ alertCount(filter: { sourceIp: \"8.8.8.0/24\" }) }",
        ),
        (
            "source filter of a listing",
            "{ alerts(filter: { sourceIp: \"8.8.8.8\" }) { totalCount } }",
        ),
    ];
    for (name, query) in protected {
        let body = anonymous.post(query, json!({})).await;
        let codes = error_codes(&body);
        assert!(
            !codes.is_empty(),
            "{name}: anonymous callers are refused: {body}"
        );
        assert!(
            codes.iter().all(|c| c == "UNAUTHENTICATED"),
            "{name}: {body}"
        );
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("needs a token"), "{name}: {message}");
        // the public part of the answer is still there
        if query.contains("totalCount nodes") {
            assert_eq!(body["data"]["alerts"]["totalCount"], 23, "{name}: {body}");
            assert_eq!(
                body["data"]["alerts"]["nodes"].as_array().unwrap().len(),
                2,
                "{name}"
            );
        }
        let body = reader.post(query, json!({})).await;
        assert!(
            body.get("errors").is_none(),
            "{name}: a token opens it: {body}"
        );
    }
    // anonymous callers get community data only, whatever domain they ask for: the same
    // as a community-only user, never more
    let query = "{ private: alertCount(domain: PRIVATE) all: alertCount(domain: ALL)
               alerts(domain: PRIVATE, first: 50) { nodes { id domain source { port country { code } } } } }";
    let data = anonymous.data(query, json!({})).await;
    assert_eq!(data["private"], 23);
    assert_eq!(data["all"], 23);
    let nodes = data["alerts"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 23);
    assert!(nodes.iter().all(|n| n["domain"] == "COMMUNITY"), "{data}");
    let community_only = anonymous.login("communityonly", "communitypass").await;
    assert_eq!(community_only.data(query, json!({})).await, data);
    // a full token sees the private alerts
    let data = reader.data(query, json!({})).await;
    assert_eq!(data["private"], 2);
    assert_eq!(data["all"], 25);
}

#[tokio::test]
async fn login_tokens_carry_the_users_permissions() {
    let server = fixture_server().await;
    let anonymous = Gql::new(&server.base);
    let viewer = "{ viewer { name communityOnly canSubmit } }";
    let reader = anonymous.login("reader", "readerpass").await;
    assert_eq!(
        reader.data(viewer, json!({})).await["viewer"],
        json!({ "name": "reader", "communityOnly": false, "canSubmit": true })
    );
    let read_only = anonymous.login("readonly", "readonlypass").await;
    assert_eq!(
        read_only.data(viewer, json!({})).await["viewer"],
        json!({ "name": "readonly", "communityOnly": false, "canSubmit": false })
    );
    // community-only users are narrowed to community data everywhere
    let community = anonymous.login("communityonly", "communitypass").await;
    let data = community
        .data(
            "{ viewer { communityOnly } all: alertCount(domain: ALL) private: alertCount(domain: PRIVATE)
               attackers(domain: PRIVATE, first: 1000, globalOnly: false) { ip }
               alerts(domain: ALL, first: 500) { nodes { domain } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["viewer"]["communityOnly"], true);
    assert_eq!(data["all"], 23);
    assert_eq!(data["private"], 23);
    let attackers: HashSet<&str> = data["attackers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["ip"].as_str().unwrap())
        .collect();
    assert!(
        attackers.contains("8.8.8.8") && !attackers.contains("45.1.2.3"),
        "{attackers:?}"
    );
    assert!(
        data["alerts"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["domain"] == "COMMUNITY")
    );

    // refused logins
    for (user, token) in [
        ("reader", "wrongpass"),
        ("nobody", "readerpass"),
        ("community-01-user", "foth{a5maiCee8fineu7"),
        ("", ""),
    ] {
        let body = anonymous
            .post(
                "mutation($u: String!, $t: String!) { login(username: $u, token: $t) { token } }",
                json!({ "u": user, "t": token }),
            )
            .await;
        assert_eq!(error_codes(&body), ["UNAUTHENTICATED"], "{user}");
        assert_eq!(body["data"], Value::Null);
    }

    // tokens that are not ours, broken, or sent the wrong way refuse the whole request
    let other_server = fixture_server().await;
    let foreign = Gql::new(&other_server.base)
        .login("reader", "readerpass")
        .await;
    let tampered = {
        let token = reader.token.clone().unwrap();
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        parts[1] = parts[1].chars().rev().collect();
        parts.join(".")
    };
    for token in [
        foreign.token.clone().unwrap(),
        tampered,
        "garbage".to_owned(),
    ] {
        let body = anonymous
            .with_token(&token)
            .post("{ alertCount }", json!({}))
            .await;
        assert_eq!(error_codes(&body), ["UNAUTHENTICATED"]);
        assert!(body.get("data").is_none_or(Value::is_null), "{body}");
    }
    let response = client()
        .post(format!("{}/graphql", server.base))
        .header("Authorization", "Basic cmVhZGVyOnJlYWRlcnBhc3M=")
        .json(&json!({ "query": "{ alertCount }" }))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_codes(&body), ["UNAUTHENTICATED"]);
}

#[tokio::test]
async fn limits_answer_with_clear_errors() {
    let server = fixture_server().await;
    let gql = Gql::new(&server.base);
    let bad_input = [
        "{ alerts(first: 501) { totalCount } }",
        "{ alerts(first: -1) { totalCount } }",
        "{ honeypotTypes(first: 1001) { count } }",
        "{ timeline(intervalSeconds: 10) { count } }",
        "{ timeline(intervalSeconds: 60, fill: WINDOW, fillFrom: \"2000-01-01\") { count } }",
        "{ timeline(intervalSeconds: 3600, fill: WINDOW) { count } }",
        "{ alertCount(filter: { received: { from: \"2024-07-01\", lastMinutes: 5 } }) }",
        "{ alertCount(filter: { targetPort: 70000 }) }",
    ];
    for query in bad_input {
        let body = gql.post(query, json!({})).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{query}: {body}");
    }
    let body = gql
        .post(
            "{ alertCount(filter: { received: { from: \"yesterday\" } }) }",
            json!({}),
        )
        .await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not a date-time"),
        "{body}"
    );

    // depth
    let deep = format!(
        "{{ __schema {{ types {{ fields {{ type {{ {} name {} }} }} }} }} }}",
        "ofType { ".repeat(14),
        "} ".repeat(14)
    );
    let body = gql.post(&deep, json!({})).await;
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "QUERY_TOO_COMPLEX", "{body}");
    assert_eq!(error["extensions"]["measure"], "depth", "{body}");
    assert_eq!(error["extensions"]["limit"], 16, "{body}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("nested 19 deep"),
        "{body}"
    );
    // complexity
    let node = "id createdAt receivedAt honeypotType request displayRequest protocol cve
                source { port country { code name } autonomousSystem location { latitude longitude } }
                target { port country { code name } autonomousSystem location { latitude longitude } }";
    let complex = format!(
        "{{ a: alerts(first: 500) {{ nodes {{ {node} }} }} b: alerts(first: 500) {{ nodes {{ {node} }} }} }}"
    );
    let body = gql.post(&complex, json!({})).await;
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "QUERY_TOO_COMPLEX", "{body}");
    assert_eq!(error["extensions"]["measure"], "complexity", "{body}");
    assert_eq!(error["extensions"]["limit"], 2000, "{body}");
    assert!(
        error["extensions"]["actual"].as_u64().unwrap() > 2000,
        "{body}"
    );
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("more than the limit of 2000"),
        "{body}"
    );
    // one page of the largest size is fine
    let body = gql
        .post(
            &format!("{{ alerts(first: 500) {{ nodes {{ {node} }} }} }}"),
            json!({}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    // the playground's introspection depth is fine
    let body = gql
        .post(
            &format!(
                "{{ __schema {{ types {{ fields {{ type {{ {} name {} }} }} }} }} }}",
                "ofType { ".repeat(8),
                "} ".repeat(8)
            ),
            json!({}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
}

#[tokio::test]
async fn get_runs_queries_but_not_mutations() {
    let server = fixture_server().await;
    let http = client();
    let response = http
        .get(format!("{}/graphql?query=%7BalertCount%7D", server.base))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["alertCount"], 23);
    let response = http
        .get(format!(
            "{}/graphql?query=mutation%7Blogin(username:%22reader%22,token:%22readerpass%22)%7Btoken%7D%7D",
            server.base
        ))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    // a browser asking for /graphql is sent to the playground
    let response = http
        .get(format!("{}/graphql", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/playground");
}

#[tokio::test]
async fn playground_is_served_from_the_binary() {
    let server = fixture_server().await;
    let http = client();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("playground");
    let cases = [
        (
            "/playground",
            "text/html; charset=utf-8",
            std::fs::read(dir.join("index.html")).unwrap(),
        ),
        (
            "/playground/playground.js",
            "text/javascript; charset=utf-8",
            std::fs::read(dir.join("dist/playground.js")).unwrap(),
        ),
        (
            "/playground/playground.css",
            "text/css; charset=utf-8",
            std::fs::read(dir.join("dist/playground.css")).unwrap(),
        ),
    ];
    for (path, content_type, expected) in cases {
        let response = http
            .get(format!("{}{path}", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["content-type"], content_type, "{path}");
        assert!(response.bytes().await.unwrap() == expected, "{path}");
    }
    let page = String::from_utf8(std::fs::read(dir.join("index.html")).unwrap()).unwrap();
    assert!(
        page.contains("/playground/playground.js") && page.contains("/playground/playground.css")
    );
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no external assets"
    );
    let examples: Value = http
        .get(format!("{}/playground/examples.json", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        examples,
        serde_json::to_value(peba::graphql::examples::examples()).unwrap()
    );
}

#[tokio::test]
async fn every_example_runs_without_errors() {
    let server = fixture_server().await;
    let anonymous = Gql::new(&server.base);
    let reader = anonymous.login("reader", "readerpass").await;
    let mut subscriptions = Vec::new();
    for example in peba::graphql::examples::examples() {
        if example.query.trim_start().starts_with("subscription") {
            subscriptions.push(example);
            continue;
        }
        let mut variables = example.variables.clone().unwrap_or(json!({}));
        if example.query.contains("login(") {
            variables = json!({ "username": "reader", "token": "readerpass" });
        }
        let client = if example.needs_token {
            &reader
        } else {
            &anonymous
        };
        let data = client.data(example.query, variables).await;
        assert!(data.is_object(), "{}", example.title);
        // anonymous callers are told exactly what needs a token
        if example.needs_token {
            let body = anonymous
                .post(
                    example.query,
                    example.variables.clone().unwrap_or(json!({})),
                )
                .await;
            assert!(
                error_codes(&body).iter().all(|c| c == "UNAUTHENTICATED"),
                "{}",
                example.title
            );
        }
    }
    // subscriptions: accepted by the schema (a rejected one answers at once with errors)
    assert!(!subscriptions.is_empty());
    let dir = tempfile::tempdir().unwrap();
    let settings = peba::config::Settings {
        data_dir: dir.path().to_owned(),
        ..Default::default()
    };
    let state = peba::app::AppState::build(settings).await.unwrap();
    let schema = peba::graphql::schema(state.clone());
    for example in subscriptions {
        use futures::StreamExt;
        let request = async_graphql::Request::new(example.query)
            .data(peba::graphql::auth::Principal::Anonymous)
            .data(
                peba::graphql::subscriptions::SubscriptionLimits::new(&state.settings)
                    .connection(None),
            )
            .data(peba::graphql::loaders::for_request(&state));
        let mut stream = schema.execute_stream(request);
        let first =
            tokio::time::timeout(std::time::Duration::from_millis(300), stream.next()).await;
        assert!(
            first.is_err(),
            "{}: answered {:?}",
            example.title,
            first.ok().flatten().map(|r| r.errors)
        );
    }
}

/// Dashboards on the configured origin may call the GraphQL endpoint from a browser.
#[tokio::test]
async fn the_configured_origin_may_call_graphql_from_a_browser() {
    let server = fixture_server().await;
    let url = format!("{}/graphql", server.base);
    let preflight = client()
        .request(reqwest::Method::OPTIONS, &url)
        .header("Origin", "https://sicherheitstacho.eu")
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "content-type, authorization",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 200);
    let headers = preflight.headers();
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://sicherheitstacho.eu"
    );
    // a fixed allow-list, not an echo of the request
    assert_eq!(
        headers["access-control-allow-headers"],
        "Authorization, Content-Type"
    );
    assert_eq!(headers["vary"], "Origin");
    let foreign = client()
        .post(&url)
        .header("Origin", "https://elsewhere.example")
        .json(&json!({"query": "{ alertStats { lastMinute } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 200);
    assert!(
        foreign
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

/// Honeypot type, username, password, request, source AS, CVE.
type RankingRow = (
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
    &'static str,
    &'static str,
);

/// Alerts for the analyst rankings: copies of a fixture alert with chosen credentials,
/// requests, source AS and CVE (`domain` community unless `private`).
fn ranking_alerts() -> Vec<Alert> {
    let base = fixtures()[0].clone();
    let rows: [RankingRow; 9] = [
        (
            "SSH/console(cowrie)",
            Some("root"),
            Some("admin"),
            "wget http://x",
            "AS3320 Telekom",
            "",
        ),
        (
            "SSH/console(cowrie)",
            Some("root"),
            Some("admin"),
            "wget http://x",
            "AS3320 Telekom",
            "",
        ),
        (
            "SSH/console(cowrie)",
            Some("root"),
            Some(""),
            "uname -a",
            "AS4134 Chinanet",
            "",
        ),
        ("SSH/console(cowrie)", Some("root"), None, "", "-", ""),
        (
            "SSH/console(cowrie)",
            Some("admin"),
            Some("admin"),
            "",
            "IANA",
            "",
        ),
        (
            "SSH/console(cowrie)",
            Some(""),
            Some("x"),
            "uname -a",
            "AS4134 Chinanet",
            "",
        ),
        (
            "Webpage",
            None,
            None,
            "/index.php",
            "AS4134 Chinanet",
            "CVE-2021-44228",
        ),
        (
            "Webpage",
            None,
            None,
            "/index.php",
            "AS4134 Chinanet",
            "CVE-2021-44228",
        ),
        ("Webpage", None, None, "/x", "AS64512", "CVE-2017-0144"),
    ];
    rows.iter()
        .enumerate()
        .map(|(i, (ty, user, pass, request, asn, cve))| {
            let mut a = base.clone();
            a.id = format!("rank-{i}");
            a.client_domain = true;
            a.peer_type = (*ty).to_owned();
            a.username = user.map(str::to_owned);
            a.password = pass.map(str::to_owned);
            a.original_request_string = (*request).to_owned();
            a.source_entry_as = (*asn).to_owned();
            a.vulnid = (*cve).to_owned();
            a
        })
        .collect()
}

#[tokio::test]
async fn rankings_count_credentials_commands_asns_and_cves() {
    let server = support::in_process::start(NOW, ranking_alerts(), Vec::new(), Vec::new()).await;
    let gql = Gql::new(&server.base);
    let data = gql
        .data(
            "{
               credentials: topCredentials(first: 3) { username password count }
               usernames: topUsernames { value count timeline(intervalSeconds: 86400) { count } }
               passwords: topPasswords(first: 1) { value count }
               webUsers: topUsernames(filter: { honeypotType: \"Webpage\" }) { value }
               commands: topCommands { value count }
               webCommands: topCommands(filter: { honeypotType: \"Webpage\" }) { value count }
               asns: topAsns { asn name value count }
               cves: topCves { value count }
             }",
            json!({}),
        )
        .await;
    // count descending, then username, then password (none first)
    assert_eq!(
        data["credentials"],
        json!([
            { "username": "root", "password": null, "count": 2 },
            { "username": "root", "password": "admin", "count": 2 },
            { "username": "admin", "password": "admin", "count": 1 },
        ])
    );
    assert_eq!(data["usernames"][0]["value"], "root");
    assert_eq!(data["usernames"][0]["count"], 4);
    assert_eq!(data["usernames"][0]["timeline"][0]["count"], 4);
    assert_eq!(data["usernames"][1]["value"], "admin");
    assert_eq!(
        data["usernames"].as_array().unwrap().len(),
        2,
        "empty name left out"
    );
    assert_eq!(data["passwords"], json!([{ "value": "admin", "count": 3 }]));
    assert_eq!(data["webUsers"], json!([]));
    assert_eq!(
        data["commands"],
        json!([{ "value": "uname -a", "count": 2 }, { "value": "wget http://x", "count": 2 }])
    );
    assert_eq!(
        data["webCommands"],
        json!([{ "value": "/index.php", "count": 2 }, { "value": "/x", "count": 1 }])
    );
    assert_eq!(
        data["asns"],
        json!([
            { "asn": 4134, "name": "Chinanet", "value": "AS4134 Chinanet", "count": 4 },
            { "asn": 3320, "name": "Telekom", "value": "AS3320 Telekom", "count": 2 },
            { "asn": 64512, "name": null, "value": "AS64512", "count": 1 },
        ])
    );
    assert_eq!(
        data["cves"],
        json!([
            { "value": "CVE-2021-44228", "count": 2 },
            { "value": "CVE-2017-0144", "count": 1 },
        ])
    );
}

#[tokio::test]
async fn filters_accept_module_names_lists_any_case_and_credentials() {
    let mut alerts = ranking_alerts();
    for a in &mut alerts {
        a.country = "US".into();
    }
    alerts[0].country = "DE".into();
    alerts[1].country = "CN".into();
    alerts[2].country = "CN".into();
    let server = support::in_process::start(NOW, alerts.clone(), Vec::new(), Vec::new()).await;
    let gql = Gql::new(&server.base);
    let data = gql
        .data(
            "{
               label: alertCount(filter: { honeypotType: \"SSH/console(cowrie)\" })
               module: alertCount(filter: { honeypotType: \"cowrie\" })
               moduleCase: alertCount(filter: { honeypotType: \"Kippo\" })
               web: alertCount(filter: { honeypotType: \"glastopf\" })
               both: alertCount(filter: { honeypotTypes: [\"cowrie\", \"Webpage\"] })
               unknown: alertCount(filter: { honeypotType: \"nothing\" })
               lower: alertCount(filter: { sourceCountry: \"cn\" })
               list: alertCount(filter: { sourceCountries: [\"de\", \"Cn\"] })
               none: alertCount(filter: { sourceCountries: [] })
               user: alertCount(filter: { username: \"root\", password: \"admin\" })
               cve: alertCount(filter: { cve: \"CVE-2021-44228\" })
               catalog: honeypotTypeCatalog { label category modules }
             }",
            json!({}),
        )
        .await;
    let count = |f: &dyn Fn(&Alert) -> bool| alerts.iter().filter(|a| f(a)).count();
    let cowrie = count(&|a| a.peer_type == "SSH/console(cowrie)");
    assert_eq!(cowrie, 6);
    assert_eq!(data["label"], cowrie);
    assert_eq!(data["module"], cowrie);
    assert_eq!(data["moduleCase"], cowrie);
    assert_eq!(data["web"], count(&|a| a.peer_type == "Webpage"));
    assert_eq!(data["both"], alerts.len());
    assert_eq!(data["unknown"], 0);
    assert_eq!(data["lower"], 2);
    assert_eq!(data["list"], 3);
    assert_eq!(data["none"], 0);
    assert_eq!(data["user"], 2);
    assert_eq!(data["cve"], 2);
    let catalog = data["catalog"].as_array().unwrap();
    assert!(catalog.contains(&json!({
        "label": "SSH/console(cowrie)",
        "category": "SSH/console",
        "modules": ["kippo", "cowrie"],
    })));
    assert!(catalog.iter().any(|k| k["label"] == "Unclassified"));
    assert!(catalog.iter().any(|k| k["label"] == "Webpage(wordpot)"));
}

#[tokio::test]
async fn filters_negate_and_select_as_numbers_and_port_ranges() {
    let mut alerts = ranking_alerts();
    let as_texts = ["AS4134 Chinanet", "AS41340 Other", "AS7", "-", "IANA"];
    let target_ports = [
        Some("22"),
        Some("23"),
        Some("022"),
        Some("ssh"),
        Some("123456"),
        None,
    ];
    for (i, a) in alerts.iter_mut().enumerate() {
        a.client_domain = true;
        a.source_entry_as = as_texts[i % as_texts.len()].into();
        a.target_entry_port = target_ports[i % target_ports.len()].map(str::to_owned);
        a.source_entry_port = Some((1000 + 500 * i).to_string());
    }
    let server = support::in_process::start(NOW, alerts.clone(), Vec::new(), Vec::new()).await;
    let gql = Gql::new(&server.base);
    let data = gql
        .data(
            "{
               notCowrie: alertCount(filter: { not: { honeypotType: \"cowrie\" } })
               notRoot: alertCount(filter: { not: { username: \"root\" } })
               twice: alertCount(filter: { not: { not: { honeypotType: \"cowrie\" } } })
               ssh: alertCount(filter: { targetPortRange: { from: 22, to: 23 } })
               sshCn: alertCount(filter: { targetPortRange: { from: 22, to: 23 }, asn: 4134 })
               sshNotCn: alertCount(filter: {
                 targetPortRange: { from: 22, to: 23 }, not: { asn: 4134 } })
               recent: alertCount(filter: { not: { received: { lastMinutes: 60 } } })
               asn: alertCount(filter: { asn: 4134 })
               asns: alertCount(filter: { asns: [7, 4134] })
               asnAndAsns: alertCount(filter: { asn: 7, asns: [4134] })
               noAsns: alertCount(filter: { asns: [] })
               anyPort: alertCount(filter: { targetPortRange: {} })
               low: alertCount(filter: { sourcePortRange: { to: 2500 } })
               deepest: alertCount(filter: { not: { not: { not: { not: { asn: 7 } } } } })
             }",
            json!({}),
        )
        .await;
    let count = |f: &dyn Fn(&Alert) -> bool| alerts.iter().filter(|a| f(a)).count();
    let cowrie = |a: &Alert| a.peer_type == "SSH/console(cowrie)";
    let ssh = |a: &Alert| matches!(a.target_entry_port.as_deref(), Some("22" | "23" | "022"));
    let cn = |a: &Alert| a.source_entry_as == "AS4134 Chinanet";
    let expected = [
        ("notCowrie", count(&|a| !cowrie(a))),
        ("notRoot", count(&|a| a.username.as_deref() != Some("root"))),
        ("twice", count(&cowrie)),
        ("ssh", count(&ssh)),
        ("sshCn", count(&|a| ssh(a) && cn(a))),
        ("sshNotCn", count(&|a| ssh(a) && !cn(a))),
        (
            "recent",
            count(&|a| a.recieved_time < now().plus_seconds(-3600)),
        ),
        ("asn", count(&cn)),
        ("asns", count(&|a| cn(a) || a.source_entry_as == "AS7")),
        ("asnAndAsns", 0),
        ("noAsns", 0),
        (
            "anyPort",
            count(&|a| {
                a.target_entry_port
                    .as_deref()
                    .is_some_and(|p| p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
            }),
        ),
        (
            "low",
            count(&|a| {
                a.source_entry_port
                    .as_deref()
                    .and_then(|p| p.parse::<u32>().ok())
                    .is_some_and(|p| p <= 2500)
            }),
        ),
        ("deepest", count(&|a| a.source_entry_as == "AS7")),
    ];
    for (name, n) in expected {
        assert_eq!(data[name], n, "{name}: {data}");
    }
    // The cases are not trivial: each side of the split holds alerts, and missing
    // usernames and non-numeric ports exist.
    assert!(count(&|a| ssh(a) && cn(a)) > 0 && count(&|a| ssh(a) && !cn(a)) > 0);
    assert!(count(&|a| a.username.is_none()) > 0);
    assert!(data["anyPort"].as_u64() < Some(alerts.len() as u64));

    // Invalid ranges, AS numbers, too deep a negation and an anonymous address filter
    // inside a negation are refused with a code.
    for (filter, code) in [
        (
            "{ targetPortRange: { from: 30, to: 20 } }",
            "BAD_USER_INPUT",
        ),
        ("{ targetPortRange: { from: -1 } }", "BAD_USER_INPUT"),
        ("{ sourcePortRange: { to: 65536 } }", "BAD_USER_INPUT"),
        ("{ asn: -1 }", "BAD_USER_INPUT"),
        ("{ asns: [1, 4294967296] }", "BAD_USER_INPUT"),
        (
            "{ not: { not: { not: { not: { not: { asn: 7 } } } } } }",
            "BAD_USER_INPUT",
        ),
        ("{ not: { sourceIp: \"8.8.8.8\" } }", "UNAUTHENTICATED"),
    ] {
        let body = gql
            .post(&format!("{{ alertCount(filter: {filter}) }}"), json!({}))
            .await;
        assert_eq!(error_codes(&body), [code], "{filter}: {body}");
        assert!(body["data"].is_null(), "{filter}: {body}");
    }
    let body = gql
        .post(
            "{ alertCount(filter: { not: { not: { not: { not: { not: { asn: 7 } } } } } }) }",
            json!({}),
        )
        .await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("`not` is nested more than 4 deep")),
        "{body}"
    );
}

#[tokio::test]
async fn text_finds_requests_and_credentials_in_any_ascii_case() {
    let alerts = ranking_alerts();
    let server = support::in_process::start(NOW, alerts.clone(), Vec::new(), Vec::new()).await;
    let gql = Gql::new(&server.base);
    let data = gql
        .data(
            "{
               wget: alertCount(filter: { text: \"WGET\" })
               oot: alertCount(filter: { text: \"oot\" })
               admin: alertCount(filter: { text: \"Admin\" })
               notUname: alertCount(filter: { not: { text: \"uname\" } })
               webIndex: alerts(first: 35, filter: { honeypotType: \"Webpage\", text: \"index.PHP\" }) {
                 totalCount nodes { id } }
               pattern: alertCount(filter: { text: \"w*t\" })
               syntax: alertCount(filter: { text: \"\\\" OR \\\"\" })
             }",
            json!({}),
        )
        .await;
    let has = |a: &Alert, text: &str| {
        [
            Some(a.original_request_string.as_str()),
            a.username.as_deref(),
            a.password.as_deref(),
        ]
        .into_iter()
        .flatten()
        .any(|v| v.to_lowercase().contains(text))
    };
    let count = |f: &dyn Fn(&Alert) -> bool| alerts.iter().filter(|a| f(a)).count();
    for (name, n) in [
        ("wget", count(&|a| has(a, "wget"))),
        ("oot", count(&|a| has(a, "oot"))),
        ("admin", count(&|a| has(a, "admin"))),
        ("notUname", count(&|a| !has(a, "uname"))),
        ("pattern", 0),
        ("syntax", 0),
    ] {
        assert_eq!(data[name], n, "{name}: {data}");
    }
    assert!(data["wget"].as_u64() > Some(0) && data["admin"].as_u64() > data["wget"].as_u64());
    let listed: Vec<String> = ids(&data["webIndex"]["nodes"]);
    let expected: Vec<&Alert> = alerts
        .iter()
        .filter(|a| a.peer_type == "Webpage" && has(a, "index.php"))
        .collect();
    assert_eq!(data["webIndex"]["totalCount"], expected.len());
    assert_eq!(listed.len(), expected.len());
    assert!(expected.iter().all(|a| listed.contains(&a.id)));

    // A NUL character is refused, and so is too short or too long a text, also inside `not`.
    let body = gql
        .post(
            "query($t: String) { alertCount(filter: { text: $t }) }",
            json!({ "t": "php\u{0}" }),
        )
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
    let long = "x".repeat(201);
    for filter in [
        "{ text: \"wg\" }".to_owned(),
        "{ not: { text: \"\" } }".to_owned(),
        format!("{{ text: \"{long}\" }}"),
    ] {
        let body = gql
            .post(&format!("{{ alertCount(filter: {filter}) }}"), json!({}))
            .await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{filter}: {body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains("3 to 200 characters")),
            "{body}"
        );
    }
}

#[tokio::test]
async fn deeply_nested_negations_are_refused_without_harm() {
    let server = fixture_server().await;
    let gql = Gql::new(&server.base);
    // In the document and in variables: refused with a code, the server keeps answering.
    let depth = 2000;
    let document = format!(
        "{{ alertCount(filter: {}{}) }}",
        "{ not: ".repeat(depth),
        "{} }".repeat(depth)
    );
    let body = gql.post(&document, json!({})).await;
    assert!(!error_codes(&body).is_empty(), "{body}");
    assert!(
        body["data"].is_null() || body.get("data").is_none(),
        "{body}"
    );
    let mut filter = json!({});
    for _ in 0..100 {
        filter = json!({ "not": filter });
    }
    let body = gql
        .post(
            "query($f: AlertFilter) { alertCount(filter: $f) }",
            json!({ "f": filter }),
        )
        .await;
    assert!(!error_codes(&body).is_empty(), "{body}");
    let data = gql.data("{ alertCount }", json!({})).await;
    assert!(data["alertCount"].as_u64() > Some(0));
}

#[tokio::test]
async fn an_alert_by_id_is_null_unless_the_caller_may_see_it() {
    let server = fixture_server().await;
    let anonymous = Gql::new(&server.base);
    let reader = anonymous.login("reader", "readerpass").await;
    let community_only = anonymous.login("communityonly", "communitypass").await;
    let public = fixtures().into_iter().find(|a| a.client_domain).unwrap();
    let private = fixtures().into_iter().find(|a| !a.client_domain).unwrap();
    let query = "query($id: ID!) { alert(id: $id) { id domain honeypotType createdAt } }";
    let ask = |gql: &Gql, id: &str| {
        let gql = gql.clone();
        let id = id.to_owned();
        async move { gql.data(query, json!({ "id": id })).await["alert"].clone() }
    };
    let shown = ask(&anonymous, &public.id).await;
    assert_eq!(shown["id"], public.id.as_str());
    assert_eq!(shown["domain"], "COMMUNITY");
    assert_eq!(shown["honeypotType"], public.peer_type.as_str());
    // a private alert: only for users that may read private data
    assert_eq!(ask(&anonymous, &private.id).await, Value::Null);
    assert_eq!(ask(&community_only, &private.id).await, Value::Null);
    let shown = ask(&reader, &private.id).await;
    assert_eq!(shown["id"], private.id.as_str());
    assert_eq!(shown["domain"], "PRIVATE");
    // absent ids
    assert_eq!(ask(&reader, "no-such-alert").await, Value::Null);
    assert_eq!(ask(&reader, "").await, Value::Null);
}

#[tokio::test]
async fn alert_listing_pages_backward_to_the_same_alerts() {
    let server = fixture_server().await;
    let gql = Gql::new(&server.base).login("reader", "readerpass").await;
    let page = "query($first: Int, $after: String, $last: Int, $before: String) {
        alerts(domain: ALL, orderBy: CREATED, first: $first, after: $after, last: $last, before: $before) {
          nodes { id }
          pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        }
      }";
    // forward, 4 at a time
    let mut forward = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = gql.data(page, json!({ "first": 4, "after": after })).await;
        forward.extend(ids(&data["alerts"]["nodes"]));
        if data["alerts"]["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = data["alerts"]["pageInfo"]["endCursor"].clone();
    }
    let mut expected = fixtures();
    expected.sort_by(|a, b| {
        b.create_time
            .cmp(&a.create_time)
            .then_with(|| b.id.cmp(&a.id))
    });
    let expected: Vec<String> = expected.into_iter().map(|a| a.id).collect();
    assert_eq!(forward, expected);
    // backward, 3 at a time, from the oldest alerts
    let mut backward: Vec<Vec<String>> = Vec::new();
    let mut before = Value::Null;
    let mut pages = 0;
    loop {
        let data = gql.data(page, json!({ "last": 3, "before": before })).await;
        let info = &data["alerts"]["pageInfo"];
        let nodes = ids(&data["alerts"]["nodes"]);
        assert_eq!(info["hasNextPage"], pages > 0);
        assert_eq!(info["startCursor"].is_null(), nodes.is_empty());
        pages += 1;
        backward.push(nodes);
        if info["hasPreviousPage"] == false {
            break;
        }
        before = info["startCursor"].clone();
        assert!(pages < 20);
    }
    // each page in listing order; the pages from the oldest to the newest
    let reassembled: Vec<String> = backward.into_iter().rev().flatten().collect();
    assert_eq!(reassembled, expected);
    assert_eq!(pages, expected.len().div_ceil(3));
    // a page's startCursor leads back to the page before it
    let second = gql.data(page, json!({ "first": 4, "after": null })).await;
    let end = second["alerts"]["pageInfo"]["endCursor"].clone();
    let third = gql.data(page, json!({ "first": 4, "after": end })).await;
    let start = third["alerts"]["pageInfo"]["startCursor"].clone();
    let back = gql.data(page, json!({ "last": 4, "before": start })).await;
    assert_eq!(back["alerts"]["nodes"], second["alerts"]["nodes"]);
    assert_eq!(back["alerts"]["pageInfo"]["hasPreviousPage"], false);
    assert_eq!(back["alerts"]["pageInfo"]["hasNextPage"], true);
    // bounded like `first`; directions are not mixed
    let body = gql.post(page, json!({ "last": 501 })).await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    let body = gql.post(page, json!({ "first": 2, "last": 2 })).await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    let body = gql.post(page, json!({ "last": -1 })).await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    let empty = gql.data(page, json!({ "last": 0 })).await;
    assert_eq!(empty["alerts"]["nodes"], json!([]));
}

#[tokio::test]
async fn every_argument_and_input_field_has_a_description() {
    let server = fixture_server().await;
    let data = Gql::new(&server.base)
        .data(
            "{ __schema { types { name
                 fields { name args { name description } }
                 inputFields { name description } } } }",
            json!({}),
        )
        .await;
    let described = |v: &Value| {
        v["description"]
            .as_str()
            .is_some_and(|d| !d.trim().is_empty())
    };
    let mut missing = Vec::new();
    let mut arguments = 0;
    for ty in data["__schema"]["types"].as_array().unwrap() {
        let name = ty["name"].as_str().unwrap();
        if name.starts_with("__") {
            continue;
        }
        for field in ty["fields"].as_array().into_iter().flatten() {
            for arg in field["args"].as_array().unwrap() {
                arguments += 1;
                if !described(arg) {
                    missing.push(format!("{name}.{}({})", field["name"], arg["name"]));
                }
            }
        }
        for input in ty["inputFields"].as_array().into_iter().flatten() {
            if !described(input) {
                missing.push(format!("{name}.{}", input["name"]));
            }
        }
    }
    assert!(arguments > 60, "only {arguments} arguments seen");
    assert!(missing.is_empty(), "without a description: {missing:#?}");
}

#[tokio::test]
async fn ip_report_gives_first_and_last_seen_country_as_and_pages_of_alerts() {
    let server = fixture_server().await;
    let gql = Gql::new(&server.base).login("reader", "readerpass").await;
    let all = fixtures();
    // the source address with the most alerts
    let ip = all
        .iter()
        .map(|a| a.source_entry_ip)
        .max_by_key(|ip| all.iter().filter(|a| a.source_entry_ip == *ip).count())
        .unwrap();
    let mut mine: Vec<&Alert> = all.iter().filter(|a| a.source_entry_ip == ip).collect();
    assert!(
        mine.len() >= 3,
        "fixtures have an address with several alerts"
    );
    mine.sort_by(|a, b| {
        b.recieved_time
            .cmp(&a.recieved_time)
            .then_with(|| b.id.cmp(&a.id))
    });
    let query = "query($ip: String!, $after: String) { ipReport(ip: $ip, domain: ALL) {
        firstSeen lastSeen alertCount
        country { code name }
        autonomousSystem { number name value }
        alertPage(first: 2, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } }
      } }";
    let data = gql
        .data(query, json!({ "ip": ip.to_string(), "after": null }))
        .await;
    let report = &data["ipReport"];
    let iso = |t: Timestamp| t.format_legacy().replace(' ', "T") + "Z";
    let newest = mine[0];
    let oldest = mine.iter().map(|a| a.recieved_time).min().unwrap();
    assert_eq!(report["alertCount"], mine.len());
    assert_eq!(report["lastSeen"], iso(newest.recieved_time));
    assert_eq!(report["firstSeen"], iso(oldest));
    assert_eq!(
        report["country"],
        json!({ "code": newest.country, "name": newest.country_name })
    );
    assert_eq!(
        report["autonomousSystem"]["value"],
        newest.source_as().map_or(Value::Null, |v| json!(v))
    );
    // every alert once, page by page
    let mut seen = ids(&report["alertPage"]["nodes"]);
    let mut info = report["alertPage"]["pageInfo"].clone();
    while info["hasNextPage"] == true {
        let data = gql
            .data(
                query,
                json!({ "ip": ip.to_string(), "after": info["endCursor"] }),
            )
            .await;
        seen.extend(ids(&data["ipReport"]["alertPage"]["nodes"]));
        info = data["ipReport"]["alertPage"]["pageInfo"].clone();
    }
    let expected: Vec<String> = mine.iter().map(|a| a.id.clone()).collect();
    assert_eq!(seen, expected);
    // an address without alerts
    let data = gql.data(query, json!({ "ip": "192.0.2.250" })).await;
    let report = &data["ipReport"];
    assert_eq!(report["firstSeen"], Value::Null);
    assert_eq!(report["country"], Value::Null);
    assert_eq!(report["alertPage"]["nodes"], json!([]));
}

/// Servers over the legacy fixtures plus `extra` alerts (with their statistics and the
/// `reader` user): on the embedded store, and on Elasticsearch when a node is configured.
async fn on_every_store(tag: &str, extra: Vec<Alert>) -> Vec<Server> {
    let mut alerts = fixtures();
    alerts.extend(extra);
    let statistics = read_documents(&compat_dir().join("fixtures/statistics.jsonl"));
    let mut backends = vec![Backend::Embedded];
    backends.extend(Backend::elastic(tag));
    let mut servers = Vec::new();
    for backend in backends {
        let users = vec![user("reader", "readerpass", false, false)];
        let server = start_on(backend, NOW, alerts.clone(), statistics.clone(), users).await;
        servers.push(server);
    }
    servers
}

/// A community alert of the fixtures' cowrie sensor, as `id`, with `change` applied.
fn crafted(id: &str, change: impl FnOnce(&mut Alert)) -> Alert {
    let mut alert = fixtures()
        .into_iter()
        .find(|a| a.peer_type == "SSH/console(cowrie)" && a.client_domain)
        .expect("a cowrie fixture");
    alert.id = id.to_owned();
    change(&mut alert);
    alert
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn placeholders_read_as_null_and_text_as_sent_on_every_store() {
    let unknown = crafted("placeholders", |a| {
        a.external_ip = "1.1.1.1".into();
        a.internal_ip = "1.1.1.1".into();
        a.hostname = "undefined".into();
        (a.username, a.password, a.login) = (Some(String::new()), Some(String::new()), None);
        a.client_version = Some(String::new());
        a.targetport = Some(String::new());
        (a.country, a.country_name) = ("-".into(), "-".into());
        (a.source_entry_as, a.location) = ("-".into(), "0.0 , 0.0".into());
        (a.vulnid, a.additional_data, a.rawhttp) = (String::new(), "{}".into(), "-".into());
        (a.session_start, a.session_end) = (String::new(), String::new());
    });
    let sent = crafted("as-sent", |a| {
        a.peer_type = "Webpage".into();
        a.original_request_string = "/index.php?a=%3Cscript%3E&b='1'".into();
        a.session_start = "2024-06-24T10:00:00.123456Z".into();
        a.session_end = "2024-06-24 10:00:09".into();
        a.client_version = Some("SSH-2.0-Go".into());
    });
    let odd_session = crafted("odd-session", |a| {
        (a.session_start, a.session_end) = ("yesterday".into(), String::new());
    });
    for server in on_every_store("placeholders", vec![unknown, sent, odd_session]).await {
        let gql = Gql::new(&server.base).login("reader", "readerpass").await;
        let node = "protocol cve displayRequest additionalData rawHttp
            sensor { hostname externalIp internalIp }
            source { country { code name } autonomousSystem location { latitude } }
            credentials { username password loginResult }
            session { start end startText endText clientVersion }";
        let query = format!(
            "{{ unknown: alert(id: \"placeholders\") {{ {node} }}
                sent: alert(id: \"as-sent\") {{ {node} }}
                odd: alert(id: \"odd-session\") {{ session {{ start startText end endText }} }} }}"
        );
        let data = gql.data(&query, json!({})).await;
        let unknown = &data["unknown"];
        for path in [
            "/protocol",
            "/cve",
            "/additionalData",
            "/rawHttp",
            "/sensor/hostname",
            "/sensor/externalIp",
            "/sensor/internalIp",
            "/source/country",
            "/source/autonomousSystem",
            "/source/location",
            "/credentials",
            "/session",
        ] {
            assert_eq!(
                unknown.pointer(path),
                Some(&Value::Null),
                "{path}: {unknown}"
            );
        }
        let sent = &data["sent"];
        // raw text: percent-decoded as the ticker words it, but not HTML-escaped
        assert_eq!(sent["displayRequest"], "/index.php?a=<script>&b='1'");
        assert_eq!(
            sent["session"],
            json!({
                "start": "2024-06-24T10:00:00Z", "end": "2024-06-24T10:00:09Z",
                "startText": "2024-06-24T10:00:00.123456Z", "endText": "2024-06-24 10:00:09",
                "clientVersion": "SSH-2.0-Go",
            })
        );
        assert_eq!(
            data["odd"]["session"],
            json!({ "start": null, "startText": "yesterday", "end": null, "endText": null })
        );
        // the legacy ticker keeps escaping the same text
        let ticker: Value = client()
            .get(format!("{}/alert/retrieveAlertsJson?ci=1", server.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let shown = ticker["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == "as-sent")
            .expect("the alert in the ticker");
        assert_eq!(
            shown["requestString"],
            "/index.php?a=&lt;script&gt;&amp;b=&#x27;1&#x27;"
        );

        // Rankings leave placeholders out but count every other alert.
        let data = gql
            .data(
                "{ topSourceCountries(domain: ALL, first: 1000) { code count }
                   topGeoPoints(domain: ALL, first: 1000) { location count }
                   topAsns(domain: ALL, first: 1000) { value count }
                   topUsernames(domain: ALL, first: 100) { value count } }",
                json!({}),
            )
            .await;
        let ranked = |list: &Value, key: &str| -> Vec<String> {
            let list = list.as_array().unwrap().iter();
            list.map(|v| v[key].as_str().unwrap().to_owned()).collect()
        };
        let total = |list: &Value| -> u64 {
            list.as_array()
                .unwrap()
                .iter()
                .map(|v| v["count"].as_u64().unwrap())
                .sum()
        };
        assert!(!ranked(&data["topSourceCountries"], "code").contains(&"-".to_owned()));
        assert!(!ranked(&data["topGeoPoints"], "location").contains(&"0.0 , 0.0".to_owned()));
        assert!(!ranked(&data["topAsns"], "value").contains(&"-".to_owned()));
        assert!(!ranked(&data["topUsernames"], "value").contains(&String::new()));
        // three alerts added; the fixtures hold one from an unknown country, "placeholders"
        // is a second
        let known_countries = fixtures().len() as u64 + 3 - 2;
        assert_eq!(total(&data["topSourceCountries"]), known_countries);
        server.backend.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_and_last_take_from_either_end_of_the_range_between_cursors_on_every_store() {
    for server in on_every_store("cursorrange", Vec::new()).await {
        let gql = Gql::new(&server.base).login("reader", "readerpass").await;
        let page = "query($first: Int, $after: String, $last: Int, $before: String) {
            alerts(domain: ALL, orderBy: CREATED, first: $first, after: $after, last: $last, before: $before) {
              edges { cursor node { id } }
              pageInfo { hasNextPage hasPreviousPage }
            }
          }";
        let all = gql.data(page, json!({ "first": 500 })).await;
        let edges = all["alerts"]["edges"].as_array().unwrap().clone();
        let listed: Vec<String> = edges
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(listed.len(), fixtures().len());
        let cursor = |i: usize| edges[i]["cursor"].clone();
        let range = |vars: Value| {
            let gql = gql.clone();
            async move {
                let data = gql.data(page, vars).await;
                let info = data["alerts"]["pageInfo"].clone();
                let ids: Vec<String> = data["alerts"]["edges"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
                    .collect();
                (
                    ids,
                    info["hasPreviousPage"] == true,
                    info["hasNextPage"] == true,
                )
            }
        };
        let backend = format!("{:?}", server.backend);
        // `first` with `before`: the start of the listing, stopping in front of the cursor
        let (ids, previous, next) = range(json!({ "first": 4, "before": cursor(10) })).await;
        assert_eq!(
            (ids, previous, next),
            (listed[..4].to_vec(), false, true),
            "{backend}"
        );
        let (ids, previous, next) = range(json!({ "first": 20, "before": cursor(10) })).await;
        assert_eq!(
            (ids, previous, next),
            (listed[..10].to_vec(), false, true),
            "{backend}"
        );
        // both cursors: the alerts between them, from either end
        let between = json!({ "after": cursor(2), "before": cursor(10) });
        let with = |size: Value, key: &str| {
            let mut vars = between.clone();
            vars[key] = size;
            vars
        };
        let (ids, previous, next) = range(with(json!(3), "first")).await;
        assert_eq!(
            (ids, previous, next),
            (listed[3..6].to_vec(), true, true),
            "{backend}"
        );
        let (ids, previous, next) = range(with(json!(50), "first")).await;
        assert_eq!(
            (ids, previous, next),
            (listed[3..10].to_vec(), true, true),
            "{backend}"
        );
        let (ids, previous, next) = range(with(json!(3), "last")).await;
        assert_eq!(
            (ids, previous, next),
            (listed[7..10].to_vec(), true, true),
            "{backend}"
        );
        let (ids, previous, next) = range(with(json!(50), "last")).await;
        assert_eq!(
            (ids, previous, next),
            (listed[3..10].to_vec(), true, true),
            "{backend}"
        );
        // `last` with `after` alone: the oldest alerts, down to the cursor
        let last = listed.len() - 1;
        let (ids, previous, next) = range(json!({ "last": 2, "after": cursor(last - 3) })).await;
        assert_eq!(ids, listed[last - 1..].to_vec(), "{backend}");
        assert_eq!((previous, next), (true, false), "{backend}");
        // an empty range
        let (ids, _, next) =
            range(json!({ "first": 5, "after": cursor(4), "before": cursor(5) })).await;
        assert_eq!((ids, next), (Vec::<String>::new(), true), "{backend}");
        server.backend.cleanup().await;
    }
}

/// A community web alert of sensor `ua-sensor` asking for `request` with `rawhttp`.
fn web_alert(id: &str, request: &str, rawhttp: &str) -> Alert {
    crafted(id, |a| {
        a.peer_type = "Webpage".into();
        a.peer_ident = "ua-sensor".into();
        a.original_request_string = request.into();
        a.rawhttp = rawhttp.into();
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_agents_and_http_paths_rank_exactly_on_every_store() {
    let http = |line: &str, headers: &str| format!("{line}\r\nHost: example.org\r\n{headers}\r\n");
    let zgrab = http(
        "GET /wp-login.php?x=1 HTTP/1.1",
        "User-Agent: Mozilla/5.0 zgrab/0.x\r\n",
    );
    let curl = http("GET /wp-login.php HTTP/1.1", "user-agent:  curl/8.0 \r\n");
    let mut extra = vec![
        web_alert("ua-1", "/wp-login.php?x=1", &zgrab),
        web_alert("ua-2", "/wp-login.php?x=2", &zgrab),
        web_alert("ua-3", "/wp-login.php?x=3#f", &zgrab),
        web_alert("ua-4", "/wp-login.php", &curl),
        web_alert("ua-5", "http://example.org/wp-login.php", &curl),
        web_alert("ua-6", "/admin#top", "-"),
        web_alert(
            "ua-7",
            "GET /cgi-bin/luci HTTP/1.1",
            "POST / HTTP/1.1\r\n\r\nUser-Agent: in the body",
        ),
        web_alert("ua-8", "Attack on port 80/tcp", "-"),
    ];
    let mut private = web_alert(
        "ua-9",
        "/private",
        &http("GET /private HTTP/1.1", "User-Agent: secret-agent\r\n"),
    );
    private.client_domain = false;
    let mut other_type = web_alert(
        "ua-10",
        "/shell",
        &http("GET /shell HTTP/1.1", "User-Agent: ssh-agent\r\n"),
    );
    other_type.peer_type = "Network(honeytrap)".into();
    extra.extend([private, other_type]);
    for server in on_every_store("useragents", extra).await {
        let gql = Gql::new(&server.base).login("reader", "readerpass").await;
        let data = gql
            .data(
                "{ community: topUserAgents(filter: { sensor: \"ua-sensor\" }) { value count }
                   all: topUserAgents(domain: ALL, filter: { sensor: \"ua-sensor\" }) { value count }
                   two: topUserAgents(domain: ALL, filter: { sensor: \"ua-sensor\" }, first: 2) { value count }
                   paths: topHttpPaths(domain: ALL, filter: { sensor: \"ua-sensor\" }) { value count }
                   honeytrap: topHttpPaths(domain: ALL, filter: { sensor: \"ua-sensor\", honeypotType: \"Network(honeytrap)\" }) { value count }
                   none: topHttpPaths(filter: { sensor: \"ua-sensor\" }, first: 0) { value } }",
                json!({}),
            )
            .await;
        let backend = format!("{:?}", server.backend);
        let counts = |pairs: &[(&str, u64)]| -> Value {
            pairs
                .iter()
                .map(|(value, count)| json!({ "value": value, "count": count }))
                .collect()
        };
        assert_eq!(
            data["community"],
            counts(&[
                ("Mozilla/5.0 zgrab/0.x", 3),
                ("curl/8.0", 2),
                ("ssh-agent", 1)
            ]),
            "{backend}"
        );
        assert_eq!(
            data["all"],
            counts(&[
                ("Mozilla/5.0 zgrab/0.x", 3),
                ("curl/8.0", 2),
                ("secret-agent", 1),
                ("ssh-agent", 1),
            ]),
            "{backend}"
        );
        assert_eq!(
            data["two"],
            counts(&[("Mozilla/5.0 zgrab/0.x", 3), ("curl/8.0", 2)]),
            "{backend}"
        );
        assert_eq!(
            data["paths"],
            counts(&[
                ("/wp-login.php", 5),
                ("/admin", 1),
                ("/cgi-bin/luci", 1),
                ("/private", 1),
            ]),
            "{backend}"
        );
        assert_eq!(data["honeytrap"], counts(&[("/shell", 1)]), "{backend}");
        assert_eq!(data["none"], json!([]), "{backend}");
        let body = gql
            .post("{ topHttpPaths(first: 1001) { value } }", json!({}))
            .await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{backend}");
        server.backend.cleanup().await;
    }
}
