//! The analysts' questions: one alert by id, the honeypot type catalog, and the result types
//! of the credential and autonomous system rankings ([`super::rankings`]). Part of the root
//! `Query` (merged in [`super::RootQuery`]).

use super::auth::Principal;
use super::errors;
use super::types::{AlertNode, AutonomousSystem, state};
use crate::domain::{self, AlertFilter, CredentialCount, TermCount};
use crate::ingest::classify;
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use std::sync::Arc;

/// The analysts' lookups.
pub struct AnalystQuery;

/// A username/password pair with its number of alerts.
#[derive(SimpleObject, Debug, Clone)]
pub struct CredentialPair {
    /// The login name tried.
    pub username: String,
    /// The password tried; null when the alert has none or an empty one.
    pub password: Option<String>,
    /// Alerts that tried the pair.
    pub count: u64,
}

impl From<CredentialCount> for CredentialPair {
    fn from(c: CredentialCount) -> Self {
        CredentialPair {
            username: c.username,
            password: c.password,
            count: c.count,
        }
    }
}

/// An autonomous system alerts come from, with its number of alerts.
#[derive(SimpleObject, Debug, Clone)]
pub struct AsnCount {
    /// The AS number; null when the stored value does not start with `AS<number>`.
    pub asn: Option<u32>,
    /// The organisation's name, as the GeoIP database had it when the alert came in.
    pub name: Option<String>,
    /// The stored value (`AS<number> <name>`).
    pub value: String,
    /// Its alerts.
    pub count: u64,
}

impl From<TermCount> for AsnCount {
    fn from(t: TermCount) -> Self {
        let system = AutonomousSystem::parse(&t.key);
        AsnCount {
            asn: system.number,
            name: system.name,
            value: system.value,
            count: t.count,
        }
    }
}

/// A honeypot type ingest can store, with the sensor modules classified as it.
#[derive(SimpleObject, Debug, Clone)]
pub struct HoneypotKind {
    /// The stored type (`peerType`), e.g. `SSH/console(cowrie)`; filters accept it as is.
    pub label: String,
    /// What the honeypot emulates, e.g. `SSH/console`, `Webpage`, `Network`.
    pub category: String,
    /// Sensor module names classified as this type (filters accept these too), e.g.
    /// `kippo`, `cowrie`; empty for `Unclassified`.
    pub modules: Vec<String>,
}

#[Object]
impl AnalystQuery {
    /// The alert with this id, or null when there is none the caller may see: callers without
    /// a token and community-only users see community alerts only, as in `alerts`.
    #[graphql(complexity = "super::STORE_COST + child_complexity")]
    async fn alert(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The alert's `id`, as `alerts` lists it.")] id: ID,
    ) -> Result<Option<AlertNode>> {
        let visible = AlertFilter::domain(Principal::of(ctx).domain(domain::DataDomain::All));
        let found = state(ctx)?
            .query
            .alerts_by_id(&[id.0])
            .await
            .map_err(errors::store)?;
        Ok(found
            .into_iter()
            .find(|a| visible.matches(a))
            .map(|a| AlertNode(Arc::new(a))))
    }

    /// Every honeypot type ingest can store, with its category and sensor modules (from the
    /// classification table ingest uses by default).
    async fn honeypot_type_catalog(&self) -> Vec<HoneypotKind> {
        classify::catalog()
            .into_iter()
            .map(|k| HoneypotKind {
                label: k.label.to_owned(),
                category: k.category().to_owned(),
                modules: k.modules.into_iter().map(str::to_owned).collect(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asns_split_number_and_name() {
        let asn = |key: &str| {
            AsnCount::from(TermCount {
                key: key.into(),
                count: 1,
                label: None,
            })
        };
        let a = asn("AS3320 Deutsche Telekom AG");
        assert_eq!(
            (a.asn, a.name.as_deref()),
            (Some(3320), Some("Deutsche Telekom AG"))
        );
        let b = asn("AS64512");
        assert_eq!((b.asn, b.name), (Some(64512), None));
        let c = asn("Some Org");
        assert_eq!((c.asn, c.name.as_deref()), (None, Some("Org")));
    }
}
