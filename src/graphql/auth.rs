//! Who is asking: the request's principal taken from `Authorization: Bearer …` (a login token,
//! see [`crate::auth::tokens`]), and the field guard of protected fields.
//!
//! Tokens are checked against the service clock ([`crate::clock::Clock`]), so a frozen clock
//! governs their expiry as it governs every other window.

use super::errors::{UNAUTHENTICATED, coded, token_required};
pub use crate::auth::bearer::TokenCheck;
use crate::auth::bearer::{self, BearerError};
use crate::auth::tokens::Claims;
use crate::domain::DataDomain;
use async_graphql::{Context, Guard};

/// Who sends a request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Principal {
    /// No token: what the public legacy routes give.
    #[default]
    Anonymous,
    /// A stored user, by a valid token.
    User {
        /// The user name.
        name: String,
        /// Community data only.
        community_only: bool,
        /// May submit alerts.
        can_submit: bool,
    },
}

impl Principal {
    /// Whether a valid token was sent.
    pub fn is_authenticated(&self) -> bool {
        matches!(self, Principal::User { .. })
    }

    /// The domain this principal sees when asking for `requested`: anonymous callers and
    /// community-only users are narrowed to community data.
    pub fn domain(&self, requested: DataDomain) -> DataDomain {
        match self {
            Principal::User {
                community_only: false,
                ..
            } => requested,
            _ => DataDomain::Community,
        }
    }

    /// The principal of a request, from its context.
    pub fn of(ctx: &Context<'_>) -> Principal {
        ctx.data_opt::<Principal>().cloned().unwrap_or_default()
    }
}

/// The principal an `Authorization` value names: none is anonymous; `Bearer <token>` must be
/// a valid token of a user whose record has not changed since (a removed or re-added user's
/// tokens stop working within [`crate::auth::USER_RECHECK`]); anything else is an error
/// (never silently anonymous).
pub async fn principal_from_authorization(
    check: TokenCheck<'_>,
    authorization: Option<&str>,
) -> Result<Principal, async_graphql::Error> {
    Ok(claims_from_authorization(check, authorization)
        .await?
        .map_or(Principal::Anonymous, |claims| Principal::User {
            name: claims.sub,
            community_only: claims.community_only,
            can_submit: claims.can_submit,
        }))
}

/// The claims of the token an `Authorization` value carries, checking signature and expiry
/// only ([`bearer::token_claims`]), with GraphQL's error.
pub fn token_claims(
    check: TokenCheck<'_>,
    authorization: Option<&str>,
) -> Result<Option<Claims>, async_graphql::Error> {
    bearer::token_claims(check, authorization).map_err(graphql_error)
}

/// The claims of the token of a user whose record has not changed since
/// ([`bearer::claims_from_authorization`]), with GraphQL's error.
pub async fn claims_from_authorization(
    check: TokenCheck<'_>,
    authorization: Option<&str>,
) -> Result<Option<Claims>, async_graphql::Error> {
    bearer::claims_from_authorization(check, authorization)
        .await
        .map_err(graphql_error)
}

fn graphql_error(error: BearerError) -> async_graphql::Error {
    match error {
        BearerError::Invalid => coded(UNAUTHENTICATED, error.to_string()),
        BearerError::Store(error) => super::errors::store(error),
    }
}

/// The guard of protected fields: a valid token is required.
pub struct TokenRequired;

impl Guard for TokenRequired {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        if Principal::of(ctx).is_authenticated() {
            Ok(())
        } else {
            let field = ctx.path_node.map_or_else(
                || "this field".to_owned(),
                |p| format!("`{}`", p.field_name()),
            );
            Err(token_required(&field))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_narrow_domains() {
        let user = Principal::User {
            name: "u".into(),
            community_only: true,
            can_submit: false,
        };
        assert_eq!(user.domain(DataDomain::All), DataDomain::Community);
        assert_eq!(
            Principal::Anonymous.domain(DataDomain::Private),
            DataDomain::Community
        );
        let full = Principal::User {
            name: "u".into(),
            community_only: false,
            can_submit: false,
        };
        assert_eq!(full.domain(DataDomain::Private), DataDomain::Private);
        assert!(!Principal::Anonymous.is_authenticated());
    }
}
