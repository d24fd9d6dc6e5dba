//! The object types: alerts with their sensor, endpoints, credentials and session, the alert
//! connection, and the results of the aggregations.

use super::auth::{Principal, TokenRequired};
use super::errors::{self, bad_input};
use super::inputs::{DataDomain, DateTime, GapFill, TimeField};
use super::loaders::{Sensors, prefetch_sensors, sensor_key};
use crate::app::AppState;
use crate::domain::{self, Alert, AlertFilter, HistogramQuery, TermCount, TermField, Timestamp};
use crate::query::{Densify, TimelineError};
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::sync::Arc;

/// Shortest timeline interval, seconds.
pub const MIN_INTERVAL: i32 = 60;
/// Longest timeline interval, seconds (a leap year).
pub const MAX_INTERVAL: i32 = 366 * 86_400;
/// Most honeypot types per timeline bucket.
pub const MAX_SPLIT: i32 = 100;

/// The application state of a request.
pub fn state<'a>(ctx: &Context<'a>) -> Result<&'a AppState> {
    ctx.data::<AppState>()
}

/// One honeypot event: what attacked which honeypot, when, and how.
pub struct AlertNode(pub Arc<Alert>);

/// One honeypot event: what attacked which honeypot, when, and how.
#[Object(name = "Alert")]
impl AlertNode {
    /// The alert's id.
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    /// The data domain it belongs to (`COMMUNITY` or `PRIVATE`).
    async fn domain(&self) -> DataDomain {
        self.0.data_domain().into()
    }

    /// When the honeypot saw the attack.
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.create_time)
    }

    /// When peba received and stored the alert.
    async fn received_at(&self) -> DateTime {
        DateTime(self.0.recieved_time)
    }

    /// The honeypot type, e.g. `SSH/console(cowrie)`.
    async fn honeypot_type(&self) -> &str {
        &self.0.peer_type
    }

    /// The honeypot (sensor) that reported it.
    async fn sensor(&self) -> Sensor {
        Sensor(self.0.clone())
    }

    /// The attacker's end.
    async fn source(&self) -> Endpoint {
        Endpoint {
            alert: self.0.clone(),
            target: false,
        }
    }

    /// The honeypot's end.
    async fn target(&self) -> Endpoint {
        Endpoint {
            alert: self.0.clone(),
            target: true,
        }
    }

    /// Transport protocol, when the sensor sent one (`tcp`, `udp`).
    async fn protocol(&self) -> Option<&str> {
        self.0.targetport.as_deref()
    }

    /// The request as stored: URL, command input, or `Attack on port …`.
    async fn request(&self) -> &str {
        &self.0.original_request_string
    }

    /// The request as the legacy ticker shows it (HTML-escaped; credentials for login
    /// honeypots without a request).
    async fn display_request(&self) -> String {
        self.0.display_request()
    }

    /// CVE id(s) the sensor reported.
    async fn cve(&self) -> Option<&str> {
        self.0.cve()
    }

    /// Login attempt data, for honeypots that record it.
    async fn credentials(&self) -> Option<Credentials> {
        let a = &self.0;
        (a.username.is_some() || a.password.is_some() || a.login.is_some()).then(|| Credentials {
            username: a.username.clone(),
            password: a.password.clone(),
            login_result: a.login.clone(),
        })
    }

    /// Session data, for honeypots that record it.
    async fn session(&self) -> Option<Session> {
        let a = &self.0;
        let session = Session {
            start: a.session_started().map(str::to_owned),
            end: a.session_ended().map(str::to_owned),
            client_version: a.client_version.clone(),
        };
        (session.start.is_some() || session.end.is_some() || session.client_version.is_some())
            .then_some(session)
    }

    /// Extra data the sensor sent, as JSON text. Needs a token.
    #[graphql(guard = "TokenRequired")]
    async fn additional_data(&self) -> Option<&str> {
        self.0.extra_data()
    }

    /// The decoded raw HTTP request, for web honeypots. Needs a token.
    #[graphql(guard = "TokenRequired")]
    async fn raw_http(&self) -> Option<&str> {
        self.0.raw_http_request()
    }
}

/// The honeypot (sensor) that reported an alert.
pub struct Sensor(Arc<Alert>);

/// The honeypot (sensor) that reported an alert.
#[Object]
impl Sensor {
    /// The sensor's id (`peerIdent`).
    async fn id(&self) -> &str {
        &self.0.peer_ident
    }

    /// The T-Pot installation's host name (none for sensors older than T-Pot 17.10).
    async fn hostname(&self) -> Option<&str> {
        self.0.sensor_hostname()
    }

    /// The installation's external address. Needs a token.
    #[graphql(guard = "TokenRequired")]
    async fn external_ip(&self) -> Option<&str> {
        Some(&self.0.external_ip)
    }

    /// The installation's internal address. Needs a token.
    #[graphql(guard = "TokenRequired")]
    async fn internal_ip(&self) -> Option<&str> {
        Some(&self.0.internal_ip)
    }

    /// Alerts this sensor sent in the 24 hours before now (in the alert's data domain).
    /// Batched: a list of alerts costs one store call per data domain.
    #[graphql(name = "alertsLast24Hours")]
    async fn alerts_last_24_hours(&self, ctx: &Context<'_>) -> Result<u64> {
        let loader = ctx.data::<Sensors>()?;
        let count = loader
            .load_one(sensor_key(&self.0))
            .await
            .map_err(|e| errors::shared_store(&e))?;
        Ok(count.unwrap_or(0))
    }
}

/// One end of an attack.
pub struct Endpoint {
    alert: Arc<Alert>,
    target: bool,
}

/// One end of an attack.
#[Object]
impl Endpoint {
    /// The address. Needs a token.
    #[graphql(guard = "TokenRequired")]
    async fn ip(&self) -> Option<String> {
        Some(if self.target {
            self.alert.target_entry_ip.to_string()
        } else {
            self.alert.source_entry_ip.to_string()
        })
    }

    /// The port, when it was sent and is numeric.
    async fn port(&self) -> Option<i32> {
        let port = if self.target {
            self.alert.target_port()
        } else {
            self.alert.source_port()
        };
        port.map(i32::from)
    }

    /// The country the address belongs to.
    async fn country(&self) -> Country {
        let a = &self.alert;
        if self.target {
            Country {
                code: a.target_country.clone(),
                name: a.target_country_name.clone(),
            }
        } else {
            Country {
                code: a.country.clone(),
                name: a.country_name.clone(),
            }
        }
    }

    /// The autonomous system, `AS<number> <organisation>` (`IANA` for private ranges); none
    /// when unknown.
    async fn autonomous_system(&self) -> Option<&str> {
        if self.target {
            self.alert.target_as()
        } else {
            self.alert.source_as()
        }
    }

    /// Where the address is located; none when unknown.
    async fn location(&self) -> Option<GeoPoint> {
        let point = if self.target {
            self.alert.target_location()
        } else {
            self.alert.source_location()
        };
        point.map(GeoPoint::from)
    }
}

/// A country.
#[derive(SimpleObject, Debug, Clone)]
pub struct Country {
    /// ISO 3166 alpha-2 code; `PIR` for private ranges, `-` when unknown.
    pub code: String,
    /// English name; `IANA Private IP Range` for private ranges, `-` when unknown.
    pub name: String,
}

/// A point on the earth.
#[derive(SimpleObject, Debug, Clone, Copy, PartialEq)]
pub struct GeoPoint {
    /// Degrees north.
    pub latitude: f64,
    /// Degrees east.
    pub longitude: f64,
}

impl From<domain::GeoPoint> for GeoPoint {
    fn from(p: domain::GeoPoint) -> Self {
        GeoPoint {
            latitude: p.latitude,
            longitude: p.longitude,
        }
    }
}

/// A login attempt.
#[derive(SimpleObject, Debug, Clone)]
pub struct Credentials {
    /// The user name tried.
    pub username: Option<String>,
    /// The password tried.
    pub password: Option<String>,
    /// The outcome (`Success` / `Fail`), when the honeypot reports it.
    pub login_result: Option<String>,
}

/// An attacker's session.
#[derive(SimpleObject, Debug, Clone)]
pub struct Session {
    /// Session start, as the sensor sent it.
    pub start: Option<String>,
    /// Session end, as the sensor sent it.
    pub end: Option<String>,
    /// The attacker's client software version.
    pub client_version: Option<String>,
}

/// A page of alerts, newest first.
pub struct AlertConnection {
    /// The filter of the listing, for `totalCount`.
    pub filter: AlertFilter,
    /// The order of the listing, for the cursors.
    pub order_by: domain::TimeField,
    /// The alerts of this page.
    pub alerts: Vec<Arc<Alert>>,
    /// Whether more follow.
    pub has_next_page: bool,
    /// Whether this page continues an earlier one.
    pub has_previous_page: bool,
}

/// A page of alerts, newest first (Relay cursor connection).
#[Object]
impl AlertConnection {
    /// How many alerts match the filter in all.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        state(ctx)?
            .query
            .count(&self.filter)
            .await
            .map_err(errors::store)
    }

    /// The alerts with their cursors.
    async fn edges(&self, ctx: &Context<'_>) -> Result<Vec<AlertEdge>> {
        prefetch_sensors(ctx, ctx.look_ahead().field("node"), &self.alerts).await?;
        Ok(self
            .alerts
            .iter()
            .map(|a| AlertEdge {
                cursor: encode_cursor(self.order_by, a),
                node: AlertNode(a.clone()),
            })
            .collect())
    }

    /// The alerts.
    async fn nodes(&self, ctx: &Context<'_>) -> Result<Vec<AlertNode>> {
        prefetch_sensors(ctx, ctx.look_ahead(), &self.alerts).await?;
        Ok(self.alerts.iter().cloned().map(AlertNode).collect())
    }

    /// Where this page is.
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
            start_cursor: self.alerts.first().map(|a| encode_cursor(self.order_by, a)),
            end_cursor: self.alerts.last().map(|a| encode_cursor(self.order_by, a)),
        }
    }
}

/// An alert and its position.
#[derive(SimpleObject)]
pub struct AlertEdge {
    /// Pass as `after` to continue behind this alert.
    pub cursor: String,
    /// The alert.
    pub node: AlertNode,
}

/// Where a page is.
#[derive(SimpleObject, Debug, Clone)]
pub struct PageInfo {
    /// Whether more alerts follow.
    pub has_next_page: bool,
    /// Whether the page continues an earlier one.
    pub has_previous_page: bool,
    /// The first alert's cursor.
    pub start_cursor: Option<String>,
    /// The last alert's cursor.
    pub end_cursor: Option<String>,
}

fn order_tag(order_by: domain::TimeField) -> char {
    match order_by {
        domain::TimeField::Received => 'r',
        domain::TimeField::Created => 'c',
    }
}

/// The opaque cursor of `alert` in a listing ordered by `order_by`.
pub fn encode_cursor(order_by: domain::TimeField, alert: &Alert) -> String {
    let time = match order_by {
        domain::TimeField::Received => alert.recieved_time,
        domain::TimeField::Created => alert.create_time,
    };
    URL_SAFE_NO_PAD.encode(format!(
        "{}:{}:{}",
        order_tag(order_by),
        time.unix(),
        alert.id
    ))
}

/// Reads a cursor of a listing ordered by `order_by`.
pub fn decode_cursor(order_by: domain::TimeField, cursor: &str) -> Result<domain::AlertCursor> {
    let invalid = || bad_input("invalid cursor: pass an `endCursor` of the same listing");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let mut parts = text.splitn(3, ':');
    let (Some(tag), Some(time), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid());
    };
    if tag.chars().ne([order_tag(order_by)]) {
        return Err(invalid());
    }
    let time = time.parse::<i64>().map_err(|_| invalid())?;
    Ok(domain::AlertCursor {
        time: Timestamp::from_unix(time),
        id: id.to_owned(),
    })
}

/// Alerts received in the last minute, 5 minutes, hour and 24 hours (open-ended: alerts
/// dated in the future count too).
#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct AlertStats {
    /// Received in the last minute.
    pub last_minute: u64,
    /// Received in the last 5 minutes.
    #[graphql(name = "last5Minutes")]
    pub last_5_minutes: u64,
    /// Received in the last hour.
    pub last_hour: u64,
    /// Received in the last 24 hours.
    #[graphql(name = "last24Hours")]
    pub last_24_hours: u64,
}

impl From<crate::query::AlertStats> for AlertStats {
    fn from(s: crate::query::AlertStats) -> Self {
        AlertStats {
            last_minute: s.last_minute,
            last_5_minutes: s.last_5_minutes,
            last_hour: s.last_hour,
            last_24_hours: s.last_24_hours,
        }
    }
}

/// Alerts of one honeypot type.
#[derive(SimpleObject, Debug, Clone)]
pub struct HoneypotTypeCount {
    /// The honeypot type.
    pub honeypot_type: String,
    /// Its alerts.
    pub count: u64,
}

impl From<TermCount> for HoneypotTypeCount {
    fn from(t: TermCount) -> Self {
        HoneypotTypeCount {
            honeypot_type: t.key,
            count: t.count,
        }
    }
}

/// Alerts from or to one country.
#[derive(SimpleObject, Debug, Clone)]
pub struct CountryCount {
    /// Country code.
    pub code: String,
    /// Country name.
    pub name: Option<String>,
    /// Its alerts.
    pub count: u64,
}

impl From<TermCount> for CountryCount {
    fn from(t: TermCount) -> Self {
        CountryCount {
            code: t.key,
            name: t.label,
            count: t.count,
        }
    }
}

/// Alerts from or to one location.
#[derive(SimpleObject, Debug, Clone)]
pub struct GeoPointCount {
    /// The stored location text, `"<lat> , <lon>"` (`0.0 , 0.0` when unknown).
    pub location: String,
    /// Degrees north, when the location reads as a number pair.
    pub latitude: Option<f64>,
    /// Degrees east, when the location reads as a number pair.
    pub longitude: Option<f64>,
    /// Its alerts.
    pub count: u64,
}

impl From<TermCount> for GeoPointCount {
    fn from(t: TermCount) -> Self {
        let point = domain::GeoPoint::parse(&t.key);
        GeoPointCount {
            latitude: point.map(|p| p.latitude),
            longitude: point.map(|p| p.longitude),
            location: t.key,
            count: t.count,
        }
    }
}

/// Alerts from one source address.
#[derive(SimpleObject, Debug, Clone)]
pub struct AttackerCount {
    /// The source address.
    pub ip: String,
    /// Its alerts.
    pub count: u64,
}

/// One bucket of a timeline.
#[derive(SimpleObject, Debug, Clone)]
pub struct TimeBucket {
    /// Start of the bucket (buckets are aligned to the Unix epoch, a day to UTC midnight).
    pub start: DateTime,
    /// Alerts in the bucket.
    pub count: u64,
    /// The most frequent honeypot types in the bucket, when a split was asked for.
    pub by_honeypot_type: Vec<HoneypotTypeCount>,
}

/// How a timeline is asked for.
#[derive(Debug, Clone)]
pub struct TimelineSpec {
    /// Which timestamp is bucketed.
    pub field: TimeField,
    /// Bucket width, seconds.
    pub interval_seconds: i32,
    /// Honeypot types per bucket (0: no split).
    pub split_by_type: i32,
    /// Gap filling.
    pub fill: GapFill,
    /// Start of the filled window.
    pub fill_from: Option<DateTime>,
    /// End of the filled window.
    pub fill_to: Option<DateTime>,
}

/// Computes a timeline over `filter`.
pub async fn timeline(
    state: &AppState,
    filter: &AlertFilter,
    spec: &TimelineSpec,
) -> Result<Vec<TimeBucket>> {
    if !(MIN_INTERVAL..=MAX_INTERVAL).contains(&spec.interval_seconds) {
        return Err(bad_input(format!(
            "`intervalSeconds` must be between {MIN_INTERVAL} and {MAX_INTERVAL}"
        )));
    }
    if !(0..=MAX_SPLIT).contains(&spec.split_by_type) {
        return Err(bad_input(format!(
            "`splitByType` must be between 0 and {MAX_SPLIT}"
        )));
    }
    let interval = i64::from(spec.interval_seconds);
    let field: domain::TimeField = spec.field.into();
    let window = match field {
        domain::TimeField::Received => filter.received,
        domain::TimeField::Created => filter.created,
    };
    let densify = match spec.fill {
        GapFill::None => Densify::None,
        GapFill::BetweenData => Densify::BetweenData,
        GapFill::Window => {
            let from = spec.fill_from.map(|t| t.0).or(window.from).ok_or_else(|| {
                bad_input("`fill: WINDOW` needs `fillFrom` or a window start in the filter")
            })?;
            let to = spec
                .fill_to
                .map(|t| t.0)
                .or(window.to)
                .unwrap_or_else(|| state.clock.now());
            Densify::Extended { from, to }
        }
    };
    let split = usize::try_from(spec.split_by_type).unwrap_or(0);
    let query = HistogramQuery {
        filter: filter.clone(),
        field,
        interval_seconds: interval,
        split: (split > 0).then_some((TermField::PeerType, split)),
    };
    let buckets = state
        .query
        .timeline(&query, densify)
        .await
        .map_err(|error| match error {
            TimelineError::Store(error) => errors::store(error),
            too_long @ TimelineError::TooLong { .. } => bad_input(too_long.to_string()),
        })?;
    Ok(buckets
        .into_iter()
        .map(|b| TimeBucket {
            start: DateTime(b.start),
            count: b.count,
            by_honeypot_type: b.split.into_iter().map(Into::into).collect(),
        })
        .collect())
}

/// A ranked value (URL, port) with its count and, on demand, its timeline.
pub struct RankedValue {
    /// The value.
    pub value: String,
    /// Its alerts.
    pub count: u64,
    /// The field it is a value of.
    pub field: TermField,
    /// The filter it was ranked under.
    pub filter: AlertFilter,
}

/// A ranked value (a URL, a port) with its number of alerts.
#[Object]
impl RankedValue {
    /// The value.
    async fn value(&self) -> &str {
        &self.value
    }

    /// Its alerts.
    async fn count(&self) -> u64 {
        self.count
    }

    /// This value's alerts over time (one store call per ranked value).
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "super::STORE_COST + child_complexity")]
    async fn timeline(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] field: TimeField,
        interval_seconds: i32,
        #[graphql(default)] fill: GapFill,
        fill_from: Option<DateTime>,
        fill_to: Option<DateTime>,
    ) -> Result<Vec<TimeBucket>> {
        let filter = self.filter.clone().matching(self.field, self.value.clone());
        let spec = TimelineSpec {
            field,
            interval_seconds,
            split_by_type: 0,
            fill,
            fill_from,
            fill_to,
        };
        timeline(state(ctx)?, &filter, &spec).await
    }
}

/// What a source address did. Needs a token.
pub struct IpReport {
    /// The address.
    pub ip: std::net::IpAddr,
    /// Its alerts in the caller's domain.
    pub filter: AlertFilter,
}

/// What a source address did.
#[Object]
impl IpReport {
    /// The address.
    async fn ip(&self) -> String {
        self.ip.to_string()
    }

    /// Whether the address is globally routable (legacy blocklists list only these).
    async fn is_global(&self) -> bool {
        crate::ingest::is_global(self.ip)
    }

    /// Its alerts.
    #[graphql(complexity = "super::STORE_COST + child_complexity")]
    async fn alert_count(&self, ctx: &Context<'_>) -> Result<u64> {
        state(ctx)?
            .query
            .count(&self.filter)
            .await
            .map_err(errors::store)
    }

    /// The honeypot types it attacked, most frequent first.
    #[graphql(complexity = "super::STORE_COST + child_complexity")]
    async fn honeypot_types(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10)] first: i32,
    ) -> Result<Vec<HoneypotTypeCount>> {
        let terms = top(ctx, &self.filter, TermField::PeerType, first).await?;
        Ok(terms.into_iter().map(Into::into).collect())
    }

    /// The honeypot ports it attacked, most frequent first.
    #[graphql(complexity = "super::STORE_COST + (first.max(0) as usize) * child_complexity")]
    async fn target_ports(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10)] first: i32,
    ) -> Result<Vec<RankedValue>> {
        let terms = top(ctx, &self.filter, TermField::TargetPort, first).await?;
        Ok(ranked(terms, TermField::TargetPort, &self.filter))
    }

    /// Its newest alerts (legacy `querySingleIP` orders by `CREATED`).
    #[graphql(complexity = "super::STORE_COST + (first.max(0) as usize) * child_complexity / 10")]
    async fn alerts(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 5)] first: i32,
        #[graphql(default_with = "TimeField::Created")] order_by: TimeField,
    ) -> Result<Vec<AlertNode>> {
        let limit = page_size(first, super::MAX_PAGE)?;
        let alerts = state(ctx)?
            .query
            .latest_alerts(&self.filter, order_by.into(), limit)
            .await
            .map_err(errors::store)?;
        let alerts: Vec<Arc<Alert>> = alerts.into_iter().map(Arc::new).collect();
        prefetch_sensors(ctx, ctx.look_ahead(), &alerts).await?;
        Ok(alerts.into_iter().map(AlertNode).collect())
    }
}

/// Checks a `first` argument against its cap.
pub fn page_size(first: i32, max: usize) -> Result<usize> {
    usize::try_from(first)
        .ok()
        .filter(|n| *n <= max)
        .ok_or_else(|| bad_input(format!("`first` must be between 0 and {max}")))
}

/// The `first` most frequent values of `field` (capped at [`super::MAX_TOP`]).
pub async fn top(
    ctx: &Context<'_>,
    filter: &AlertFilter,
    field: TermField,
    first: i32,
) -> Result<Vec<TermCount>> {
    let limit = page_size(first, super::MAX_TOP)?;
    state(ctx)?
        .query
        .terms(filter, field, limit)
        .await
        .map_err(errors::store)
}

/// Ranked values of `field` under `filter`.
pub fn ranked(terms: Vec<TermCount>, field: TermField, filter: &AlertFilter) -> Vec<RankedValue> {
    terms
        .into_iter()
        .map(|t| RankedValue {
            value: t.key,
            count: t.count,
            field,
            filter: filter.clone(),
        })
        .collect()
}

/// Daily-statistics style summary of the installations behind matching alerts (legacy
/// `TpotStats`).
#[derive(SimpleObject, Debug, Clone)]
pub struct HoneypotStatistics {
    /// Matching alerts.
    pub total_alerts: u64,
    /// Alerts per honeypot type, most frequent first.
    pub alerts_per_type: Vec<HoneypotTypeCount>,
    /// T-Pot installations (by host name, or by target address for sensors without one).
    pub total_honeypots: u64,
    /// Honeypot daemons (sensor ids), at most ten counted per installation.
    pub total_daemons: u64,
    /// Installations that produced each honeypot type, by type name.
    pub honeypots_per_type: Vec<HoneypotTypeCount>,
}

/// A pre-computed community statistics document (legacy `getStats`).
#[derive(SimpleObject, Debug, Clone)]
pub struct StatisticsSnapshot {
    /// Start of the period (`UTCtimeFrom`, as stored).
    pub from: String,
    /// End of the period (`UTCtimeTo`, as stored).
    pub to: Option<String>,
    /// `comm_totalRatio`.
    pub total_ratio: Option<f64>,
    /// `comm_ratio_<type>` of the requested honeypot types present in the document.
    pub ratios: Vec<TypeRatio>,
}

/// A ratio of one honeypot type.
#[derive(SimpleObject, Debug, Clone)]
pub struct TypeRatio {
    /// The honeypot type.
    pub honeypot_type: String,
    /// The ratio.
    pub ratio: Option<f64>,
}

/// Service health, as `/alert/heartbeat` reports it.
#[derive(SimpleObject, Debug, Clone)]
pub struct Health {
    /// The store answers.
    pub store_up: bool,
    /// The ingest writer runs and its backlog is under its limit.
    pub ingest_up: bool,
    /// Submissions waiting for the writer.
    pub ingest_backlog: u64,
    /// The legacy heartbeat token: `me`, `e`, `m` or `flatline`.
    pub heartbeat: String,
}

/// The caller, as its token says.
#[derive(SimpleObject, Debug, Clone)]
pub struct Viewer {
    /// User name.
    pub name: String,
    /// Sees community data only.
    pub community_only: bool,
    /// May submit alerts.
    pub can_submit: bool,
}

impl Viewer {
    /// The viewer of a principal (none when anonymous).
    pub fn of(principal: &Principal) -> Option<Viewer> {
        match principal {
            Principal::Anonymous => None,
            Principal::User {
                name,
                community_only,
                can_submit,
            } => Some(Viewer {
                name: name.clone(),
                community_only: *community_only,
                can_submit: *can_submit,
            }),
        }
    }
}

/// A login token.
#[derive(SimpleObject, Debug, Clone)]
pub struct LoginResult {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// When it stops being accepted.
    pub expires_at: DateTime,
}
