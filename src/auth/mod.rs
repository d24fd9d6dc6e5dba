//! Who may submit and who may read private data.
//!
//! Credentials travel in the XML body (`<Authentication><username/><token/></Authentication>`)
//! or the GraphQL `login` mutation. Senders are either the configured community account
//! (their alerts go to the community domain) or a stored user (private domain). Private read
//! routes accept stored users only. Stored tokens are legacy SHA-512 or MD5 hex digests, or
//! Argon2id hashes for users added by peba ([`verifier`]).
//!
//! User records are re-read from the store at most every [`USER_RECHECK`], so that a user
//! removed or re-added by `peba user …` (in any process on the same store) takes effect
//! within that time. A successful verification is remembered for the record it matched
//! (until the record changes), so a busy sender is not slowed down. Checks that must verify a
//! token spend attempts of the client address and the user name ([`backoff`]); failures are
//! logged with both, never with the token (store failures are logged by the caller).

pub mod backoff;
pub mod bearer;
pub mod tokens;
pub mod verifier;

pub use verifier::{HashError, hash_token};

use crate::domain::{DataDomain, TokenHash, User, UserName};
use crate::store::{Store, StoreError};
use backoff::Backoff;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use subtle::ConstantTimeEq;
use verifier::{Busy, Verifier};

/// How long a user record read from the store is trusted before it is read again.
pub const USER_RECHECK: Duration = Duration::from_secs(2);
/// How long an unused successful verification is remembered.
const VERIFIED_IDLE: Duration = Duration::from_secs(3600);

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
    /// The client address or the user name has spent its attempts.
    #[error("too many attempts: retry in {} s", whole_seconds(*retry_after))]
    RateLimited {
        /// When the next attempt is allowed.
        retry_after: Duration,
    },
    /// Too many verifications are under way.
    #[error(transparent)]
    Busy(#[from] Busy),
    /// The user store could not be asked.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AuthError {
    /// In how many seconds the caller may try again, for refusals that end by themselves.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AuthError::RateLimited { retry_after } => Some(whole_seconds(*retry_after)),
            AuthError::Busy(_) => Some(1),
            _ => None,
        }
    }
}

/// A wait in whole seconds, rounded up, at least one.
fn whole_seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// One presentation of credentials.
#[derive(Clone, Copy)]
pub struct Attempt<'a> {
    /// The claimed user name.
    pub username: &'a str,
    /// The token, never logged.
    pub token: &'a str,
    /// The client's address, when known.
    pub client: Option<IpAddr>,
}

impl std::fmt::Debug for Attempt<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attempt")
            .field("username", &self.username)
            .field("token", &"<redacted>")
            .field("client", &self.client)
            .finish()
    }
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

/// A stored user who logged in, with the rights the settings give them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// The user record the credentials matched.
    pub user: User,
    /// Restricted to community data.
    pub community_only: bool,
    /// May submit alerts.
    pub can_submit: bool,
}

/// Which verification a remembered success stands for: user name, token digest.
type VerifiedKey = (UserName, [u8; 32]);

/// Checks credentials against the configuration and the user store.
pub struct Authenticator {
    store: Arc<dyn Store>,
    community_user: String,
    community_token: SecretString,
    enforce_user_flags: bool,
    /// User records (or their absence) as last read from the store.
    records: moka::future::Cache<UserName, Option<User>>,
    /// Successful verifications: the digest of the stored hash they matched.
    verified: moka::future::Cache<VerifiedKey, [u8; 32]>,
    backoff: Backoff,
    verifier: Verifier,
}

impl Authenticator {
    /// An authenticator over `store` with the configured community account; each client
    /// address and user name may spend `attempts_per_minute` token verifications.
    pub fn new(
        store: Arc<dyn Store>,
        community_user: String,
        community_token: SecretString,
        enforce_user_flags: bool,
        attempts_per_minute: u32,
    ) -> Self {
        Authenticator {
            store,
            community_user,
            community_token,
            enforce_user_flags,
            records: moka::future::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(USER_RECHECK)
                .build(),
            verified: moka::future::Cache::builder()
                .max_capacity(10_000)
                .time_to_idle(VERIFIED_IDLE)
                .build(),
            backoff: Backoff::new(attempts_per_minute),
            verifier: Verifier::new(),
        }
    }

    /// Authenticates an ingest submission.
    pub async fn sender(&self, attempt: Attempt<'_>) -> Result<Sender, AuthError> {
        let result = self.sender_unlogged(attempt).await;
        log_failure(&attempt, &result);
        result
    }

    async fn sender_unlogged(&self, attempt: Attempt<'_>) -> Result<Sender, AuthError> {
        if attempt.username.is_empty() || attempt.token.is_empty() {
            return Err(AuthError::Missing);
        }
        let community = bool::from(
            attempt
                .username
                .as_bytes()
                .ct_eq(self.community_user.as_bytes()),
        ) & bool::from(
            attempt
                .token
                .as_bytes()
                .ct_eq(self.community_token.expose_secret().as_bytes()),
        );
        if community {
            return Ok(Sender::Community);
        }
        let user = self.stored_user(attempt).await?;
        if self.enforce_user_flags && user.read_only {
            return Err(AuthError::ReadOnly);
        }
        Ok(Sender::User(user.name))
    }

    /// Authenticates a reader of private routes (stored users only; the community account has
    /// no special rights there).
    pub async fn reader(&self, attempt: Attempt<'_>) -> Result<Reader, AuthError> {
        let login = self.login(attempt).await?;
        Ok(Reader {
            name: login.user.name,
            community_only: login.community_only,
        })
    }

    /// Authenticates a stored user (GraphQL login, private routes).
    pub async fn login(&self, attempt: Attempt<'_>) -> Result<Login, AuthError> {
        let result = self.login_unlogged(attempt).await;
        log_failure(&attempt, &result);
        result
    }

    async fn login_unlogged(&self, attempt: Attempt<'_>) -> Result<Login, AuthError> {
        if attempt.username.is_empty() || attempt.token.is_empty() {
            return Err(AuthError::Missing);
        }
        let user = self.stored_user(attempt).await?;
        Ok(Login {
            community_only: self.enforce_user_flags && user.community_only,
            can_submit: !(self.enforce_user_flags && user.read_only),
            user,
        })
    }

    /// The user record named `name` as the store holds it, at most [`USER_RECHECK`] old.
    pub async fn current_user(&self, name: &UserName) -> Result<Option<User>, StoreError> {
        self.records
            .try_get_with_by_ref(name, self.store.user(name))
            .await
            .map_err(|shared: Arc<StoreError>| shared.as_ref().clone())
    }

    async fn stored_user(&self, attempt: Attempt<'_>) -> Result<User, AuthError> {
        let Ok(name) = UserName::parse(attempt.username) else {
            // Not a possible user name: refused after the same work as an unknown user.
            self.backoff
                .spend(attempt.client, "")
                .map_err(|retry_after| AuthError::RateLimited { retry_after })?;
            self.verifier.verify(None, attempt.token).await?;
            return Err(AuthError::Rejected);
        };
        let key: VerifiedKey = (
            name.clone(),
            Sha256::digest(attempt.token.as_bytes()).into(),
        );
        if let Some(matched) = self.verified.get(&key).await {
            if let Some(user) = self.current_user(&name).await?
                && record_digest(&user.token) == matched
            {
                return Ok(user);
            }
            // The record changed since: verify again.
            self.verified.invalidate(&key).await;
        }
        // Concurrent checks of the same credentials (a fleet of sensors sharing an account,
        // all sending at once after a restart) wait for one verification, which spends one
        // attempt, and share its outcome.
        let matched = self
            .verified
            .try_get_with_by_ref(&key, async {
                self.backoff
                    .spend(attempt.client, name.as_str())
                    .map_err(|retry_after| AuthError::RateLimited { retry_after })?;
                let record = self.current_user(&name).await?;
                let stored = record.as_ref().map(|user| &user.token);
                if !self.verifier.verify(stored, attempt.token).await? {
                    return Err(AuthError::Rejected);
                }
                let user = record.ok_or(AuthError::Rejected)?;
                Ok(record_digest(&user.token))
            })
            .await
            .map_err(|shared: Arc<AuthError>| shared.as_ref().clone())?;
        self.current_user(&name)
            .await?
            .filter(|user| record_digest(&user.token) == matched)
            .ok_or(AuthError::Rejected)
    }
}

/// A digest of a stored token hash: a verification holds while the stored hash is the same.
fn record_digest(stored: &TokenHash) -> [u8; 32] {
    Sha256::digest(stored.as_stored().as_bytes()).into()
}

/// Logs a refused attempt with the user name and the client address, never the token.
fn log_failure<T>(attempt: &Attempt<'_>, result: &Result<T, AuthError>) {
    let Err(error) = result else {
        return;
    };
    let user: String = attempt.username.chars().take(128).collect();
    let client = attempt
        .client
        .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    match error {
        // Logged by the caller, with its route.
        AuthError::Store(_) => {}
        AuthError::Busy(_) | AuthError::RateLimited { .. } => {
            tracing::warn!(user = ?user, %client, reason = %error, "authentication refused");
        }
        AuthError::Missing | AuthError::Rejected | AuthError::ReadOnly => {
            tracing::warn!(user = ?user, %client, reason = %error, "authentication failed");
        }
    }
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
        let auth = Authenticator::new(
            store,
            "community".into(),
            SecretString::from("secret"),
            true,
            1000,
        );
        (dir, auth)
    }

    fn attempt<'a>(username: &'a str, token: &'a str) -> Attempt<'a> {
        Attempt {
            username,
            token,
            client: Some(IpAddr::from([127, 0, 0, 1])),
        }
    }

    #[test]
    fn attempts_do_not_show_their_token() {
        let shown = format!("{:?}", attempt("sensor", "s3cret-token"));
        assert!(
            shown.contains("sensor") && !shown.contains("s3cret"),
            "{shown}"
        );
    }

    #[tokio::test]
    async fn a_removed_or_changed_user_is_refused_once_its_record_is_read_again() {
        let (dir, auth) = authenticator_with("sensor", "right-token").await;
        assert!(auth.sender(attempt("sensor", "right-token")).await.is_ok());
        let store = EmbeddedStore::open(dir.path()).expect("store");
        let name = UserName::parse("sensor").unwrap();
        store.remove_user(&name).await.unwrap();
        tokio::time::sleep(USER_RECHECK + Duration::from_millis(200)).await;
        assert!(matches!(
            auth.sender(attempt("sensor", "right-token")).await,
            Err(AuthError::Rejected)
        ));
        let readded = User {
            name,
            token: hash_token("new-token").unwrap(),
            read_only: false,
            community_only: false,
            email: String::new(),
        };
        store.add_user(&readded).await.unwrap();
        tokio::time::sleep(USER_RECHECK + Duration::from_millis(200)).await;
        assert!(auth.sender(attempt("sensor", "right-token")).await.is_err());
        assert!(auth.sender(attempt("sensor", "new-token")).await.is_ok());
    }

    #[tokio::test]
    async fn concurrent_logins_are_answered_alike_and_rejections_are_not_kept() {
        let (_dir, auth) = authenticator_with("sensor", "right-token").await;
        let auth = &auth;
        let right = futures::future::join_all(
            (0..16).map(|_| auth.sender(attempt("sensor", "right-token"))),
        )
        .await;
        assert!(right.iter().all(|r| matches!(r, Ok(Sender::User(_)))));
        let wrong = futures::future::join_all(
            (0..16).map(|_| auth.sender(attempt("sensor", "wrong-token"))),
        )
        .await;
        assert!(wrong.iter().all(|r| matches!(r, Err(AuthError::Rejected))));
        // A rejection is not remembered: the right token still works afterwards.
        assert!(auth.sender(attempt("sensor", "right-token")).await.is_ok());
        assert!(matches!(
            auth.sender(attempt("nobody", "right-token")).await,
            Err(AuthError::Rejected)
        ));
    }
}
