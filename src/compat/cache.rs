//! The answer cache of the legacy routes: rendered answers (HTTP status, content type, body)
//! kept per route, per parameters the route reads and, on private routes, per reader.
//!
//! A handler sees its query string only through its parameters struct (declared with
//! [`route_params!`] and taken by the [`Legacy`] extractor), and the whole struct is the key:
//! a parameter the route reads cannot be missing from the key.
//!
//! Concurrent misses for the same key wait for one computation; every entry is kept for its
//! own lifetime; switched off, the cache passes every request through. Answers computed while
//! the store failed ([`Failed`]) are answered but never kept, and their error is logged once.

use super::params::Params;
use crate::auth::Reader;
use crate::metrics::ReadMetrics;
use crate::store::StoreError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Most bytes of answer bodies the cache keeps at once.
pub const CACHE_BYTES: u64 = 64 << 20;

/// A rendered answer as the cache keeps it: HTTP status, content type and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// HTTP status code.
    pub status: u16,
    /// `Content-Type` header value.
    pub content_type: &'static str,
    /// The body.
    pub body: Arc<str>,
}

impl Answer {
    /// A 200 answer.
    pub fn ok(content_type: &'static str, body: impl Into<Arc<str>>) -> Self {
        Answer {
            status: 200,
            content_type,
            body: body.into(),
        }
    }
}

/// The query parameters one legacy route reads.
pub trait RouteParams: Send + Sync + 'static {
    /// Takes the route's parameters from a decoded query string.
    fn parse(params: &Params) -> Self;
    /// The canonical form of every parameter, the cache key (see
    /// [`ParamKind::key_form`](super::params::ParamKind::key_form)).
    fn key(&self) -> String;
}

/// Declares the parameters struct of a legacy route: one field per query parameter the route
/// reads, with the [`ParamKind`](super::params::ParamKind) it is read as and its name in the
/// query string (`topx: Number = "topx"`).
macro_rules! route_params {
    ($(#[$doc:meta])* $vis:vis struct $name:ident {
        $($(#[$field_doc:meta])* $field:ident: $kind:ty = $param:literal),* $(,)?
    }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default)]
        $vis struct $name {
            $($(#[$field_doc])* pub $field: $kind,)*
        }

        impl $crate::compat::cache::RouteParams for $name {
            fn parse(params: &$crate::compat::params::Params) -> Self {
                $name { $($field: params.param::<$kind>($param),)* }
            }

            fn key(&self) -> String {
                use $crate::compat::params::ParamKind as _;
                let mut key = url::form_urlencoded::Serializer::new(String::new());
                $(if let Some(value) = self.$field.key_form() {
                    key.append_pair($param, &value);
                })*
                key.finish()
            }
        }
    };
}
pub(crate) use route_params;

/// A legacy request as its handler sees it: the path and the route's parameters.
#[derive(Debug, Clone)]
pub struct Legacy<P> {
    /// The request path (the route, for the key and the logs).
    pub path: String,
    /// The parameters the route reads.
    pub params: P,
}

impl<S: Send + Sync, P: RouteParams> FromRequestParts<S> for Legacy<P> {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(Legacy {
            path: parts.uri.path().to_owned(),
            params: P::parse(&Params::parse(parts.uri.query())),
        })
    }
}

/// An answer computed while the store failed: the route's legacy error form, and why.
#[derive(Debug)]
pub struct Failed {
    /// The store error.
    pub error: StoreError,
    /// What the route answers instead.
    pub answer: Answer,
}

/// Turns a store error into the route's legacy error form.
pub trait OrAnswer<T> {
    /// `Err(error)` becomes [`Failed`] with the answer `answer` makes.
    fn or_answer(self, answer: impl FnOnce() -> Answer) -> Result<T, Failed>;
}

impl<T> OrAnswer<T> for Result<T, StoreError> {
    fn or_answer(self, answer: impl FnOnce() -> Answer) -> Result<T, Failed> {
        self.map_err(|error| Failed {
            error,
            answer: answer(),
        })
    }
}

/// Logs a store error of a legacy route, once per failed request.
pub fn log_store_error(route: &str, error: &StoreError) {
    tracing::error!(route, %error, "store read failed: answered with the route's error form");
}

/// What identifies a cached answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    route: String,
    params: String,
    /// The reader (name, community-only) of private routes.
    reader: Option<(String, bool)>,
}

#[derive(Clone)]
struct CacheEntry {
    ttl: Duration,
    answer: Answer,
}

struct PerEntryTtl;

impl moka::Expiry<CacheKey, CacheEntry> for PerEntryTtl {
    fn expire_after_create(
        &self,
        _key: &CacheKey,
        value: &CacheEntry,
        _created_at: Instant,
    ) -> Option<Duration> {
        Some(value.ttl)
    }
}

/// The answer cache of the legacy routes.
pub struct AnswerCache {
    cache: Option<moka::future::Cache<CacheKey, CacheEntry>>,
    metrics: ReadMetrics,
}

impl AnswerCache {
    /// A cache, switched on by `enabled`, counting into `metrics`.
    pub fn new(enabled: bool, metrics: ReadMetrics) -> Self {
        let cache = enabled.then(|| {
            moka::future::Cache::builder()
                .max_capacity(CACHE_BYTES)
                .weigher(|key: &CacheKey, entry: &CacheEntry| {
                    let bytes = key.route.len() + key.params.len() + entry.answer.body.len();
                    u32::try_from(bytes).unwrap_or(u32::MAX)
                })
                .expire_after(PerEntryTtl)
                .build()
        });
        AnswerCache { cache, metrics }
    }

    /// Whether answers are cached.
    pub fn enabled(&self) -> bool {
        self.cache.is_some()
    }

    /// The answer to `request` (of `reader`, on private routes): a cached one while it is
    /// younger than its lifetime, otherwise the one `compute` produces. Concurrent misses for
    /// the same key wait for one computation. Answers are kept for `ttl` (`None`: not kept);
    /// [`Failed`] answers are logged once, handed to every waiter and never kept.
    pub async fn answer<P, F>(
        &self,
        request: &Legacy<P>,
        reader: Option<&Reader>,
        ttl: Option<Duration>,
        compute: F,
    ) -> Answer
    where
        P: RouteParams,
        F: Future<Output = Result<Answer, Failed>>,
    {
        let route = request.path.as_str();
        let failed = |failed: &Failed| {
            log_store_error(route, &failed.error);
            self.metrics.store_read_errors.inc();
            failed.answer.clone()
        };
        let (Some(cache), Some(ttl)) = (&self.cache, ttl.filter(|t| !t.is_zero())) else {
            return compute.await.unwrap_or_else(|f| failed(&f));
        };
        let key = CacheKey {
            route: route.to_owned(),
            params: request.params.key(),
            reader: reader.map(|r| (r.name.to_string(), r.community_only)),
        };
        let mut computed = false;
        let answer = cache
            .try_get_with(key, async {
                computed = true;
                self.metrics.cache_misses.inc();
                compute.await.map(|answer| CacheEntry { ttl, answer })
            })
            .await;
        if !computed {
            self.metrics.cache_hits.inc();
        }
        match answer {
            Ok(entry) => entry.answer,
            // Only the computing request logs; the waiters share its answer.
            Err(f) if computed => failed(&f),
            Err(f) => f.answer.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::UserName;

    route_params! {
        /// Two parameters.
        struct TwoParams {
            /// First.
            a: super::super::params::Param = "a",
            /// Second.
            b: super::super::params::Param = "b",
        }
    }

    fn request(query: &str) -> Legacy<TwoParams> {
        Legacy {
            path: "/alert/x".into(),
            params: TwoParams::parse(&Params::parse(Some(query))),
        }
    }

    fn reader(name: &str, community_only: bool) -> Reader {
        Reader {
            name: UserName::parse(name).unwrap(),
            community_only,
        }
    }

    async fn ok(body: &'static str) -> Result<Answer, Failed> {
        Ok(Answer::ok("text/plain", body))
    }

    #[test]
    fn keys_hold_every_declared_parameter() {
        let key = |q: &str| request(q).params.key();
        assert_eq!(key("a=1&b=2&c=3"), "a=1&b=2");
        assert_eq!(key("c=3&b=2&a=1&a=9"), "a=1&b=2");
        assert_eq!(key("a="), "a=");
        assert_eq!(key(""), "");
        assert_ne!(key("a=1"), key("b=1"));
        assert_eq!(key("a=x+y%26"), "a=x+y%26");
    }

    #[tokio::test]
    async fn concurrent_misses_compute_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let cache = Arc::new(AnswerCache::new(true, ReadMetrics::default()));
        let runs = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (cache, runs) = (cache.clone(), runs.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .answer(
                        &request("a=1"),
                        None,
                        Some(Duration::from_secs(60)),
                        async {
                            runs.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            Ok(Answer::ok("text/plain", "one"))
                        },
                    )
                    .await
            }));
        }
        for task in tasks {
            assert_eq!(&*task.await.unwrap().body, "one");
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn keys_lifetimes_and_failures() {
        let metrics = ReadMetrics::default();
        let cache = AnswerCache::new(true, metrics.clone());
        let ttl = Some(Duration::from_secs(60));
        let body = |answer: Answer| answer.body.to_string();
        let alice = reader("alice", false);
        assert_eq!(
            body(cache.answer(&request("a"), None, ttl, ok("1")).await),
            "1"
        );
        assert_eq!(
            body(cache.answer(&request("a"), None, ttl, ok("2")).await),
            "1"
        );
        // parameters the route does not read do not change the key
        let other = request("a&c=9");
        assert_eq!(body(cache.answer(&other, None, ttl, ok("2")).await), "1");
        // another reader, another parameter: other entries
        let a = request("a");
        assert_eq!(
            body(cache.answer(&a, Some(&alice), ttl, ok("3")).await),
            "3"
        );
        let narrowed = reader("alice", true);
        assert_eq!(
            body(cache.answer(&a, Some(&narrowed), ttl, ok("3b")).await),
            "3b"
        );
        assert_eq!(
            body(cache.answer(&request("b"), None, ttl, ok("4")).await),
            "4"
        );
        // failures are answered and counted, but not kept
        let failing = async {
            Err(Failed {
                error: StoreError::Unavailable("down".into()),
                answer: Answer::ok("text/plain", "err"),
            })
        };
        assert_eq!(
            body(cache.answer(&request("a=c"), None, ttl, failing).await),
            "err"
        );
        assert_eq!(metrics.store_read_errors.get(), 1);
        assert_eq!(
            body(cache.answer(&request("a=c"), None, ttl, ok("5")).await),
            "5"
        );
        // no lifetime: never kept
        assert_eq!(
            body(cache.answer(&request("a=d"), None, None, ok("6")).await),
            "6"
        );
        assert_eq!(
            body(cache.answer(&request("a=d"), None, None, ok("7")).await),
            "7"
        );
        // entries expire after their own lifetime
        let short = Some(Duration::from_millis(50));
        assert_eq!(
            body(cache.answer(&request("a=e"), None, short, ok("8")).await),
            "8"
        );
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert_eq!(
            body(cache.answer(&request("a=e"), None, short, ok("9")).await),
            "9"
        );
    }

    #[tokio::test]
    async fn disabled_cache_passes_through() {
        let cache = AnswerCache::new(false, ReadMetrics::default());
        assert!(!cache.enabled());
        let ttl = Some(Duration::from_secs(60));
        let body = |answer: Answer| answer.body.to_string();
        assert_eq!(
            body(cache.answer(&request("a"), None, ttl, ok("1")).await),
            "1"
        );
        assert_eq!(
            body(cache.answer(&request("a"), None, ttl, ok("2")).await),
            "2"
        );
    }
}
