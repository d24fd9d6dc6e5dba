//! The alert listing as a Relay cursor connection.

use super::{AlertNode, encode_cursor, state};
use crate::domain::{self, Alert, AlertCursor, AlertFilter, AlertPage};
use crate::graphql::errors::{self};
use crate::graphql::loaders::prefetch_sensors;
use crate::query::QueryLayer;
use async_graphql::{Context, Object, Result, SimpleObject};
use std::sync::Arc;

/// A page of alerts, newest first.
pub struct AlertConnection {
    /// The filter of the listing, for `totalCount`.
    pub filter: AlertFilter,
    /// The order of the listing, for the cursors.
    pub order_by: domain::TimeField,
    /// The alerts of this page.
    pub alerts: Vec<Arc<Alert>>,
    /// Whether more follow.
    pub has_next_page: bool,
    /// Whether this page continues an earlier one.
    pub has_previous_page: bool,
}

impl AlertConnection {
    /// The first `limit` matching alerts listed after `after` (from the newest without it)
    /// and before `before` (up to the end without it).
    pub async fn forward(
        query: &QueryLayer,
        filter: AlertFilter,
        order_by: domain::TimeField,
        limit: usize,
        (after, before): (Option<AlertCursor>, Option<AlertCursor>),
    ) -> Result<AlertConnection> {
        let has_previous_page = after.is_some();
        let page = AlertPage {
            filter,
            order_by,
            limit: limit + 1,
            after,
        };
        let fetched = if limit == 0 {
            Vec::new()
        } else {
            query.alerts_page(&page).await.map_err(errors::store)?
        };
        let (mut alerts, cut) = bounded(fetched, |a| {
            before
                .as_ref()
                .is_none_or(|c| position(order_by, a) > (c.time, c.id.as_str()))
        });
        let has_next_page = cut || alerts.len() > limit;
        alerts.truncate(limit);
        Ok(AlertConnection::of(
            page,
            alerts,
            has_previous_page,
            has_next_page,
        ))
    }

    /// The last `limit` matching alerts listed before `before` (the oldest without it) and
    /// after `after` (from the start without it), in listing order.
    pub async fn backward(
        query: &QueryLayer,
        filter: AlertFilter,
        order_by: domain::TimeField,
        limit: usize,
        (after, before): (Option<AlertCursor>, Option<AlertCursor>),
    ) -> Result<AlertConnection> {
        let has_next_page = before.is_some();
        let page = AlertPage {
            filter,
            order_by,
            limit: limit + 1,
            after: before,
        };
        let fetched = if limit == 0 {
            Vec::new()
        } else {
            query
                .alerts_page_oldest_first(&page)
                .await
                .map_err(errors::store)?
        };
        let (mut alerts, cut) = bounded(fetched, |a| {
            after
                .as_ref()
                .is_none_or(|c| position(order_by, a) < (c.time, c.id.as_str()))
        });
        let has_previous_page = cut || alerts.len() > limit;
        alerts.truncate(limit);
        alerts.reverse();
        Ok(AlertConnection::of(
            page,
            alerts,
            has_previous_page,
            has_next_page,
        ))
    }

    fn of(
        page: AlertPage,
        alerts: Vec<Alert>,
        has_previous_page: bool,
        has_next_page: bool,
    ) -> AlertConnection {
        AlertConnection {
            filter: page.filter,
            order_by: page.order_by,
            alerts: alerts.into_iter().map(Arc::new).collect(),
            has_next_page,
            has_previous_page,
        }
    }
}

/// The position of `alert` in a listing by `order_by`: listings run from the greatest to the
/// smallest.
fn position(order_by: domain::TimeField, alert: &Alert) -> (domain::Timestamp, &str) {
    let time = match order_by {
        domain::TimeField::Received => alert.recieved_time,
        domain::TimeField::Created => alert.create_time,
    };
    (time, &alert.id)
}

/// The leading alerts of `fetched` (in fetch order) for which `inside` holds, and whether a
/// fetched alert lay beyond the bound.
fn bounded(fetched: Vec<Alert>, inside: impl Fn(&Alert) -> bool) -> (Vec<Alert>, bool) {
    let total = fetched.len();
    let kept: Vec<Alert> = fetched.into_iter().take_while(|a| inside(a)).collect();
    let cut = kept.len() < total;
    (kept, cut)
}

/// A page of alerts, newest first (Relay cursor connection).
#[Object]
impl AlertConnection {
    /// How many alerts match the filter in all.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        state(ctx)?
            .query
            .count(&self.filter)
            .await
            .map_err(errors::store)
    }

    /// The alerts with their cursors.
    async fn edges(&self, ctx: &Context<'_>) -> Result<Vec<AlertEdge>> {
        prefetch_sensors(ctx, ctx.look_ahead().field("node"), &self.alerts).await?;
        Ok(self
            .alerts
            .iter()
            .map(|a| AlertEdge {
                cursor: encode_cursor(self.order_by, a),
                node: AlertNode(a.clone()),
            })
            .collect())
    }

    /// The alerts.
    async fn nodes(&self, ctx: &Context<'_>) -> Result<Vec<AlertNode>> {
        prefetch_sensors(ctx, ctx.look_ahead(), &self.alerts).await?;
        Ok(self.alerts.iter().cloned().map(AlertNode).collect())
    }

    /// Where this page is.
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
            start_cursor: self.alerts.first().map(|a| encode_cursor(self.order_by, a)),
            end_cursor: self.alerts.last().map(|a| encode_cursor(self.order_by, a)),
        }
    }
}

/// An alert and its position.
#[derive(SimpleObject)]
pub struct AlertEdge {
    /// Pass as `after` to continue behind this alert.
    pub cursor: String,
    /// The alert.
    pub node: AlertNode,
}

/// Where a page is.
#[derive(SimpleObject, Debug, Clone)]
pub struct PageInfo {
    /// Whether more alerts follow.
    pub has_next_page: bool,
    /// Whether the page continues an earlier one.
    pub has_previous_page: bool,
    /// The first alert's cursor.
    pub start_cursor: Option<String>,
    /// The last alert's cursor.
    pub end_cursor: Option<String>,
}
