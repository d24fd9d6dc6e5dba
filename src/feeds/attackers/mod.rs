//! `GET /feeds/attackers.{txt,csv,json,stix.json}`: the source addresses seen in a window
//! (`hours`, default 24, or `minutes`) with their counts, first and last received times,
//! honeypot types and ports, most active first. One aggregation serves all four formats: it
//! is cached by the parsed parameters for `feed_cache_seconds`, and concurrent requests for
//! the same parameters wait for one computation.

mod csv;
mod json;
mod stix;
mod text;

use super::FeedError;
use super::access::FeedReader;
use super::params::FeedRequest;
use crate::app::AppState;
use crate::domain::{Attacker, Timestamp};
use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use std::sync::Arc;
use std::time::Duration;

/// Most bytes of attacker lists the cache keeps (estimated).
const CACHE_BYTES: u64 = 64 << 20;

/// A computed feed: the attackers and the window's end.
#[derive(Debug, Clone)]
pub struct Feed {
    /// The request it answers.
    pub request: FeedRequest,
    /// The end of its window (when it was computed).
    pub computed: Timestamp,
    /// The attackers, ranked.
    pub attackers: Arc<[Attacker]>,
}

/// Recently computed feeds, by request.
#[derive(Clone)]
pub struct FeedCache {
    cache: Option<moka::future::Cache<FeedRequest, Feed>>,
}

impl FeedCache {
    /// A cache keeping feeds for `ttl` (none when zero).
    pub fn new(ttl: Duration) -> Self {
        let cache = (!ttl.is_zero()).then(|| {
            moka::future::Cache::builder()
                .max_capacity(CACHE_BYTES)
                .weigher(|_: &FeedRequest, feed: &Feed| {
                    let bytes = feed.attackers.iter().map(weight).sum::<usize>();
                    u32::try_from(bytes).unwrap_or(u32::MAX)
                })
                .time_to_live(ttl)
                .build()
        });
        FeedCache { cache }
    }

    async fn get(&self, state: &AppState, request: FeedRequest) -> Result<Feed, FeedError> {
        let compute = async {
            let computed = state.clock.now();
            let attackers = state.query.attacker_feed(&request.query(computed)).await?;
            Ok::<_, FeedError>(Feed {
                request: request.clone(),
                computed,
                attackers: attackers.into(),
            })
        };
        match &self.cache {
            None => compute.await,
            Some(cache) => cache
                .try_get_with(request.clone(), compute)
                .await
                .map_err(|shared| match Arc::into_inner(shared) {
                    Some(error) => error,
                    None => FeedError::Store(crate::store::StoreError::Unavailable(
                        "attacker aggregation failed".to_owned(),
                    )),
                }),
        }
    }
}

/// Approximate bytes an attacker takes in the cache.
fn weight(attacker: &Attacker) -> usize {
    64 + attacker
        .honeypot_types
        .iter()
        .map(String::len)
        .sum::<usize>()
        + 2 * attacker.ports.len()
}

/// The feed a request asks for.
async fn feed(
    state: &AppState,
    cache: &FeedCache,
    reader: &FeedReader,
    uri: &Uri,
) -> Result<Feed, FeedError> {
    let request = FeedRequest::parse(uri, reader)?;
    cache.get(state, request).await
}

/// A feed body with its content type; cacheable by the reader for the cache lifetime.
fn answer(state: &AppState, content_type: &'static str, body: String) -> Response {
    let mut response = ([(header::CONTENT_TYPE, content_type)], body).into_response();
    let max_age = state.settings.feed_cache_ttl.as_secs();
    if let Ok(value) = HeaderValue::from_str(&format!("private, max-age={max_age}")) {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    response
}

/// The formats an attacker feed is served in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `attackers.txt`: one address per line.
    Text,
    /// `attackers.csv`: a header line, then one address per line.
    Csv,
    /// `attackers.json`: the window and the attackers.
    Json,
    /// `attackers.stix.json`: a STIX 2.1 bundle of indicators.
    Stix,
}

impl Format {
    fn content_type(self) -> &'static str {
        match self {
            Format::Text => "text/plain; charset=utf-8",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Json => "application/json",
            Format::Stix => "application/stix+json;version=2.1",
        }
    }

    fn render(self, feed: &Feed) -> String {
        match self {
            Format::Text => text::render(feed),
            Format::Csv => csv::render(feed),
            Format::Json => json::render(feed),
            Format::Stix => stix::render(feed),
        }
    }
}

/// `GET /feeds/attackers.<format>`: the cached feed, rendered in `format`.
pub fn route(format: Format) -> MethodRouter<AppState> {
    get(
        move |State(state): State<AppState>,
              Extension(cache): Extension<FeedCache>,
              reader: FeedReader,
              uri: Uri| async move {
            let feed = feed(&state, &cache, &reader, &uri).await?;
            Ok::<_, FeedError>(answer(&state, format.content_type(), format.render(&feed)))
        },
    )
}
