//! Golden suite of the legacy routes: every case is one request against a real server (real
//! embedded store, fixtures from `compat/fixtures/`, clock frozen at 2024-07-01 00:20:00 UTC);
//! its status, relevant headers and complete body are compared byte for byte with
//! `compat/golden/<case>.txt`. `PEBA_BLESS=1` rewrites the golden files instead (review the
//! diff before committing).
//!
//! The same cases run a second time over Elasticsearch (the test node, see
//! `tests/support/backend.rs`), expecting the very same golden files.

mod support;

use reqwest::Method;
use std::fmt::Write as _;
use support::backend::Backend;
use support::in_process::{
    client, compat_dir, credentials, read_alerts, read_documents, start_on, user,
};

const NOW: &str = "2024-07-01 00:20:00";
const ORIGIN: &str = "https://sicherheitstacho.eu";

#[derive(Clone, Copy)]
enum Body {
    None,
    /// Credentials of a fixture user: (name, token).
    Auth(&'static str, &'static str),
    Raw(&'static str),
}

use Body::{Auth, None as NoBody, Raw};

const READER: Body = Auth("reader", "readerpass");
const READ_ONLY: Body = Auth("readonly", "readonlypass");
const COMMUNITY_ONLY: Body = Auth("communityonly", "communitypass");
const COMMUNITY_ACCOUNT: Body = Auth("community-01-user", "foth{a5maiCee8fineu7");
const WRONG: Body = Auth("reader", "wrongpass");

struct Case {
    name: &'static str,
    method: &'static str,
    target: &'static str,
    body: Body,
    headers: &'static [(&'static str, &'static str)],
}

const fn get(name: &'static str, target: &'static str) -> Case {
    Case {
        name,
        method: "GET",
        target,
        body: NoBody,
        headers: &[],
    }
}

const fn post(name: &'static str, target: &'static str, body: Body) -> Case {
    Case {
        name,
        method: "POST",
        target,
        body,
        headers: &[],
    }
}

const CASES: &[Case] = &[
    // root, heartbeats, HTTP level
    get("root", "/"),
    get("heartbeat", "/heartbeat"),
    get("alert_heartbeat", "/alert/heartbeat"),
    get("unknown_alert_path", "/alert/nothing"),
    get("unknown_path", "/nothing"),
    get("trailing_slash", "/alert/retrieveAlertsCount/"),
    get("method_get_on_post_route", "/alert/retrieveIPs"),
    post(
        "method_post_on_get_route",
        "/alert/retrieveAlertsCount?time=day",
        NoBody,
    ),
    get("ingest_get", "/ews-0.1/alert/postSimpleMessage"),
    Case {
        name: "head_count",
        method: "HEAD",
        target: "/alert/retrieveAlertsCount?time=day",
        body: NoBody,
        headers: &[],
    },
    Case {
        name: "options_get_route",
        method: "OPTIONS",
        target: "/alert/retrieveAlertsCount",
        body: NoBody,
        headers: &[],
    },
    Case {
        name: "options_post_route",
        method: "OPTIONS",
        target: "/alert/retrieveIPs",
        body: NoBody,
        headers: &[],
    },
    Case {
        name: "cors_preflight",
        method: "OPTIONS",
        target: "/alert/retrieveIPs",
        body: NoBody,
        headers: &[
            ("Origin", ORIGIN),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "X-B, content-type"),
        ],
    },
    Case {
        name: "cors_preflight_foreign_origin",
        method: "OPTIONS",
        target: "/alert/retrieveIPs",
        body: NoBody,
        headers: &[
            ("Origin", "https://evil.example"),
            ("Access-Control-Request-Method", "POST"),
        ],
    },
    Case {
        name: "cors_same_origin",
        method: "GET",
        target: "/alert/retrieveAlertsCount?time=day&ci=1",
        body: NoBody,
        headers: &[("Origin", ORIGIN)],
    },
    Case {
        name: "cors_foreign_origin",
        method: "GET",
        target: "/alert/retrieveAlertsCount?time=day&ci=1",
        body: NoBody,
        headers: &[("Origin", "https://evil.example")],
    },
    Case {
        name: "cors_heartbeat_no_origin_header",
        method: "GET",
        target: "/heartbeat",
        body: NoBody,
        headers: &[("Origin", ORIGIN)],
    },
    // retrieveIPs
    post("ips_xml", "/alert/retrieveIPs", READER),
    post("ips_json", "/alert/retrieveIPs?out=json", READER),
    post(
        "ips_json_ci_private",
        "/alert/retrieveIPs?out=json&ci=0",
        READER,
    ),
    post("ips_xml_ci_both", "/alert/retrieveIPs?ci=-1", READER),
    post("ips_json_ci_1", "/alert/retrieveIPs?ci=1&out=json", READER),
    post(
        "ips_ci_garbage",
        "/alert/retrieveIPs?ci=00&out=json",
        READER,
    ),
    post("ips_out_upper", "/alert/retrieveIPs?out=JSON", READER),
    post(
        "ips_ews_path",
        "/ews-0.1/alert/retrieveIPs?out=json&ci=-1",
        READER,
    ),
    post("ips15m_xml", "/alert/retrieveIPs15m?ci=-1", READER),
    post(
        "ips15m_json",
        "/ews-0.1/alert/retrieveIPs15m?ci=-1&out=json",
        READER,
    ),
    post("ips_auth_none", "/alert/retrieveIPs", NoBody),
    post("ips_auth_wrong", "/alert/retrieveIPs", WRONG),
    post(
        "ips_auth_unknown_user",
        "/alert/retrieveIPs",
        Auth("nobody", "x"),
    ),
    post(
        "ips_auth_read_only",
        "/alert/retrieveIPs?out=json&ci=0",
        READ_ONLY,
    ),
    post(
        "ips_auth_community_only_asks_private",
        "/alert/retrieveIPs?out=json&ci=0",
        COMMUNITY_ONLY,
    ),
    post(
        "ips_auth_community_only_asks_both",
        "/alert/retrieveIPs?out=json&ci=-1",
        COMMUNITY_ONLY,
    ),
    post(
        "ips_auth_community_account",
        "/alert/retrieveIPs",
        COMMUNITY_ACCOUNT,
    ),
    post(
        "ips_auth_not_xml",
        "/alert/retrieveIPs",
        Raw("username=reader&token=readerpass"),
    ),
    post(
        "ips_auth_doctype",
        "/alert/retrieveIPs",
        Raw(
            "<!DOCTYPE x [<!ENTITY e \"readerpass\">]><x><Authentication><username>reader</username><token>&e;</token></Authentication></x>",
        ),
    ),
    post(
        "ips_auth_empty_token",
        "/alert/retrieveIPs",
        Raw("<x><Authentication><username>reader</username><token/></Authentication></x>"),
    ),
    post(
        "ips_auth_nested",
        "/alert/retrieveIPs",
        Raw(
            "<x><y><Authentication><username>reader</username><token>readerpass</token></Authentication></y></x>",
        ),
    ),
    // retrieveAlertsCyber
    post("cyber", "/alert/retrieveAlertsCyber", READER),
    post(
        "cyber_ci_private",
        "/alert/retrieveAlertsCyber?ci=0",
        READER,
    ),
    post(
        "cyber_ci_both_topx",
        "/alert/retrieveAlertsCyber?ci=-1&topx=3",
        READER,
    ),
    post(
        "cyber_community_only_asks_private",
        "/alert/retrieveAlertsCyber?ci=0",
        COMMUNITY_ONLY,
    ),
    post("cyber_auth_wrong", "/alert/retrieveAlertsCyber", WRONG),
    // querySingleIP
    post(
        "single_ip",
        "/alert/querySingleIP?ip=87.150.238.111",
        READER,
    ),
    post(
        "single_ip_both",
        "/alert/querySingleIP?ip=78.46.1.2&ci=-1",
        READER,
    ),
    post(
        "single_ip_private_data",
        "/alert/querySingleIP?ip=45.1.2.3&ci=0",
        READER,
    ),
    post(
        "single_ip_private_address",
        "/alert/querySingleIP?ip=172.21.0.1&ci=-1",
        READER,
    ),
    post(
        "single_ip_multicast",
        "/alert/querySingleIP?ip=224.0.0.5",
        READER,
    ),
    post("single_ip_missing", "/alert/querySingleIP", READER),
    post("single_ip_garbage", "/alert/querySingleIP?ip=8.8.8", READER),
    post("single_ip_v6", "/alert/querySingleIP?ip=2a00::1", READER),
    post(
        "single_ip_auth_none",
        "/alert/querySingleIP?ip=8.8.8.8",
        NoBody,
    ),
    // retrieveAlertsCount
    get("count_missing_time", "/alert/retrieveAlertsCount"),
    get(
        "count_missing_time_json",
        "/alert/retrieveAlertsCount?out=json",
    ),
    get("count_empty_time", "/alert/retrieveAlertsCount?time="),
    get("count_day", "/alert/retrieveAlertsCount?time=day"),
    get(
        "count_day_json",
        "/alert/retrieveAlertsCount?time=day&out=json",
    ),
    get(
        "count_day_private",
        "/alert/retrieveAlertsCount?time=day&ci=0",
    ),
    get(
        "count_day_both",
        "/alert/retrieveAlertsCount?time=day&ci=-1&out=json",
    ),
    get("count_10_boundary", "/alert/retrieveAlertsCount?time=10"),
    get("count_9", "/alert/retrieveAlertsCount?time=9&out=json"),
    get("count_0", "/alert/retrieveAlertsCount?time=0&out=json"),
    get(
        "count_1800",
        "/alert/retrieveAlertsCount?time=1800&ci=-1&out=json",
    ),
    get("count_46081", "/alert/retrieveAlertsCount?time=46081&ci=-1"),
    get("count_invalid", "/alert/retrieveAlertsCount?time=abc"),
    get(
        "count_invalid_json",
        "/alert/retrieveAlertsCount?time=abc&out=json",
    ),
    get(
        "count_negative_json",
        "/alert/retrieveAlertsCount?time=-5&out=json",
    ),
    get(
        "count_huge_json",
        "/alert/retrieveAlertsCount?time=99999999999999999999&out=json",
    ),
    get(
        "count_first_time_wins",
        "/alert/retrieveAlertsCount?time=10&time=day",
    ),
    // retrieveAlertsCountWithType
    get(
        "count_type_day",
        "/alert/retrieveAlertsCountWithType?time=day",
    ),
    get(
        "count_type_1_both",
        "/alert/retrieveAlertsCountWithType?time=1&ci=-1",
    ),
    get(
        "count_type_private",
        "/alert/retrieveAlertsCountWithType?time=60&ci=0",
    ),
    get(
        "count_type_1440_both",
        "/alert/retrieveAlertsCountWithType?time=1440&ci=-1",
    ),
    get(
        "count_type_missing",
        "/alert/retrieveAlertsCountWithType?ci=-1",
    ),
    get(
        "count_type_invalid",
        "/alert/retrieveAlertsCountWithType?time=x",
    ),
    // retrieveAlertsJson
    get("ticker", "/alert/retrieveAlertsJson"),
    get("ticker_frontend", "/alert/retrieveAlertsJson?ci=1&topx=35"),
    get("ticker_private", "/alert/retrieveAlertsJson?ci=0"),
    get("ticker_both", "/alert/retrieveAlertsJson?ci=-1"),
    // datasetAlertsPerMonth / datasetAlertTypesPerMonth
    get("per_month", "/alert/datasetAlertsPerMonth"),
    get("per_month_both", "/alert/datasetAlertsPerMonth?ci=-1"),
    get("per_month_days_empty", "/alert/datasetAlertsPerMonth?days="),
    get("per_month_days_0", "/alert/datasetAlertsPerMonth?days=0"),
    get(
        "per_month_days_1",
        "/alert/datasetAlertsPerMonth?days=1&ci=-1",
    ),
    get("per_month_days_40", "/alert/datasetAlertsPerMonth?days=40"),
    get(
        "per_month_days_invalid",
        "/alert/datasetAlertsPerMonth?days=1d",
    ),
    get("per_month_private", "/alert/datasetAlertsPerMonth?ci=0"),
    get("types_per_month", "/alert/datasetAlertTypesPerMonth"),
    get(
        "types_per_month_days_2_both",
        "/alert/datasetAlertTypesPerMonth?days=2&ci=-1",
    ),
    get(
        "types_per_month_invalid",
        "/alert/datasetAlertTypesPerMonth?days=-1",
    ),
    // retrieveAlertStats
    get("stats", "/alert/retrieveAlertStats"),
    get("stats_private", "/alert/retrieveAlertStats?ci=0"),
    get("stats_both", "/alert/retrieveAlertStats?ci=-1"),
    // topCountriesAttacks
    get("countries", "/alert/topCountriesAttacks"),
    get("countries_both", "/alert/topCountriesAttacks?ci=-1"),
    get(
        "countries_offset_0",
        "/alert/topCountriesAttacks?monthOffset=0",
    ),
    get(
        "countries_offset_empty",
        "/alert/topCountriesAttacks?monthOffset=&topx=",
    ),
    get(
        "countries_offset_1",
        "/alert/topCountriesAttacks?monthOffset=1",
    ),
    get(
        "countries_offset_1_top_2",
        "/alert/topCountriesAttacks?monthOffset=1&topx=2",
    ),
    get(
        "countries_offset_2",
        "/alert/topCountriesAttacks?monthOffset=2&ci=-1",
    ),
    get(
        "countries_offset_3_empty",
        "/alert/topCountriesAttacks?monthOffset=3",
    ),
    get(
        "countries_offset_00",
        "/alert/topCountriesAttacks?monthOffset=00",
    ),
    get(
        "countries_offset_param_ignored",
        "/alert/topCountriesAttacks?offset=1",
    ),
    get(
        "countries_offset_invalid",
        "/alert/topCountriesAttacks?monthOffset=x",
    ),
    get("countries_topx_0", "/alert/topCountriesAttacks?topx=0"),
    get(
        "countries_topx_invalid",
        "/alert/topCountriesAttacks?topx=ten",
    ),
    get("countries_private", "/alert/topCountriesAttacks?ci=0"),
    // retrieveLatLonAttacks
    get("latlon", "/alert/retrieveLatLonAttacks"),
    get(
        "latlon_dst_both",
        "/alert/retrieveLatLonAttacks?direction=dst&ci=-1",
    ),
    get("latlon_topx_2", "/alert/retrieveLatLonAttacks?topx=2&ci=-1"),
    get("latlon_offset_1", "/alert/retrieveLatLonAttacks?offset=1"),
    get(
        "latlon_offset_2",
        "/alert/retrieveLatLonAttacks?offset=2&ci=-1",
    ),
    get(
        "latlon_empty_params",
        "/alert/retrieveLatLonAttacks?direction=&topx=&offset=",
    ),
    get(
        "latlon_direction_invalid",
        "/alert/retrieveLatLonAttacks?direction=up",
    ),
    get("latlon_topx_0", "/alert/retrieveLatLonAttacks?topx=0"),
    get(
        "latlon_offset_invalid",
        "/alert/retrieveLatLonAttacks?offset=yesterday",
    ),
    // TpotStats
    get("tpot_today", "/alert/TpotStats?day=20240701"),
    get("tpot_yesterday", "/alert/TpotStats?day=20240630"),
    get(
        "tpot_yesterday_ci_ignored",
        "/alert/TpotStats?day=20240630&ci=0",
    ),
    get("tpot_future", "/alert/TpotStats?day=20240702"),
    get("tpot_missing", "/alert/TpotStats"),
    get("tpot_short", "/alert/TpotStats?day=2024070"),
    get("tpot_invalid_date", "/alert/TpotStats?day=20240231"),
    // getStats
    get("getstats_default", "/alert/getStats"),
    get(
        "getstats_values",
        "/alert/getStats?values=Network(Dionaea),SSH%2Fconsole(cowrie),Unclassified,Bogus&gte=2024-06-29+00%3A00%3A00&lt=2024-07-01+00%3A20%3A00",
    ),
    get(
        "getstats_double_encoded",
        "/alert/getStats?values=Network%2528Dionaea%2529&gte=2024-06-30%2B00%253A00%253A00&lt=2024-06-30+00%3A00%3A00",
    ),
    get(
        "getstats_readme_example",
        "/alert/getStats?values=Network(Dionaea),Network(honeytrap),SSH%2Fconsole(cowrie),Unclassified&lt=2019-01-22+15%3A24%3A52&gte=2019-01-22+15%3A30%3A07",
    ),
    // tops
    get("tops_urls", "/alert/tops?type=urls"),
    get("tops_destports", "/alert/tops?type=destports"),
    get(
        "tops_destports_7",
        "/alert/tops?type=destports&days=7&topx=2",
    ),
    get("tops_urls_28", "/alert/tops?type=urls&days=28&ci=0"),
    get("tops_topx_empty", "/alert/tops?type=urls&topx="),
    get("tops_topx_31", "/alert/tops?type=urls&topx=31"),
    get("tops_topx_0", "/alert/tops?type=urls&topx=0"),
    get("tops_days_2", "/alert/tops?type=urls&days=2"),
    get("tops_days_empty", "/alert/tops?type=destports&days="),
    get("tops_type_missing", "/alert/tops"),
    get("tops_type_invalid", "/alert/tops?type=ips"),
];

const SHOWN_HEADERS: &[&str] = &[
    "content-type",
    "location",
    "allow",
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "vary",
];

async fn render(client: &reqwest::Client, base: &str, case: &Case) -> String {
    let method = Method::from_bytes(case.method.as_bytes()).expect("method");
    let mut request = client.request(method, format!("{base}{}", case.target));
    for (name, value) in case.headers {
        request = request.header(*name, *value);
    }
    request = match case.body {
        NoBody => request,
        Auth(user, token) => request
            .header("Content-Type", "text/xml")
            .body(credentials(user, token)),
        Raw(text) => request.header("Content-Type", "text/xml").body(text),
    };
    let response = request.send().await.expect("request");
    let mut out = format!("{} {}\n", case.method, case.target);
    let _ = writeln!(out, "{}", response.status().as_u16());
    for name in SHOWN_HEADERS {
        for value in response.headers().get_all(*name) {
            let _ = writeln!(out, "{name}: {}", value.to_str().unwrap_or("<binary>"));
        }
    }
    out.push('\n');
    out.push_str(&response.text().await.expect("body"));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn golden_responses() {
    golden(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn golden_responses_elasticsearch() {
    let Some(backend) = Backend::elastic("golden") else {
        return;
    };
    golden(backend.clone()).await;
    backend.cleanup().await;
}

async fn golden(backend: Backend) {
    let fixtures = compat_dir().join("fixtures");
    let alerts = read_alerts(&fixtures.join("alerts.jsonl"));
    let statistics = read_documents(&fixtures.join("statistics.jsonl"));
    let users = vec![
        user("reader", "readerpass", false, false),
        user("readonly", "readonlypass", true, false),
        user("communityonly", "communitypass", false, true),
    ];
    let server = start_on(backend.clone(), NOW, alerts, statistics, users).await;
    let client = client();
    let golden = compat_dir().join("golden");
    // Golden files are written from the embedded store only; Elasticsearch must match them.
    let bless = std::env::var_os("PEBA_BLESS").is_some() && matches!(backend, Backend::Embedded);
    let mut names = std::collections::HashSet::new();
    let mut failures = Vec::new();
    for case in CASES {
        assert!(names.insert(case.name), "duplicate case {}", case.name);
        // Twice: the second answer may come from the cache and must be identical.
        let first = render(&client, &server.base, case).await;
        let second = render(&client, &server.base, case).await;
        assert_eq!(first, second, "cached answer differs for {}", case.name);
        let path = golden.join(format!("{}.txt", case.name));
        if bless {
            std::fs::write(&path, &first).expect("write golden file");
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(expected) if expected == first => {}
            Ok(expected) => failures.push(format!(
                "{}: differs\n--- expected\n{expected}\n--- actual\n{first}",
                case.name
            )),
            Err(_) => failures.push(format!(
                "{}: no golden file {}\n{first}",
                case.name,
                path.display()
            )),
        }
    }
    if !bless {
        // Every golden file belongs to a case.
        for entry in std::fs::read_dir(&golden).expect("golden dir") {
            let name = entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned();
            let stem = name.strip_suffix(".txt");
            if stem.is_some_and(|stem| !names.contains(stem)) {
                failures.push(format!("stale golden file {name}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden mismatches ({backend:?}):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Pairs of requests of one route that differ in one parameter the route reads, with
/// different answers: the second of each pair, asked right after the first of a caching
/// server, must not be the cached first answer.
const PARAMETER_PAIRS: &[(&str, &str, &str, Body)] = &[
    (
        "GET",
        "/alert/retrieveAlertsCount?time=day&out=json",
        "/alert/retrieveAlertsCount?time=abc&out=json",
        NoBody,
    ),
    (
        "GET",
        "/alert/retrieveAlertsCount?time=day",
        "/alert/retrieveAlertsCount?time=day&out=json",
        NoBody,
    ),
    (
        "GET",
        "/alert/retrieveAlertsCount?time=day&out=json",
        "/alert/retrieveAlertsCount?time=day&out=json&ci=-1",
        NoBody,
    ),
    (
        "GET",
        "/alert/retrieveAlertsCountWithType?time=day",
        "/alert/retrieveAlertsCountWithType?time=x",
        NoBody,
    ),
    (
        "GET",
        "/alert/retrieveAlertsCountWithType?time=1440",
        "/alert/retrieveAlertsCountWithType?time=1440&ci=-1",
        NoBody,
    ),
    (
        "GET",
        "/alert/tops?type=urls",
        "/alert/tops?type=destports",
        NoBody,
    ),
    (
        "GET",
        "/alert/tops?type=destports&days=7",
        "/alert/tops?type=destports&days=7&topx=1",
        NoBody,
    ),
    (
        "GET",
        "/alert/tops?type=destports",
        "/alert/tops?type=destports&days=7",
        NoBody,
    ),
    (
        "GET",
        "/alert/retrieveLatLonAttacks",
        "/alert/retrieveLatLonAttacks?direction=dst",
        NoBody,
    ),
    (
        "GET",
        "/alert/retrieveLatLonAttacks",
        "/alert/retrieveLatLonAttacks?offset=yesterday",
        NoBody,
    ),
    (
        "GET",
        "/alert/retrieveLatLonAttacks",
        "/alert/retrieveLatLonAttacks?topx=1",
        NoBody,
    ),
    (
        "GET",
        "/alert/retrieveLatLonAttacks",
        "/alert/retrieveLatLonAttacks?ci=-1",
        NoBody,
    ),
    (
        "GET",
        "/alert/topCountriesAttacks",
        "/alert/topCountriesAttacks?topx=1",
        NoBody,
    ),
    (
        "GET",
        "/alert/topCountriesAttacks",
        "/alert/topCountriesAttacks?monthOffset=x",
        NoBody,
    ),
    (
        "GET",
        "/alert/topCountriesAttacks",
        "/alert/topCountriesAttacks?ci=-1",
        NoBody,
    ),
    (
        "GET",
        "/alert/datasetAlertsPerMonth",
        "/alert/datasetAlertsPerMonth?days=1d",
        NoBody,
    ),
    (
        "GET",
        "/alert/datasetAlertsPerMonth",
        "/alert/datasetAlertsPerMonth?ci=-1",
        NoBody,
    ),
    (
        "GET",
        "/alert/datasetAlertTypesPerMonth",
        "/alert/datasetAlertTypesPerMonth?days=-1",
        NoBody,
    ),
    (
        "GET",
        "/alert/datasetAlertTypesPerMonth",
        "/alert/datasetAlertTypesPerMonth?ci=-1",
        NoBody,
    ),
    (
        "GET",
        STATS,
        "/alert/getStats?values=Network(Dionaea)&gte=2024-06-29+00%3A00%3A00&lt=2024-07-01+00%3A20%3A00",
        NoBody,
    ),
    (
        "GET",
        STATS,
        "/alert/getStats?values=Network(Dionaea),SSH%2Fconsole(cowrie),Unclassified,Bogus&gte=2024-06-30+12%3A00%3A00&lt=2024-07-01+00%3A20%3A00",
        NoBody,
    ),
    (
        "GET",
        STATS,
        "/alert/getStats?values=Network(Dionaea),SSH%2Fconsole(cowrie),Unclassified,Bogus&gte=2024-06-29+00%3A00%3A00&lt=2024-06-30+06%3A00%3A00",
        NoBody,
    ),
    (
        "GET",
        "/alert/TpotStats?day=20240630",
        "/alert/TpotStats?day=20240629",
        NoBody,
    ),
    (
        "GET",
        "/alert/retrieveAlertStats",
        "/alert/retrieveAlertStats?ci=-1",
        NoBody,
    ),
    (
        "GET",
        "/alert/retrieveAlertsJson",
        "/alert/retrieveAlertsJson?ci=-1",
        NoBody,
    ),
    (
        "POST",
        "/alert/retrieveIPs",
        "/alert/retrieveIPs?out=json",
        READER,
    ),
    (
        "POST",
        "/alert/retrieveIPs",
        "/alert/retrieveIPs?ci=-1",
        READER,
    ),
    (
        "POST",
        "/alert/retrieveIPs15m",
        "/alert/retrieveIPs15m?ci=-1",
        READER,
    ),
    (
        "POST",
        "/alert/retrieveAlertsCyber",
        "/alert/retrieveAlertsCyber?ci=-1",
        READER,
    ),
    (
        "POST",
        "/alert/querySingleIP?ip=87.150.238.111",
        "/alert/querySingleIP?ip=8.8.8.8",
        READER,
    ),
    (
        "POST",
        "/alert/querySingleIP?ip=45.1.2.3",
        "/alert/querySingleIP?ip=45.1.2.3&ci=0",
        READER,
    ),
];

const STATS: &str = "/alert/getStats?values=Network(Dionaea),SSH%2Fconsole(cowrie),Unclassified,Bogus&gte=2024-06-29+00%3A00%3A00&lt=2024-07-01+00%3A20%3A00";

/// Every parameter a legacy route reads is part of its cache key: changing one right after a
/// cached answer gives the other answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_read_parameter_keys_the_cache() {
    let fixtures = compat_dir().join("fixtures");
    let server = start_on(
        Backend::Embedded,
        NOW,
        read_alerts(&fixtures.join("alerts.jsonl")),
        read_documents(&fixtures.join("statistics.jsonl")),
        vec![user("reader", "readerpass", false, false)],
    )
    .await;
    let client = client();
    let case = |method, target, body| Case {
        name: "pair",
        method,
        target,
        body,
        headers: &[],
    };
    let mut same = Vec::new();
    for &(method, first, second, body) in PARAMETER_PAIRS {
        let a = render(&client, &server.base, &case(method, first, body)).await;
        let b = render(&client, &server.base, &case(method, second, body)).await;
        let a_body = a.split_once('\n').map_or("", |(_, rest)| rest);
        let b_body = b.split_once('\n').map_or("", |(_, rest)| rest);
        if a_body == b_body {
            same.push(format!("{first} / {second}"));
        }
    }
    assert!(same.is_empty(), "same answer for:\n{}", same.join("\n"));
}
