//! peba: the honeypot alert backend for T-Pot's ewsposter, successor of PEBA.
//!
//! How the crate is laid out:
//!
//! - [`domain`]: the alert, data domains, time, users, and the typed queries and results.
//! - [`ingest`]: EWS-SimpleMessage parsing, validation, classification and enrichment.
//! - [`store`]: the [`store::Store`] trait and its backends.

pub mod domain;
pub mod ingest;
pub mod store;
