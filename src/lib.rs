//! peba: the honeypot alert backend for T-Pot's ewsposter, successor of PEBA.
//!
//! How the crate is laid out:
//!
//! - [`domain`]: the alert, data domains, time, users, and the typed queries and results that
//!   flow between the front ends, the query layer and the stores.
//! - [`ingest`]: EWS XML parsing, classification, GeoIP enrichment, and the group-commit
//!   writer that acknowledges a submission only once it is durable.
//! - [`store`]: the [`store::Store`] trait and its backends ([`store::embedded`], SQLite).
//! - [`query`]: the query layer both front ends read through (typed reads only).
//! - [`compat`]: the legacy PEBA REST routes (ingest and reads), byte-compatible, with their
//!   answer cache.
//! - [`graphql`]: the GraphQL API (queries, login tokens, the live alert subscription) and
//!   the offline playground.
//! - [`auth`]: credential checks for senders and readers, login tokens and their bearer check.
//! - [`http`]: the router, middleware, client addresses, connection limits and server;
//!   [`app`]: the state handlers share; `metrics`: the registry behind `GET /metrics`;
//!   [`logging`]: log filter and format.
//! - [`config`]: layered settings (defaults, TOML file, `PEBA_*` variables, flags);
//!   `clock`: where "now" comes from.
//! - [`cli`]: the `peba` command line; `import`: loading legacy Elasticsearch exports;
//!   [`healthcheck`]: the probe of a running server's heartbeat.
//! - `shutdown`: the graceful-shutdown signal and the sessions it waits for;
//!   `summary`: the start-up summary `peba serve` logs; [`retention`]: deleting old alerts.
//! - `feeds`: alert exports and attacker feeds behind a token.
//!
//! `clock`, `feeds`, `import`, `metrics`, `shutdown` and `summary` are private to the crate;
//! the types of theirs that [`app::AppState`] holds are re-exported here.

pub mod app;
pub mod auth;
pub mod cli;
mod clock;
pub mod compat;
pub mod config;
pub mod domain;
mod feeds;
pub mod graphql;
pub mod healthcheck;
pub mod http;
mod import;
pub mod ingest;
pub mod logging;
mod metrics;
pub mod query;
pub mod retention;
mod shutdown;
pub mod store;
mod summary;

pub use clock::Clock;
pub use metrics::Metrics;
pub use shutdown::Shutdown;
