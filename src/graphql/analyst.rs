//! The analysts' questions: one alert by id and rankings of credentials, commands,
//! autonomous systems and CVEs. Part of the root `Query` (merged in [`super::RootQuery`]).

use super::auth::Principal;
use super::errors;
use super::inputs::{AlertFilterInput, DataDomain};
use super::schema::filter_of;
use super::types::{AlertNode, AutonomousSystem, RankedValue, page_size, ranked, state};
use crate::domain::{self, AlertFilter, CredentialCount, TermCount, TermField};
use crate::ingest::classify;
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use std::sync::Arc;

/// The honeypot type whose requests are shell input.
pub const SHELL_TYPE: &str = "SSH/console(cowrie)";

/// The analysts' rankings.
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

/// The top `first` values of `field` without placeholders.
async fn ranking(
    ctx: &Context<'_>,
    filter: &AlertFilter,
    field: TermField,
    first: i32,
) -> Result<Vec<TermCount>> {
    let limit = page_size(first, super::MAX_TOP)?;
    state(ctx)?
        .query
        .ranking(filter, field, limit)
        .await
        .map_err(errors::store)
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

    /// The login names tried most often (empty ones left out).
    #[graphql(complexity = "super::STORE_COST + (first.max(0) as usize) * child_complexity")]
    async fn top_usernames(
        &self,
        ctx: &Context<'_>,
        #[graphql(default, desc = "Which alerts: community (default), private or all.")]
        domain: DataDomain,
        #[graphql(desc = "Only alerts matching this filter.")] filter: Option<AlertFilterInput>,
        #[graphql(default = 10, desc = "How many to rank (at most 1000).")] first: i32,
    ) -> Result<Vec<RankedValue>> {
        let filter = filter_of(ctx, domain, filter.as_ref())?;
        let terms = ranking(ctx, &filter, TermField::Username, first).await?;
        Ok(ranked(terms, TermField::Username, &filter))
    }

    /// The passwords tried most often (empty ones left out).
    #[graphql(complexity = "super::STORE_COST + (first.max(0) as usize) * child_complexity")]
    async fn top_passwords(
        &self,
        ctx: &Context<'_>,
        #[graphql(default, desc = "Which alerts: community (default), private or all.")]
        domain: DataDomain,
        #[graphql(desc = "Only alerts matching this filter.")] filter: Option<AlertFilterInput>,
        #[graphql(default = 10, desc = "How many to rank (at most 1000).")] first: i32,
    ) -> Result<Vec<RankedValue>> {
        let filter = filter_of(ctx, domain, filter.as_ref())?;
        let terms = ranking(ctx, &filter, TermField::Password, first).await?;
        Ok(ranked(terms, TermField::Password, &filter))
    }

    /// The username/password pairs tried most often: alerts with a non-empty username, an
    /// empty password counted as none. Ties: username, then password, ascending.
    #[graphql(complexity = "super::STORE_COST + child_complexity")]
    async fn top_credentials(
        &self,
        ctx: &Context<'_>,
        #[graphql(default, desc = "Which alerts: community (default), private or all.")]
        domain: DataDomain,
        #[graphql(desc = "Only alerts matching this filter.")] filter: Option<AlertFilterInput>,
        #[graphql(default = 10, desc = "How many to rank (at most 1000).")] first: i32,
    ) -> Result<Vec<CredentialPair>> {
        let filter = filter_of(ctx, domain, filter.as_ref())?;
        let limit = page_size(first, super::MAX_TOP)?;
        let pairs = state(ctx)?
            .query
            .credentials(&filter, limit)
            .await
            .map_err(errors::store)?;
        Ok(pairs.into_iter().map(Into::into).collect())
    }

    /// The shell input sent most often: requests of `SSH/console(cowrie)` alerts unless the
    /// filter names another honeypot type; alerts without input are left out.
    #[graphql(complexity = "super::STORE_COST + (first.max(0) as usize) * child_complexity")]
    async fn top_commands(
        &self,
        ctx: &Context<'_>,
        #[graphql(default, desc = "Which alerts: community (default), private or all.")]
        domain: DataDomain,
        #[graphql(desc = "Only alerts matching this filter.")] filter: Option<AlertFilterInput>,
        #[graphql(default = 10, desc = "How many to rank (at most 1000).")] first: i32,
    ) -> Result<Vec<RankedValue>> {
        let mut filter = filter_of(ctx, domain, filter.as_ref())?;
        if !filter.equals.iter().any(|(f, _)| *f == TermField::PeerType) {
            filter = filter.matching(TermField::PeerType, SHELL_TYPE);
        }
        let terms = ranking(ctx, &filter, TermField::RequestString, first).await?;
        Ok(ranked(terms, TermField::RequestString, &filter))
    }

    /// The autonomous systems most alerts come from (unknown and private sources left out).
    #[graphql(complexity = "super::STORE_COST + child_complexity")]
    async fn top_asns(
        &self,
        ctx: &Context<'_>,
        #[graphql(default, desc = "Which alerts: community (default), private or all.")]
        domain: DataDomain,
        #[graphql(desc = "Only alerts matching this filter.")] filter: Option<AlertFilterInput>,
        #[graphql(default = 10, desc = "How many to rank (at most 1000).")] first: i32,
    ) -> Result<Vec<AsnCount>> {
        let filter = filter_of(ctx, domain, filter.as_ref())?;
        let terms = ranking(ctx, &filter, TermField::SourceAs, first).await?;
        Ok(terms.into_iter().map(Into::into).collect())
    }

    /// The CVEs sensors reported most often (alerts without one left out).
    #[graphql(complexity = "super::STORE_COST + (first.max(0) as usize) * child_complexity")]
    async fn top_cves(
        &self,
        ctx: &Context<'_>,
        #[graphql(default, desc = "Which alerts: community (default), private or all.")]
        domain: DataDomain,
        #[graphql(desc = "Only alerts matching this filter.")] filter: Option<AlertFilterInput>,
        #[graphql(default = 10, desc = "How many to rank (at most 1000).")] first: i32,
    ) -> Result<Vec<RankedValue>> {
        let filter = filter_of(ctx, domain, filter.as_ref())?;
        let terms = ranking(ctx, &filter, TermField::Cve, first).await?;
        Ok(ranked(terms, TermField::Cve, &filter))
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
