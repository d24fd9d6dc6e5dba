//! Where "now" comes from: the system clock, or a fixed instant for reproducible runs.

use crate::domain::Timestamp;

/// The source of the current time for windows such as "the last 15 minutes".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Clock {
    /// The system's UTC wall clock.
    #[default]
    System,
    /// Always the same instant (configured with the `clock` setting; used by golden tests).
    Frozen(Timestamp),
}

impl Clock {
    /// The current time.
    pub fn now(self) -> Timestamp {
        match self {
            Clock::System => Timestamp::now(),
            Clock::Frozen(t) => t,
        }
    }
}
