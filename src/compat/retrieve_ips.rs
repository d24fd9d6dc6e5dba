//! `POST /alert/retrieveIPs`, `/alert/retrieveIPs15m` (and their `/ews-0.1` twins): the
//! global source addresses seen recently, with counts.

use super::cache::{Answer, Legacy, OrAnswer, route_params};
use super::params::{Domain, Output};
use super::private::PrivateReader;
use super::response::{json, json_nope, plain, xml};
use super::windows;
use super::xml::Node;
use crate::app::AppState;
use crate::domain::{AlertFilter, TimeField, TimeRange};
use crate::query::MAX_ADDRESSES;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::time::Duration;

const TTL: Duration = Duration::from_secs(60);

route_params! {
    /// What `retrieveIPs` and `retrieveIPs15m` read.
    pub struct IpsParams {
        /// The data domain.
        ci: Domain = "ci",
        /// `json` for a JSON answer.
        out: Output = "out",
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
                .attackers(&filter, true, MAX_ADDRESSES)
                .await
                .or_answer(nope)?;
            let sources: Vec<(String, u64)> = terms.into_iter().map(|t| (t.key, t.count)).collect();
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
