//! The root types: every question (`Query`), the login (`Mutation`) and the live feed
//! (`Subscription`).

use super::auth::{Principal, TokenRequired};
use super::errors::{self, bad_input, coded};
use super::inputs::{AlertFilterInput, DataDomain, DateTime, GapFill, TimeField};
use super::subscriptions;
use super::types::{
    AlertConnection, AlertNode, AlertStats, AttackerCount, Health, HoneypotStatistics,
    HoneypotTypeCount, IpReport, LoginResult, StatisticsSnapshot, TimeBucket, TimelineSpec,
    TypeRatio, Viewer, decode_cursor, page_size, state, timeline,
};
use super::{MAX_ATTACKERS, MAX_PAGE};
use crate::auth::{Attempt, AuthError};
use crate::domain::{self, AlertFilter, ServiceHealth, TermField, Timestamp};
use crate::http::ClientAddr;
use async_graphql::{Context, Object, Result, Subscription};
use futures::Stream;
use serde_json::Value;

/// Page size of the alerts connection when neither `first` nor `last` is given.
const DEFAULT_PAGE: i32 = 50;

/// Every question about the alerts.
pub struct Query;

pub(super) fn filter_of(
    ctx: &Context<'_>,
    domain: DataDomain,
    filter: Option<&AlertFilterInput>,
) -> Result<AlertFilter> {
    let now = state(ctx)?.clock.now();
    AlertFilterInput::resolve(filter, &Principal::of(ctx), domain, now)
}

/// Every question about the alerts. Every data field takes `domain` (default `COMMUNITY`);
/// users whose token is limited to community data always get community data.
#[Object(name = "CoreQuery")]
impl Query {
    /// Alerts received in the last minute, 5 minutes, hour and 24 hours (legacy
    /// `retrieveAlertStats`).
    #[graphql(complexity = "4 * super::STORE_COST + child_complexity")]
    async fn alert_stats(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default,
            desc = "Which alerts: community (default), private or all; callers without a token and community-only users get community data."
        )]
        domain: DataDomain,
    ) -> Result<AlertStats> {
        let state = state(ctx)?;
        let domain = Principal::of(ctx).domain(domain.into());
        let stats = state
            .query
            .alert_stats(domain, state.clock.now())
            .await
            .map_err(errors::store)?;
        Ok(stats.into())
    }

    /// Matching alerts, newest first by `orderBy` (ties: id descending), as a Relay cursor
    /// connection. `after` and `before` bound the listing (alerts behind `after`, alerts in
    /// front of `before`); of those, `first` takes the first and `last` the last ones (one of
    /// them, at most 500; default: the first 50, or the last 50 when only `before` is given).
    /// Page forward with `first` and `after` (a page's `endCursor`), backward with `last` and
    /// `before` (a page's `startCursor`).
    #[allow(clippy::too_many_arguments)]
    #[graphql(
        complexity = "2 * super::STORE_COST + (first.unwrap_or(0).max(last.unwrap_or(0)).max(0) as usize) * child_complexity / 10"
    )]
    async fn alerts(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default,
            desc = "Which alerts: community (default), private or all; callers without a token and community-only users get community data."
        )]
        domain: DataDomain,
        #[graphql(desc = "Only alerts matching this filter.")] filter: Option<AlertFilterInput>,
        #[graphql(
            desc = "Page size from the start (0 to 500): the newest alerts behind `after` (or overall), stopping before `before`."
        )]
        first: Option<i32>,
        #[graphql(desc = "Only alerts behind this cursor (an `endCursor`).")] after: Option<String>,
        #[graphql(
            desc = "Page size from the end (0 to 500): the alerts just in front of `before` (or the oldest ones), stopping at `after`."
        )]
        last: Option<i32>,
        #[graphql(desc = "Only alerts in front of this cursor (a `startCursor`).")] before: Option<
            String,
        >,
        #[graphql(default, desc = "The time that orders the listing.")] order_by: TimeField,
    ) -> Result<AlertConnection> {
        let filter = filter_of(ctx, domain, filter.as_ref())?;
        let order_by: domain::TimeField = order_by.into();
        let cursor =
            |c: Option<String>| c.as_deref().map(|c| decode_cursor(order_by, c)).transpose();
        if first.is_some() && last.is_some() {
            return Err(bad_input(
                "give `first` (the start of the range) or `last` (its end), not both",
            ));
        }
        let backward = last.is_some() || (first.is_none() && before.is_some());
        let bounds = (cursor(after)?, cursor(before)?);
        let query = &state(ctx)?.query;
        if backward {
            let limit = page_size(last.unwrap_or(DEFAULT_PAGE), MAX_PAGE)?;
            AlertConnection::backward(query, filter, order_by, limit, bounds).await
        } else {
            let limit = page_size(first.unwrap_or(DEFAULT_PAGE), MAX_PAGE)?;
            AlertConnection::forward(query, filter, order_by, limit, bounds).await
        }
    }

    /// Number of matching alerts (legacy `retrieveAlertsCount`).
    #[graphql(complexity = "super::STORE_COST + child_complexity")]
    async fn alert_count(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default,
            desc = "Which alerts: community (default), private or all; callers without a token and community-only users get community data."
        )]
        domain: DataDomain,
        #[graphql(desc = "Only alerts matching this filter.")] filter: Option<AlertFilterInput>,
    ) -> Result<u64> {
        let filter = filter_of(ctx, domain, filter.as_ref())?;
        state(ctx)?
            .query
            .count(&filter)
            .await
            .map_err(errors::store)
    }

    /// Matching alerts over time in buckets of `intervalSeconds` (60 s to 366 days),
    /// optionally split into the `splitByType` most frequent honeypot types per bucket and
    /// completed with empty buckets as `fill` says (legacy `datasetAlertsPerMonth`,
    /// `datasetAlertTypesPerMonth`).
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "super::STORE_COST + child_complexity")]
    async fn timeline(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default,
            desc = "Which alerts: community (default), private or all; callers without a token and community-only users get community data."
        )]
        domain: DataDomain,
        #[graphql(desc = "Only alerts matching this filter.")] filter: Option<AlertFilterInput>,
        #[graphql(default, desc = "Which time of the alerts is bucketed.")] field: TimeField,
        #[graphql(
            desc = "Bucket width in seconds (60 s to 366 days); buckets start at multiples of it since the epoch (a day at UTC midnight)."
        )]
        interval_seconds: i32,
        #[graphql(
            default = 0,
            desc = "Split each bucket into this many most frequent honeypot types (0: no split)."
        )]
        split_by_type: i32,
        #[graphql(default, desc = "Which empty buckets are added.")] fill: GapFill,
        #[graphql(
            desc = "First bucket of `fill: RANGE` (default: the start of the filter's window)."
        )]
        fill_from: Option<DateTime>,
        #[graphql(
            desc = "Last bucket of `fill: RANGE` (default: the end of the filter's window, or now)."
        )]
        fill_to: Option<DateTime>,
    ) -> Result<Vec<TimeBucket>> {
        let filter = filter_of(ctx, domain, filter.as_ref())?;
        let spec = TimelineSpec {
            field,
            interval_seconds,
            split_by_type,
            fill,
            fill_from,
            fill_to,
        };
        timeline(state(ctx)?, &filter, &spec).await
    }

    /// Distinct attacker addresses with their number of alerts, most active first; by default
    /// only globally routable ones, as the legacy blocklists (`retrieveIPs`,
    /// `retrieveIPs15m`). `first` is at most 10000. Needs a token.
    #[graphql(
        guard = "TokenRequired",
        complexity = "super::STORE_COST + child_complexity"
    )]
    async fn attackers(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default,
            desc = "Which alerts: community (default), private or all; callers without a token and community-only users get community data."
        )]
        domain: DataDomain,
        #[graphql(desc = "Only alerts matching this filter.")] filter: Option<AlertFilterInput>,
        #[graphql(default = 100, desc = "How many to give (at most 1000).")] first: i32,
        #[graphql(default = true, desc = "Only globally routable addresses.")] global_only: bool,
    ) -> Result<Option<Vec<AttackerCount>>> {
        let limit = page_size(first, MAX_ATTACKERS)?;
        let filter = filter_of(ctx, domain, filter.as_ref())?;
        let terms = state(ctx)?
            .query
            .attackers(&filter, global_only, limit)
            .await
            .map_err(errors::store)?;
        Ok(Some(
            terms
                .into_iter()
                .map(|t| AttackerCount {
                    ip: t.key,
                    count: t.count,
                })
                .collect(),
        ))
    }

    /// What one source address did (legacy `querySingleIP`). Needs a token.
    #[graphql(guard = "TokenRequired")]
    async fn ip_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The source address (IPv4 or IPv6).")] ip: String,
        #[graphql(
            default,
            desc = "Which alerts: community (default), private or all; callers without a token and community-only users get community data."
        )]
        domain: DataDomain,
    ) -> Result<Option<IpReport>> {
        let address: std::net::IpAddr = ip
            .trim()
            .parse()
            .map_err(|_| bad_input(format!("not an IP address: {ip:?}")))?;
        let filter =
            filter_of(ctx, domain, None)?.matching(TermField::SourceIp, address.to_string());
        Ok(Some(IpReport {
            ip: address,
            filter,
        }))
    }

    /// The installations behind matching alerts (legacy `TpotStats` asks for one UTC day of
    /// community data).
    #[graphql(complexity = "4 * super::STORE_COST + child_complexity")]
    async fn honeypot_statistics(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default,
            desc = "Which alerts: community (default), private or all; callers without a token and community-only users get community data."
        )]
        domain: DataDomain,
        #[graphql(desc = "Only alerts matching this filter.")] filter: Option<AlertFilterInput>,
    ) -> Result<HoneypotStatistics> {
        let filter = filter_of(ctx, domain, filter.as_ref())?;
        let stats = state(ctx)?
            .query
            .honeypot_statistics(&filter)
            .await
            .map_err(errors::store)?;
        Ok(HoneypotStatistics {
            total_alerts: stats.total_alerts,
            alerts_per_type: stats.alerts_per_type.into_iter().map(Into::into).collect(),
            total_honeypots: stats.honeypots,
            total_daemons: stats.daemons,
            honeypots_per_type: stats
                .honeypots_per_type
                .into_iter()
                .map(|(honeypot_type, count)| HoneypotTypeCount {
                    honeypot_type,
                    count,
                })
                .collect(),
        })
    }

    /// Pre-computed community statistics whose period starts in `[from, to]` (both
    /// inclusive; default: the last 24 hours), with the ratios of the named honeypot types
    /// (legacy `getStats`). These documents describe community data: `PRIVATE` gets none.
    /// Documents whose `UTCtimeFrom` is not a time are left out.
    #[graphql(complexity = "super::STORE_COST + child_complexity")]
    async fn community_statistics(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default,
            desc = "Which alerts: community (default), private or all; callers without a token and community-only users get community data."
        )]
        domain: DataDomain,
        #[graphql(desc = "Earliest period start (inclusive; default: 24 hours ago).")] from: Option<
            DateTime,
        >,
        #[graphql(desc = "Latest period start (inclusive; default: now).")] to: Option<DateTime>,
        #[graphql(
            default,
            desc = "Honeypot types whose ratios to give (as the documents name them)."
        )]
        honeypot_types: Vec<String>,
    ) -> Result<Vec<StatisticsSnapshot>> {
        let state = state(ctx)?;
        if Principal::of(ctx).domain(domain.into()) == domain::DataDomain::Private {
            return Ok(Vec::new());
        }
        let now = state.clock.now();
        let from = from.map_or(now.plus_seconds(-Timestamp::DAY), |t| t.0);
        let to = to.map_or(now, |t| t.0);
        let documents = state
            .query
            .statistics(from, to)
            .await
            .map_err(errors::store)?;
        let number = |v: Option<&Value>| match v {
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        };
        let time = |v: Option<&Value>| match v {
            Some(Value::String(s)) => DateTime::parse(s.trim()).map(DateTime),
            _ => None,
        };
        // A later document with the same start replaces an earlier one, as in `getStats`.
        let mut out: Vec<StatisticsSnapshot> = Vec::new();
        for document in documents {
            let Some(start) = time(document.get("UTCtimeFrom")) else {
                continue;
            };
            let snapshot = StatisticsSnapshot {
                to: time(document.get("UTCtimeTo")),
                total_ratio: number(document.get("comm_totalRatio")),
                ratios: honeypot_types
                    .iter()
                    .filter_map(|t| {
                        let value = document.get(&format!("comm_ratio_{t}"))?;
                        Some(TypeRatio {
                            honeypot_type: t.clone(),
                            ratio: number(Some(value)),
                        })
                    })
                    .collect(),
                from: start,
            };
            match out.iter_mut().find(|s| s.from == snapshot.from) {
                Some(existing) => *existing = snapshot,
                None => out.push(snapshot),
            }
        }
        Ok(out)
    }

    /// Whether the store and the ingest writer work (legacy `heartbeat`, `alert/heartbeat`).
    #[graphql(complexity = "super::STORE_COST + child_complexity")]
    async fn health(&self, ctx: &Context<'_>) -> Result<Health> {
        let state = state(ctx)?;
        let health = ServiceHealth {
            store_up: state.query.health().await,
            ingest_up: state.writer.is_healthy(),
        };
        Ok(Health {
            store_up: health.store_up,
            ingest_up: health.ingest_up,
            ingest_backlog: state.writer.backlog() as u64,
            heartbeat: health.token().to_owned(),
        })
    }

    /// The caller, as its token says; none without a token.
    async fn viewer(&self, ctx: &Context<'_>) -> Option<Viewer> {
        Viewer::of(&Principal::of(ctx))
    }
}

/// Actions.
pub struct Mutation;

/// Actions.
#[Object]
impl Mutation {
    /// Exchanges a stored user's name and token (as used by the legacy private routes) for a
    /// signed login token carrying the user's permissions. The community account has no
    /// special rights and cannot log in.
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's name.")] username: String,
        #[graphql(desc = "The user's token (as sent to the legacy private routes).")] token: String,
    ) -> Result<LoginResult> {
        let state = state(ctx)?;
        let attempt = Attempt {
            username: &username,
            token: &token,
            client: ctx.data_opt::<ClientAddr>().map(|c| c.0),
        };
        let login = match state.auth.login(attempt).await {
            Ok(login) => login,
            Err(AuthError::Store(error)) => return Err(errors::store(error)),
            Err(error @ (AuthError::RateLimited { .. } | AuthError::Busy(_))) => {
                return Err(coded(errors::RATE_LIMITED, error.to_string()));
            }
            Err(_) => return Err(coded(errors::UNAUTHENTICATED, "credentials rejected")),
        };
        let (token, expires) = state
            .jwt
            .issue(
                login.user.name.as_str(),
                login.community_only,
                login.can_submit,
                state.jwt.user_version(&login.user),
                state.clock.now(),
            )
            .map_err(|error| {
                tracing::warn!(%error, "cannot sign a login token");
                coded("INTERNAL", "cannot issue a token")
            })?;
        Ok(LoginResult {
            token,
            expires_at: DateTime(expires),
        })
    }
}

/// Live feeds.
pub struct Subscription;

/// Live feeds (WebSocket, `graphql-transport-ws` protocol, at `/graphql/ws`).
#[Subscription]
impl Subscription {
    /// Every newly stored alert matching the filter, pushed once it is durable. Time windows
    /// given as `lastMinutes` are fixed when the subscription starts. A subscription opened
    /// with a token ends with an `UNAUTHENTICATED` error when the token expires or its user is
    /// removed.
    async fn alert_added(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default,
            desc = "Which alerts: community (default), private or all; callers without a token and community-only users get community data."
        )]
        domain: DataDomain,
        #[graphql(desc = "Only alerts matching this filter.")] filter: Option<AlertFilterInput>,
    ) -> Result<impl Stream<Item = Result<AlertNode>> + use<>> {
        let state = state(ctx)?;
        let filter = filter_of(ctx, domain, filter.as_ref())?;
        let slots = ctx
            .data_opt::<subscriptions::ConnectionSlots>()
            .ok_or_else(|| bad_input("subscriptions run over the WebSocket at /graphql/ws"))?;
        let slot = slots.acquire()?;
        let session = ctx
            .data_opt::<subscriptions::Session>()
            .cloned()
            .unwrap_or_default();
        Ok(subscriptions::alerts(state.clone(), filter, session, slot))
    }
}
