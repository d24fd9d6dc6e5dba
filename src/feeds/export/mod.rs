//! `GET /export/alerts.csv` and `GET /export/alerts.ndjson`: every alert matching the filter
//! in the query parameters, newest first, streamed as it is read from the store page by page
//! (memory stays constant whatever the size of the answer). A store failure before the first
//! page is answered 503; one in the middle of the stream breaks the transfer off (the chunked
//! body never ends), so a cut export is never taken for a complete one.

mod csv;
mod ndjson;

use super::FeedError;
use super::access::FeedReader;
use super::params::ExportRequest;
use crate::app::AppState;
use crate::domain::Alert;
use crate::query::alert_stream;
use crate::store::StoreError;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{Uri, header};
use axum::response::{IntoResponse, Response};
use futures::{StreamExt, TryStreamExt, stream};

/// An export format: a content type, a header and a way to write a page of alerts.
struct Format {
    content_type: &'static str,
    file_name: &'static str,
    header: fn() -> Vec<u8>,
    page: fn(&[Alert]) -> Vec<u8>,
}

const CSV: Format = Format {
    content_type: "text/csv; charset=utf-8",
    file_name: "alerts.csv",
    header: csv::header,
    page: csv::rows,
};

const NDJSON: Format = Format {
    content_type: "application/x-ndjson",
    file_name: "alerts.ndjson",
    header: Vec::new,
    page: ndjson::lines,
};

/// `GET /export/alerts.csv`.
pub async fn csv(
    State(state): State<AppState>,
    reader: FeedReader,
    uri: Uri,
) -> Result<Response, FeedError> {
    export(state, &reader, &uri, &CSV).await
}

/// `GET /export/alerts.ndjson`.
pub async fn ndjson(
    State(state): State<AppState>,
    reader: FeedReader,
    uri: Uri,
) -> Result<Response, FeedError> {
    export(state, &reader, &uri, &NDJSON).await
}

async fn export(
    state: AppState,
    reader: &FeedReader,
    uri: &Uri,
    format: &'static Format,
) -> Result<Response, FeedError> {
    let request = ExportRequest::parse(uri, reader, state.clock.now())?;
    let mut pages = Box::pin(alert_stream(
        state.query.clone(),
        request.filter,
        request.order_by,
        request.limit,
    ));
    // The first page decides the status: a store that fails at once is answered 503.
    let first = pages.try_next().await?.unwrap_or_default();
    let head = stream::once(async move {
        let mut bytes = (format.header)();
        bytes.extend((format.page)(&first));
        Ok::<_, StoreError>(Bytes::from(bytes))
    });
    let rest = pages
        .map_ok(move |page| Bytes::from((format.page)(&page)))
        .inspect_err(|error| tracing::warn!(%error, "export broken off: the store failed"));
    let disposition = format!("attachment; filename=\"{}\"", format.file_name);
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from_stream(head.chain(rest)),
    )
        .into_response())
}
