//! The GraphQL API: the domain (alerts, counts, timelines, rankings, reports, health) as one
//! schema at `/graphql` (POST and GET), live alerts over WebSocket at `/graphql/ws`
//! (`graphql-transport-ws`), the offline GraphiQL playground at `/playground` and the live
//! attack map at `/map`.
//!
//! Every read goes through [`crate::query::QueryLayer`]. Callers are anonymous (what the
//! public legacy routes give) or present a login token (`mutation login`, then
//! `Authorization: Bearer …`); protected fields carry the [`auth::TokenRequired`] guard.
//! Depth, complexity, page sizes and run time are limited; errors carry a code and never an
//! internal detail.

pub mod auth;
pub mod errors;
pub mod examples;
pub mod inputs;
pub mod live;
pub mod loaders;
pub mod map;
pub mod page_asset;
pub mod playground;
pub mod schema;
pub mod socket;
pub mod types;

use crate::app::AppState;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::{Data, Schema, SchemaBuilder};
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use axum::Router;
use axum::extract::{Extension, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use schema::{Mutation, Query, Subscription};

/// The schema type.
pub type PebaSchema = Schema<Query, Mutation, Subscription>;

/// Deepest selection accepted (the playground's introspection query needs 13).
pub const MAX_DEPTH: usize = 16;
/// Most complex query accepted (each field costs 1; lists of alerts and rankings cost more
/// with their page size).
pub const MAX_COMPLEXITY: usize = 2_000;
/// Largest page of `alerts` (and of an IP report's alerts).
pub const MAX_PAGE: usize = 500;
/// Longest ranking (`first` of honeypot types, countries, geo points, URLs, ports).
pub const MAX_TOP: usize = 1_000;
/// Longest attacker list.
pub const MAX_ATTACKERS: usize = 10_000;

fn builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(Query, Mutation, Subscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_directives(16)
}

/// The schema over `state`.
pub fn schema(state: AppState) -> PebaSchema {
    builder().data(state).finish()
}

/// The SDL the server serves (what `peba schema` prints and `schema.graphql` holds).
pub fn sdl() -> String {
    builder().finish().sdl()
}

/// The routes: `/graphql`, `/graphql/ws`, `/playground`, `/map` and their assets.
pub fn router(state: &AppState) -> Router<AppState> {
    let schema = schema(state.clone());
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/graphql/ws", get(graphql_ws))
        .route("/playground", get(playground::page))
        .route("/playground/", get(playground::page))
        .route("/playground/playground.js", get(playground::script))
        .route("/playground/playground.css", get(playground::style))
        .route("/playground/page.css", get(playground::page_style))
        .route("/playground/examples.json", get(playground::examples))
        .route("/map", get(map::page))
        .route("/map/", get(map::page))
        .route("/map/map.js", get(map::script))
        .route("/map/map.css", get(map::style))
        .layer(Extension(schema))
}

fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
}

fn error_response(error: async_graphql::Error) -> async_graphql::Response {
    async_graphql::Response::from_errors(vec![error.into_server_error(Default::default())])
}

/// Runs one request with its principal, loaders and the time limit.
async fn execute(
    state: &AppState,
    schema: &PebaSchema,
    headers: &HeaderMap,
    request: async_graphql::Request,
) -> async_graphql::Response {
    let principal = match auth::principal_from_authorization(state, authorization(headers)) {
        Ok(principal) => principal,
        Err(error) => return error_response(error),
    };
    let request = request.data(principal).data(loaders::for_request(state));
    let limit = state.settings.graphql_timeout;
    match tokio::time::timeout(limit, schema.execute(request)).await {
        Ok(response) => response,
        Err(_) => error_response(errors::coded(
            errors::TIMEOUT,
            format!("the request took longer than {} s", limit.as_secs()),
        )),
    }
}

async fn graphql_post(
    State(state): State<AppState>,
    Extension(schema): Extension<PebaSchema>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> GraphQLResponse {
    execute(&state, &schema, &headers, request.into_inner())
        .await
        .into()
}

/// `GET /graphql?query=…` runs a query (mutations only by POST); without a query string it
/// leads a browser to the playground.
async fn graphql_get(
    State(state): State<AppState>,
    Extension(schema): Extension<PebaSchema>,
    headers: HeaderMap,
    uri: Uri,
    request: Result<GraphQLRequest, async_graphql_axum::rejection::GraphQLRejection>,
) -> Response {
    if uri.query().is_none_or(str::is_empty) {
        return Redirect::to("/playground").into_response();
    }
    let request = match request {
        Ok(request) => request.into_inner(),
        Err(rejection) => return rejection.into_response(),
    };
    let response = if is_mutation(&request) {
        error_response(errors::bad_input("mutations need POST"))
    } else {
        execute(&state, &schema, &headers, request).await
    };
    GraphQLResponse::from(response).into_response()
}

fn is_mutation(request: &async_graphql::Request) -> bool {
    use async_graphql::parser::types::OperationType;
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    document.operations.iter().any(|(name, operation)| {
        let selected = match (&request.operation_name, name) {
            (Some(wanted), Some(name)) => wanted == name.as_str(),
            _ => true,
        };
        selected && operation.node.ty == OperationType::Mutation
    })
}

/// `GET /graphql/ws`: subscriptions. The token may come as the upgrade request's
/// `Authorization` header or in the `connection_init` payload (`{"Authorization": "Bearer …"}`).
async fn graphql_ws(
    State(state): State<AppState>,
    Extension(schema): Extension<PebaSchema>,
    headers: HeaderMap,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let from_header = match auth::principal_from_authorization(&state, authorization(&headers)) {
        Ok(principal) => principal,
        Err(_) => return (StatusCode::UNAUTHORIZED, "invalid or expired token").into_response(),
    };
    let ping_every = state.settings.idle_timeout / 2;
    let shutdown = state.shutdown.clone();
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            let session = move |outgoing, incoming| {
                GraphQLWebSocket::new_with_pair(outgoing, incoming, schema, protocol)
                    .on_connection_init(move |payload| async move {
                        let given = ["Authorization", "authorization"]
                            .iter()
                            .find_map(|key| payload.get(*key).and_then(|v| v.as_str()));
                        let principal = match given {
                            Some(value) => auth::principal_from_authorization(&state, Some(value))?,
                            None => from_header,
                        };
                        let mut data = Data::default();
                        data.insert(principal);
                        data.insert(loaders::for_connection(&state));
                        Ok(data)
                    })
                    .serve()
            };
            shutdown
                .clone()
                .track(socket::pump(socket, ping_every, shutdown, session))
        })
}
