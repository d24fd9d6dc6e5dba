//! The rankings of `Query`: every `top…` field (and `honeypotTypes`), declared with one
//! argument list by [`rankings!`]. Part of the root `Query` (merged in [`super::RootQuery`]).
//!
//! Rankings leave out the values stored in place of a missing one (see
//! [`TermField::placeholders`]): unknown countries (`-`), unknown locations (`0.0 , 0.0`), empty
//! requests, credentials and CVEs, unknown and private autonomous systems.

use super::analyst::{AsnCount, CredentialPair};
use super::errors;
use super::inputs::{AlertFilterInput, DataDomain, Direction};
use super::schema::filter_of;
use super::types::{
    CountryCount, GeoPointCount, HoneypotTypeCount, RankedValue, page_size, ranked, state,
};
use crate::domain::{AlertFilter, DerivedField, TermCount, TermField};
use async_graphql::{Context, Result, SimpleObject};

/// The honeypot type whose requests are URLs.
pub const WEB_TYPE: &str = "Webpage";

/// The honeypot type whose requests are shell input.
pub const SHELL_TYPE: &str = "SSH/console(cowrie)";

/// The rankings.
pub struct RankingQuery;

/// Declares the ranking fields of [`RankingQuery`]. Each takes `domain`, `filter` and `first`
/// (default 10, at most [`super::MAX_TOP`]), then its own arguments; its body sees the context,
/// the resolved [`AlertFilter`] and `first` under the names it gives them. Fields under
/// `per_value` cost a store call plus their selection per ranked value (their values have
/// timelines, each a store call); those under `flat` a store call plus their selection once.
macro_rules! rankings {
    (
        flat { $(
            $(#[doc = $fdoc:literal])*
            fn $fname:ident($fctx:ident, $ffilter:ident, $ffirst:ident
                $(, #[$farg_attr:meta] $farg:ident: $farg_ty:ty)* $(,)?) -> $fout:ty $fbody:block
        )* }
        per_value { $(
            $(#[doc = $pdoc:literal])*
            fn $pname:ident($pctx:ident, $pfilter:ident, $pfirst:ident) -> $pout:ty $pbody:block
        )* }
    ) => {
        #[async_graphql::Object]
        impl RankingQuery {
            $(
                $(#[doc = $fdoc])*
                #[graphql(complexity = "super::STORE_COST + child_complexity")]
                async fn $fname(
                    &self,
                    $fctx: &Context<'_>,
                    #[graphql(
                        default,
                        desc = "Which alerts: community (default), private or all; callers without a token and community-only users get community data."
                    )]
                    domain: DataDomain,
                    #[graphql(desc = "Only alerts matching this filter.")]
                    filter: Option<AlertFilterInput>,
                    #[graphql(default = 10, desc = "How many to give (at most 1000).")]
                    first: i32,
                    $(#[$farg_attr] $farg: $farg_ty,)*
                ) -> Result<$fout> {
                    let $ffilter = filter_of($fctx, domain, filter.as_ref())?;
                    let $ffirst = first;
                    $fbody
                }
            )*
            $(
                $(#[doc = $pdoc])*
                #[graphql(complexity = "super::STORE_COST + (first.max(0) as usize) * child_complexity")]
                async fn $pname(
                    &self,
                    $pctx: &Context<'_>,
                    #[graphql(
                        default,
                        desc = "Which alerts: community (default), private or all; callers without a token and community-only users get community data."
                    )]
                    domain: DataDomain,
                    #[graphql(desc = "Only alerts matching this filter.")]
                    filter: Option<AlertFilterInput>,
                    #[graphql(default = 10, desc = "How many to give (at most 1000).")]
                    first: i32,
                ) -> Result<$pout> {
                    let $pfilter = filter_of($pctx, domain, filter.as_ref())?;
                    let $pfirst = first;
                    $pbody
                }
            )*
        }
    };
}

/// A value read out of the stored request with its number of alerts.
#[derive(SimpleObject, Debug, Clone)]
pub struct TextCount {
    /// The value.
    pub value: String,
    /// Its alerts.
    pub count: u64,
}

impl From<TermCount> for TextCount {
    fn from(t: TermCount) -> Self {
        TextCount {
            value: t.key,
            count: t.count,
        }
    }
}

/// The top `first` values of `field`, placeholders left out.
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

/// The top `first` values read out of stored texts.
async fn derived_ranking(
    ctx: &Context<'_>,
    filter: &AlertFilter,
    field: DerivedField,
    first: i32,
) -> Result<Vec<TextCount>> {
    let limit = page_size(first, super::MAX_TOP)?;
    let terms = state(ctx)?
        .query
        .derived_ranking(filter, field, limit)
        .await
        .map_err(errors::store)?;
    Ok(terms.into_iter().map(Into::into).collect())
}

/// `filter`, limited to `honeypot_type` unless it names a honeypot type itself.
fn of_type_unless_named(filter: AlertFilter, honeypot_type: &str) -> AlertFilter {
    if filter.equals.iter().any(|(f, _)| *f == TermField::PeerType) {
        filter
    } else {
        filter.matching(TermField::PeerType, honeypot_type)
    }
}

rankings! {
    flat {
        /// Matching alerts per honeypot type, most frequent first (legacy

        /// `retrieveAlertsCountWithType` uses `first: 10`).
        fn honeypot_types(ctx, filter, first) -> Vec<HoneypotTypeCount> {
            let terms = ranking(ctx, &filter, TermField::PeerType, first).await?;
            Ok(terms.into_iter().map(Into::into).collect())
        }

        /// The countries most alerts come from (legacy `topCountriesAttacks`); sources GeoIP did

        /// not know (stored as `-`) are left out, private ranges count as `PIR`.
        fn top_source_countries(ctx, filter, first) -> Vec<CountryCount> {
            let terms = ranking(ctx, &filter, TermField::SourceCountry, first).await?;
            Ok(terms.into_iter().map(Into::into).collect())
        }

        /// The countries of the most attacked honeypots (legacy `topCountriesAttacks`); unknown

        /// ones (`-`) are left out.
        fn top_target_countries(ctx, filter, first) -> Vec<CountryCount> {
            let terms = ranking(ctx, &filter, TermField::TargetCountry, first).await?;
            Ok(terms.into_iter().map(Into::into).collect())
        }

        /// The most frequent source (or target) locations (legacy `retrieveLatLonAttacks`);

        /// unknown places (stored as `0.0 , 0.0`, also for private ranges) are left out.
        fn top_geo_points(
            ctx,
            filter,
            first,
            #[graphql(
                default,
                desc = "Locations of the attackers (`SOURCE`) or of the honeypots (`TARGET`)."
            )]
            direction: Direction,
        ) -> Vec<GeoPointCount> {
            let field = match direction {
                Direction::Source => TermField::SourceLocation,
                Direction::Target => TermField::TargetLocation,
            };
            let terms = ranking(ctx, &filter, field, first).await?;
            Ok(terms.into_iter().map(Into::into).collect())
        }

        /// The most requested URLs of web honeypots: requests of `Webpage` alerts unless the

        /// filter names another honeypot type (legacy `tops?type=urls`, which reads `ALL`); empty

        /// The username/password pairs tried most often: alerts with a non-empty username, an

        /// empty password counted as none. Ties: username, then password, ascending.
        fn top_credentials(ctx, filter, first) -> Vec<CredentialPair> {
            let limit = page_size(first, super::MAX_TOP)?;
            let pairs = state(ctx)?
                .query
                .credentials(&filter, limit)
                .await
                .map_err(errors::store)?;
            Ok(pairs.into_iter().map(Into::into).collect())
        }

        /// The shell input sent most often: requests of `SSH/console(cowrie)` alerts unless the

        /// The autonomous systems most alerts come from (unknown and private sources left out).
        fn top_asns(ctx, filter, first) -> Vec<AsnCount> {
            let terms = ranking(ctx, &filter, TermField::SourceAs, first).await?;
            Ok(terms.into_iter().map(Into::into).collect())
        }

        /// The HTTP clients seen most often: the `User-Agent` header of the raw HTTP request,

        /// which web honeypots that send the request (glastopf, tanner) record; alerts without

        /// one are left out. Every distinct stored request is read, so this costs more than the

        /// other rankings on large windows.
        fn top_user_agents(ctx, filter, first) -> Vec<TextCount> {
            derived_ranking(ctx, &filter, DerivedField::UserAgent, first).await
        }

        /// The HTTP paths requested most often: the requested URL without query and fragment,

        /// of `Webpage` alerts unless the filter names another honeypot type; requests that are

        /// not URLs (`Attack on port …`) are left out. Every distinct stored request is read.
        fn top_http_paths(ctx, filter, first) -> Vec<TextCount> {
            let filter = of_type_unless_named(filter, WEB_TYPE);
            derived_ranking(ctx, &filter, DerivedField::HttpPath, first).await
        }
    }
    per_value {
        /// requests are left out.
        fn top_urls(ctx, filter, first) -> Vec<RankedValue> {
            let filter = of_type_unless_named(filter, WEB_TYPE);
            let terms = ranking(ctx, &filter, TermField::RequestString, first).await?;
            Ok(ranked(terms, TermField::RequestString, &filter))
        }

        /// The most attacked honeypot ports (legacy `tops?type=destports`, which reads `ALL`).
        fn top_ports(ctx, filter, first) -> Vec<RankedValue> {
            let terms = ranking(ctx, &filter, TermField::TargetPort, first).await?;
            Ok(ranked(terms, TermField::TargetPort, &filter))
        }

        /// The login names tried most often (empty ones left out).
        fn top_usernames(ctx, filter, first) -> Vec<RankedValue> {
            let terms = ranking(ctx, &filter, TermField::Username, first).await?;
            Ok(ranked(terms, TermField::Username, &filter))
        }

        /// The passwords tried most often (empty ones left out).
        fn top_passwords(ctx, filter, first) -> Vec<RankedValue> {
            let terms = ranking(ctx, &filter, TermField::Password, first).await?;
            Ok(ranked(terms, TermField::Password, &filter))
        }

        /// filter names another honeypot type; alerts without input are left out.
        fn top_commands(ctx, filter, first) -> Vec<RankedValue> {
            let filter = of_type_unless_named(filter, SHELL_TYPE);
            let terms = ranking(ctx, &filter, TermField::RequestString, first).await?;
            Ok(ranked(terms, TermField::RequestString, &filter))
        }

        /// The CVEs sensors reported most often (alerts without one left out).
        fn top_cves(ctx, filter, first) -> Vec<RankedValue> {
            let terms = ranking(ctx, &filter, TermField::Cve, first).await?;
            Ok(ranked(terms, TermField::Cve, &filter))
        }
    }
}
