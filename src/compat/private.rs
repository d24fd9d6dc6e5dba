//! Credentials of the private read routes: an XML body whose root element (any name) has an
//! `Authentication` child holding `username` and `token`. Anything else (empty body, not
//! UTF-8, not well-formed, a DOCTYPE, missing or wrong credentials, a store failure) is
//! answered 403, never 500 (spec §1.4.2: store errors reject); a store failure is logged with
//! the route. Community-only readers see community data only (decision 13);
//! the community account has no special rights here (decision 19).

use super::cache::log_store_error;
use super::response::error_page;
use crate::app::AppState;
use crate::auth::{Attempt, AuthError, Reader};
use crate::http::ClientAddr;
use crate::ingest::{Credentials, parse_message};
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The credentials of a body, read by the EWS-SimpleMessage parser (the one XML reader of
/// `Authentication`); `None` when it refuses the body or either value is missing or empty.
pub fn parse_credentials(body: &[u8]) -> Option<Credentials> {
    parse_message(body)
        .ok()?
        .credentials
        .filter(|c| !c.username.is_empty() && !c.token.is_empty())
}

/// An authenticated reader of a private route, taken from the request body.
#[derive(Debug, Clone)]
pub struct PrivateReader(pub Reader);

impl FromRequest<AppState> for PrivateReader {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let ClientAddr(client) = crate::http::client_addr::of(request.extensions());
        let route = request.uri().path().to_owned();
        let body = Bytes::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let forbidden = || error_page(StatusCode::FORBIDDEN);
        let credentials = parse_credentials(&body).ok_or_else(forbidden)?;
        let attempt = Attempt {
            username: &credentials.username,
            token: &credentials.token,
            client: Some(client),
        };
        match state.auth.reader(attempt).await {
            Ok(reader) => Ok(PrivateReader(reader)),
            Err(error) if error.retry_after().is_some() => {
                let mut response = error_page(StatusCode::TOO_MANY_REQUESTS);
                set_retry_after(&mut response, error.retry_after());
                Err(response)
            }
            Err(AuthError::Store(error)) => {
                log_store_error(&route, &error);
                Err(forbidden())
            }
            Err(_) => Err(forbidden()),
        }
    }
}

/// Adds `Retry-After` (seconds) to a refusal.
pub fn set_retry_after(response: &mut Response, retry_after: Option<u64>) {
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(body: &str) -> Option<(String, String)> {
        parse_credentials(body.as_bytes()).map(|c| (c.username, c.token))
    }

    fn ok(u: &str, t: &str) -> Option<(String, String)> {
        Some((u.to_owned(), t.to_owned()))
    }

    #[test]
    fn legacy_bodies() {
        assert_eq!(
            creds(
                "<EWS-SimpleMessage version=\"2.0\"><Authentication><username>test</username><token>testpass</token></Authentication></EWS-SimpleMessage>"
            ),
            ok("test", "testpass")
        );
        assert_eq!(
            creds(
                "<?xml version=\"1.0\"?>\n<X>\n  <Authentication>\n    <username>a&amp;b</username>\n    <token><![CDATA[t<1]]>&#x41;</token>\n  </Authentication>\n  <Alert/>\n</X>\n"
            ),
            ok("a&b", "t<1A")
        );
    }

    #[test]
    fn structure_is_strict() {
        // not direct children
        assert_eq!(
            creds(
                "<X><Y><Authentication><username>a</username><token>b</token></Authentication></Y></X>"
            ),
            None
        );
        assert_eq!(
            creds(
                "<X><Authentication><Y><username>a</username><token>b</token></Y></Authentication></X>"
            ),
            None
        );
        // only the first Authentication counts
        assert_eq!(
            creds(
                "<X><Authentication><username>a</username></Authentication><Authentication><username>a</username><token>b</token></Authentication></X>"
            ),
            None
        );
        // first username wins; text stops at the first child
        assert_eq!(
            creds(
                "<X><Authentication><username>a<i/>z</username><username>c</username><token>b</token></Authentication></X>"
            ),
            ok("a", "b")
        );
        // empty values
        assert_eq!(
            creds("<X><Authentication><username>a</username><token/></Authentication></X>"),
            None
        );
        assert_eq!(
            creds("<X><Authentication><username>a</username><token></token></Authentication></X>"),
            None
        );
    }

    #[test]
    fn malformed_bodies() {
        for body in [
            "",
            "   ",
            "not xml",
            "<X><Authentication><username>a</username><token>b</token></Authentication>",
            "<X><Authentication><username>a</token></Authentication></X>",
            "<X></X><Y/>",
            "<X/>trailing",
            "<!DOCTYPE X [<!ENTITY e \"b\">]><X><Authentication><username>a</username><token>&e;</token></Authentication></X>",
            "<X><Authentication><username>a</username><token>&e;</token></Authentication></X>",
            "<X a><Authentication><username>a</username><token>b</token></Authentication></X>",
        ] {
            assert_eq!(creds(body), None, "{body:?}");
        }
        assert_eq!(parse_credentials(b"<X><Authentication><username>\xff</username><token>b</token></Authentication></X>"), None);
    }
}
