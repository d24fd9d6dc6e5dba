//! CSV export (RFC 4180): a header line of the legacy field names, then one row per alert.
//! Times are in the legacy form `YYYY-MM-DD HH:MM:SS` (UTC), absent values are empty.

use crate::domain::Alert;

/// A column: its name and how its value is read from an alert.
type Column = (&'static str, fn(&Alert) -> String);

/// The columns, in order.
const COLUMNS: &[Column] = &[
    ("id", |a| a.id.clone()),
    ("recievedTime", |a| a.recieved_time.format_legacy()),
    ("createTime", |a| a.create_time.format_legacy()),
    ("clientDomain", |a| a.client_domain.to_string()),
    ("peerType", |a| a.peer_type.clone()),
    ("peerIdent", |a| a.peer_ident.clone()),
    ("hostname", |a| a.hostname.clone()),
    ("sourceEntryIp", |a| a.source_entry_ip.to_string()),
    ("sourceEntryPort", |a| optional(&a.source_entry_port)),
    ("sourceEntryAS", |a| a.source_entry_as.clone()),
    ("country", |a| a.country.clone()),
    ("countryName", |a| a.country_name.clone()),
    ("location", |a| a.location.clone()),
    ("targetEntryIp", |a| a.target_entry_ip.to_string()),
    ("targetEntryPort", |a| optional(&a.target_entry_port)),
    ("targetport", |a| optional(&a.targetport)),
    ("targetEntryAS", |a| a.target_entry_as.clone()),
    ("targetCountry", |a| a.target_country.clone()),
    ("targetCountryName", |a| a.target_country_name.clone()),
    ("locationDestination", |a| a.location_destination.clone()),
    ("vulnid", |a| a.vulnid.clone()),
    ("originalRequestString", |a| {
        a.original_request_string.clone()
    }),
    ("username", |a| optional(&a.username)),
    ("password", |a| optional(&a.password)),
    ("login", |a| optional(&a.login)),
    ("clientVersion", |a| optional(&a.client_version)),
    ("sessionStart", |a| a.session_start.clone()),
    ("sessionEnd", |a| a.session_end.clone()),
    ("externalIP", |a| a.external_ip.clone()),
    ("internalIP", |a| a.internal_ip.clone()),
    ("client", |a| a.client.clone()),
    ("additionalData", |a| a.additional_data.clone()),
    ("rawhttp", |a| a.rawhttp.clone()),
];

fn optional(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

fn write(records: impl IntoIterator<Item = Vec<String>>) -> Vec<u8> {
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    for record in records {
        // Writing to memory cannot fail.
        let _ = writer.write_record(&record);
    }
    writer.into_inner().unwrap_or_default()
}

/// The header line.
pub fn header() -> Vec<u8> {
    write([COLUMNS.iter().map(|(name, _)| (*name).to_owned()).collect()])
}

/// One row per alert.
pub fn rows(alerts: &[Alert]) -> Vec<u8> {
    write(
        alerts
            .iter()
            .map(|alert| COLUMNS.iter().map(|(_, value)| value(alert)).collect()),
    )
}
