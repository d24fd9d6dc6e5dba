//! The object types of the schema, one module per job; re-exported here for the root types.

mod alert;
mod connection;
mod counts;
mod cursor;
mod ip_report;
mod ranked;
mod service;
mod statistics;
mod timeline;

pub use alert::{AlertNode, Country, Credentials, Endpoint, GeoPoint, Sensor, Session};
pub use connection::{AlertConnection, AlertEdge, PageInfo};
pub use counts::{AlertStats, AttackerCount, CountryCount, GeoPointCount, HoneypotTypeCount};
pub use cursor::{decode_cursor, encode_cursor};
pub use ip_report::{AutonomousSystem, IpReport};
pub use ranked::{RankedValue, page_size, ranked, top};
pub use service::{Health, LoginResult, Viewer};
pub use statistics::{HoneypotStatistics, StatisticsSnapshot, TypeRatio};
pub use timeline::{MAX_INTERVAL, MAX_SPLIT, MIN_INTERVAL, TimeBucket, TimelineSpec, timeline};

use crate::app::AppState;
use async_graphql::{Context, Result};

/// The application state of a request.
pub fn state<'a>(ctx: &Context<'a>) -> Result<&'a AppState> {
    ctx.data::<AppState>()
}
