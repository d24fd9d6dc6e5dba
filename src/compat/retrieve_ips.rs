//! `POST /alert/retrieveIPs`, `/alert/retrieveIPs15m` (and their `/ews-0.1` twins): the
//! global source addresses seen recently, with counts.

use super::cache::{Answer, Legacy, OrAnswer, route_params};
use super::private::PrivateReader;
use super::response::{json, json_nope, plain, xml};
use super::windows;
use super::xml::Node;
use crate::app::AppState;
use crate::domain::{AlertFilter, TermField, TimeField, TimeRange};
use crate::ingest::is_global;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::net::IpAddr;
use std::time::Duration;

/// Legacy terms size of the address aggregation.
pub const MAX_ADDRESSES: usize = 1_000_000;
const TTL: Duration = Duration::from_secs(60);

route_params! {
    /// What `retrieveIPs` and `retrieveIPs15m` read.
    pub struct IpsParams {
        /// The data domain.
        ci: "ci",
        /// `json` for a JSON answer.
        out: "out",
    }
}

/// `POST /alert/retrieveIPs`: window `badiptimespan` minutes.
pub async fn retrieve_ips(
    State(state): State<AppState>,
    request: Legacy<IpsParams>,
    PrivateReader(reader): PrivateReader,
) -> Response {
    let minutes = u64::try_from(state.settings.bad_ip_timespan_minutes).unwrap_or(0);
    answer(&state, &request, &reader, minutes)
        .await
        .into_response()
}

/// `POST /alert/retrieveIPs15m`: window 15 minutes.
pub async fn retrieve_ips_15m(
    State(state): State<AppState>,
    request: Legacy<IpsParams>,
    PrivateReader(reader): PrivateReader,
) -> Response {
    answer(&state, &request, &reader, 15).await.into_response()
}

async fn answer(
    state: &AppState,
    request: &Legacy<IpsParams>,
    reader: &crate::auth::Reader,
    minutes: u64,
) -> Answer {
    let params = &request.params;
    let domain = reader.allowed_domain(params.ci.domain());
    let as_json = params.out.wants_json();
    state
        .answers
        .answer(request, Some(reader), Some(TTL), async {
            let nope = || {
                if as_json {
                    json_nope(&state.settings.default_response)
                } else {
                    plain(&state.settings.default_response)
                }
            };
            let Some(since) = windows::minutes_ago(state.clock.now(), minutes) else {
                return Ok(nope());
            };
            let filter =
                AlertFilter::domain(domain).within(TimeField::Received, TimeRange::since(since));
            let terms = state
                .query
                .terms(&filter, TermField::SourceIp, MAX_ADDRESSES)
                .await
                .or_answer(nope)?;
            let sources: Vec<(String, u64)> = terms
                .into_iter()
                .filter(|t| is_global_str(&t.key))
                .map(|t| (t.key, t.count))
                .collect();
            Ok(render(&sources, as_json))
        })
        .await
}

fn render(sources: &[(String, u64)], as_json: bool) -> Answer {
    if as_json {
        let list: Vec<_> = sources
            .iter()
            .map(|(ip, count)| json!({"count": count, "ip": ip}))
            .collect();
        return json(&serde_json::Value::Array(list));
    }
    let nodes = sources
        .iter()
        .map(|(ip, count)| {
            Node::parent(
                "Source",
                vec![
                    Node::text("Address", ip.as_str()),
                    Node::text("Count", count.to_string()),
                ],
            )
        })
        .collect();
    xml(&Node::parent(
        "EWSSimpleIPInfo",
        vec![Node::parent("Sources", nodes)],
    ))
}

/// Whether a textual address is global in Python's (3.11) sense (see [`is_global`]).
pub fn is_global_str(text: &str) -> bool {
    text.parse::<IpAddr>().is_ok_and(is_global)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_global_table() {
        for global in [
            "8.8.8.8",
            "87.150.238.111",
            "224.0.0.1",
            "192.88.99.1",
            "100.128.0.1",
            "2a00:1450::1",
        ] {
            assert!(is_global_str(global), "{global}");
        }
        for local in [
            "10.1.2.3",
            "172.21.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "100.64.0.1",
            "169.254.1.1",
            "0.1.2.3",
            "192.0.0.7",
            "192.0.0.171",
            "192.0.2.1",
            "198.19.0.1",
            "198.51.100.9",
            "203.0.113.1",
            "240.0.0.1",
            "255.255.255.255",
            "::1",
            "fe80::1",
            "fd00::1",
            "2001:db8::1",
            "garbage",
        ] {
            assert!(!is_global_str(local), "{local}");
        }
        assert!(is_global_str("192.0.0.8"));
        assert!(is_global_str("192.0.0.172"));
    }
}
