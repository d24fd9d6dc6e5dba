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
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use quick_xml::events::Event;

/// The credentials found in a body.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `Authentication/username`.
    pub username: String,
    /// `Authentication/token`.
    pub token: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("token", &"<redacted>")
            .finish()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Username,
    Token,
}

/// Reads the credentials the way PEBA's ElementTree lookup did: the first `Authentication`
/// child of the root, its first `username` and `token` children, their text up to their first
/// child element. `None` for bodies that are not well-formed UTF-8 XML, contain a DOCTYPE, or
/// lack either value.
pub fn parse_credentials(body: &[u8]) -> Option<Credentials> {
    let text = std::str::from_utf8(body).ok()?;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut depth = 0usize;
    let mut root_seen = false;
    let mut in_auth = false;
    let mut auth_done = false;
    // The field whose text is being collected, and whether a child has ended its `.text`.
    let mut collecting: Option<(Field, bool)> = None;
    let mut username: Option<String> = None;
    let mut token: Option<String> = None;

    loop {
        let event = reader.read_event().ok()?;
        let (start, empty) = match &event {
            Event::Start(_) => (true, false),
            Event::Empty(_) => (true, true),
            _ => (false, false),
        };
        if start {
            let (Event::Start(e) | Event::Empty(e)) = &event else {
                return None;
            };
            for attribute in e.attributes() {
                attribute.ok()?;
            }
            if depth == 0 {
                if root_seen {
                    return None;
                }
                root_seen = true;
            }
            let level = depth + 1;
            let name = e.name();
            if level == 2 && !auth_done && name.as_ref() == "Authentication" {
                in_auth = !empty;
                auth_done = empty;
            } else if level == 3 && in_auth {
                let field = match name.as_ref() {
                    "username" if username.is_none() => Some(Field::Username),
                    "token" if token.is_none() => Some(Field::Token),
                    _ => None,
                };
                if let Some(field) = field {
                    let slot = match field {
                        Field::Username => &mut username,
                        Field::Token => &mut token,
                    };
                    *slot = Some(String::new());
                    if !empty {
                        collecting = Some((field, false));
                    }
                }
            } else if let (true, Some((_, closed))) = (level > 3, collecting.as_mut()) {
                *closed = true;
            }
            if !empty {
                depth = level;
            }
            continue;
        }
        let piece: Option<String> = match event {
            Event::End(_) => {
                depth = depth.checked_sub(1)?;
                if depth == 2 {
                    collecting = None;
                }
                if depth == 1 && in_auth {
                    in_auth = false;
                    auth_done = true;
                }
                None
            }
            Event::Text(t) => {
                let content = t.xml10_content();
                if depth == 0 && !content.trim().is_empty() {
                    return None;
                }
                Some(content.into_owned())
            }
            Event::CData(c) => {
                if depth == 0 {
                    return None;
                }
                Some(c.into_inner().into_owned())
            }
            Event::GeneralRef(r) => {
                if depth == 0 {
                    return None;
                }
                let c = match r.resolve_char_ref().ok()? {
                    Some(c) => c,
                    None => match &*r {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "apos" => '\'',
                        "quot" => '"',
                        _ => return None,
                    },
                };
                Some(c.to_string())
            }
            Event::DocType(_) => return None,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => None,
            Event::Eof => break,
            Event::Start(_) | Event::Empty(_) => None,
        };
        if let (Some(piece), Some((field, false))) = (piece, collecting) {
            let slot = match field {
                Field::Username => &mut username,
                Field::Token => &mut token,
            };
            if let Some(value) = slot.as_mut() {
                value.push_str(&piece);
            }
        }
    }
    if !root_seen || depth != 0 {
        return None;
    }
    Some(Credentials {
        username: username.filter(|u| !u.is_empty())?,
        token: token.filter(|t| !t.is_empty())?,
    })
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

    #[test]
    fn credentials_debug_hides_the_token() {
        let credentials = Credentials {
            username: "reader".into(),
            token: "s3cret-token".into(),
        };
        let shown = format!("{credentials:?}");
        assert!(
            shown.contains("reader") && !shown.contains("s3cret"),
            "{shown}"
        );
    }

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
