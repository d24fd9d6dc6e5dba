//! Bounds and lifetime of subscriptions. One WebSocket holds at most
//! `graphql_subscriptions_per_connection` of them and one client address at most
//! `graphql_subscriptions_per_address`; more are refused with `TOO_MANY_SUBSCRIPTIONS`. A
//! subscription opened with a token ends (one `UNAUTHENTICATED` error, then `complete`) when
//! the token expires or when a re-check, every `graphql_session_recheck`, finds the token
//! invalid or its user removed or narrowed to community data.

use super::auth::{claims_from_authorization, token_claims};
use super::errors::{UNAUTHENTICATED, coded};
use super::token_check;
use super::types::AlertNode;
use crate::app::AppState;
use crate::config::Settings;
use crate::domain::{Alert, AlertFilter, UserName};
use futures::Stream;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::time::{Instant, Interval, Sleep};

/// `extensions.code` of a subscription beyond a cap.
pub const TOO_MANY_SUBSCRIPTIONS: &str = "TOO_MANY_SUBSCRIPTIONS";

/// The caps, and the open subscriptions per client address.
pub struct SubscriptionLimits {
    per_connection: usize,
    per_address: usize,
    by_address: Mutex<HashMap<IpAddr, usize>>,
}

impl SubscriptionLimits {
    /// The caps the settings give.
    pub fn new(settings: &Settings) -> Arc<SubscriptionLimits> {
        Arc::new(SubscriptionLimits {
            per_connection: settings.graphql_subscriptions_per_connection,
            per_address: settings.graphql_subscriptions_per_address,
            by_address: Mutex::new(HashMap::new()),
        })
    }

    /// The slots of a new connection from `address` (none known: the connection cap only).
    pub fn connection(self: &Arc<Self>, address: Option<IpAddr>) -> ConnectionSlots {
        ConnectionSlots {
            limits: self.clone(),
            address,
            open: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn by_address(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, usize>> {
        self.by_address
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The subscription slots of one WebSocket connection (connection data).
#[derive(Clone)]
pub struct ConnectionSlots {
    limits: Arc<SubscriptionLimits>,
    address: Option<IpAddr>,
    open: Arc<AtomicUsize>,
}

impl ConnectionSlots {
    /// A slot for one more subscription, or the cap it would pass.
    pub fn acquire(&self) -> async_graphql::Result<Slot> {
        let limits = &self.limits;
        let refused = |what: &str, cap: usize| {
            coded(
                TOO_MANY_SUBSCRIPTIONS,
                format!("at most {cap} subscriptions per {what}"),
            )
        };
        if self
            .open
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < limits.per_connection).then_some(n + 1)
            })
            .is_err()
        {
            return Err(refused("connection", limits.per_connection));
        }
        if let Some(address) = self.address {
            let mut by_address = limits.by_address();
            let open = by_address.entry(address).or_default();
            if *open >= limits.per_address {
                drop(by_address);
                self.open.fetch_sub(1, Ordering::SeqCst);
                return Err(refused("client address", limits.per_address));
            }
            *open += 1;
        }
        Ok(Slot {
            slots: self.clone(),
        })
    }
}

/// One open subscription's place in the caps, given back when it ends.
pub struct Slot {
    slots: ConnectionSlots,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.slots.open.fetch_sub(1, Ordering::SeqCst);
        if let Some(address) = self.slots.address {
            let mut by_address = self.slots.limits.by_address();
            if let Some(open) = by_address.get_mut(&address) {
                *open -= 1;
                if *open == 0 {
                    by_address.remove(&address);
                }
            }
        }
    }
}

/// The `Authorization` a connection was opened with, re-checked while its subscriptions run
/// (connection data; deliberately without `Debug`, it carries a token).
#[derive(Clone, Default)]
pub struct Session {
    authorization: Option<String>,
}

impl Session {
    /// A session opened with `authorization` (none: anonymous).
    pub fn new(authorization: Option<String>) -> Session {
        Session { authorization }
    }

    /// How long until the token expires (on the service clock); none when anonymous.
    fn remaining(&self, state: &AppState) -> Option<Duration> {
        let claims = token_claims(token_check(state), self.authorization.as_deref()).ok()??;
        let seconds = claims.exp.saturating_sub(state.clock.now().unix());
        Some(Duration::from_secs(u64::try_from(seconds).unwrap_or(0)))
    }

    /// Whether the connection may go on: anonymous, or a token still valid whose user still
    /// exists with at least the token's rights. A store failure does not end it.
    async fn is_valid(&self, state: &AppState) -> bool {
        let claims = match claims_from_authorization(
            token_check(state),
            self.authorization.as_deref(),
        )
        .await
        {
            Ok(None) => return true,
            Ok(Some(claims)) => claims,
            Err(_) => return false,
        };
        let Ok(name) = UserName::parse(&claims.sub) else {
            return false;
        };
        match state.auth.current_user(&name).await {
            Ok(Some(user)) => claims.community_only || !user.community_only,
            Ok(None) => false,
            Err(error) => {
                tracing::warn!(%error, "cannot re-check a subscriber");
                true
            }
        }
    }
}

/// A subscription's live alerts matching `filter`, ending when `session` stops being valid.
pub fn alerts(
    state: AppState,
    filter: AlertFilter,
    session: Session,
    slot: Slot,
) -> impl Stream<Item = async_graphql::Result<AlertNode>> + use<> {
    let recheck = state.settings.graphql_session_recheck;
    let expiry = session
        .remaining(&state)
        .map(|remaining| Box::pin(tokio::time::sleep(remaining)));
    let watch = Watch {
        receiver: state.live.subscribe(),
        recheck: tokio::time::interval_at(Instant::now() + recheck, recheck),
        expiry,
        state,
        filter,
        session,
        ended: false,
        _slot: slot,
    };
    futures::stream::unfold(watch, |mut watch| async move {
        if watch.ended {
            return None;
        }
        let item = watch.next().await?;
        Some((item, watch))
    })
}

struct Watch {
    receiver: broadcast::Receiver<Arc<Alert>>,
    recheck: Interval,
    expiry: Option<std::pin::Pin<Box<Sleep>>>,
    state: AppState,
    filter: AlertFilter,
    session: Session,
    ended: bool,
    _slot: Slot,
}

enum Event {
    Received(Result<Arc<Alert>, broadcast::error::RecvError>),
    Check,
}

impl Watch {
    /// The next matching alert, the error that ends the subscription, or none once the feed
    /// closed.
    async fn next(&mut self) -> Option<async_graphql::Result<AlertNode>> {
        loop {
            let expiry = async {
                match self.expiry.as_mut() {
                    Some(sleep) => sleep.as_mut().await,
                    None => std::future::pending().await,
                }
            };
            let event = tokio::select! {
                received = self.receiver.recv() => Event::Received(received),
                _ = self.recheck.tick() => Event::Check,
                () = expiry => Event::Check,
            };
            match event {
                Event::Received(Ok(alert)) if self.filter.matches(&alert) => {
                    return Some(Ok(AlertNode(alert)));
                }
                Event::Received(Ok(_)) => {}
                Event::Received(Err(broadcast::error::RecvError::Lagged(skipped))) => {
                    tracing::warn!(skipped, "a slow subscriber skipped alerts");
                }
                Event::Received(Err(broadcast::error::RecvError::Closed)) => return None,
                Event::Check => {
                    if !self.session.is_valid(&self.state).await {
                        self.ended = true;
                        return Some(Err(coded(
                            UNAUTHENTICATED,
                            "the token expired or its user changed: subscription ended",
                        )));
                    }
                    // The next expiry check, if the token is still valid (a frozen clock).
                    self.expiry = self
                        .session
                        .remaining(&self.state)
                        .filter(|remaining| !remaining.is_zero())
                        .map(|remaining| Box::pin(tokio::time::sleep(remaining)));
                }
            }
        }
    }
}
