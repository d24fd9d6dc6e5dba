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

pub mod analyst;
pub mod auth;
pub mod errors;
pub mod examples;
pub mod inputs;
pub mod limits;
pub mod loaders;
pub mod map;
pub mod page_asset;
pub mod playground;
pub mod rankings;
pub mod request;
pub mod schema;
pub mod socket;
pub mod subscriptions;
pub mod types;

use crate::app::AppState;
use crate::http::ClientAddr;
use async_graphql::MergedObject;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::{Data, Schema, SchemaBuilder};
use async_graphql_axum::{GraphQLProtocol, GraphQLResponse, GraphQLWebSocket};
use axum::Router;
use axum::body::Body;
use axum::extract::ws::{CloseFrame, Message};
use axum::extract::{Extension, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use futures::SinkExt;
use schema::{Mutation, Query, Subscription};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Every question about the alerts. Every data field takes `domain` (default `COMMUNITY`);
/// users whose token is limited to community data always get community data.
#[derive(MergedObject)]
#[graphql(name = "Query")]
pub struct RootQuery(Query, analyst::AnalystQuery, rankings::RankingQuery);

/// The schema type.
pub type PebaSchema = Schema<RootQuery, Mutation, Subscription>;

/// Deepest selection accepted (the playground's introspection query needs 13).
pub const MAX_DEPTH: usize = 16;
/// Most complex query accepted (each field costs 1; lists of alerts and rankings cost more
/// with their page size; every field that asks the store costs [`STORE_COST`] more).
pub const MAX_COMPLEXITY: usize = 2_000;
/// Complexity of one store call (a count, a ranking, a timeline, a page of alerts), so that
/// the complexity limit bounds the store work of a request to about 100 calls.
pub const STORE_COST: usize = 20;
/// Largest page of `alerts` (and of an IP report's alerts).
pub const MAX_PAGE: usize = 500;
/// Longest ranking (`first` of honeypot types, countries, geo points, URLs, ports).
pub const MAX_TOP: usize = 1_000;
/// Longest attacker list.
pub const MAX_ATTACKERS: usize = 10_000;
/// Most selections a document may expand to once its fragments are spread.
pub const MAX_EXPANDED_SELECTIONS: u64 = 5_000;
/// Deepest chain of fragments spreading fragments.
pub const MAX_FRAGMENT_NESTING: usize = 32;
/// Most directives on one selection.
pub const MAX_DIRECTIVES: usize = 16;

fn builder() -> SchemaBuilder<RootQuery, Mutation, Subscription> {
    Schema::build(
        RootQuery(Query, analyst::AnalystQuery, rankings::RankingQuery),
        Mutation,
        Subscription,
    )
    .extension(limits::QueryLimits {
        max_expanded_selections: MAX_EXPANDED_SELECTIONS,
        max_fragment_nesting: MAX_FRAGMENT_NESTING,
        max_directives: MAX_DIRECTIVES,
        max_depth: MAX_DEPTH,
        max_complexity: MAX_COMPLEXITY,
    })
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
        .layer(Extension(subscriptions::SubscriptionLimits::new(
            &state.settings,
        )))
}

fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
}

fn error_response(error: async_graphql::Error) -> async_graphql::Response {
    async_graphql::Response::from_errors(vec![error.into_server_error(Default::default())])
}

/// What checking a login token needs, from the application state.
fn token_check(state: &AppState) -> auth::TokenCheck<'_> {
    auth::TokenCheck {
        keys: &state.jwt,
        users: &state.auth,
        now: state.clock.now(),
    }
}

/// Runs one request with its principal, client address, loaders and the time limit.
async fn execute(
    state: &AppState,
    schema: &PebaSchema,
    headers: &HeaderMap,
    client: ClientAddr,
    request: async_graphql::Request,
) -> async_graphql::Response {
    let principal = match auth::principal_from_authorization(
        token_check(state),
        authorization(headers),
    )
    .await
    {
        Ok(principal) => principal,
        Err(error) => return error_response(error),
    };
    let request = request
        .data(principal)
        .data(client)
        .data(loaders::for_request(state));
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
    client: ClientAddr,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let request =
        match request::from_body(&headers, body, state.settings.graphql_max_body_bytes).await {
            Ok(request) => request,
            Err(error) => return error.into_response(),
        };
    GraphQLResponse::from(execute(&state, &schema, &headers, client, request).await).into_response()
}

/// `GET /graphql?query=…` runs a query (mutations only by POST); without a query string it
/// leads a browser to the playground.
async fn graphql_get(
    State(state): State<AppState>,
    Extension(schema): Extension<PebaSchema>,
    client: ClientAddr,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let Some(query) = uri.query().filter(|q| !q.is_empty()) else {
        return Redirect::to("/playground").into_response();
    };
    let request = match request::from_query_string(query, state.settings.graphql_max_body_bytes) {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    let response = if is_mutation(&request) {
        error_response(errors::bad_input("mutations need POST"))
    } else {
        execute(&state, &schema, &headers, client, request).await
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
/// A bad token at `connection_init` closes the socket with 4403 (Forbidden); messages are at
/// most `graphql_max_body_bytes` long.
async fn graphql_ws(
    State(state): State<AppState>,
    Extension(schema): Extension<PebaSchema>,
    Extension(limits): Extension<Arc<subscriptions::SubscriptionLimits>>,
    client: ClientAddr,
    headers: HeaderMap,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let from_header = authorization(&headers).map(str::to_owned);
    if auth::principal_from_authorization(token_check(&state), from_header.as_deref())
        .await
        .is_err()
    {
        return (StatusCode::UNAUTHORIZED, "invalid or expired token").into_response();
    }
    let slots = limits.connection(Some(client.limit_key()));
    let max_message = state.settings.graphql_max_body_bytes;
    let ping_every = state.settings.idle_timeout / 2;
    let shutdown = state.shutdown.clone();
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(max_message)
        .max_frame_size(max_message)
        .on_upgrade(move |socket| {
            let session = move |outgoing: futures::channel::mpsc::Sender<Message>, incoming| {
                let refused = Arc::new(AtomicBool::new(false));
                let outgoing = outgoing.with({
                    let refused = refused.clone();
                    move |message| {
                        futures::future::ready(Ok::<_, futures::channel::mpsc::SendError>(
                            forbidden_close(message, refused.load(Ordering::SeqCst)),
                        ))
                    }
                });
                GraphQLWebSocket::new_with_pair(outgoing, incoming, schema, protocol)
                    .on_connection_init(move |payload| async move {
                        let given = ["Authorization", "authorization"]
                            .iter()
                            .find_map(|key| payload.get(*key).and_then(|v| v.as_str()))
                            .map(str::to_owned)
                            .or(from_header);
                        let principal = match auth::principal_from_authorization(
                            token_check(&state),
                            given.as_deref(),
                        )
                        .await
                        {
                            Ok(principal) => principal,
                            Err(error) => {
                                refused.store(true, Ordering::SeqCst);
                                return Err(error);
                            }
                        };
                        let mut data = Data::default();
                        data.insert(principal);
                        data.insert(client);
                        data.insert(subscriptions::Session::new(given));
                        data.insert(slots);
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

/// The close frame the protocol sends for a refused `connection_init` (1002) becomes 4403
/// Forbidden, as `graphql-transport-ws` asks.
fn forbidden_close(message: Message, init_refused: bool) -> Message {
    match message {
        Message::Close(Some(frame)) if init_refused && frame.code == 1002 => {
            Message::Close(Some(CloseFrame {
                code: 4403,
                reason: "Forbidden".into(),
            }))
        }
        other => other,
    }
}
