//! Who is asking: login tokens (signed JWTs carrying the user's permissions), the request's
//! principal taken from `Authorization: Bearer …`, and the field guard of protected fields.
//!
//! Tokens are checked against the service clock ([`crate::clock::Clock`]), so a frozen clock
//! governs their expiry as it governs every other window.

use super::errors::{UNAUTHENTICATED, coded, token_required};
use crate::app::AppState;
use crate::config::{JwtAlgorithm, Settings};
use crate::domain::{DataDomain, Timestamp};
use async_graphql::{Context, Guard};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Issuer of peba's tokens.
pub const ISSUER: &str = "peba";
/// Audience of peba's tokens.
pub const AUDIENCE: &str = "peba-graphql";

/// The claims of a login token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user name.
    pub sub: String,
    /// Always [`ISSUER`].
    pub iss: String,
    /// Always [`AUDIENCE`].
    pub aud: String,
    /// Issued at (seconds since the epoch, service clock).
    pub iat: i64,
    /// Expires at (seconds since the epoch, service clock).
    pub exp: i64,
    /// The user may read community data only.
    pub community_only: bool,
    /// The user may submit alerts.
    pub can_submit: bool,
}

/// The signing and verification keys of login tokens.
pub struct JwtKeys {
    algorithm: Algorithm,
    encoding: EncodingKey,
    decoding: DecodingKey,
    ttl: Duration,
}

impl JwtKeys {
    /// The keys the settings select: HS256 with `jwt_secret` (a random per-process secret when
    /// none is set), or RS256/EdDSA with the PEM key files.
    pub fn from_settings(settings: &Settings) -> Result<JwtKeys, String> {
        let ttl = settings.jwt_ttl;
        let read = |path: &Option<std::path::PathBuf>, key: &str| -> Result<Vec<u8>, String> {
            let path = path
                .as_ref()
                .ok_or_else(|| format!("{key} is required with jwt_algorithm RS256 or EdDSA"))?;
            std::fs::read(path).map_err(|e| format!("{key} {}: {e}", path.display()))
        };
        let pem_error =
            |key: &'static str| move |e: jsonwebtoken::errors::Error| format!("{key}: {e}");
        match settings.jwt_algorithm {
            JwtAlgorithm::Hs256 => {
                let secret = match &settings.jwt_secret {
                    Some(secret) if secret.expose_secret().len() < 16 => {
                        return Err("jwt_secret must be at least 16 bytes long".to_owned());
                    }
                    Some(secret) => secret.expose_secret().as_bytes().to_vec(),
                    None => {
                        let mut secret = vec![0u8; 32];
                        getrandom::fill(&mut secret)
                            .map_err(|e| format!("no random secret for tokens: {e}"))?;
                        tracing::info!(
                            "no jwt_secret configured: GraphQL login tokens are signed with a \
                             random per-process secret and do not survive a restart"
                        );
                        secret
                    }
                };
                Ok(JwtKeys {
                    algorithm: Algorithm::HS256,
                    encoding: EncodingKey::from_secret(&secret),
                    decoding: DecodingKey::from_secret(&secret),
                    ttl,
                })
            }
            JwtAlgorithm::Rs256 => {
                let private = read(&settings.jwt_private_key, "jwt_private_key")?;
                let public = read(&settings.jwt_public_key, "jwt_public_key")?;
                Ok(JwtKeys {
                    algorithm: Algorithm::RS256,
                    encoding: EncodingKey::from_rsa_pem(&private)
                        .map_err(pem_error("jwt_private_key"))?,
                    decoding: DecodingKey::from_rsa_pem(&public)
                        .map_err(pem_error("jwt_public_key"))?,
                    ttl,
                })
            }
            JwtAlgorithm::EdDsa => {
                let private = read(&settings.jwt_private_key, "jwt_private_key")?;
                let public = read(&settings.jwt_public_key, "jwt_public_key")?;
                Ok(JwtKeys {
                    algorithm: Algorithm::EdDSA,
                    encoding: EncodingKey::from_ed_pem(&private)
                        .map_err(pem_error("jwt_private_key"))?,
                    decoding: DecodingKey::from_ed_pem(&public)
                        .map_err(pem_error("jwt_public_key"))?,
                    ttl,
                })
            }
        }
    }

    /// How long issued tokens are valid.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Signs a token for `principal`, issued at `now`.
    pub fn issue(
        &self,
        name: &str,
        community_only: bool,
        can_submit: bool,
        now: Timestamp,
    ) -> Result<(String, Timestamp), String> {
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX);
        let expires = now.plus_seconds(ttl);
        let claims = Claims {
            sub: name.to_owned(),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            iat: now.unix(),
            exp: expires.unix(),
            community_only,
            can_submit,
        };
        jsonwebtoken::encode(&Header::new(self.algorithm), &claims, &self.encoding)
            .map(|token| (token, expires))
            .map_err(|e| e.to_string())
    }

    /// The claims of a valid token: signature, algorithm, issuer and audience checked, and
    /// not expired at `now`.
    pub fn verify(&self, token: &str, now: Timestamp) -> Option<Claims> {
        let mut validation = Validation::new(self.algorithm);
        // Expiry is checked below against the service clock.
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .ok()?
            .claims;
        (claims.exp > now.unix()).then_some(claims)
    }
}

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

    /// The domain this principal sees when asking for `requested` (community-only users are
    /// narrowed to community data).
    pub fn domain(&self, requested: DataDomain) -> DataDomain {
        match self {
            Principal::User {
                community_only: true,
                ..
            } => DataDomain::Community,
            _ => requested,
        }
    }

    /// The principal of a request, from its context.
    pub fn of(ctx: &Context<'_>) -> Principal {
        ctx.data_opt::<Principal>().cloned().unwrap_or_default()
    }
}

/// The principal an `Authorization` value names: none is anonymous; `Bearer <token>` must be
/// a valid token; anything else is an error (never silently anonymous).
pub fn principal_from_authorization(
    state: &AppState,
    authorization: Option<&str>,
) -> Result<Principal, async_graphql::Error> {
    let Some(value) = authorization.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(Principal::Anonymous);
    };
    let invalid = || coded(UNAUTHENTICATED, "invalid or expired token");
    let (scheme, token) = value.split_once(' ').ok_or_else(invalid)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(invalid());
    }
    let claims = state
        .jwt
        .verify(token.trim(), state.clock.now())
        .ok_or_else(invalid)?;
    Ok(Principal::User {
        name: claims.sub,
        community_only: claims.community_only,
        can_submit: claims.can_submit,
    })
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
    use std::path::PathBuf;

    fn key(name: &str) -> Option<PathBuf> {
        Some(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/jwt")
                .join(name),
        )
    }

    fn now() -> Timestamp {
        Timestamp::parse_legacy("2024-07-01 00:20:00").unwrap()
    }

    fn round_trip(keys: &JwtKeys) {
        let (token, expires) = keys.issue("reader", true, false, now()).unwrap();
        assert_eq!(expires, now().plus_seconds(3600));
        let claims = keys.verify(&token, now()).expect("valid");
        assert_eq!(claims.sub, "reader");
        assert!(claims.community_only && !claims.can_submit);
        // expiry follows the service clock
        assert!(keys.verify(&token, expires.plus_seconds(-1)).is_some());
        assert!(keys.verify(&token, expires).is_none());
        // any change to the token breaks it
        let mut forged = token.clone();
        forged.insert(forged.len() / 2, 'x');
        assert!(keys.verify(&forged, now()).is_none());
    }

    #[test]
    fn hs256_with_a_configured_or_random_secret() {
        let mut settings = Settings {
            jwt_secret: Some("0123456789abcdef0123".into()),
            ..Settings::default()
        };
        let configured = JwtKeys::from_settings(&settings).unwrap();
        round_trip(&configured);
        // the same secret verifies tokens of another process
        let again = JwtKeys::from_settings(&settings).unwrap();
        let (token, _) = configured.issue("reader", false, true, now()).unwrap();
        assert!(again.verify(&token, now()).is_some());
        // random secrets differ per process
        settings.jwt_secret = None;
        let random = JwtKeys::from_settings(&settings).unwrap();
        round_trip(&random);
        assert!(random.verify(&token, now()).is_none());
        // short secrets are refused
        settings.jwt_secret = Some("short".into());
        assert!(JwtKeys::from_settings(&settings).is_err());
    }

    #[test]
    fn rs256_and_eddsa_with_key_files() {
        for (algorithm, private, public) in [
            (JwtAlgorithm::Rs256, "rsa-private.pem", "rsa-public.pem"),
            (
                JwtAlgorithm::EdDsa,
                "ed25519-private.pem",
                "ed25519-public.pem",
            ),
        ] {
            let settings = Settings {
                jwt_algorithm: algorithm,
                jwt_private_key: key(private),
                jwt_public_key: key(public),
                ..Settings::default()
            };
            let keys = JwtKeys::from_settings(&settings).unwrap();
            round_trip(&keys);
            let (token, _) = keys.issue("reader", false, true, now()).unwrap();
            // an HS256 verifier does not accept it
            let hs = JwtKeys::from_settings(&Settings {
                jwt_secret: Some("0123456789abcdef0123".into()),
                ..Settings::default()
            })
            .unwrap();
            assert!(hs.verify(&token, now()).is_none());
            // both files are needed
            let missing = Settings {
                jwt_public_key: None,
                ..settings
            };
            let error = JwtKeys::from_settings(&missing).err().unwrap();
            assert!(error.contains("jwt_public_key"), "{error}");
        }
    }

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
            DataDomain::Private
        );
        assert!(!Principal::Anonymous.is_authenticated());
    }
}
