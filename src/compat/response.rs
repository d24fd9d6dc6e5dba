//! Answer forms shared by the legacy routes: content types, the `Nope` forms, JSON and XML
//! answers, and Flask-like error pages.

use super::cache::Answer;
use super::{json, xml};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// `Content-Type` of XML answers.
pub const XML: &str = "text/xml; charset=utf-8";
/// `Content-Type` of JSON answers.
pub const JSON: &str = "application/json";
/// `Content-Type` of plain-text answers (Flask's default).
pub const HTML: &str = "text/html; charset=utf-8";

/// A plain-text answer (HTTP 200, `text/html`), e.g. the plain `Nope`.
pub fn plain(text: &str) -> Answer {
    Answer::ok(HTML, text)
}

/// A JSON answer in the legacy form.
pub fn json(value: &Value) -> Answer {
    Answer::ok(JSON, json::to_string(value))
}

/// The default response as a JSON string (`"Nope"`).
pub fn json_nope(default_response: &str) -> Answer {
    json(&Value::String(default_response.to_owned()))
}

/// An XML answer in the legacy form.
pub fn xml(root: &xml::Node) -> Answer {
    Answer::ok(XML, xml::document(root))
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
        let mut response = (status, self.body.to_string()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        response
    }
}

/// A Flask-style HTML error page.
pub fn error_page(status: StatusCode) -> Response {
    let (title, text) = match status {
        StatusCode::FORBIDDEN => (
            "403 Forbidden",
            "You don&#39;t have the permission to access the requested resource. It is either read-protected or not readable by the server.",
        ),
        StatusCode::UNAUTHORIZED => (
            "401 Unauthorized",
            "The server could not verify that you are authorized to access the URL requested. You either supplied the wrong credentials (e.g. a bad password), or your browser doesn&#39;t understand how to supply the credentials required.",
        ),
        StatusCode::TOO_MANY_REQUESTS => (
            "429 Too Many Requests",
            "This user has exceeded an allotted request count. Try again later.",
        ),
        _ => (
            "500 Internal Server Error",
            "The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application.",
        ),
    };
    let heading = title.split_once(' ').map_or(title, |(_, h)| h);
    let body = format!(
        "<!doctype html>\n<html lang=en>\n<title>{title}</title>\n<h1>{heading}</h1>\n<p>{text}</p>\n"
    );
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(HTML));
    response
}
