//! An alert as GraphQL shows it: the alert with its sensor, its two ends, credentials and
//! session.

use crate::domain::{self, Alert};
use crate::graphql::auth::TokenRequired;
use crate::graphql::errors::{self};
use crate::graphql::inputs::{DataDomain, DateTime};
use crate::graphql::loaders::{Sensors, sensor_key};
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use std::sync::Arc;

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

    /// Transport protocol (`tcp`, `udp`); null when the sensor sent none or an empty one.
    async fn protocol(&self) -> Option<&str> {
        self.0.protocol()
    }

    /// The request as stored: URL, command input, or `Attack on port …`.
    async fn request(&self) -> &str {
        &self.0.original_request_string
    }

    /// The request as the legacy ticker words it (credentials for login honeypots without a
    /// request, cowrie input joined with `; `, URLs percent-decoded), as raw text: unlike the
    /// legacy routes, not HTML-escaped.
    async fn display_request(&self) -> String {
        self.0.display_request_raw()
    }

    /// CVE id(s) the sensor reported.
    async fn cve(&self) -> Option<&str> {
        self.0.cve()
    }

    /// Login attempt data, for honeypots that record it; null when the alert has no
    /// username, password nor outcome (ingest stores empty ones for every other alert).
    async fn credentials(&self) -> Option<Credentials> {
        let a = &self.0;
        let credentials = Credentials {
            username: a.tried_username().map(str::to_owned),
            password: a.tried_password().map(str::to_owned),
            login_result: a.login_result().map(str::to_owned),
        };
        (credentials.username.is_some()
            || credentials.password.is_some()
            || credentials.login_result.is_some())
        .then_some(credentials)
    }

    /// Session data, for honeypots that record it.
    async fn session(&self) -> Option<Session> {
        let a = &self.0;
        let session = Session {
            start_text: a.session_started().map(str::to_owned),
            end_text: a.session_ended().map(str::to_owned),
            client_version: a.client_software().map(str::to_owned),
        };
        (session.start_text.is_some()
            || session.end_text.is_some()
            || session.client_version.is_some())
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

    /// The installation's external address; null when the sensor sent none (PEBA stores
    /// `1.1.1.1` in its place). Needs a token.
    #[graphql(guard = "TokenRequired")]
    async fn external_ip(&self) -> Option<&str> {
        self.0.sensor_external_ip()
    }

    /// The installation's internal address; null when the sensor sent none (stored as
    /// `1.1.1.1`). Needs a token.
    #[graphql(guard = "TokenRequired")]
    async fn internal_ip(&self) -> Option<&str> {
        self.0.sensor_internal_ip()
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
    /// The address (never a placeholder: ingest refuses alerts without valid addresses).
    /// Needs a token.
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

    /// The country the address belongs to; null when the GeoIP database did not know the
    /// address (stored as `-`).
    async fn country(&self) -> Option<Country> {
        let (code, name) = if self.target {
            self.alert.target_country()
        } else {
            self.alert.source_country()
        }?;
        Some(Country {
            code: code.to_owned(),
            name: name.to_owned(),
        })
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
    /// ISO 3166 alpha-2 code; `PIR` for private ranges.
    pub code: String,
    /// English name; `IANA Private IP Range` for private ranges.
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
    /// The user name tried; null when none or an empty one was sent.
    pub username: Option<String>,
    /// The password tried; null when none or an empty one was sent.
    pub password: Option<String>,
    /// The outcome (`Success` / `Fail`); null when the honeypot does not report it.
    pub login_result: Option<String>,
}

/// An attacker's session.
pub struct Session {
    start_text: Option<String>,
    end_text: Option<String>,
    client_version: Option<String>,
}

/// An attacker's session.
#[Object]
impl Session {
    /// Session start; null when the sensor sent none or a time not in RFC 3339 or
    /// `YYYY-MM-DD HH:MM:SS` (UTC) form (see `startText`).
    async fn start(&self) -> Option<DateTime> {
        session_time(self.start_text.as_deref())
    }

    /// Session end; null when the sensor sent none or an unreadable time (see `endText`).
    async fn end(&self) -> Option<DateTime> {
        session_time(self.end_text.as_deref())
    }

    /// Session start exactly as the sensor sent it.
    async fn start_text(&self) -> Option<&str> {
        self.start_text.as_deref()
    }

    /// Session end exactly as the sensor sent it.
    async fn end_text(&self) -> Option<&str> {
        self.end_text.as_deref()
    }

    /// The attacker's client software version; null when the sensor reported none.
    async fn client_version(&self) -> Option<&str> {
        self.client_version.as_deref()
    }
}

/// A session time a sensor sent, when it reads as one.
fn session_time(text: Option<&str>) -> Option<DateTime> {
    DateTime::parse(text?.trim()).map(DateTime)
}
