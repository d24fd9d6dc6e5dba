//! Ingest pipeline (placeholder until the parser lands).
mod classify;
pub use classify::Classification;
