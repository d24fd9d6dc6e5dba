//! Token verification against stored hashes: legacy SHA-512 and MD5 hex digests compared in
//! constant time, Argon2id in a bounded pool. Unknown users and unusable hashes are verified
//! against a dummy Argon2id hash, so that a refusal takes as long whether or not the user
//! exists.

use crate::domain::TokenHash;
use argon2::password_hash::{PasswordHasher, phc::PasswordHash};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use md5::Md5;
use sha2::{Digest, Sha512};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use subtle::ConstantTimeEq;
use tokio::sync::oneshot;

/// Argon2id verifications that may run at once (each holds ~19 MiB), on threads of their own:
/// the memory a verification frees stays with its thread's allocator arena, so a fixed pair
/// of threads keeps the memory held by Argon2id at about twice that, however long a flood.
const ARGON2_THREADS: usize = 2;
/// Argon2id verifications that may wait for a thread; beyond, checks are refused as busy.
const ARGON2_WAITING: usize = 16;

/// Too many verifications are under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many credential checks under way")]
pub struct Busy;

/// One Argon2id verification for the worker threads.
struct Job {
    phc: Arc<str>,
    token: String,
    answer: oneshot::Sender<bool>,
}

/// Verifies tokens; Argon2id work runs on [`ARGON2_THREADS`] threads behind a queue of
/// [`ARGON2_WAITING`].
pub struct Verifier {
    jobs: SyncSender<Job>,
    dummy: Arc<str>,
    dummy_runs: AtomicU64,
}

impl Verifier {
    /// A verifier with a fresh dummy hash (one Argon2id hashing) and its worker threads, which
    /// end when it is dropped.
    pub fn new() -> Self {
        let mut secret = [0u8; 32];
        // A fixed dummy would do as well; a random one is never a real token.
        let _ = getrandom::fill(&mut secret);
        let dummy = hash_token(&hex::encode(secret))
            .map(|hash| hash.as_stored().to_owned())
            .unwrap_or_default();
        let (jobs, queue) = sync_channel::<Job>(ARGON2_WAITING);
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..ARGON2_THREADS {
            let queue = Arc::clone(&queue);
            let spawned = std::thread::Builder::new()
                .name("peba-argon2".to_owned())
                .spawn(move || work(&queue));
            if let Err(error) = spawned {
                tracing::warn!(%error, "cannot start a token verification thread");
            }
        }
        Verifier {
            jobs,
            dummy: Arc::from(dummy),
            dummy_runs: AtomicU64::new(0),
        }
    }

    /// Whether `token` matches `stored`; no stored hash (unknown user) verifies the dummy hash
    /// and answers `false`.
    pub async fn verify(&self, stored: Option<&TokenHash>, token: &str) -> Result<bool, Busy> {
        match stored {
            Some(TokenHash::Sha512Hex(hex)) => {
                Ok(hex_digest_matches(hex, &Sha512::digest(token.as_bytes())))
            }
            Some(TokenHash::Md5Hex(hex)) => {
                Ok(hex_digest_matches(hex, &Md5::digest(token.as_bytes())))
            }
            Some(TokenHash::Argon2(phc)) => self.argon2(Arc::from(phc.as_str()), token).await,
            Some(TokenHash::Unusable(_)) | None => {
                self.dummy_runs.fetch_add(1, Ordering::Relaxed);
                self.argon2(Arc::clone(&self.dummy), token).await?;
                Ok(false)
            }
        }
    }

    /// How many dummy verifications ran.
    pub fn dummy_runs(&self) -> u64 {
        self.dummy_runs.load(Ordering::Relaxed)
    }

    async fn argon2(&self, phc: Arc<str>, token: &str) -> Result<bool, Busy> {
        let (answer, answered) = oneshot::channel();
        let job = Job {
            phc,
            token: token.to_owned(),
            answer,
        };
        self.jobs.try_send(job).map_err(|_| Busy)?;
        answered.await.map_err(|_| Busy)
    }
}

/// A worker thread: verifies queued jobs until the verifier is gone, in one working memory
/// it keeps (allocating it per verification lets the process grow by ~19 MiB a verification
/// under the allocator's rules for large blocks).
fn work(queue: &Mutex<Receiver<Job>>) {
    let mut memory: Vec<Block> = Vec::new();
    loop {
        let next = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        let Ok(job) = next else {
            return;
        };
        let matches = argon2_matches(&job.phc, job.token.as_bytes(), &mut memory);
        let _ = job.answer.send(matches);
    }
}

/// Largest Argon2id memory cost accepted in a stored hash (KiB): stored hashes above it never
/// match rather than take more memory.
const MAX_MEMORY_KIB: u32 = 64 * 1024;

/// Whether `token` hashes to the PHC string `phc`, computed in `memory`.
fn argon2_matches(phc: &str, token: &[u8], memory: &mut Vec<Block>) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return false;
    };
    let Ok(params) = Params::try_from(&hash) else {
        return false;
    };
    let algorithm = Algorithm::try_from(hash.algorithm.as_str());
    let version = hash
        .version
        .map_or(Ok(Version::default()), Version::try_from);
    let (Ok(algorithm), Ok(version)) = (algorithm, version) else {
        return false;
    };
    if params.m_cost() > MAX_MEMORY_KIB {
        return false;
    }
    memory.resize(params.block_count(), Block::default());
    let mut computed = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(token, salt, &mut computed, memory.as_mut_slice())
        .is_ok()
        && bool::from(computed.as_slice().ct_eq(expected.as_bytes()))
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier::new()
    }
}

/// A token that could not be hashed.
#[derive(Debug, thiserror::Error)]
#[error("cannot hash the token: {0}")]
pub struct HashError(argon2::password_hash::Error);

/// Hashes a new user's token with Argon2id.
pub fn hash_token(token: &str) -> Result<TokenHash, HashError> {
    Argon2::default()
        .hash_password(token.as_bytes())
        .map(|hash| TokenHash::Argon2(hash.to_string()))
        .map_err(HashError)
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
    use argon2::password_hash::PasswordVerifier;

    #[tokio::test]
    async fn waiting_verifications_are_bounded() {
        let verifier = Arc::new(Verifier::new());
        let stored = hash_token("right").unwrap();
        let checks = (0..3 * (ARGON2_THREADS + ARGON2_WAITING)).map(|_| {
            let (verifier, stored) = (Arc::clone(&verifier), stored.clone());
            async move { verifier.verify(Some(&stored), "wrong").await }
        });
        let answers = futures::future::join_all(checks).await;
        let busy = answers.iter().filter(|a| a.is_err()).count();
        assert!(busy > 0, "some checks beyond the bound are refused");
        assert!(answers.iter().all(|a| *a != Ok(true)));
        // once the queue drains, verification works again
        assert_eq!(verifier.verify(Some(&stored), "right").await, Ok(true));
    }

    #[test]
    fn verification_in_kept_memory_matches_the_reference() {
        let mut memory = Vec::new();
        let stored = hash_token("right").unwrap();
        let phc = stored.as_stored();
        for token in ["right", "wrong", ""] {
            let reference = Argon2::default()
                .verify_password(token.as_bytes(), &PasswordHash::new(phc).unwrap())
                .is_ok();
            assert_eq!(
                argon2_matches(phc, token.as_bytes(), &mut memory),
                reference
            );
        }
        assert!(argon2_matches(phc, b"right", &mut memory));
        assert!(!argon2_matches(
            "$argon2id$v=19$m=19456,t=2,p=1$bad",
            b"right",
            &mut memory
        ));
    }

    #[tokio::test]
    async fn unknown_users_cost_a_dummy_verification() {
        let verifier = Verifier::new();
        assert_eq!(verifier.verify(None, "anything").await, Ok(false));
        let unusable = TokenHash::Unusable("plain".into());
        assert_eq!(verifier.verify(Some(&unusable), "plain").await, Ok(false));
        assert_eq!(verifier.dummy_runs(), 2);
    }
}
