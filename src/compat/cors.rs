//! Flask-CORS behaviour on `/alert/*` plus `Access-Control-Allow-Credentials: true` on every
//! response (all paths and status codes, errors included). The GraphQL endpoint gets the same
//! origin rule, so that dashboards on the configured origin can call it; its preflight requests
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

/// Wraps `router` with the CORS behaviour for the allowed origin `cors_domain`.
pub fn apply<S: Clone + Send + Sync + 'static>(router: Router<S>, cors_domain: &str) -> Router<S> {
    let domain: Arc<str> = Arc::from(cors_domain);
    router.layer(middleware::from_fn_with_state(domain, cors))
}

/// The GraphQL endpoint, which shares the legacy origin rule.
const GRAPHQL_PATH: &str = "/graphql";

/// Flask-CORS's resource pattern `/alert/*` is a regular expression matched at the start of
/// the path, so it covers every path beginning with `/alert`; and the GraphQL endpoint.
pub fn covers(path: &str) -> bool {
    path.starts_with("/alert") || path == GRAPHQL_PATH
}

async fn cors(State(domain): State<Arc<str>>, request: Request, next: Next) -> Response {
    let covered = covers(request.uri().path());
    let headers = request.headers();
    let origin_allowed = match headers.get(header::ORIGIN) {
        None => true,
        Some(origin) => origin.as_bytes() == domain.as_bytes(),
    };
    let preflight = request.method() == Method::OPTIONS
        && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut response = if preflight && request.uri().path() == GRAPHQL_PATH {
        StatusCode::OK.into_response()
    } else {
        next.run(request).await
    };
    let out = response.headers_mut();
    if covered && origin_allowed {
        if let Ok(value) = HeaderValue::from_str(&domain) {
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
