//! Login tokens sent as `Authorization: Bearer <token>`: checked against the token keys, the
//! clock and the user's current record, for every front end that accepts them.

use super::Authenticator;
use super::tokens::{Claims, JwtKeys};
use crate::domain::{Timestamp, UserName};
use crate::store::StoreError;
use subtle::ConstantTimeEq;

/// What checking a token needs: the keys, the user records, and the time.
#[derive(Clone, Copy)]
pub struct TokenCheck<'a> {
    /// The token keys.
    pub keys: &'a JwtKeys,
    /// The user records tokens are checked against.
    pub users: &'a Authenticator,
    /// Now, on the service clock.
    pub now: Timestamp,
}

/// Why an `Authorization` value does not name a user.
#[derive(Debug, thiserror::Error)]
pub enum BearerError {
    /// Not `Bearer <token>`, a bad signature, an expired token, or a user removed or changed
    /// since the token was issued.
    #[error("invalid or expired token")]
    Invalid,
    /// The user record could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The claims of the token an `Authorization` value carries, checking signature and expiry
/// only: none without a value, an error for anything but a valid `Bearer <token>`.
pub fn token_claims(
    check: TokenCheck<'_>,
    authorization: Option<&str>,
) -> Result<Option<Claims>, BearerError> {
    let Some(value) = authorization.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let (scheme, token) = value.split_once(' ').ok_or(BearerError::Invalid)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(BearerError::Invalid);
    }
    check
        .keys
        .verify(token.trim(), check.now)
        .map(Some)
        .ok_or(BearerError::Invalid)
}

/// The claims of the token an `Authorization` value carries: none without a value, an error
/// for anything but a valid `Bearer <token>` of a user whose record has not changed since (a
/// removed or re-added user's tokens stop working within [`super::USER_RECHECK`]).
pub async fn claims_from_authorization(
    check: TokenCheck<'_>,
    authorization: Option<&str>,
) -> Result<Option<Claims>, BearerError> {
    let Some(claims) = token_claims(check, authorization)? else {
        return Ok(None);
    };
    let name = UserName::parse(&claims.sub).map_err(|_| BearerError::Invalid)?;
    let current = check.users.current_user(&name).await?;
    let unchanged = current.is_some_and(|user| {
        bool::from(
            check
                .keys
                .user_version(&user)
                .as_bytes()
                .ct_eq(claims.tv.as_bytes()),
        )
    });
    if !unchanged {
        tracing::info!(user = ?claims.sub, "token of a removed or changed user refused");
        return Err(BearerError::Invalid);
    }
    Ok(Some(claims))
}
