//! The service's health as the legacy `/alert/heartbeat` token and GraphQL `health` report it.

/// Whether the two halves of the service work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceHealth {
    /// The store answers.
    pub store_up: bool,
    /// The ingest writer runs and its backlog is under its limit.
    pub ingest_up: bool,
}

impl ServiceHealth {
    /// The README token (decision 1): `m` for the ingest pipeline, `e` for the event store,
    /// `flatline` for neither.
    pub fn token(self) -> &'static str {
        match (self.ingest_up, self.store_up) {
            (true, true) => "me",
            (false, true) => "e",
            (true, false) => "m",
            (false, false) => "flatline",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ServiceHealth;

    #[test]
    fn tokens() {
        let token = |store_up, ingest_up| {
            ServiceHealth {
                store_up,
                ingest_up,
            }
            .token()
        };
        assert_eq!(token(true, true), "me");
        assert_eq!(token(true, false), "e");
        assert_eq!(token(false, true), "m");
        assert_eq!(token(false, false), "flatline");
    }
}
