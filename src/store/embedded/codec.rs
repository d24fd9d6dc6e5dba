//! How an [`Alert`] maps to a row of `alerts` and back, and the sortable address form.

use super::error::DbError;
use crate::domain::{Alert, TermField, TimeField, Timestamp};
use rusqlite::{Row, ToSql};
use std::net::IpAddr;

/// The stored columns of an alert, in the order of [`alert_params`] and [`alert_from_row`].
pub(crate) const ALERT_COLUMNS: &str = "id, dom, rt, ct, src_ip_key, src_ip, country, \
    country_name, vulnid, request, source_as, peer_ident, peer_type, client, location, \
    location_dest, src_port, additional_data, target_ip, target_port, target_country, \
    target_country_name, target_as, username, password, login, targetport, client_version, \
    session_start, session_end, external_ip, internal_ip, hostname, rawhttp";

/// Number of entries in [`ALERT_COLUMNS`].
pub(crate) const ALERT_COLUMN_COUNT: usize = 34;

/// The sortable key of an address: `4` + 4 bytes, or `6` + 16 bytes. Within one family the
/// byte order is the numeric order, so a network is one contiguous key range.
pub(crate) fn ip_key(ip: IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(v4) => {
            let mut key = vec![4];
            key.extend_from_slice(&v4.octets());
            key
        }
        IpAddr::V6(v6) => {
            let mut key = vec![6];
            key.extend_from_slice(&v6.octets());
            key
        }
    }
}

/// The strings an alert row keeps besides the text of the document.
pub(crate) struct AlertRow {
    ip_key: Vec<u8>,
    src_ip: String,
    target_ip: String,
}

impl AlertRow {
    /// Derived values of an alert that the row stores.
    pub(crate) fn of(alert: &Alert) -> Self {
        AlertRow {
            ip_key: ip_key(alert.source_entry_ip),
            src_ip: alert.source_entry_ip.to_string(),
            target_ip: alert.target_entry_ip.to_string(),
        }
    }
}

/// Parameters binding an alert to [`ALERT_COLUMNS`].
pub(crate) fn alert_params<'a>(
    a: &'a Alert,
    row: &'a AlertRow,
    rt: &'a i64,
    ct: &'a i64,
) -> [&'a dyn ToSql; ALERT_COLUMN_COUNT] {
    [
        &a.id,
        &a.client_domain,
        rt,
        ct,
        &row.ip_key,
        &row.src_ip,
        &a.country,
        &a.country_name,
        &a.vulnid,
        &a.original_request_string,
        &a.source_entry_as,
        &a.peer_ident,
        &a.peer_type,
        &a.client,
        &a.location,
        &a.location_destination,
        &a.source_entry_port,
        &a.additional_data,
        &row.target_ip,
        &a.target_entry_port,
        &a.target_country,
        &a.target_country_name,
        &a.target_entry_as,
        &a.username,
        &a.password,
        &a.login,
        &a.targetport,
        &a.client_version,
        &a.session_start,
        &a.session_end,
        &a.external_ip,
        &a.internal_ip,
        &a.hostname,
        &a.rawhttp,
    ]
}

fn parse_ip(text: &str) -> Result<IpAddr, DbError> {
    text.parse()
        .map_err(|_| DbError::Corrupt(format!("stored address {text:?} is not an address")))
}

/// Reads an alert from a row selected with [`ALERT_COLUMNS`] starting at column 0.
pub(crate) fn alert_from_row(r: &Row<'_>) -> Result<Alert, DbError> {
    Ok(Alert {
        id: r.get(0)?,
        client_domain: r.get(1)?,
        recieved_time: Timestamp::from_unix(r.get(2)?),
        create_time: Timestamp::from_unix(r.get(3)?),
        source_entry_ip: parse_ip(&r.get::<_, String>(5)?)?,
        country: r.get(6)?,
        country_name: r.get(7)?,
        vulnid: r.get(8)?,
        original_request_string: r.get(9)?,
        source_entry_as: r.get(10)?,
        peer_ident: r.get(11)?,
        peer_type: r.get(12)?,
        client: r.get(13)?,
        location: r.get(14)?,
        location_destination: r.get(15)?,
        source_entry_port: r.get(16)?,
        additional_data: r.get(17)?,
        target_entry_ip: parse_ip(&r.get::<_, String>(18)?)?,
        target_entry_port: r.get(19)?,
        target_country: r.get(20)?,
        target_country_name: r.get(21)?,
        target_entry_as: r.get(22)?,
        username: r.get(23)?,
        password: r.get(24)?,
        login: r.get(25)?,
        targetport: r.get(26)?,
        client_version: r.get(27)?,
        session_start: r.get(28)?,
        session_end: r.get(29)?,
        external_ip: r.get(30)?,
        internal_ip: r.get(31)?,
        hostname: r.get(32)?,
        rawhttp: r.get(33)?,
    })
}

/// The column holding a term field's value.
pub(crate) fn term_column(field: TermField) -> &'static str {
    match field {
        TermField::PeerType => "peer_type",
        TermField::PeerIdent => "peer_ident",
        TermField::SourceCountry => "country",
        TermField::TargetCountry => "target_country",
        TermField::SourceLocation => "location",
        TermField::TargetLocation => "location_dest",
        TermField::SourceIp => "src_ip",
        TermField::RequestString => "request",
        TermField::TargetPort => "target_port",
        TermField::Hostname => "hostname",
        TermField::Username => "username",
        TermField::Password => "password",
        TermField::SourceAs => "source_as",
        TermField::Cve => "vulnid",
    }
}

/// The column a term field's label comes from, if it has one.
pub(crate) fn label_column(field: TermField) -> Option<&'static str> {
    match field {
        TermField::SourceCountry => Some("country_name"),
        TermField::TargetCountry => Some("target_country_name"),
        _ => None,
    }
}

/// The column holding a time field (seconds since the epoch).
pub(crate) fn time_column(field: TimeField) -> &'static str {
    match field {
        TimeField::Created => "ct",
        TimeField::Received => "rt",
    }
}
