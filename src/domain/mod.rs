//! Domain types: the alert, its data domain, time, users, and the typed queries and results
//! that flow between the front ends, the query layer and the stores.

mod alert;
mod attackers;
mod data_domain;
mod geo;
mod health;
mod query;
mod request_string;
mod search;
mod text;
mod time;
mod user;
mod web;

pub use alert::{Alert, COMMUNITY_CLIENT, DEFAULT_SENSOR_IP, Submitter, UNDEFINED_HOSTNAME};
pub use attackers::{Attacker, AttackerDetails, AttackerQuery, AttackerRanking};
pub use data_domain::DataDomain;
pub use geo::GeoPoint;
pub use health::ServiceHealth;
pub use query::{
    AlertCursor, AlertFilter, AlertPage, CredentialCount, HistogramBucket, HistogramQuery,
    Installation, PortField, PortRange, TermCount, TermField, TimeField, names_as_number,
    rank_credentials, rank_terms, term_value,
};
pub use search::{SearchText, SearchTextError, searched_fields};
pub use text::{html_escape, unquote};
pub use time::{LEGACY_FORMAT, TimeRange, Timestamp, TimestampError};
pub use user::{TokenHash, User, UserName, UserNameError};
pub use web::{DerivedCounts, DerivedField};
