//! Who may read exports and feeds: a stored user, by a GraphQL login token
//! (`Authorization: Bearer <token>`) or by name and token (`Authorization: Basic`, the form
//! firewalls and `curl -u` send). Community-only users see community data only.

use super::FeedError;
use crate::app::AppState;
use crate::auth::bearer::{BearerError, TokenCheck, claims_from_authorization};
use crate::auth::{Attempt, AuthError};
use crate::domain::DataDomain;
use crate::http::ClientAddr;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use base64::Engine as _;

/// An authenticated reader of exports and feeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedReader {
    /// The user name.
    pub name: String,
    /// Restricted to community data.
    pub community_only: bool,
}

impl FeedReader {
    /// The data domain this reader sees when asking for `requested`.
    pub fn domain(&self, requested: DataDomain) -> DataDomain {
        requested.restricted_to_community(self.community_only)
    }
}

impl FromRequestParts<AppState> for FeedReader {
    type Rejection = FeedError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, FeedError> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or(FeedError::Unauthorized)?;
        let (scheme, credentials) = value.split_once(' ').ok_or(FeedError::Unauthorized)?;
        if scheme.eq_ignore_ascii_case("basic") {
            let ClientAddr(client) = crate::http::client_addr::of(&parts.extensions);
            basic(state, credentials.trim(), client).await
        } else if scheme.eq_ignore_ascii_case("bearer") {
            let check = TokenCheck {
                keys: &state.jwt,
                users: &state.auth,
                now: state.clock.now(),
            };
            let claims = match claims_from_authorization(check, Some(value)).await {
                Ok(claims) => claims.ok_or(FeedError::Unauthorized)?,
                Err(BearerError::Store(error)) => return Err(FeedError::Store(error)),
                Err(BearerError::Invalid) => return Err(FeedError::Unauthorized),
            };
            Ok(FeedReader {
                name: claims.sub,
                community_only: claims.community_only,
            })
        } else {
            Err(FeedError::Unauthorized)
        }
    }
}

/// Checks `base64(user:token)` against the stored users.
async fn basic(
    state: &AppState,
    encoded: &str,
    client: std::net::IpAddr,
) -> Result<FeedReader, FeedError> {
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or(FeedError::Unauthorized)?;
    let (username, token) = decoded.split_once(':').ok_or(FeedError::Unauthorized)?;
    let attempt = Attempt {
        username,
        token,
        client: Some(client),
    };
    match state.auth.reader(attempt).await {
        Ok(reader) => Ok(FeedReader {
            name: reader.name.to_string(),
            community_only: reader.community_only,
        }),
        Err(AuthError::Store(error)) => Err(FeedError::Store(error)),
        Err(error) => Err(error
            .retry_after()
            .map_or(FeedError::Unauthorized, FeedError::RateLimited)),
    }
}
