//! Who may submit and who may read private data.
//!
//! Credentials travel in the XML body (`<Authentication><username/><token/></Authentication>`).
//! Senders are either the configured community account (their alerts go to the community
//! domain) or a stored user (private domain). Private read routes accept stored users only.
//! Stored tokens are legacy SHA-512 or MD5 hex digests, or Argon2id hashes for users added by
//! peba; every comparison runs in constant time, and successful verifications are cached for
//! [`VERIFIED_TTL`] so that a busy sender is not slowed down and a changed or removed user
//! takes effect within a minute.

use crate::domain::{DataDomain, TokenHash, User, UserName};
use crate::store::{Store, StoreError};
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use md5::Md5;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256, Sha512};
use std::sync::Arc;
use std::time::Duration;
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;

/// How long a successful verification is remembered.
pub const VERIFIED_TTL: Duration = Duration::from_secs(30);

/// Why credentials were refused.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AuthError {
    /// No user name or no token was sent.
    #[error("credentials missing")]
    Missing,
    /// Unknown user or wrong token.
    #[error("credentials rejected")]
    Rejected,
    /// The user may read but not submit.
    #[error("user is read-only")]
    ReadOnly,
    /// The user store could not be asked.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An authenticated sender of alerts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sender {
    /// The community account: alerts are community data.
    Community,
    /// A stored user: alerts are private data.
    User(UserName),
}

impl Sender {
    /// The `clientDomain` flag of the alerts this sender submits.
    pub fn client_domain(&self) -> bool {
        matches!(self, Sender::Community)
    }

    /// The `client` field of the alerts this sender submits (see [`crate::domain::Submitter`]).
    pub fn client(&self) -> &str {
        match self {
            Sender::Community => crate::domain::COMMUNITY_CLIENT,
            Sender::User(name) => name.as_str(),
        }
    }
}

/// An authenticated reader of private routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reader {
    /// The user.
    pub name: UserName,
    /// Restricted to community data (the `community` flag, when enforced).
    pub community_only: bool,
}

impl Reader {
    /// The data domain this reader may see when asking for `requested`.
    pub fn allowed_domain(&self, requested: DataDomain) -> DataDomain {
        requested.restricted_to_community(self.community_only)
    }
}

/// Checks credentials against the configuration and the user store.
pub struct Authenticator {
    store: Arc<dyn Store>,
    community_user: String,
    community_token: SecretString,
    enforce_user_flags: bool,
    verified: moka::future::Cache<(String, [u8; 32]), User>,
    /// Bounds the Argon2id verifications running at once (each holds ~19 MiB).
    argon2_slots: Arc<Semaphore>,
}

/// Argon2id verifications that may run at once.
const ARGON2_SLOTS: usize = 2;

impl Authenticator {
    /// An authenticator over `store` with the configured community account.
    pub fn new(
        store: Arc<dyn Store>,
        community_user: String,
        community_token: SecretString,
        enforce_user_flags: bool,
    ) -> Self {
        Authenticator {
            store,
            community_user,
            community_token,
            enforce_user_flags,
            verified: moka::future::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(VERIFIED_TTL)
                .build(),
            argon2_slots: Arc::new(Semaphore::new(ARGON2_SLOTS)),
        }
    }

    /// Authenticates an ingest submission.
    pub async fn sender(&self, username: &str, token: &str) -> Result<Sender, AuthError> {
        if username.is_empty() || token.is_empty() {
            return Err(AuthError::Missing);
        }
        let community = bool::from(username.as_bytes().ct_eq(self.community_user.as_bytes()))
            & bool::from(
                token
                    .as_bytes()
                    .ct_eq(self.community_token.expose_secret().as_bytes()),
            );
        if community {
            return Ok(Sender::Community);
        }
        let user = self.stored_user(username, token).await?;
        if self.enforce_user_flags && user.read_only {
            return Err(AuthError::ReadOnly);
        }
        Ok(Sender::User(user.name))
    }

    /// Authenticates a reader of private routes (stored users only; the community account has
    /// no special rights there).
    pub async fn reader(&self, username: &str, token: &str) -> Result<Reader, AuthError> {
        if username.is_empty() || token.is_empty() {
            return Err(AuthError::Missing);
        }
        let user = self.stored_user(username, token).await?;
        Ok(Reader {
            community_only: self.enforce_user_flags && user.community_only,
            name: user.name,
        })
    }

    async fn stored_user(&self, username: &str, token: &str) -> Result<User, AuthError> {
        let name = UserName::parse(username).map_err(|_| AuthError::Rejected)?;
        let key = (username.to_owned(), Sha256::digest(token.as_bytes()).into());
        // Concurrent requests with the same credentials share one verification; only
        // successes are kept.
        self.verified
            .try_get_with(key, async {
                let user = self.store.user(&name).await?.ok_or(AuthError::Rejected)?;
                if verify_token(&user.token, token, &self.argon2_slots).await {
                    Ok(user)
                } else {
                    Err(AuthError::Rejected)
                }
            })
            .await
            .map_err(|shared: Arc<AuthError>| shared.as_ref().clone())
    }
}

/// Whether `token` matches the stored hash; Argon2id work waits for one of `argon2_slots`.
async fn verify_token(stored: &TokenHash, token: &str, argon2_slots: &Arc<Semaphore>) -> bool {
    match stored {
        TokenHash::Sha512Hex(hex) => hex_digest_matches(hex, &Sha512::digest(token.as_bytes())),
        TokenHash::Md5Hex(hex) => hex_digest_matches(hex, &Md5::digest(token.as_bytes())),
        TokenHash::Argon2(phc) => {
            let Ok(slot) = Arc::clone(argon2_slots).acquire_owned().await else {
                return false;
            };
            let (phc, token) = (phc.clone(), token.to_owned());
            tokio::task::spawn_blocking(move || {
                let _slot = slot;
                PasswordHash::new(&phc).is_ok_and(|hash| {
                    Argon2::default()
                        .verify_password(token.as_bytes(), &hash)
                        .is_ok()
                })
            })
            .await
            .unwrap_or(false)
        }
        TokenHash::Unusable(_) => false,
    }
}

/// Hashes a new user's token with Argon2id.
pub fn hash_token(token: &str) -> Result<TokenHash, String> {
    Argon2::default()
        .hash_password(token.as_bytes())
        .map(|hash| TokenHash::Argon2(hash.to_string()))
        .map_err(|e| e.to_string())
}

/// Legacy hashes are compared as lowercase hex, exactly (case-sensitive), in constant time.
fn hex_digest_matches(stored_hex: &str, digest: &[u8]) -> bool {
    hex::encode(digest)
        .as_bytes()
        .ct_eq(stored_hex.as_bytes())
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::embedded::EmbeddedStore;

    async fn authenticator_with(name: &str, token: &str) -> (tempfile::TempDir, Authenticator) {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store = Arc::new(EmbeddedStore::open(dir.path()).expect("store"));
        let user = User {
            name: UserName::parse(name).expect("name"),
            token: hash_token(token).expect("hash"),
            read_only: false,
            community_only: false,
            email: String::new(),
        };
        store.add_user(&user).await.expect("user added");
        let auth = Authenticator::new(store, "community".into(), "secret".into(), true);
        (dir, auth)
    }

    #[tokio::test]
    async fn concurrent_logins_are_answered_alike_and_rejections_are_not_kept() {
        let (_dir, auth) = authenticator_with("sensor", "right-token").await;
        let auth = &auth;
        let right =
            futures::future::join_all((0..16).map(|_| auth.sender("sensor", "right-token"))).await;
        assert!(right.iter().all(|r| matches!(r, Ok(Sender::User(_)))));
        let wrong =
            futures::future::join_all((0..16).map(|_| auth.sender("sensor", "wrong-token"))).await;
        assert!(wrong.iter().all(|r| matches!(r, Err(AuthError::Rejected))));
        // A rejection is not remembered: the right token still works afterwards.
        assert!(auth.sender("sensor", "right-token").await.is_ok());
        assert!(matches!(
            auth.sender("nobody", "right-token").await,
            Err(AuthError::Rejected)
        ));
    }
}
