//! Backoff of credential checks: every check that has to verify a token (a first use of the
//! token, or a wrong one) spends one attempt of the client address and one of the user name.
//! Each key may spend `attempts_per_minute` at once and regains them at that rate; beyond, the
//! check is refused without verifying anything.

use crate::http::client_addr::limit_key;
use governor::clock::{Clock, DefaultClock};
use governor::{Quota, RateLimiter};
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

/// Keys tracked per limiter before the idle ones are dropped.
const TRACKED_KEYS: usize = 100_000;

type Keyed<K> = RateLimiter<
    K,
    governor::state::keyed::DefaultKeyedStateStore<K>,
    DefaultClock,
    governor::middleware::NoOpMiddleware<<DefaultClock as Clock>::Instant>,
>;

/// Attempts left per client address (IPv6: per /64) and per user name.
pub struct Backoff {
    by_address: Keyed<IpAddr>,
    by_user: Keyed<String>,
    clock: DefaultClock,
}

impl Backoff {
    /// A backoff allowing `attempts_per_minute` checks per key and minute (at least one).
    pub fn new(attempts_per_minute: u32) -> Self {
        let quota =
            Quota::per_minute(NonZeroU32::new(attempts_per_minute).unwrap_or(NonZeroU32::MIN));
        Backoff {
            by_address: RateLimiter::keyed(quota),
            by_user: RateLimiter::keyed(quota),
            clock: DefaultClock::default(),
        }
    }

    /// Spends one attempt of `client` (when known) and of `user`; `Err` tells how long to wait
    /// when either has none left.
    pub fn spend(&self, client: Option<IpAddr>, user: &str) -> Result<(), Duration> {
        if let Some(client) = client {
            self.spend_on(&self.by_address, &limit_key(client))?;
        }
        self.spend_on(&self.by_user, &user.to_owned())
    }

    fn spend_on<K: Clone + Hash + Eq>(&self, limiter: &Keyed<K>, key: &K) -> Result<(), Duration> {
        if limiter.len() > TRACKED_KEYS {
            limiter.retain_recent();
        }
        limiter
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_users_run_out_separately() {
        let backoff = Backoff::new(3);
        let here = Some(IpAddr::from([192, 0, 2, 1]));
        let there = Some(IpAddr::from([192, 0, 2, 2]));
        for _ in 0..3 {
            assert!(backoff.spend(here, "alice").is_ok());
        }
        // the address is spent: any user name is refused from it
        let wait = backoff.spend(here, "bob").unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        // the user is spent: refused from another address too
        assert!(backoff.spend(there, "alice").is_err());
        assert!(backoff.spend(there, "bob").is_ok());
    }
}
