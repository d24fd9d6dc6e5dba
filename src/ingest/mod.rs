//! Ingest core: from an EWS-SimpleMessage body to stored-alert documents, as PEBA built them.
//!
//! The pipeline, per message:
//!
//! 1. **parse** ([`ews::parse_message`]): the body becomes an [`EwsMessage`] (credentials plus
//!    the raw children of every `Alert`); hostile or malformed bodies are refused with an
//!    [`EwsError`].
//! 2. **authenticate** (elsewhere): the HTTP layer checks [`EwsMessage::credentials`] and
//!    decides the data domain.
//! 3. **validate, classify, enrich** ([`document::build_alerts`]): every alert is checked
//!    against the legacy rules (incomplete alerts are skipped with a [`SkipReason`]), its
//!    `peerType` is derived from the sensor id ([`classify`]), its time converted to UTC, its
//!    request string and payload fields computed, and both addresses enriched with GeoIP data
//!    ([`geoip::GeoIp`]). The result is a list of [`Alert`](crate::domain::Alert) documents
//!    with their deterministic ids, plus the CVE copies; free-text fields longer than
//!    `max_field_bytes` are cut afterwards ([`truncate`]).
//! 4. **store** ([`writer::BatchWriter`]): concurrent submissions are committed together, and
//!    each is acknowledged only once durable.

pub mod address;
pub mod classify;
pub mod cluster_feed;
pub mod document;
pub mod ews;
pub mod geoip;
pub mod pyfmt;
pub mod truncate;
pub mod writer;

#[cfg(test)]
mod fixture_tests;

pub use address::{is_global, is_private};
pub use classify::{Classification, classify};
pub use document::{
    BuildContext, BuiltAlerts, KIND_ALERT, KIND_CVE, SkipReason, SkippedAlert, build_alert,
    build_alerts, document_id,
};
pub use ews::{AlertChild, Credentials, Endpoint, EwsError, EwsMessage, RawAlert, parse_message};
pub use geoip::{GeoInfo, GeoIp, GeoIpError};
pub use writer::{BatchWriter, WriteError, WriterLimits};
