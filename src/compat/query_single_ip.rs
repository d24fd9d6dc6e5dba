//! `POST /alert/querySingleIP`: the `maxalerts` newest alerts (by `createTime`) of one global
//! IPv4 source address.

use super::cache::{Answer, Legacy, OrAnswer, route_params};
use super::params::{Domain, Param};
use super::private::PrivateReader;
use super::response::xml;
use super::xml::Node;
use crate::app::AppState;
use crate::domain::{Alert, AlertFilter, TermField, TimeField};
use crate::ingest::is_global;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

const TTL: Duration = Duration::from_secs(60);

route_params! {
    /// What `querySingleIP` reads.
    pub struct SingleIpParams {
        /// The data domain.
        ci: Domain = "ci",
        /// The source address.
        ip: Param = "ip",
    }
}

/// `POST /alert/querySingleIP`.
pub async fn query_single_ip(
    State(state): State<AppState>,
    request: Legacy<SingleIpParams>,
    PrivateReader(reader): PrivateReader,
) -> Response {
    let params = &request.params;
    let domain = reader.allowed_domain(params.ci.domain());
    let ip = params
        .ip
        .get()
        .and_then(|ip| ip.parse::<Ipv4Addr>().ok())
        .filter(|ip| is_global(IpAddr::V4(*ip)));
    state
        .answers
        .answer(&request, Some(&reader), Some(TTL), async {
            let Some(ip) = ip else {
                return Ok(render(&[]));
            };
            let filter = AlertFilter::domain(domain).matching(TermField::SourceIp, ip.to_string());
            let alerts = state
                .query
                .latest_alerts(&filter, TimeField::Created, state.settings.max_alerts)
                .await
                .or_answer(|| render(&[]))?;
            Ok(render(&alerts))
        })
        .await
        .into_response()
}

fn render(alerts: &[Alert]) -> Answer {
    let nodes = alerts
        .iter()
        .map(|a| {
            Node::parent(
                "Alert",
                vec![
                    Node::text("Id", a.id.as_str()),
                    Node::text("DateCreated", a.create_time.format_legacy()),
                    Node::parent(
                        "Peer",
                        vec![
                            Node::text("Type", a.peer_type.as_str()),
                            Node::text("Country", a.target_country.as_str()),
                        ],
                    ),
                    Node::text("Request", a.original_request_string.as_str()),
                ],
            )
        })
        .collect();
    xml(&Node::parent(
        "EWSSimpleAlertInfo",
        vec![Node::parent("Alerts", nodes)],
    ))
}
