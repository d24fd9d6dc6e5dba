//! `POST /alert/retrieveAlertsCyber`: the `maxalerts` newest alerts (by `recievedTime`) of
//! the last two UTC days, with attacker addresses.

use super::cache::{Answer, Legacy, OrAnswer};
use super::location::split_trimmed;
use super::params::DomainParams;
use super::private::PrivateReader;
use super::response::xml;
use super::windows;
use super::xml::Node;
use crate::app::AppState;
use crate::domain::{Alert, AlertFilter, TimeField, TimeRange};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use std::time::Duration;

const TTL: Duration = Duration::from_secs(1);

/// `POST /alert/retrieveAlertsCyber`.
pub async fn alerts_cyber(
    State(state): State<AppState>,
    request: Legacy<DomainParams>,
    PrivateReader(reader): PrivateReader,
) -> Response {
    let domain = reader.allowed_domain(request.params.ci.domain());
    state
        .answers
        .answer(&request, Some(&reader), Some(TTL), async {
            let now = state.clock.now();
            let since = windows::days_ago_start(now, 1).unwrap_or(now);
            let filter =
                AlertFilter::domain(domain).within(TimeField::Received, TimeRange::since(since));
            let alerts = state
                .query
                .latest_alerts(&filter, TimeField::Received, state.settings.max_alerts)
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
            let (lat, lon) = split_trimmed(&a.location);
            Node::parent(
                "Alert",
                vec![
                    Node::text("Id", a.id.as_str()),
                    Node::text("DateCreated", a.recieved_time.format_legacy()),
                    Node::parent(
                        "Peer",
                        vec![
                            Node::text("Id", a.peer_ident.as_str()),
                            Node::text("Type", a.peer_type.as_str()),
                            Node::text("Country", a.target_country.as_str()),
                        ],
                    ),
                    Node::text("Request", a.original_request_string.as_str()),
                    Node::parent(
                        "Source",
                        vec![
                            Node::text("Address", a.source_entry_ip.to_string()),
                            Node::text("Country", a.country.as_str()),
                            Node::text("Latitude", lat),
                            Node::text("Longitude", lon),
                        ],
                    ),
                ],
            )
        })
        .collect();
    xml(&Node::parent(
        "EWSSimpleAlertInfo",
        vec![Node::parent("Alerts", nodes)],
    ))
}
