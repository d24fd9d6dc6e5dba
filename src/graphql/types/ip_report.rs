//! What one source address did.

use super::{
    AlertConnection, AlertNode, Country, HoneypotTypeCount, RankedValue, decode_cursor, page_size,
    ranked, state, top,
};
use crate::domain::{self, Alert, AlertFilter, Attacker, AttackerQuery, TermField};
use crate::graphql::errors::{self};
use crate::graphql::inputs::{DateTime, TimeField};
use crate::graphql::loaders::prefetch_sensors;
use async_graphql::{Context, Object, Result};
use std::sync::Arc;

/// What a source address did. Needs a token.
pub struct IpReport {
    /// The address.
    pub ip: std::net::IpAddr,
    /// Its alerts in the caller's domain.
    pub filter: AlertFilter,
}

impl IpReport {
    /// Its alerts aggregated: count, first and last received time.
    async fn seen(&self, ctx: &Context<'_>) -> Result<Option<Attacker>> {
        let query = AttackerQuery {
            filter: self.filter.clone(),
            min_count: 1,
            global_only: false,
            limit: 1,
        };
        let found = state(ctx)?
            .query
            .attacker_feed(&query)
            .await
            .map_err(errors::store)?;
        Ok(found.into_iter().next())
    }

    /// Its newest alert by received time.
    async fn newest(&self, ctx: &Context<'_>) -> Result<Option<Alert>> {
        let alerts = state(ctx)?
            .query
            .latest_alerts(&self.filter, domain::TimeField::Received, 1)
            .await
            .map_err(errors::store)?;
        Ok(alerts.into_iter().next())
    }
}

/// What a source address did.
#[Object]
impl IpReport {
    /// When peba received its first alert; null without alerts.
    #[graphql(complexity = "crate::graphql::STORE_COST + child_complexity")]
    async fn first_seen(&self, ctx: &Context<'_>) -> Result<Option<DateTime>> {
        Ok(self.seen(ctx).await?.map(|a| DateTime(a.first_seen)))
    }

    /// When peba received its last alert; null without alerts.
    #[graphql(complexity = "crate::graphql::STORE_COST + child_complexity")]
    async fn last_seen(&self, ctx: &Context<'_>) -> Result<Option<DateTime>> {
        Ok(self.seen(ctx).await?.map(|a| DateTime(a.last_seen)))
    }

    /// The address's country as its newest alert records it (from the GeoIP database of
    /// that time); null without alerts or when the database did not know it (stored as `-`).
    #[graphql(complexity = "crate::graphql::STORE_COST + child_complexity")]
    async fn country(&self, ctx: &Context<'_>) -> Result<Option<Country>> {
        Ok(self.newest(ctx).await?.and_then(|a| {
            a.source_country().map(|(code, name)| Country {
                code: code.to_owned(),
                name: name.to_owned(),
            })
        }))
    }

    /// The address's autonomous system as its newest alert records it; null when unknown.
    #[graphql(complexity = "crate::graphql::STORE_COST + child_complexity")]
    async fn autonomous_system(&self, ctx: &Context<'_>) -> Result<Option<AutonomousSystem>> {
        Ok(self
            .newest(ctx)
            .await?
            .and_then(|a| a.source_as().map(AutonomousSystem::parse)))
    }

    /// Its alerts, newest first by received time (ties: id descending), as a Relay cursor
    /// connection.
    #[graphql(
        complexity = "2 * crate::graphql::STORE_COST + (first.max(0) as usize) * child_complexity / 10"
    )]
    async fn alert_page(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50, desc = "Page size (0 to 500).")] first: i32,
        #[graphql(desc = "Continue behind this cursor (an `endCursor`).")] after: Option<String>,
    ) -> Result<AlertConnection> {
        let limit = page_size(first, crate::graphql::MAX_PAGE)?;
        let order_by = domain::TimeField::Received;
        let after = after
            .as_deref()
            .map(|c| decode_cursor(order_by, c))
            .transpose()?;
        let query = &state(ctx)?.query;
        AlertConnection::forward(query, self.filter.clone(), order_by, limit, (after, None)).await
    }

    /// The address.
    async fn ip(&self) -> String {
        self.ip.to_string()
    }

    /// Whether the address is globally routable (legacy blocklists list only these).
    async fn is_global(&self) -> bool {
        crate::ingest::is_global(self.ip)
    }

    /// Its alerts.
    #[graphql(complexity = "crate::graphql::STORE_COST + child_complexity")]
    async fn alert_count(&self, ctx: &Context<'_>) -> Result<u64> {
        state(ctx)?
            .query
            .count(&self.filter)
            .await
            .map_err(errors::store)
    }

    /// The honeypot types it attacked, most frequent first.
    #[graphql(complexity = "crate::graphql::STORE_COST + child_complexity")]
    async fn honeypot_types(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10, desc = "How many to give (at most 1000).")] first: i32,
    ) -> Result<Vec<HoneypotTypeCount>> {
        let terms = top(ctx, &self.filter, TermField::PeerType, first).await?;
        Ok(terms.into_iter().map(Into::into).collect())
    }

    /// The honeypot ports it attacked, most frequent first.
    #[graphql(
        complexity = "crate::graphql::STORE_COST + (first.max(0) as usize) * child_complexity"
    )]
    async fn target_ports(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10, desc = "How many to give (at most 1000).")] first: i32,
    ) -> Result<Vec<RankedValue>> {
        let terms = top(ctx, &self.filter, TermField::TargetPort, first).await?;
        Ok(ranked(terms, TermField::TargetPort, &self.filter))
    }

    /// Its newest alerts (legacy `querySingleIP` orders by `CREATED`).
    #[graphql(
        complexity = "crate::graphql::STORE_COST + (first.max(0) as usize) * child_complexity / 10"
    )]
    async fn alerts(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 5, desc = "How many to give (at most 1000).")] first: i32,
        #[graphql(
            default_with = "TimeField::Created",
            desc = "The time that orders the alerts."
        )]
        order_by: TimeField,
    ) -> Result<Vec<AlertNode>> {
        let limit = page_size(first, crate::graphql::MAX_PAGE)?;
        let alerts = state(ctx)?
            .query
            .latest_alerts(&self.filter, order_by.into(), limit)
            .await
            .map_err(errors::store)?;
        let alerts: Vec<Arc<Alert>> = alerts.into_iter().map(Arc::new).collect();
        prefetch_sensors(ctx, ctx.look_ahead(), &alerts).await?;
        Ok(alerts.into_iter().map(AlertNode).collect())
    }
}

/// An autonomous system.
#[derive(async_graphql::SimpleObject, Debug, Clone, PartialEq)]
pub struct AutonomousSystem {
    /// The AS number; null when the stored value does not start with `AS<number>` (`IANA`
    /// for private ranges).
    pub number: Option<u32>,
    /// The organisation's name.
    pub name: Option<String>,
    /// The stored value (`AS<number> <name>`).
    pub value: String,
}

impl AutonomousSystem {
    /// Reads a stored `AS<number> <name>` value.
    pub fn parse(value: &str) -> AutonomousSystem {
        let (number, name) = match value.split_once(' ') {
            Some((number, name)) => (number, Some(name.to_owned())),
            None => (value, None),
        };
        let number = number.strip_prefix("AS").and_then(|n| n.parse().ok());
        AutonomousSystem {
            number,
            name: name.or_else(|| number.is_none().then(|| value.to_owned())),
            value: value.to_owned(),
        }
    }
}
