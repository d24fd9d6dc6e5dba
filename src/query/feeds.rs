//! The questions of the exports and attacker feeds: every matching alert as a stream read
//! page by page, and the attacker aggregation.

use super::QueryLayer;
use crate::domain::{
    Alert, AlertCursor, AlertFilter, AlertPage, Attacker, AttackerQuery, TimeField,
};
use crate::store::StoreError;
use futures::Stream;
use std::sync::Arc;

/// Alerts per store read of [`alert_stream`].
pub const STREAM_PAGE: usize = 1_000;

impl QueryLayer {
    /// The attackers `query` asks for, ranked (most alerts first).
    pub async fn attacker_feed(&self, query: &AttackerQuery) -> Result<Vec<Attacker>, StoreError> {
        if query.limit == 0 {
            return Ok(Vec::new());
        }
        self.store.attackers(query).await
    }
}

/// Every alert matching `filter`, newest first by `order_by` (ties: id descending), read in
/// pages of [`STREAM_PAGE`] continuing after the last alert seen, so that at most one page is
/// held at a time. Stops after `limit` alerts when one is given, and after the first error.
pub fn alert_stream(
    layer: Arc<QueryLayer>,
    filter: AlertFilter,
    order_by: TimeField,
    limit: Option<u64>,
) -> impl Stream<Item = Result<Vec<Alert>, StoreError>> + Send + 'static {
    struct State {
        layer: Arc<QueryLayer>,
        page: AlertPage,
        left: u64,
    }
    let state = State {
        layer,
        page: AlertPage {
            filter,
            order_by,
            limit: STREAM_PAGE,
            after: None,
        },
        left: limit.unwrap_or(u64::MAX),
    };
    futures::stream::try_unfold(state, move |mut state| async move {
        if state.left == 0 {
            return Ok(None);
        }
        state.page.limit = usize::try_from(state.left).map_or(STREAM_PAGE, |l| l.min(STREAM_PAGE));
        let alerts = state.layer.alerts_page(&state.page).await?;
        let Some(last) = alerts.last() else {
            return Ok(None);
        };
        state.page.after = Some(AlertCursor {
            time: match order_by {
                TimeField::Received => last.recieved_time,
                TimeField::Created => last.create_time,
            },
            id: last.id.clone(),
        });
        state.left = if alerts.len() < state.page.limit {
            0
        } else {
            state.left - alerts.len() as u64
        };
        Ok(Some((alerts, state)))
    })
}
