//! Who is asking: login tokens (signed JWTs carrying the user's permissions), the request's
//! principal taken from `Authorization: Bearer …`, and the field guard of protected fields.
//!
//! Tokens are checked against the service clock ([`crate::clock::Clock`]), so a frozen clock
//! governs their expiry as it governs every other window.

use super::errors::{UNAUTHENTICATED, coded, token_required};
use crate::app::AppState;
use crate::config::{JwtAlgorithm, Settings};
use crate::domain::{DataDomain, Timestamp, User, UserName};
use async_graphql::{Context, Guard};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::time::Duration;
use subtle::ConstantTimeEq;

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
    /// The version of the user record the token was issued for (see
    /// [`JwtKeys::user_version`]); tokens without it are refused.
    #[serde(default)]
    pub tv: String,
}

/// The signing and verification keys of login tokens.
pub struct JwtKeys {
    algorithm: Algorithm,
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// Keys the user versions carried in tokens (the HS256 secret or the private key).
    version_key: Vec<u8>,
    ttl: Duration,
}

/// Shortest accepted `jwt_secret`, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;
/// Fewest distinct bytes an accepted `jwt_secret` has.
const MIN_DISTINCT_BYTES: usize = 10;

/// Refuses an empty or weak HS256 secret, saying why in one line.
fn check_secret(secret: &[u8]) -> Result<(), String> {
    let distinct = secret
        .iter()
        .collect::<std::collections::HashSet<_>>()
        .len();
    if secret.is_empty() {
        Err("jwt_secret is empty: set a random secret of at least 32 bytes, or unset it".to_owned())
    } else if secret.len() < MIN_SECRET_BYTES {
        Err(format!(
            "jwt_secret is weak: {} bytes, at least {MIN_SECRET_BYTES} are required",
            secret.len()
        ))
    } else if distinct < MIN_DISTINCT_BYTES {
        Err(format!(
            "jwt_secret is weak: only {distinct} distinct characters, at least \
             {MIN_DISTINCT_BYTES} are required"
        ))
    } else {
        Ok(())
    }
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
                    Some(secret) => {
                        let secret = secret.expose_secret().as_bytes();
                        check_secret(secret)?;
                        secret.to_vec()
                    }
                    None => {
                        let mut secret = vec![0u8; 32];
                        getrandom::fill(&mut secret)
                            .map_err(|e| format!("no random secret for tokens: {e}"))?;
                        tracing::warn!(
                            "no jwt_secret configured: GraphQL login tokens are signed with a \
                             random per-process secret, die on restart and are not accepted by \
                             other servers"
                        );
                        secret
                    }
                };
                Ok(JwtKeys {
                    algorithm: Algorithm::HS256,
                    encoding: EncodingKey::from_secret(&secret),
                    decoding: DecodingKey::from_secret(&secret),
                    version_key: secret,
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
                    version_key: private,
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
                    version_key: private,
                    ttl,
                })
            }
        }
    }

    /// How long issued tokens are valid.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The version of a user record that tokens carry: it changes when the user is removed
    /// and added again (a new hash, new rights), so older tokens stop working. Keyed, so that
    /// a token does not help guessing a legacy unsalted hash.
    pub fn user_version(&self, user: &User) -> String {
        let mut digest = Sha256::new();
        for part in [
            self.version_key.as_slice(),
            user.name.as_str().as_bytes(),
            user.token.as_stored().as_bytes(),
            &[u8::from(user.read_only), u8::from(user.community_only)],
        ] {
            digest.update((part.len() as u64).to_be_bytes());
            digest.update(part);
        }
        hex::encode(&digest.finalize()[..16])
    }

    /// Signs a token for the user `name` at the record version `version`, issued at `now`.
    pub fn issue(
        &self,
        name: &str,
        community_only: bool,
        can_submit: bool,
        version: String,
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
            tv: version,
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
    state: &AppState,
    authorization: Option<&str>,
) -> Result<Principal, async_graphql::Error> {
    Ok(claims_from_authorization(state, authorization)
        .await?
        .map_or(Principal::Anonymous, |claims| Principal::User {
            name: claims.sub,
            community_only: claims.community_only,
            can_submit: claims.can_submit,
        }))
}

/// The claims of the token an `Authorization` value carries, checking signature and expiry
/// only: none without a value, an error for anything but a valid `Bearer <token>`.
pub fn token_claims(
    state: &AppState,
    authorization: Option<&str>,
) -> Result<Option<Claims>, async_graphql::Error> {
    let Some(value) = authorization.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let invalid = || coded(UNAUTHENTICATED, "invalid or expired token");
    let (scheme, token) = value.split_once(' ').ok_or_else(invalid)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(invalid());
    }
    state
        .jwt
        .verify(token.trim(), state.clock.now())
        .map(Some)
        .ok_or_else(invalid)
}

/// The claims of the token an `Authorization` value carries: none without a value, an error
/// for anything but a valid `Bearer <token>` of a user whose record has not changed since.
pub async fn claims_from_authorization(
    state: &AppState,
    authorization: Option<&str>,
) -> Result<Option<Claims>, async_graphql::Error> {
    let Some(claims) = token_claims(state, authorization)? else {
        return Ok(None);
    };
    let invalid = || coded(UNAUTHENTICATED, "invalid or expired token");
    let name = UserName::parse(&claims.sub).map_err(|_| invalid())?;
    let current = state
        .auth
        .current_user(&name)
        .await
        .map_err(super::errors::store)?;
    let unchanged = current.is_some_and(|user| {
        bool::from(
            state
                .jwt
                .user_version(&user)
                .as_bytes()
                .ct_eq(claims.tv.as_bytes()),
        )
    });
    if !unchanged {
        tracing::info!(user = ?claims.sub, "token of a removed or changed user refused");
        return Err(invalid());
    }
    Ok(Some(claims))
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

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn now() -> Timestamp {
        Timestamp::parse_legacy("2024-07-01 00:20:00").unwrap()
    }

    fn round_trip(keys: &JwtKeys) {
        let (token, expires) = keys
            .issue("reader", true, false, "v1".into(), now())
            .unwrap();
        assert_eq!(expires, now().plus_seconds(3600));
        let claims = keys.verify(&token, now()).expect("valid");
        assert_eq!(claims.sub, "reader");
        assert!(claims.community_only && !claims.can_submit);
        assert_eq!(claims.tv, "v1");
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
            jwt_secret: Some(SECRET.into()),
            ..Settings::default()
        };
        let configured = JwtKeys::from_settings(&settings).unwrap();
        round_trip(&configured);
        // the same secret verifies tokens of another process
        let again = JwtKeys::from_settings(&settings).unwrap();
        let (token, _) = configured
            .issue("reader", false, true, "v1".into(), now())
            .unwrap();
        assert!(again.verify(&token, now()).is_some());
        // random secrets differ per process
        settings.jwt_secret = None;
        let random = JwtKeys::from_settings(&settings).unwrap();
        round_trip(&random);
        assert!(random.verify(&token, now()).is_none());
        // empty, short and repetitive secrets are refused, saying why
        for (weak, why) in [
            ("", "empty"),
            ("0123456789abcdef0123456789abcde", "31 bytes"),
            (&"ab".repeat(20), "2 distinct"),
        ] {
            settings.jwt_secret = Some(weak.into());
            let error = JwtKeys::from_settings(&settings).err().expect("refused");
            assert!(error.contains(why) && !error.contains('\n'), "{error}");
        }
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
            let (token, _) = keys
                .issue("reader", false, true, "v1".into(), now())
                .unwrap();
            // an HS256 verifier does not accept it
            let hs = JwtKeys::from_settings(&Settings {
                jwt_secret: Some(SECRET.into()),
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
    fn user_versions_change_with_the_record_and_the_key() {
        let keys = JwtKeys::from_settings(&Settings {
            jwt_secret: Some(SECRET.into()),
            ..Settings::default()
        })
        .unwrap();
        let user = User {
            name: UserName::parse("reader").unwrap(),
            token: crate::auth::hash_token("token").unwrap(),
            read_only: false,
            community_only: false,
            email: String::new(),
        };
        let version = keys.user_version(&user);
        assert_eq!(version, keys.user_version(&user.clone()));
        // re-added with the same token: a new salt, a new version
        let readded = User {
            token: crate::auth::hash_token("token").unwrap(),
            ..user.clone()
        };
        assert_ne!(version, keys.user_version(&readded));
        let narrowed = User {
            community_only: true,
            ..user.clone()
        };
        assert_ne!(version, keys.user_version(&narrowed));
        let other_key = JwtKeys::from_settings(&Settings::default()).unwrap();
        assert_ne!(version, other_key.user_version(&user));
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
