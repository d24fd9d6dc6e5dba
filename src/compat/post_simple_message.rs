//! `/ews-0.1/alert/postSimpleMessage`: where ewsposter delivers EWS-SimpleMessage batches.
//!
//! POST answers `OK` (200) only once every accepted alert is durable; a store failure answers
//! `Handling failed` (503) so that ewsposter spools the message and retries, which is safe
//! because document ids are deterministic. Unparsable or hostile bodies get 400, oversized ones
//! 413, bad credentials 403, each with a `Result` body (a 2xx without `StatusCode` would crash
//! ewsposter). Incomplete alerts are skipped without failing the message.

use super::cache::log_store_error;
use super::xml::escape_into;
use crate::app::AppState;
use crate::auth::{Attempt, AuthError};
use crate::http::ClientAddr;
use crate::ingest::{BuildContext, build_alerts, parse_message};
use crate::store::WriteBatch;
use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::net::IpAddr;

/// The exact body of a successful submission.
pub const OK_BODY: &str = "<Result><StatusCode>OK</StatusCode><Text></Text></Result>";

/// `POST`: parse, authenticate, build, store, acknowledge; counts the outcome.
pub async fn post(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    body: Body,
) -> Response {
    let response = handle(&state, client, body).await;
    let status = response.status();
    state.metrics.ingest_message(if status.is_success() {
        "ok"
    } else if status.is_server_error() {
        "failed"
    } else {
        "refused"
    });
    response
}

async fn handle(state: &AppState, client: IpAddr, body: Body) -> Response {
    let body = match axum::body::to_bytes(body, state.settings.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return result(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Message too large",
                &format!("the body exceeds {} bytes", state.settings.max_body_bytes),
            );
        }
    };
    let message = match parse_message(&body) {
        Ok(message) => message,
        Err(error) => {
            return result(
                StatusCode::BAD_REQUEST,
                "Invalid message",
                &error.to_string(),
            );
        }
    };
    let Some(credentials) = &message.credentials else {
        return result(
            StatusCode::FORBIDDEN,
            "Authentication failed",
            "username and token are required",
        );
    };
    let attempt = Attempt {
        username: &credentials.username,
        token: &credentials.token,
        client: Some(client),
    };
    let sender = match state.auth.sender(attempt).await {
        Ok(sender) => sender,
        Err(AuthError::Store(error)) => {
            log_store_error("/ews-0.1/alert/postSimpleMessage", &error);
            return result(StatusCode::SERVICE_UNAVAILABLE, "Handling failed", "");
        }
        Err(error) if error.retry_after().is_some() => {
            let mut response = result(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many attempts",
                &error.to_string(),
            );
            super::private::set_retry_after(&mut response, error.retry_after());
            return response;
        }
        Err(error) => {
            return result(
                StatusCode::FORBIDDEN,
                "Authentication failed",
                &error.to_string(),
            );
        }
    };
    let built = build_alerts(
        &message,
        &BuildContext {
            client_domain: sender.client_domain(),
            client: sender.client(),
            max_field_bytes: state.settings.max_field_bytes,
            received: state.clock.now(),
            classification: state.settings.classification,
            geoip: &state.geoip,
        },
    );
    for skipped in &built.skipped {
        tracing::debug!(position = skipped.position, reason = %skipped.reason, "incomplete alert skipped");
    }
    let accepted = built.alerts.len();
    // Copies for the live feed, only while someone listens; published once durable.
    let live = state.live.is_watched().then(|| built.alerts.clone());
    match state
        .writer
        .submit(WriteBatch {
            alerts: built.alerts,
            cve_copies: built.cve_copies,
        })
        .await
    {
        Ok(()) => {
            state.metrics.alerts_ingested.inc_by(accepted as u64);
            tracing::debug!(accepted, skipped = built.skipped.len(), "message stored");
            if let Some(alerts) = live {
                state.live.publish(alerts);
            }
            ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], OK_BODY).into_response()
        }
        Err(error) => {
            tracing::warn!(%error, accepted, "message not stored");
            result(StatusCode::SERVICE_UNAVAILABLE, "Handling failed", "")
        }
    }
}

/// `GET`: PEBA's answer to a POST turned into a GET by a redirect.
pub async fn get() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "POST is required for this action.",
    )
        .into_response()
}

fn result(status: StatusCode, code: &str, text: &str) -> Response {
    let mut body = String::from("<Result><StatusCode>");
    escape_into(&mut body, code);
    body.push_str("</StatusCode><Text>");
    escape_into(&mut body, text);
    body.push_str("</Text></Result>");
    (
        status,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        body,
    )
        .into_response()
}
