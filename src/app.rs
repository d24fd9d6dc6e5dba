//! The shared state every HTTP handler sees.

use crate::auth::Authenticator;
use crate::clock::Clock;
use crate::config::Settings;
use crate::query::QueryLayer;
use crate::store::Store;
use std::sync::Arc;

/// Everything a request handler needs, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The configuration in force.
    pub settings: Arc<Settings>,
    /// The alert and user store.
    pub store: Arc<dyn Store>,
    /// Credential checks.
    pub auth: Arc<Authenticator>,
    /// Where "now" comes from.
    pub clock: Clock,
    /// Typed reads and the answer cache; the front ends read through this, never the store.
    pub query: Arc<QueryLayer>,
}
