//! The service and the caller: health, viewer and login results.

use crate::graphql::auth::Principal;
use crate::graphql::inputs::DateTime;
use async_graphql::SimpleObject;

/// Service health, as `/alert/heartbeat` reports it.
#[derive(SimpleObject, Debug, Clone)]
pub struct Health {
    /// The store answers.
    pub store_up: bool,
    /// The ingest writer runs and its backlog is under its limit.
    pub ingest_up: bool,
    /// Submissions waiting for the writer.
    pub ingest_backlog: u64,
    /// The legacy heartbeat token: `me`, `e`, `m` or `flatline`.
    pub heartbeat: String,
}

/// The caller, as its token says.
#[derive(SimpleObject, Debug, Clone)]
pub struct Viewer {
    /// User name.
    pub name: String,
    /// Sees community data only.
    pub community_only: bool,
    /// May submit alerts.
    pub can_submit: bool,
}

impl Viewer {
    /// The viewer of a principal (none when anonymous).
    pub fn of(principal: &Principal) -> Option<Viewer> {
        match principal {
            Principal::Anonymous => None,
            Principal::User {
                name,
                community_only,
                can_submit,
            } => Some(Viewer {
                name: name.clone(),
                community_only: *community_only,
                can_submit: *can_submit,
            }),
        }
    }
}

/// A login token.
#[derive(SimpleObject, Debug, Clone)]
pub struct LoginResult {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// When it stops being accepted.
    pub expires_at: DateTime,
}
