//! The two data domains every alert belongs to, and the choice of them a query makes.

/// Which alerts a query sees: community (posted with the community credentials), private
/// (posted by stored users), or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DataDomain {
    /// Alerts with `clientDomain = true`.
    #[default]
    Community,
    /// Alerts with `clientDomain = false`.
    Private,
    /// Every alert.
    All,
}

impl DataDomain {
    /// Whether an alert with the given `clientDomain` flag belongs to this choice.
    pub fn includes(self, client_domain: bool) -> bool {
        match self {
            DataDomain::Community => client_domain,
            DataDomain::Private => !client_domain,
            DataDomain::All => true,
        }
    }

    /// The `clientDomain` value this choice pins, if it pins one.
    pub fn client_domain(self) -> Option<bool> {
        match self {
            DataDomain::Community => Some(true),
            DataDomain::Private => Some(false),
            DataDomain::All => None,
        }
    }

    /// Narrows the choice for a reader allowed community data only.
    pub fn restricted_to_community(self, community_only: bool) -> Self {
        if community_only {
            DataDomain::Community
        } else {
            self
        }
    }
}
