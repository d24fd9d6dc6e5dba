//! Domain types: the alert, its data domain, time, users, and the typed queries and results
//! that flow between the front ends, the query layer and the stores.

mod alert;
mod attackers;
mod data_domain;
mod query;
mod time;
mod user;

pub use alert::{Alert, COMMUNITY_CLIENT, DEFAULT_SENSOR_IP, Submitter, UNDEFINED_HOSTNAME};
pub use attackers::{
    Attacker, AttackerQuery, MAX_ATTACKER_PORTS, address_order, feed_port, rank_attackers,
};
pub use data_domain::DataDomain;
pub use query::{
    AlertCursor, AlertFilter, AlertPage, HistogramBucket, HistogramQuery, Installation, TermCount,
    TermField, TimeField, rank_terms,
};
pub use time::{LEGACY_FORMAT, TimeRange, Timestamp, TimestampError};
pub use user::{TokenHash, User, UserName, UserNameError};
