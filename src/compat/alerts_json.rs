//! `GET /alert/retrieveAlertsJson`: the live ticker, the 35 newest alerts (by `recievedTime`)
//! of the last two UTC days.

use super::cache::{Answer, Legacy, OrAnswer};
use super::location::split_spaced;
use super::params::DomainParams;
use super::response::json;
use super::windows;
use crate::app::AppState;
use crate::domain::{Alert, AlertFilter, TimeField, TimeRange};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::time::Duration;

const TTL: Duration = Duration::from_secs(25);
/// Alerts in the ticker.
pub const TICKER: usize = 35;
/// Coordinates shown for unknown locations (Deutsche Telekom HQ, Bonn).
pub const BONN: (&str, &str) = ("50.708021", "7.129191");

/// `GET /alert/retrieveAlertsJson`.
pub async fn alerts_json(State(state): State<AppState>, request: Legacy<DomainParams>) -> Response {
    let domain = request.params.ci.domain();
    state
        .answers
        .answer(&request, None, Some(TTL), async {
            let now = state.clock.now();
            let since = windows::days_ago_start(now, 1).unwrap_or(now);
            let filter =
                AlertFilter::domain(domain).within(TimeField::Received, TimeRange::since(since));
            let alerts = state
                .query
                .latest_alerts(&filter, TimeField::Received, TICKER)
                .await
                .or_answer(|| render(&[]))?;
            Ok(render(&alerts))
        })
        .await
        .into_response()
}

fn coordinates(location: &str) -> (String, String) {
    let (lat, lon) = split_spaced(location);
    if lat == "0.0" && lon == "0.0" {
        (BONN.0.to_owned(), BONN.1.to_owned())
    } else {
        (lat, lon)
    }
}

/// One ticker element.
pub fn element(a: &Alert) -> Value {
    let (source_lat, source_lng) = coordinates(&a.location);
    let (dest_lat, dest_lng) = coordinates(&a.location_destination);
    json!({
        "analyzerType": a.peer_type,
        "clientDomain": a.client_domain,
        "country": a.country,
        "countryName": a.country_name,
        "dateCreated": a.recieved_time.format_legacy(),
        "destLat": dest_lat,
        "destLng": dest_lng,
        "id": a.id,
        "requestString": a.display_request(),
        "sourceLat": source_lat,
        "sourceLng": source_lng,
        "targetCountry": a.target_country,
    })
}

fn render(alerts: &[Alert]) -> Answer {
    json(&json!({ "alerts": alerts.iter().map(element).collect::<Vec<_>>() }))
}
