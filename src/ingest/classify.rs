/// Which classification table is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Classification {
    /// Extended.
    #[default]
    Extended,
    /// Legacy.
    Legacy,
}
