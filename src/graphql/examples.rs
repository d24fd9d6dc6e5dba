//! The example queries the playground opens as tabs (`/playground/examples.json`). A test
//! runs every one against the schema.

use serde::Serialize;

/// One example: a title and a query, optionally with variables.
#[derive(Debug, Clone, Serialize)]
pub struct Example {
    /// Shown as the tab's first line.
    pub title: &'static str,
    /// The GraphQL document.
    pub query: &'static str,
    /// JSON variables, if the query takes any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variables: Option<serde_json::Value>,
    /// Whether the example needs a token (the playground's headers tab).
    #[serde(rename = "needsToken")]
    pub needs_token: bool,
    /// Variables the playground sets to the current UTC date (`YYYY-MM-DD`) when it loads;
    /// `variables` holds a valid date for them, used only by tests.
    #[serde(rename = "todayVariables", skip_serializing_if = "<[_]>::is_empty")]
    pub today_variables: &'static [&'static str],
}

/// The examples, most common questions first.
pub fn examples() -> Vec<Example> {
    vec![
        Example {
            title: "Dashboard counters: alerts in the last minute, 5 minutes, hour and day",
            query: "query Counters {\n  alertStats(domain: COMMUNITY) {\n    lastMinute\n    last5Minutes\n    lastHour\n    last24Hours\n  }\n}\n",
            variables: None,
            needs_token: false,
            today_variables: &[],
        },
        Example {
            title: "Live ticker: the newest alerts",
            query: "query Ticker($first: Int = 10) {\n  alerts(first: $first) {\n    totalCount\n    nodes {\n      id\n      receivedAt\n      honeypotType\n      displayRequest\n      source { country { code name } location { latitude longitude } }\n      target { port country { code } }\n      sensor { id alertsLast24Hours }\n    }\n    pageInfo { hasNextPage endCursor }\n  }\n}\n",
            variables: Some(serde_json::json!({ "first": 10 })),
            needs_token: false,
            today_variables: &[],
        },
        Example {
            title: "Alerts per honeypot type in the last hour",
            query: "query Types {\n  alertCount(filter: { received: { lastMinutes: 60 } })\n  honeypotTypes(filter: { received: { lastMinutes: 60 } }, first: 10) {\n    honeypotType\n    count\n  }\n}\n",
            variables: None,
            needs_token: false,
            today_variables: &[],
        },
        Example {
            title: "Alerts per hour over the last day, split by honeypot type",
            query: "query Timeline {\n  timeline(\n    domain: ALL\n    filter: { received: { lastMinutes: 1440 } }\n    intervalSeconds: 3600\n    splitByType: 5\n    fill: WINDOW\n  ) {\n    start\n    count\n    byHoneypotType { honeypotType count }\n  }\n}\n",
            variables: None,
            needs_token: false,
            today_variables: &[],
        },
        Example {
            title: "Top attacking and attacked countries of the last 7 days",
            query: "query Countries {\n  topSourceCountries(filter: { received: { lastMinutes: 10080 } }, first: 10) { code name count }\n  topTargetCountries(filter: { received: { lastMinutes: 10080 } }, first: 10) { code name count }\n}\n",
            variables: None,
            needs_token: false,
            today_variables: &[],
        },
        Example {
            title: "Attack map: the most frequent source locations of the last day",
            query: "query Map {\n  topGeoPoints(direction: SOURCE, filter: { created: { lastMinutes: 1440 } }, first: 20) {\n    latitude\n    longitude\n    count\n  }\n}\n",
            variables: None,
            needs_token: false,
            today_variables: &[],
        },
        Example {
            title: "Top URLs and ports of the last day, with hourly timelines",
            query: "query Tops {\n  topUrls(domain: ALL, filter: { received: { lastMinutes: 1440 } }, first: 5) {\n    value\n    count\n    timeline(intervalSeconds: 3600, fill: WINDOW) { start count }\n  }\n  topPorts(domain: ALL, filter: { received: { lastMinutes: 1440 } }, first: 5) {\n    value\n    count\n  }\n}\n",
            variables: None,
            needs_token: false,
            today_variables: &[],
        },
        Example {
            title: "Installations and daemons seen today (UTC)",
            query: "query Installations($today: DateTime!) {\n  honeypotStatistics(filter: { received: { from: $today } }) {\n    totalAlerts\n    totalHoneypots\n    totalDaemons\n    alertsPerType { honeypotType count }\n    honeypotsPerType { honeypotType count }\n  }\n}\n",
            variables: Some(serde_json::json!({ "today": "2024-07-01" })),
            needs_token: false,
            today_variables: &["today"],
        },
        Example {
            title: "Service health",
            query: "query Health {\n  health { storeUp ingestUp ingestBacklog heartbeat }\n}\n",
            variables: None,
            needs_token: false,
            today_variables: &[],
        },
        Example {
            title: "Log in (then send the token as the header Authorization: Bearer <token>)",
            query: "mutation Login($username: String!, $token: String!) {\n  login(username: $username, token: $token) {\n    token\n    expiresAt\n  }\n}\n",
            variables: Some(serde_json::json!({ "username": "analyst", "token": "secret" })),
            needs_token: false,
            today_variables: &[],
        },
        Example {
            title: "Blocklist: attacker addresses of the last two hours (needs a token)",
            query: "query Attackers {\n  attackers(domain: ALL, filter: { received: { lastMinutes: 120 } }, first: 100) {\n    ip\n    count\n  }\n}\n",
            variables: None,
            needs_token: true,
            today_variables: &[],
        },
        Example {
            title: "What did one address do? (needs a token)",
            query: "query Report($ip: String!) {\n  ipReport(ip: $ip, domain: ALL) {\n    ip\n    isGlobal\n    alertCount\n    honeypotTypes { honeypotType count }\n    alerts(first: 5) { createdAt honeypotType request source { ip port } }\n  }\n}\n",
            variables: Some(serde_json::json!({ "ip": "8.8.8.8" })),
            needs_token: true,
            today_variables: &[],
        },
        Example {
            title: "Live feed of new alerts (subscription over WebSocket)",
            query: "subscription Live {\n  alertAdded(domain: COMMUNITY) {\n    id\n    receivedAt\n    honeypotType\n    displayRequest\n    source { country { code } }\n  }\n}\n",
            variables: None,
            needs_token: false,
            today_variables: &[],
        },
    ]
}

/// The examples as the playground reads them.
pub fn examples_json() -> String {
    serde_json::to_string(&examples()).unwrap_or_else(|_| "[]".to_owned())
}
