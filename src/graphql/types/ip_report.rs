//! What one source address did.

use super::{AlertNode, HoneypotTypeCount, RankedValue, page_size, ranked, state, top};
use crate::domain::{Alert, AlertFilter, TermField};
use crate::graphql::errors::{self};
use crate::graphql::inputs::TimeField;
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

/// What a source address did.
#[Object]
impl IpReport {
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
