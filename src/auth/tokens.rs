//! Login tokens: signed JWTs carrying a user's permissions and the version of the user
//! record they were issued for, checked against the service clock.

use crate::config::{JwtAlgorithm, Settings};
use crate::domain::{Timestamp, User};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
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

/// Why the token keys could not be loaded (each said in one line).
#[derive(Debug, thiserror::Error)]
pub enum TokenKeyError {
    /// `jwt_secret` is set but empty.
    #[error("jwt_secret is empty: set a random secret of at least 32 bytes, or unset it")]
    EmptySecret,
    /// `jwt_secret` is too short.
    #[error("jwt_secret is weak: {0} bytes, at least {MIN_SECRET_BYTES} are required")]
    ShortSecret(usize),
    /// `jwt_secret` has too few distinct bytes.
    #[error(
        "jwt_secret is weak: only {0} distinct characters, at least {MIN_DISTINCT_BYTES} are required"
    )]
    RepetitiveSecret(usize),
    /// A key file setting the algorithm needs is not set.
    #[error("{0} is required with jwt_algorithm RS256 or EdDSA")]
    MissingKeyFile(&'static str),
    /// A key file could not be read.
    #[error("{setting} {path}: {source}")]
    UnreadableKeyFile {
        /// The setting naming the file.
        setting: &'static str,
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A key file does not hold a key of the algorithm.
    #[error("{setting}: {source}")]
    BadKey {
        /// The setting naming the file.
        setting: &'static str,
        /// Why.
        source: jsonwebtoken::errors::Error,
    },
    /// No random per-process secret could be drawn.
    #[error("no random secret for tokens: {0}")]
    NoRandom(#[from] getrandom::Error),
}

/// Refuses an empty or weak HS256 secret, saying why.
fn check_secret(secret: &[u8]) -> Result<(), TokenKeyError> {
    let distinct = secret
        .iter()
        .collect::<std::collections::HashSet<_>>()
        .len();
    if secret.is_empty() {
        Err(TokenKeyError::EmptySecret)
    } else if secret.len() < MIN_SECRET_BYTES {
        Err(TokenKeyError::ShortSecret(secret.len()))
    } else if distinct < MIN_DISTINCT_BYTES {
        Err(TokenKeyError::RepetitiveSecret(distinct))
    } else {
        Ok(())
    }
}

impl JwtKeys {
    /// The keys the settings select: HS256 with `jwt_secret` (a random per-process secret when
    /// none is set), or RS256/EdDSA with the PEM key files.
    pub fn from_settings(settings: &Settings) -> Result<JwtKeys, TokenKeyError> {
        let ttl = settings.jwt_ttl;
        let read = |path: &Option<std::path::PathBuf>, setting: &'static str| {
            let path = path
                .as_ref()
                .ok_or(TokenKeyError::MissingKeyFile(setting))?;
            std::fs::read(path).map_err(|source| TokenKeyError::UnreadableKeyFile {
                setting,
                path: path.display().to_string(),
                source,
            })
        };
        let pem_error = |setting: &'static str| {
            move |source: jsonwebtoken::errors::Error| TokenKeyError::BadKey { setting, source }
        };
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
                        getrandom::fill(&mut secret)?;
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
    ) -> Result<(String, Timestamp), jsonwebtoken::errors::Error> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::UserName;
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
            let error = JwtKeys::from_settings(&settings)
                .err()
                .expect("refused")
                .to_string();
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
            let error = JwtKeys::from_settings(&missing).err().unwrap().to_string();
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
}
