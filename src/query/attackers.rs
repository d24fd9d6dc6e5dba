//! The attacker addresses of a set of alerts (legacy `retrieveIPs`, GraphQL `attackers`).

use super::QueryLayer;
use crate::domain::{AlertFilter, TermCount, TermField};
use crate::ingest::is_global;
use crate::store::StoreError;
use std::net::IpAddr;

/// Terms size of the address aggregation when only global addresses are kept (PEBA's).
pub const MAX_ADDRESSES: usize = 1_000_000;

impl QueryLayer {
    /// The `limit` most active source addresses of matching alerts with their counts, ranked;
    /// with `global_only`, only globally routable ones (in Python's sense, as the legacy
    /// blocklists).
    pub async fn attackers(
        &self,
        filter: &AlertFilter,
        global_only: bool,
        limit: usize,
    ) -> Result<Vec<TermCount>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let size = if global_only { MAX_ADDRESSES } else { limit };
        let mut terms = self.terms(filter, TermField::SourceIp, size).await?;
        if global_only {
            terms.retain(|t| is_global_text(&t.key));
        }
        terms.truncate(limit);
        Ok(terms)
    }
}

/// Whether a textual address is global in Python's (3.11) sense (see [`is_global`]).
fn is_global_text(text: &str) -> bool {
    text.parse::<IpAddr>().is_ok_and(is_global)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_global_table() {
        for global in [
            "8.8.8.8",
            "87.150.238.111",
            "224.0.0.1",
            "192.88.99.1",
            "100.128.0.1",
            "2a00:1450::1",
        ] {
            assert!(is_global_text(global), "{global}");
        }
        for local in [
            "10.1.2.3",
            "172.21.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "100.64.0.1",
            "169.254.1.1",
            "0.1.2.3",
            "192.0.0.7",
            "192.0.0.171",
            "192.0.2.1",
            "198.19.0.1",
            "198.51.100.9",
            "203.0.113.1",
            "240.0.0.1",
            "255.255.255.255",
            "::1",
            "fe80::1",
            "fd00::1",
            "2001:db8::1",
            "garbage",
        ] {
            assert!(!is_global_text(local), "{local}");
        }
        assert!(is_global_text("192.0.0.8"));
        assert!(is_global_text("192.0.0.172"));
    }
}
