//! Flask-CORS behaviour on `/alert/*` plus `Access-Control-Allow-Credentials: true` on every
//! response (all paths and status codes, errors included). The GraphQL endpoint gets the same
//! origin rule, so that dashboards on the configured origin can call it, and also accepts the
//! extra origins of `graphql_cors_origins` (echoing the one that asked); its preflight requests
//! are answered here. Two departures from Flask-CORS: covered answers carry `Vary: Origin`
//! (they differ by origin, so caches must not share them), and preflights allow the fixed
//! [`ALLOWED_HEADERS`] instead of echoing whatever was requested.
//!
//! Apply it to the outermost router (see [`apply`]) so that 404 answers and the ingest route
//! carry the credentials header too.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The methods a preflight answer allows (Flask-CORS default).
pub const ALLOWED_METHODS: &str = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT";

/// The request headers a preflight answer allows.
pub const ALLOWED_HEADERS: &str = "Authorization, Content-Type";

/// The origins allowed to read answers.
struct AllowedOrigins {
    /// `corsdomain`: the legacy routes' only origin, and the first of `/graphql`.
    legacy: Box<str>,
    /// Further origins of `/graphql`.
    graphql: Box<[Box<str>]>,
}

impl AllowedOrigins {
    /// The origin to allow for a request to `path` from `origin` (none sent: `corsdomain`),
    /// or `None` when that origin is refused.
    fn allowed<'a>(&'a self, path: &str, origin: Option<&[u8]>) -> Option<&'a str> {
        let Some(origin) = origin else {
            return Some(&self.legacy);
        };
        let extra: &[Box<str>] = if path == GRAPHQL_PATH {
            &self.graphql
        } else {
            &[]
        };
        std::iter::once(&self.legacy)
            .chain(extra)
            .find(|allowed| allowed.as_bytes() == origin)
            .map(|allowed| &**allowed)
    }
}

/// Wraps `router` with the CORS behaviour for the allowed origin `cors_domain` (and, on
/// `/graphql`, the `graphql_origins` too).
pub fn apply<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    cors_domain: &str,
    graphql_origins: &[String],
) -> Router<S> {
    let origins = Arc::new(AllowedOrigins {
        legacy: cors_domain.into(),
        graphql: graphql_origins.iter().map(|o| o.as_str().into()).collect(),
    });
    router.layer(middleware::from_fn_with_state(origins, cors))
}

/// The GraphQL endpoint, which shares the legacy origin rule.
const GRAPHQL_PATH: &str = "/graphql";

/// Flask-CORS's resource pattern `/alert/*` is a regular expression matched at the start of
/// the path, so it covers every path beginning with `/alert`; and the GraphQL endpoint.
pub fn covers(path: &str) -> bool {
    path.starts_with("/alert") || path == GRAPHQL_PATH
}

async fn cors(
    State(origins): State<Arc<AllowedOrigins>>,
    request: Request,
    next: Next,
) -> Response {
    let covered = covers(request.uri().path());
    let headers = request.headers();
    let allowed = origins.allowed(
        request.uri().path(),
        headers.get(header::ORIGIN).map(HeaderValue::as_bytes),
    );
    let preflight = request.method() == Method::OPTIONS
        && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut response = if preflight && request.uri().path() == GRAPHQL_PATH {
        StatusCode::OK.into_response()
    } else {
        next.run(request).await
    };
    let out = response.headers_mut();
    if let (true, Some(allowed)) = (covered, allowed) {
        if let Ok(value) = HeaderValue::from_str(allowed) {
            out.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        }
        if preflight {
            out.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static(ALLOWED_METHODS),
            );
            out.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static(ALLOWED_HEADERS),
            );
        }
    }
    if covered {
        out.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    out.insert(
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
    response
}
