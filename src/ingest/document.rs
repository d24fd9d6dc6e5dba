//! From a parsed alert to the stored document (legacy contract §3.5–§3.14, with the decisions
//! that override it).
//!
//! Every condition under which PEBA skipped an alert, crashed on it, or stored a document that
//! Elasticsearch then rejected, skips the alert here with a [`SkipReason`]; the other alerts of
//! the message are unaffected.
//!
//! Deviations from PEBA, all deliberate:
//! - `createTime` must be `YYYY-MM-DD HH:MM:SS` even when no conversion happens (PEBA stored the
//!   text unchecked and Elasticsearch rejected other forms).
//! - `externalIP` / `internalIP` values that are not IP addresses are not stored: the default
//!   `1.1.1.1` (or an earlier valid value) stays, so the document fits the `ip` mapping.
//! - cisco-asa's `Request type="payload"` is stored as `additionalData.payload` (verbatim;
//!   decision 12).
//! - No payload store (decision 21): `payload_md5` and `rawhttp` are computed, nothing else.
//! - Conpot ids are deterministic (decision 22), see [`document_id`].

use super::classify::{Classification, UNCLASSIFIED};
use super::ews::{AlertChild, Endpoint, EwsMessage, RawAlert};
use super::geoip::GeoIp;
use super::pyfmt::{json_dumps_object, unquote};
use super::truncate::{cut, truncate_fields};
use crate::domain::{Alert, DEFAULT_SENSOR_IP, Timestamp, UNDEFINED_HOSTNAME};
use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use md5::{Digest, Md5};
use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr};

/// Document kind of an alert, part of its id.
pub const KIND_ALERT: &str = "Alert";
/// Document kind of a CVE copy, part of its id.
pub const KIND_CVE: &str = "CVE";
/// The `peerType` whose ids also depend on the alert's content and position.
pub const CONPOT_PEER_TYPE: &str = "Industrial(conpot)";

/// What building the documents needs besides the message.
#[derive(Debug, Clone, Copy)]
pub struct BuildContext<'a> {
    /// `true` for the community credentials, `false` for a stored user.
    pub client_domain: bool,
    /// The sender, stored as `client` (see [`crate::domain::Submitter`]).
    pub client: &'a str,
    /// Processing time, stored as `recievedTime`.
    pub received: Timestamp,
    /// The classification table.
    pub classification: Classification,
    /// GeoIP databases.
    pub geoip: &'a GeoIp,
    /// Longest stored free-text field, bytes (see [`super::truncate`]).
    pub max_field_bytes: usize,
}

/// The documents built from one message.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BuiltAlerts {
    /// One document per complete alert, in message order.
    pub alerts: Vec<Alert>,
    /// CVE copies (kind `CVE`), to be stored when no document with that `vulnid` exists yet.
    pub cve_copies: Vec<Alert>,
    /// The alerts left out, with why.
    pub skipped: Vec<SkippedAlert>,
}

/// An alert left out of the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SkippedAlert {
    /// Index of the alert among the message's alerts (0-based, document order).
    pub position: usize,
    /// Why it was left out.
    pub reason: SkipReason,
}

/// Why an alert is incomplete or unprocessable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum SkipReason {
    /// `Analyzer` without an `id` attribute (PEBA: crash).
    #[error("Analyzer without id attribute")]
    MissingAnalyzerId,
    /// `Analyzer/@id` empty.
    #[error("empty Analyzer id")]
    EmptyAnalyzerId,
    /// No `CreateTime` element (PEBA: rejected by Elasticsearch).
    #[error("no CreateTime")]
    MissingCreateTime,
    /// `CreateTime` without text.
    #[error("empty CreateTime")]
    EmptyCreateTime,
    /// `CreateTime` without `tz` attribute (PEBA: crash).
    #[error("CreateTime without tz attribute")]
    MissingTimezone,
    /// `CreateTime/@tz` empty.
    #[error("empty CreateTime tz")]
    EmptyTimezone,
    /// `CreateTime/@tz` not of the form `±HHMM` (PEBA: crash).
    #[error("CreateTime tz is not of the form +HHMM")]
    InvalidTimezone,
    /// `CreateTime` text not `YYYY-MM-DD HH:MM:SS`.
    #[error("CreateTime is not of the form YYYY-MM-DD HH:MM:SS")]
    InvalidCreateTime,
    /// No `Source` element (PEBA: rejected by Elasticsearch).
    #[error("no Source")]
    MissingSource,
    /// `Source` text missing or not an IPv4 address.
    #[error("Source is not an IPv4 address")]
    InvalidSourceAddress,
    /// `Source` without `protocol` attribute (PEBA: crash).
    #[error("Source without protocol attribute")]
    MissingSourceProtocol,
    /// No `Target` element (PEBA: rejected by Elasticsearch).
    #[error("no Target")]
    MissingTarget,
    /// `Target` text missing or not an IPv4 address.
    #[error("Target is not an IPv4 address")]
    InvalidTargetAddress,
    /// `Request type="url"` without text.
    #[error("empty url Request")]
    EmptyUrl,
    /// `Request type="raw"` / `"binary"` without text.
    #[error("empty raw or binary Request")]
    EmptyPayload,
    /// Base64 that does not decode (PEBA: crash).
    #[error("payload is not valid base64")]
    InvalidBase64,
    /// `AdditionalData meaning="starttime"` without text.
    #[error("empty starttime")]
    EmptyStartTime,
    /// `AdditionalData meaning="cve_id"` without text.
    #[error("empty cve_id")]
    EmptyCveId,
    /// `AdditionalData meaning="binary"` without text.
    #[error("empty binary")]
    EmptyBinary,
}

/// Builds the documents of every alert of a message.
pub fn build_alerts(message: &EwsMessage, ctx: &BuildContext<'_>) -> BuiltAlerts {
    let mut built = BuiltAlerts::default();
    for (position, raw) in message.alerts.iter().enumerate() {
        match build_alert(raw, position, ctx) {
            Ok((alert, cve_copy)) => {
                built.alerts.push(alert);
                built.cve_copies.extend(cve_copy);
            }
            Err(reason) => built.skipped.push(SkippedAlert { position, reason }),
        }
    }
    built
}

/// The values gathered from an alert's children (legacy defaults of §3.5).
struct Fields {
    peer_type: &'static str,
    peer_ident: String,
    source: Option<(Ipv4Addr, Option<String>, Option<String>)>,
    target: Option<(Ipv4Addr, Option<String>)>,
    create_time: Option<Timestamp>,
    url: String,
    vulnid: String,
    username: Option<String>,
    password: Option<String>,
    login: Option<String>,
    version: Option<String>,
    starttime: String,
    endtime: String,
    external_ip: String,
    internal_ip: String,
    hostname: String,
    rawhttp: String,
    extras: Vec<(String, String)>,
}

impl Fields {
    fn new() -> Self {
        Fields {
            peer_type: UNCLASSIFIED,
            peer_ident: String::new(),
            source: None,
            target: None,
            create_time: None,
            url: String::new(),
            vulnid: String::new(),
            username: Some(String::new()),
            password: Some(String::new()),
            login: Some(String::new()),
            version: Some(String::new()),
            starttime: String::new(),
            endtime: String::new(),
            external_ip: DEFAULT_SENSOR_IP.to_owned(),
            internal_ip: DEFAULT_SENSOR_IP.to_owned(),
            hostname: UNDEFINED_HOSTNAME.to_owned(),
            rawhttp: "-".to_owned(),
            extras: Vec::new(),
        }
    }

    /// `extras[key] = value` with Python dict semantics (a known key keeps its place).
    fn set_extra(&mut self, key: &str, value: String) {
        match self.extras.iter_mut().find(|(k, _)| k == key) {
            Some((_, slot)) => *slot = value,
            None => self.extras.push((key.to_owned(), value)),
        }
    }
}

/// Builds the document of one alert (and its CVE copy), or tells why it is skipped.
/// `position` is the alert's index in its message.
pub fn build_alert(
    raw: &RawAlert,
    position: usize,
    ctx: &BuildContext<'_>,
) -> Result<(Alert, Option<Alert>), SkipReason> {
    let mut f = Fields::new();
    for child in &raw.children {
        apply_child(&mut f, child, ctx.classification)?;
    }
    let (source, source_port, source_protocol) =
        f.source.take().ok_or(SkipReason::MissingSource)?;
    let (target, target_port) = f.target.take().ok_or(SkipReason::MissingTarget)?;
    let create_time = f.create_time.ok_or(SkipReason::MissingCreateTime)?;
    let protocol = source_protocol.ok_or(SkipReason::MissingSourceProtocol)?;

    // originalRequestString (§3.9).
    let mut request = std::mem::take(&mut f.url);
    if f.peer_type.contains("honeytrap") || f.peer_type.contains("Dionaea") {
        let lower = protocol.to_lowercase();
        let suffix = if "udp".contains(&lower) || "tcp".contains(&lower) {
            format!("/{protocol}")
        } else {
            String::new()
        };
        let port = target_port.as_deref().unwrap_or("None");
        request = format!("Attack on port {port}{suffix}");
    }
    let has_cve = f.vulnid.chars().count() > 2;
    let request_with_cve = if has_cve {
        format!("({}) {request}", f.vulnid)
    } else {
        request.clone()
    };

    let source_geo = ctx.geoip.lookup(IpAddr::V4(source));
    let target_geo = ctx.geoip.lookup(IpAddr::V4(target));
    let max = ctx.max_field_bytes;
    let extras: Vec<(&str, Cow<'_, str>)> = f
        .extras
        .iter()
        .map(|(k, v)| (k.as_str(), cut(v, max)))
        .collect();
    let additional_data = json_dumps_object(extras.iter().map(|(k, v)| (*k, v.as_ref())));

    let mut alert = Alert {
        id: String::new(),
        country: source_geo.country,
        country_name: source_geo.country_name,
        vulnid: f.vulnid,
        original_request_string: request_with_cve,
        source_entry_as: source_geo.asn,
        create_time,
        client_domain: ctx.client_domain,
        peer_ident: f.peer_ident,
        peer_type: f.peer_type.to_owned(),
        client: ctx.client.to_owned(),
        location: source_geo.location,
        location_destination: target_geo.location,
        source_entry_ip: IpAddr::V4(source),
        source_entry_port: source_port,
        additional_data,
        target_entry_ip: IpAddr::V4(target),
        target_entry_port: target_port,
        target_country: target_geo.country,
        target_country_name: target_geo.country_name,
        target_entry_as: target_geo.asn,
        username: f.username,
        password: f.password,
        login: f.login,
        targetport: Some(protocol),
        client_version: f.version,
        session_start: f.starttime,
        session_end: f.endtime,
        recieved_time: ctx.received,
        external_ip: f.external_ip,
        internal_ip: f.internal_ip,
        hostname: f.hostname,
        rawhttp: f.rawhttp,
    };
    let conpot = (alert.peer_type == CONPOT_PEER_TYPE).then_some((raw, position));
    let cve_copy = has_cve.then(|| {
        let mut copy = alert.clone();
        copy.original_request_string = request;
        copy.id = document_id(&copy, KIND_CVE, conpot);
        truncate_fields(&mut copy, max);
        copy
    });
    alert.id = document_id(&alert, KIND_ALERT, conpot);
    truncate_fields(&mut alert, max);
    Ok((alert, cve_copy))
}

/// Applies one child element to the gathered values (§3.5).
fn apply_child(
    f: &mut Fields,
    child: &AlertChild,
    classification: Classification,
) -> Result<(), SkipReason> {
    match child {
        AlertChild::Analyzer { id } => {
            let id = id.as_deref().ok_or(SkipReason::MissingAnalyzerId)?;
            if id.is_empty() {
                return Err(SkipReason::EmptyAnalyzerId);
            }
            f.peer_ident = id.to_owned();
            f.peer_type = classification.classify(id);
        }
        AlertChild::CreateTime { tz, text } => {
            let text = text.as_deref().ok_or(SkipReason::EmptyCreateTime)?;
            f.create_time = Some(convert_create_time(text, tz.as_deref(), f.peer_type)?);
        }
        AlertChild::Source(Endpoint {
            address,
            port,
            protocol,
        }) => {
            let ip = parse_ipv4(address.as_deref()).ok_or(SkipReason::InvalidSourceAddress)?;
            f.source = Some((ip, port.clone(), protocol.clone()));
        }
        AlertChild::Target(Endpoint { address, port, .. }) => {
            let ip = parse_ipv4(address.as_deref()).ok_or(SkipReason::InvalidTargetAddress)?;
            f.target = Some((ip, port.clone()));
        }
        AlertChild::Request { kind, text } => match kind.as_deref() {
            Some("url") => {
                let text = text.as_deref().ok_or(SkipReason::EmptyUrl)?;
                f.url = unquote(text);
            }
            Some("raw" | "binary") => {
                let text = text.as_deref().ok_or(SkipReason::EmptyPayload)?;
                let bytes = decode_base64(text)?;
                f.set_extra("payload_md5", md5_hex(&bytes));
                if let Some(http) = as_http_request(&bytes) {
                    f.rawhttp = http;
                }
            }
            Some("payload") => {
                if let Some(text) = text {
                    f.set_extra("payload", text.clone());
                }
            }
            _ => {}
        },
        AlertChild::AdditionalData { meaning, text } => {
            let Some(meaning) = meaning.as_deref() else {
                return Ok(());
            };
            apply_additional_data(f, meaning, text.as_deref())?;
        }
    }
    Ok(())
}

fn apply_additional_data(
    f: &mut Fields,
    meaning: &str,
    text: Option<&str>,
) -> Result<(), SkipReason> {
    match meaning {
        "username" => f.username = text.map(str::to_owned),
        "password" => f.password = text.map(str::to_owned),
        "login" => f.login = text.map(str::to_owned),
        "version" => f.version = text.map(str::to_owned),
        "starttime" => f.starttime = unquote(text.ok_or(SkipReason::EmptyStartTime)?),
        "endtime" => {
            if let Some(text) = text {
                f.endtime = unquote(text);
            }
        }
        "cve_id" => f.vulnid = unquote(text.ok_or(SkipReason::EmptyCveId)?),
        "input" => {
            if let Some(text) = text {
                f.url = unquote(text);
            }
        }
        "externalIP" | "internalIP" => {
            // Only addresses: the `ip` mapping would reject the whole document otherwise.
            if let Some(text) = text.filter(|t| t.parse::<IpAddr>().is_ok()) {
                if meaning == "externalIP" {
                    f.external_ip = text.to_owned();
                } else {
                    f.internal_ip = text.to_owned();
                }
            }
        }
        "hostname" => {
            if let Some(text) = text {
                f.hostname = text.to_owned();
            }
        }
        "protocol" | "payload_md5" | "conpot_sensor_id" | "conpot_event_type"
        | "conpot_data_type" | "conpot_response" | "conpot_request" | "conpot_id" => {
            if let Some(text) = text {
                f.set_extra(meaning, text.to_owned());
            }
        }
        "payload" => {
            if let Some(text) = text {
                f.set_extra("payload", unquote(text));
            }
        }
        "binary" => {
            let packetdata = unquote(text.ok_or(SkipReason::EmptyBinary)?);
            let bytes = decode_base64(&packetdata)?;
            f.set_extra("payload_md5", md5_hex(&bytes));
        }
        _ => {}
    }
    Ok(())
}

/// A dotted-quad IPv4 address, exactly (no whitespace, no leading zeros).
fn parse_ipv4(text: Option<&str>) -> Option<Ipv4Addr> {
    text?.parse().ok()
}

/// `CreateTime` → UTC (§3.8).
fn convert_create_time(
    text: &str,
    tz: Option<&str>,
    peer_type: &str,
) -> Result<Timestamp, SkipReason> {
    let parse = || Timestamp::parse_legacy(text).map_err(|_| SkipReason::InvalidCreateTime);
    if peer_type.to_lowercase().contains("honeytrap") {
        return parse();
    }
    let tz = tz.ok_or(SkipReason::MissingTimezone)?;
    if tz.is_empty() {
        return Err(SkipReason::EmptyTimezone);
    }
    if tz == "+0000" {
        return parse();
    }
    let mut chars = tz.chars();
    let sign = chars.next().ok_or(SkipReason::InvalidTimezone)?;
    let digits = chars.as_str();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SkipReason::InvalidTimezone);
    }
    let hours: i64 = digits[..2]
        .parse()
        .map_err(|_| SkipReason::InvalidTimezone)?;
    let minutes: i64 = digits[2..]
        .parse()
        .map_err(|_| SkipReason::InvalidTimezone)?;
    let offset = hours * 3600 + minutes * 60;
    // `+` means the local time is ahead of UTC: subtract. Any other sign character adds.
    Ok(parse()?.plus_seconds(if sign == '+' { -offset } else { offset }))
}

/// Base64 as Python's `base64.b64decode` reads it by default: characters outside the alphabet
/// (line breaks, spaces) are dropped, padding is required, unused trailing bits are ignored.
fn decode_base64(text: &str) -> Result<Vec<u8>, SkipReason> {
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
    );
    let cleaned: String = text
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
        .collect();
    LENIENT
        .decode(cleaned.as_bytes())
        .map_err(|_| SkipReason::InvalidBase64)
}

fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

const HTTP_METHODS: [&str; 9] = [
    "GET", "POST", "PUT", "DELETE", "PATCH", "CONNECT", "HEAD", "OPTIONS", "TRACE",
];

/// The decoded payload as text when it looks like an HTTP request: UTF-8 whose first
/// space-separated token contains an HTTP method name.
fn as_http_request(bytes: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?;
    let first = text.split(' ').next().unwrap_or("");
    HTTP_METHODS
        .iter()
        .any(|method| first.contains(method))
        .then(|| text.to_owned())
}

/// The document id (§3.13): lower-case hex MD5 of `S` twice, where
/// `S = createTime + sourceEntryIp + targetEntryIp + originalRequestString + peerIdent + kind`.
///
/// For conpot alerts (`conpot` is the raw alert and its position in the message) the digest
/// also covers the alert's complete content and its position, instead of PEBA's random UUID:
/// conpot reports several events per connection that share everything in `S`, and a re-sent
/// message must produce the same ids again.
pub fn document_id(alert: &Alert, kind: &str, conpot: Option<(&RawAlert, usize)>) -> String {
    let s = format!(
        "{}{}{}{}{}{}",
        alert.create_time.format_legacy(),
        alert.source_entry_ip,
        alert.target_entry_ip,
        alert.original_request_string,
        alert.peer_ident,
        kind
    );
    let mut hasher = Md5::new();
    hasher.update(s.as_bytes());
    hasher.update(s.as_bytes());
    if let Some((raw, position)) = conpot {
        hasher.update(content_digest_input(raw, position));
    }
    hex::encode(hasher.finalize())
}

/// An unambiguous encoding of an alert's children and its position (length-prefixed fields).
fn content_digest_input(raw: &RawAlert, position: usize) -> Vec<u8> {
    fn field(out: &mut Vec<u8>, value: Option<&str>) {
        match value {
            None => out.push(0),
            Some(text) => {
                out.push(1);
                out.extend_from_slice(&(text.len() as u64).to_be_bytes());
                out.extend_from_slice(text.as_bytes());
            }
        }
    }
    let mut out = b"#conpot#".to_vec();
    out.extend_from_slice(&(position as u64).to_be_bytes());
    for child in &raw.children {
        match child {
            AlertChild::Analyzer { id } => {
                out.push(b'A');
                field(&mut out, id.as_deref());
            }
            AlertChild::CreateTime { tz, text } => {
                out.push(b'C');
                field(&mut out, tz.as_deref());
                field(&mut out, text.as_deref());
            }
            AlertChild::Source(e) | AlertChild::Target(e) => {
                out.push(if matches!(child, AlertChild::Source(_)) {
                    b'S'
                } else {
                    b'T'
                });
                field(&mut out, e.address.as_deref());
                field(&mut out, e.port.as_deref());
                field(&mut out, e.protocol.as_deref());
            }
            AlertChild::Request { kind, text } => {
                out.push(b'R');
                field(&mut out, kind.as_deref());
                field(&mut out, text.as_deref());
            }
            AlertChild::AdditionalData { meaning, text } => {
                out.push(b'D');
                field(&mut out, meaning.as_deref());
                field(&mut out, text.as_deref());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::ews::parse_message;

    fn received() -> Timestamp {
        Timestamp::parse_legacy("2024-06-24 10:00:07").unwrap()
    }

    fn build_with(body: &str, classification: Classification) -> BuiltAlerts {
        build_limited(body, classification, 65_536)
    }

    fn build_limited(body: &str, classification: Classification, max: usize) -> BuiltAlerts {
        let message = parse_message(body.as_bytes()).unwrap();
        let geoip = GeoIp::disabled();
        let ctx = BuildContext {
            client_domain: true,
            client: "-",
            max_field_bytes: max,
            received: received(),
            classification,
            geoip: &geoip,
        };
        build_alerts(&message, &ctx)
    }

    fn build(body: &str) -> BuiltAlerts {
        build_with(body, Classification::Extended)
    }

    /// A message with one alert made of the standard head plus `rest`.
    fn alert_xml(analyzer: &str, tz: &str, time: &str, protocol: &str, rest: &str) -> String {
        format!(
            r#"<EWS-SimpleMessage version="3.0"><Alert>
<Analyzer id="{analyzer}"/>
<CreateTime tz="{tz}">{time}</CreateTime>
<Source category="ipv4" port="50522" protocol="{protocol}">8.8.8.8</Source>
<Target category="ipv4" port="445" protocol="tcp">87.150.238.182</Target>
{rest}
</Alert></EWS-SimpleMessage>"#
        )
    }

    fn one(body: &str) -> Alert {
        let built = build(body);
        assert_eq!(built.skipped, vec![], "{body}");
        assert_eq!(built.alerts.len(), 1);
        built.alerts.into_iter().next().unwrap()
    }

    fn skipped(body: &str) -> SkipReason {
        let built = build(body);
        assert!(built.alerts.is_empty(), "{body}");
        assert_eq!(built.skipped.len(), 1);
        built.skipped[0].reason
    }

    #[test]
    fn spec_example_id() {
        let alert = one(&alert_xml(
            "honeytrap-community-01",
            "+0000",
            "2024-06-24 12:00:00",
            "tcp",
            "",
        ));
        assert_eq!(alert.original_request_string, "Attack on port 445/tcp");
        assert_eq!(alert.id, "5810f151a2059bd3ec40d64302df67ab");
    }

    #[test]
    fn timezone_conversions() {
        for (tz, expected) in [
            ("+0200", "2024-06-24 10:00:00"),
            ("-0130", "2024-06-24 13:30:00"),
            ("+0530", "2024-06-24 06:30:00"),
            ("+0000", "2024-06-24 12:00:00"),
            ("-0000", "2024-06-24 12:00:00"),
            ("x0100", "2024-06-24 13:00:00"),
            ("+1400", "2024-06-23 22:00:00"),
        ] {
            let alert = one(&alert_xml(
                "cowrie-01",
                tz,
                "2024-06-24 12:00:00",
                "tcp",
                "",
            ));
            assert_eq!(alert.create_time.format_legacy(), expected, "{tz}");
        }
    }

    #[test]
    fn honeytrap_times_are_not_converted() {
        let alert = one(&alert_xml(
            "honeytrap-community-01",
            "+0200",
            "2024-06-24 12:00:00",
            "tcp",
            "",
        ));
        assert_eq!(alert.create_time.format_legacy(), "2024-06-24 12:00:00");
        // No tz at all is fine for honeytrap too.
        let body = alert_xml("s1.ht", "+0200", "2024-06-24 12:00:00", "tcp", "")
            .replace(r#" tz="+0200""#, "");
        assert_eq!(
            one(&body).create_time.format_legacy(),
            "2024-06-24 12:00:00"
        );
        // Only an Analyzer *before* CreateTime counts.
        let body = String::from(
            r#"<r><Alert><CreateTime tz="+0200">2024-06-24 12:00:00</CreateTime>
<Analyzer id="honeytrap-community-01"/>
<Source port="1" protocol="tcp">8.8.8.8</Source><Target port="2">1.2.3.4</Target></Alert></r>"#,
        );
        assert_eq!(
            one(&body).create_time.format_legacy(),
            "2024-06-24 10:00:00"
        );
    }

    #[test]
    fn bad_times_skip_the_alert() {
        let time = "2024-06-24 12:00:00";
        for (tz, text, reason) in [
            ("", time, SkipReason::EmptyTimezone),
            ("UTC", time, SkipReason::InvalidTimezone),
            ("+02:00", time, SkipReason::InvalidTimezone),
            ("+020", time, SkipReason::InvalidTimezone),
            (
                "+0200",
                "2024-06-24T12:00:00",
                SkipReason::InvalidCreateTime,
            ),
            ("+0000", "yesterday", SkipReason::InvalidCreateTime),
            (
                "+0000",
                "2024-02-30 12:00:00",
                SkipReason::InvalidCreateTime,
            ),
        ] {
            let body = alert_xml("cowrie-01", tz, text, "tcp", "");
            assert_eq!(skipped(&body), reason, "{tz} {text}");
        }
        let body = alert_xml("cowrie-01", "+0200", time, "tcp", "").replace(r#" tz="+0200""#, "");
        assert_eq!(skipped(&body), SkipReason::MissingTimezone);
        let body = alert_xml("cowrie-01", "+0200", time, "tcp", "").replace(
            r#"<CreateTime tz="+0200">2024-06-24 12:00:00</CreateTime>"#,
            r#"<CreateTime tz="+0200"/>"#,
        );
        assert_eq!(skipped(&body), SkipReason::EmptyCreateTime);
    }

    #[test]
    fn attack_on_port_variants() {
        for (analyzer, protocol, expected) in [
            ("honeytrap-community-01", "tcp", "Attack on port 445/tcp"),
            ("dionaea-community-01", "TCP", "Attack on port 445/TCP"),
            ("dionaea-community-01", "udp", "Attack on port 445/udp"),
            ("dionaea-community-01", "", "Attack on port 445/"),
            ("dionaea-community-01", "tc", "Attack on port 445/tc"),
            ("dionaea-community-01", "accept", "Attack on port 445"),
            ("s.dio", "tcp", "Attack on port 445/tcp"),
        ] {
            let body = alert_xml(analyzer, "+0000", "2024-06-24 12:00:00", protocol, "");
            assert_eq!(one(&body).original_request_string, expected, "{protocol}");
        }
        let body = alert_xml("dionaea-1", "+0000", "2024-06-24 12:00:00", "tcp", "")
            .replace(r#"port="445" "#, "");
        assert_eq!(
            one(&body).original_request_string,
            "Attack on port None/tcp"
        );
        // Other honeypots keep their url.
        let body = alert_xml(
            "tanner-1",
            "+0000",
            "2024-06-24 12:00:00",
            "tcp",
            r#"<Request type="url">/a%20b</Request>"#,
        );
        assert_eq!(one(&body).original_request_string, "/a b");
    }

    #[test]
    fn long_fields_are_cut_after_the_id_is_computed() {
        let long = "a".repeat(5_000);
        let body = alert_xml(
            "tanner-1",
            "+0000",
            "2024-06-24 12:00:00",
            "tcp",
            &format!(
                r#"<Request type="url">/{long}</Request>
<AdditionalData meaning="cve_id">CVE-{long}</AdditionalData>
<AdditionalData meaning="payload">{long}</AdditionalData>
<AdditionalData meaning="username">{long}</AdditionalData>"#
            ),
        );
        let full = build_limited(&body, Classification::Extended, 1 << 30);
        let cut = build_limited(&body, Classification::Extended, 1_024);
        assert_eq!(
            full.alerts[0].id, cut.alerts[0].id,
            "ids of the values as sent"
        );
        assert_eq!(full.cve_copies[0].id, cut.cve_copies[0].id);
        let a = &cut.alerts[0];
        for text in [
            &a.original_request_string,
            &a.vulnid,
            a.username.as_ref().unwrap(),
        ] {
            assert_eq!(text.len(), 1_024);
            assert!(text.ends_with(super::super::truncate::TRUNCATED), "{text}");
        }
        assert!(a.additional_data.len() < 1_100, "{}", a.additional_data);
        assert!(
            a.additional_data.ends_with("...[truncated]\"}"),
            "{}",
            a.additional_data
        );
        assert!(full.alerts[0].original_request_string.len() > 5_000);
    }

    #[test]
    fn cve_prefix_and_copy() {
        let body = alert_xml(
            "suricata-community-01",
            "+0000",
            "2024-06-24 12:00:00",
            "tcp",
            r#"<Request type="url">/a%20b</Request>
<AdditionalData meaning="cve_id">CVE-2017-0144</AdditionalData>"#,
        );
        let built = build(&body);
        let alert = &built.alerts[0];
        assert_eq!(alert.vulnid, "CVE-2017-0144");
        assert_eq!(alert.original_request_string, "(CVE-2017-0144) /a b");
        assert_eq!(built.cve_copies.len(), 1);
        let copy = &built.cve_copies[0];
        assert_eq!(copy.original_request_string, "/a b");
        assert_ne!(copy.id, alert.id);
        let s = "2024-06-24 12:00:008.8.8.887.150.238.182/a bsuricata-community-01CVE";
        assert_eq!(copy.id, hex::encode(Md5::digest(format!("{s}{s}"))));
        let mut same = copy.clone();
        same.original_request_string = alert.original_request_string.clone();
        same.id = alert.id.clone();
        assert_eq!(&same, alert);

        // Two characters are not a CVE.
        let short = body.replace("CVE-2017-0144", "ab");
        let built = build(&short);
        assert_eq!(built.alerts[0].original_request_string, "/a b");
        assert_eq!(built.alerts[0].vulnid, "ab");
        assert!(built.cve_copies.is_empty());
        // Percent-decoded, several ids kept as one string.
        let several = body.replace("CVE-2017-0144", "CVE-1%20CVE-2");
        assert_eq!(
            build(&several).alerts[0].original_request_string,
            "(CVE-1 CVE-2) /a b"
        );
    }

    #[test]
    fn additional_data_like_python() {
        let body = alert_xml(
            "conpot-1",
            "+0000",
            "2024-06-24 12:00:00",
            "tcp",
            r#"<AdditionalData meaning="conpot_data_type">modbus</AdditionalData>
<AdditionalData meaning="protocol">ftp</AdditionalData>
<AdditionalData meaning="conpot_response">caf&#233; "x"</AdditionalData>
<AdditionalData meaning="conpot_data_type">s7comm</AdditionalData>
<AdditionalData meaning="payload">a%2Bb+c</AdditionalData>
<AdditionalData meaning="payload_md5"/>
<AdditionalData meaning="sessionid">ignored</AdditionalData>"#,
        );
        assert_eq!(
            one(&body).additional_data,
            r#"{"conpot_data_type": "s7comm", "protocol": "ftp", "conpot_response": "caf\u00e9 \"x\"", "payload": "a+b+c"}"#
        );
        let empty = alert_xml("cowrie-1", "+0000", "2024-06-24 12:00:00", "tcp", "");
        assert_eq!(one(&empty).additional_data, "{}");
    }

    #[test]
    fn cisco_asa_request_payload() {
        let body = alert_xml(
            "ciscoasa-community-01",
            "+0000",
            "2024-06-24 12:00:00",
            "tcp",
            r#"<Request type="payload">GET /%2e%2e/x</Request>"#,
        );
        assert_eq!(
            one(&body).additional_data,
            r#"{"payload": "GET /%2e%2e/x"}"#
        );
    }

    #[test]
    fn verbatim_and_decoded_values() {
        let body = alert_xml(
            "cowrie-1",
            "+0000",
            "2024-06-24 12:00:00",
            "tcp",
            r#"<Request type="url">/from%20url</Request>
<AdditionalData meaning="username">r%6Fot</AdditionalData>
<AdditionalData meaning="password"/>
<AdditionalData meaning="version">SSH-2.0-Go</AdditionalData>
<AdditionalData meaning="starttime">2024-06-24%2012:00:00</AdditionalData>
<AdditionalData meaning="endtime"/>
<AdditionalData meaning="input">uname%20-a
id</AdditionalData>
<AdditionalData meaning="hostname">tpot</AdditionalData>"#,
        );
        let alert = one(&body);
        assert_eq!(alert.original_request_string, "uname -a\nid");
        assert_eq!(alert.username.as_deref(), Some("r%6Fot"));
        assert_eq!(alert.password, None);
        assert_eq!(alert.login.as_deref(), Some(""));
        assert_eq!(alert.client_version.as_deref(), Some("SSH-2.0-Go"));
        assert_eq!(alert.session_start, "2024-06-24 12:00:00");
        assert_eq!(alert.session_end, "");
        assert_eq!(alert.hostname, "tpot");
        assert_eq!(alert.targetport.as_deref(), Some("tcp"));
    }

    #[test]
    fn sensor_addresses_must_be_addresses() {
        let body = alert_xml(
            "cowrie-1",
            "+0000",
            "2024-06-24 12:00:00",
            "tcp",
            r#"<AdditionalData meaning="externalIP">87.150.238.182</AdditionalData>
<AdditionalData meaning="externalIP">not-an-ip</AdditionalData>
<AdditionalData meaning="internalIP">fe80::1</AdditionalData>"#,
        );
        let alert = one(&body);
        assert_eq!(alert.external_ip, "87.150.238.182");
        assert_eq!(alert.internal_ip, "fe80::1");
        let defaults = one(&alert_xml("x", "+0000", "2024-06-24 12:00:00", "tcp", ""));
        assert_eq!(defaults.external_ip, "1.1.1.1");
        assert_eq!(defaults.internal_ip, "1.1.1.1");
        assert_eq!(defaults.hostname, "undefined");
        assert_eq!(defaults.rawhttp, "-");
        assert_eq!(defaults.peer_type, "Unclassified");
    }

    #[test]
    fn payload_parsing() {
        let http = "R0VUIC8gSFRUUC8xLjENCkhvc3Q6IGV4YW1wbGUNCg0K";
        // Line-wrapped base64 is fine.
        let wrapped = format!("{}\n  {}", &http[..20], &http[20..]);
        let body = alert_xml(
            "tanner-1",
            "+0000",
            "2024-06-24 12:00:00",
            "tcp",
            &format!(r#"<Request type="raw">{wrapped}</Request>"#),
        );
        let alert = one(&body);
        assert_eq!(alert.rawhttp, "GET / HTTP/1.1\r\nHost: example\r\n\r\n");
        let md5 = hex::encode(Md5::digest(b"GET / HTTP/1.1\r\nHost: example\r\n\r\n"));
        assert_eq!(
            alert.additional_data,
            format!(r#"{{"payload_md5": "{md5}"}}"#)
        );

        // Binary data: md5 only.
        let body = alert_xml(
            "dionaea-1",
            "+0000",
            "2024-06-24 12:00:00",
            "tcp",
            r#"<Request type="binary">TVqQAAMAAAAEAAAA//8AALgAAAA=</Request>"#,
        );
        let alert = one(&body);
        assert_eq!(alert.rawhttp, "-");
        assert!(alert.additional_data.starts_with(r#"{"payload_md5": ""#));

        // Not a method in the first token.
        let text = base64::engine::general_purpose::STANDARD.encode("hello GET /");
        let body = alert_xml(
            "tanner-1",
            "+0000",
            "2024-06-24 12:00:00",
            "tcp",
            &format!(r#"<Request type="raw">{text}</Request>"#),
        );
        assert_eq!(one(&body).rawhttp, "-");

        // Bad base64 skips the alert; so do empty payload elements.
        for (rest, reason) in [
            (
                r#"<Request type="raw">abc</Request>"#,
                SkipReason::InvalidBase64,
            ),
            (
                r#"<Request type="binary">a===</Request>"#,
                SkipReason::InvalidBase64,
            ),
            (r#"<Request type="raw"/>"#, SkipReason::EmptyPayload),
            (
                r#"<AdditionalData meaning="binary">YQ</AdditionalData>"#,
                SkipReason::InvalidBase64,
            ),
            (
                r#"<AdditionalData meaning="binary"/>"#,
                SkipReason::EmptyBinary,
            ),
        ] {
            let body = alert_xml("glutton", "+0000", "2024-06-24 12:00:00", "tcp", rest);
            assert_eq!(skipped(&body), reason, "{rest}");
        }
        // Glutton's percent-encoded binary.
        let body = alert_xml(
            "glutton",
            "+0000",
            "2024-06-24 12:00:00",
            "tcp",
            r#"<AdditionalData meaning="binary">YQ%3D%3D</AdditionalData>"#,
        );
        let md5 = hex::encode(Md5::digest(b"a"));
        assert_eq!(
            one(&body).additional_data,
            format!(r#"{{"payload_md5": "{md5}"}}"#)
        );
    }

    #[test]
    fn incomplete_alerts_are_skipped() {
        let ok = alert_xml("cowrie-1", "+0000", "2024-06-24 12:00:00", "tcp", "");
        for (from, to, reason) in [
            (
                r#"<Analyzer id="cowrie-1"/>"#,
                r#"<Analyzer id=""/>"#,
                SkipReason::EmptyAnalyzerId,
            ),
            (
                r#"<Analyzer id="cowrie-1"/>"#,
                "<Analyzer/>",
                SkipReason::MissingAnalyzerId,
            ),
            (">8.8.8.8<", "><", SkipReason::InvalidSourceAddress),
            (">8.8.8.8<", "> 8.8.8.8<", SkipReason::InvalidSourceAddress),
            (">8.8.8.8<", ">08.8.8.8<", SkipReason::InvalidSourceAddress),
            (
                ">8.8.8.8<",
                ">2001:db8::1<",
                SkipReason::InvalidSourceAddress,
            ),
            (
                ">87.150.238.182<",
                ">host<",
                SkipReason::InvalidTargetAddress,
            ),
            (
                r#" protocol="tcp">8.8.8.8"#,
                ">8.8.8.8",
                SkipReason::MissingSourceProtocol,
            ),
            (
                "</Alert>",
                r#"<Request type="url"/></Alert>"#,
                SkipReason::EmptyUrl,
            ),
            (
                "</Alert>",
                r#"<AdditionalData meaning="starttime"/></Alert>"#,
                SkipReason::EmptyStartTime,
            ),
            (
                "</Alert>",
                r#"<AdditionalData meaning="cve_id"/></Alert>"#,
                SkipReason::EmptyCveId,
            ),
        ] {
            assert_eq!(skipped(&ok.replace(from, to)), reason, "{from} -> {to}");
        }
        for (element, reason) in [
            ("Source", SkipReason::MissingSource),
            ("Target", SkipReason::MissingTarget),
            ("CreateTime", SkipReason::MissingCreateTime),
        ] {
            let body = ok
                .replace(&format!("<{element}"), "<Ignored")
                .replace(&format!("</{element}>"), "</Ignored>");
            assert_eq!(skipped(&body), reason, "{element}");
        }
        // Without an Analyzer the alert is stored, unclassified (as PEBA did).
        let body = ok.replace(r#"<Analyzer id="cowrie-1"/>"#, "");
        let alert = one(&body);
        assert_eq!(alert.peer_ident, "");
        assert_eq!(alert.peer_type, "Unclassified");
    }

    #[test]
    fn skips_do_not_affect_other_alerts() {
        let good = alert_xml("cowrie-1", "+0000", "2024-06-24 12:00:00", "tcp", "");
        let alert_part = |xml: &str| {
            let start = xml.find("<Alert>").unwrap();
            let end = xml.find("</Alert>").unwrap() + "</Alert>".len();
            xml[start..end].to_owned()
        };
        let bad = alert_part(&good.replace("+0000", "UTC"));
        let body = format!("<r>{bad}{}{bad}</r>", alert_part(&good));
        let built = build(&body);
        assert_eq!(built.alerts.len(), 1);
        assert_eq!(
            built.skipped,
            vec![
                SkippedAlert {
                    position: 0,
                    reason: SkipReason::InvalidTimezone
                },
                SkippedAlert {
                    position: 2,
                    reason: SkipReason::InvalidTimezone
                },
            ]
        );
    }

    #[test]
    fn legacy_classification_setting() {
        let body = alert_xml(
            "adbhoney-community-01",
            "+0000",
            "2024-06-24 12:00:00",
            "tcp",
            "",
        );
        assert_eq!(build(&body).alerts[0].peer_type, "Android(adbhoney)");
        assert_eq!(
            build_with(&body, Classification::Legacy).alerts[0].peer_type,
            "Unclassified"
        );
    }

    #[test]
    fn conpot_ids_are_deterministic_and_distinct() {
        let event = |data_type: &str| {
            format!(
                r#"<Alert><Analyzer id="conpot-community-01"/>
<CreateTime tz="+0000">2024-06-24 12:00:00</CreateTime>
<Source port="1" protocol="tcp">8.8.8.8</Source><Target port="502">87.150.238.182</Target>
<AdditionalData meaning="conpot_data_type">{data_type}</AdditionalData></Alert>"#
            )
        };
        let body = format!(
            "<r>{}{}{}</r>",
            event("modbus"),
            event("modbus"),
            event("s7")
        );
        let first = build(&body);
        let again = build(&body);
        let ids: Vec<_> = first.alerts.iter().map(|a| a.id.clone()).collect();
        assert_eq!(
            ids,
            again
                .alerts
                .iter()
                .map(|a| a.id.clone())
                .collect::<Vec<_>>()
        );
        assert_eq!(ids.len(), 3);
        assert_ne!(ids[0], ids[1]);
        assert_ne!(ids[1], ids[2]);
        assert_ne!(ids[0], ids[2]);
        // The same event at the same position of another message gets the same id.
        let alone = build(&format!("<r>{}</r>", event("modbus")));
        assert_eq!(alone.alerts[0].id, ids[0]);
        // Not the plain legacy id.
        let s = "2024-06-24 12:00:008.8.8.887.150.238.182conpot-community-01Alert";
        assert_ne!(ids[0], hex::encode(Md5::digest(format!("{s}{s}"))));
    }
}
