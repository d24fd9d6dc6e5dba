//! peba: the honeypot alert backend for T-Pot's ewsposter, successor of PEBA.
//!
//! How the crate is laid out:
//!
//! - [`domain`]: the alert, data domains, time, users, and the typed queries and results.
//! - [`store`]: the [`store::Store`] trait and its backends.
//! - [`query`]: the query layer both front ends read through, with the answer cache.
//! - [`compat`]: the legacy PEBA read routes (`/alert/*`), byte-for-byte compatible.

pub mod app;
pub mod auth;
pub mod clock;
pub mod compat;
pub mod config;
pub mod domain;
pub mod ingest;
pub mod query;
pub mod store;
