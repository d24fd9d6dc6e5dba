//! The stored alert: one honeypot event in PEBA's document shape.

use super::DataDomain;
use super::geo::GeoPoint;
use super::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// A stored alert. Field names on the wire are PEBA's (including the misspelt `recievedTime`);
/// serialising an `Alert` yields exactly the legacy Elasticsearch `_source` document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Document id (`_id`); not part of `_source`.
    #[serde(skip)]
    pub id: String,
    /// Source ISO country code, `PIR` for private ranges, `-` when unknown.
    pub country: String,
    /// Source country name, `IANA Private IP Range`, or `-`.
    #[serde(rename = "countryName")]
    pub country_name: String,
    /// CVE id(s) reported by the sensor, `""` when none.
    pub vulnid: String,
    /// The request, URL, command input or `Attack on port …` text.
    #[serde(rename = "originalRequestString")]
    pub original_request_string: String,
    /// Source autonomous system, `AS<n> <org>`, `IANA`, or `-`.
    #[serde(rename = "sourceEntryAS")]
    pub source_entry_as: String,
    /// Attack time reported by the honeypot, converted to UTC.
    #[serde(rename = "createTime", with = "legacy_time")]
    pub create_time: Timestamp,
    /// `true` for community data, `false` for private data.
    #[serde(rename = "clientDomain")]
    pub client_domain: bool,
    /// The sensor's id (`Analyzer/@id`).
    #[serde(rename = "peerIdent")]
    pub peer_ident: String,
    /// The honeypot classification, e.g. `SSH/console(cowrie)`.
    #[serde(rename = "peerType")]
    pub peer_type: String,
    /// Who submitted the alert: the user name of a private sender; `-` for the community
    /// account (and in every document PEBA wrote). See [`Alert::submitter`].
    pub client: String,
    /// Source coordinates as `<lat> , <lon>`.
    pub location: String,
    /// Target coordinates as `<lat> , <lon>`.
    #[serde(rename = "locationDestination")]
    pub location_destination: String,
    /// Attacker address.
    #[serde(rename = "sourceEntryIp")]
    pub source_entry_ip: IpAddr,
    /// Attacker port as sent (`None` when absent).
    #[serde(rename = "sourceEntryPort")]
    pub source_entry_port: Option<String>,
    /// JSON text of the extra data (`{}` when empty).
    #[serde(rename = "additionalData")]
    pub additional_data: String,
    /// Honeypot address.
    #[serde(rename = "targetEntryIp")]
    pub target_entry_ip: IpAddr,
    /// Honeypot port as sent; may be non-numeric.
    #[serde(rename = "targetEntryPort")]
    pub target_entry_port: Option<String>,
    /// Target ISO country code.
    #[serde(rename = "targetCountry")]
    pub target_country: String,
    /// Target country name.
    #[serde(rename = "targetCountryName")]
    pub target_country_name: String,
    /// Target autonomous system.
    #[serde(rename = "targetEntryAS")]
    pub target_entry_as: String,
    /// Login name tried, if any.
    pub username: Option<String>,
    /// Password tried, if any.
    pub password: Option<String>,
    /// Login outcome (`Success` / `Fail`), if any.
    pub login: Option<String>,
    /// The transport protocol (`Source/@protocol`) despite the legacy name.
    pub targetport: Option<String>,
    /// Client software version (cowrie).
    #[serde(rename = "clientVersion")]
    pub client_version: Option<String>,
    /// Session start, `""` when absent.
    #[serde(rename = "sessionStart")]
    pub session_start: String,
    /// Session end, `""` when absent.
    #[serde(rename = "sessionEnd")]
    pub session_end: String,
    /// UTC time at which the backend processed the alert.
    #[serde(rename = "recievedTime", with = "legacy_time")]
    pub recieved_time: Timestamp,
    /// The sensor's external address (default `1.1.1.1`).
    #[serde(rename = "externalIP", default = "default_sensor_ip")]
    pub external_ip: String,
    /// The sensor's internal address (default `1.1.1.1`).
    #[serde(rename = "internalIP", default = "default_sensor_ip")]
    pub internal_ip: String,
    /// The sensor's host name (default `undefined`).
    #[serde(default = "default_hostname")]
    pub hostname: String,
    /// Decoded raw HTTP request, or `-`.
    #[serde(default = "default_rawhttp")]
    pub rawhttp: String,
}

/// Sensor address stored when the sensor sends none.
pub const DEFAULT_SENSOR_IP: &str = "1.1.1.1";

fn default_sensor_ip() -> String {
    DEFAULT_SENSOR_IP.to_owned()
}

fn default_hostname() -> String {
    UNDEFINED_HOSTNAME.to_owned()
}

fn default_rawhttp() -> String {
    "-".to_owned()
}

/// Placeholder host name of sensors that do not send one (pre T-Pot 17.10).
pub const UNDEFINED_HOSTNAME: &str = "undefined";

/// `client` of community alerts and of every document PEBA wrote.
pub const COMMUNITY_CLIENT: &str = "-";

/// Who submitted a stored alert, as far as its document tells: the data domain and the
/// `client` field. Two alerts with equal submitters come from the same sender; documents PEBA
/// wrote have `-` as client, so its private documents match no current user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitter {
    /// `clientDomain`.
    pub client_domain: bool,
    /// `client`.
    pub client: String,
}

impl Alert {
    /// The legacy `_source` document.
    pub fn to_document(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// Who submitted this alert.
    pub fn submitter(&self) -> Submitter {
        Submitter {
            client_domain: self.client_domain,
            client: self.client.clone(),
        }
    }

    /// The id this alert is stored under when its own id is taken by another sender's alert:
    /// the hex md5 of `<id>/<clientDomain>/<client>` (e.g. `…/false/sensor-7`). It depends on
    /// the sender, so each sender has one place beside the original and re-sending stays
    /// idempotent.
    pub fn id_beside(&self) -> String {
        use md5::{Digest, Md5};
        let key = format!("{}/{}/{}", self.id, self.client_domain, self.client);
        hex::encode(Md5::digest(key.as_bytes()))
    }
}

/// Typed views of the stored fields: the document keeps PEBA's text forms (`"lat , lon"`,
/// string ports, `-`/`{}`/`undefined` placeholders); readers see values or `None`.
impl Alert {
    /// The data domain the alert belongs to.
    pub fn data_domain(&self) -> DataDomain {
        if self.client_domain {
            DataDomain::Community
        } else {
            DataDomain::Private
        }
    }

    /// Where the attacker is located, when known.
    pub fn source_location(&self) -> Option<GeoPoint> {
        GeoPoint::parse_known(&self.location)
    }

    /// Where the honeypot is located, when known.
    pub fn target_location(&self) -> Option<GeoPoint> {
        GeoPoint::parse_known(&self.location_destination)
    }

    /// The attacker's port, when sent and numeric.
    pub fn source_port(&self) -> Option<u16> {
        port(self.source_entry_port.as_deref())
    }

    /// The honeypot's port, when sent and numeric.
    pub fn target_port(&self) -> Option<u16> {
        port(self.target_entry_port.as_deref())
    }

    /// The attacker's autonomous system (`AS<n> <org>`, `IANA`), when known.
    pub fn source_as(&self) -> Option<&str> {
        known(&self.source_entry_as, "-")
    }

    /// The honeypot's autonomous system, when known.
    pub fn target_as(&self) -> Option<&str> {
        known(&self.target_entry_as, "-")
    }

    /// The CVE id(s) the sensor reported, if any.
    pub fn cve(&self) -> Option<&str> {
        known(&self.vulnid, "")
    }

    /// The sensor's host name, when it sent one (T-Pot 17.10 and later).
    pub fn sensor_hostname(&self) -> Option<&str> {
        known(&self.hostname, UNDEFINED_HOSTNAME)
    }

    /// The extra data the sensor sent (JSON text), unless empty.
    pub fn extra_data(&self) -> Option<&str> {
        known(&self.additional_data, "{}")
    }

    /// The decoded raw HTTP request, for web honeypots.
    pub fn raw_http_request(&self) -> Option<&str> {
        known(&self.rawhttp, "-")
    }

    /// Session start as the sensor sent it, if it did.
    pub fn session_started(&self) -> Option<&str> {
        known(&self.session_start, "")
    }

    /// Session end as the sensor sent it, if it did.
    pub fn session_ended(&self) -> Option<&str> {
        known(&self.session_end, "")
    }

    /// The sensor's external address, unless it is the [`DEFAULT_SENSOR_IP`] stored when the
    /// sensor sent none (or no address).
    pub fn sensor_external_ip(&self) -> Option<&str> {
        known(&self.external_ip, DEFAULT_SENSOR_IP)
    }

    /// The sensor's internal address, unless it is the [`DEFAULT_SENSOR_IP`] placeholder.
    pub fn sensor_internal_ip(&self) -> Option<&str> {
        known(&self.internal_ip, DEFAULT_SENSOR_IP)
    }

    /// The login name tried, unless none or an empty one was sent.
    pub fn tried_username(&self) -> Option<&str> {
        known(self.username.as_deref()?, "")
    }

    /// The password tried, unless none or an empty one was sent.
    pub fn tried_password(&self) -> Option<&str> {
        known(self.password.as_deref()?, "")
    }

    /// The login outcome (`Success` / `Fail`), when the sensor reported one.
    pub fn login_result(&self) -> Option<&str> {
        known(self.login.as_deref()?, "")
    }

    /// The attacker's client software version, when the sensor reported one.
    pub fn client_software(&self) -> Option<&str> {
        known(self.client_version.as_deref()?, "")
    }

    /// The transport protocol (`tcp`, `udp`), when the sensor sent one.
    pub fn protocol(&self) -> Option<&str> {
        known(self.targetport.as_deref()?, "")
    }

    /// The attacker's country code and name, unless GeoIP did not know the address (`-`).
    pub fn source_country(&self) -> Option<(&str, &str)> {
        known(&self.country, "-").map(|code| (code, self.country_name.as_str()))
    }

    /// The honeypot's country code and name, unless unknown (`-`).
    pub fn target_country(&self) -> Option<(&str, &str)> {
        known(&self.target_country, "-").map(|code| (code, self.target_country_name.as_str()))
    }
}

/// `text` unless it is empty or the `placeholder` stored for "unknown".
fn known<'a>(text: &'a str, placeholder: &str) -> Option<&'a str> {
    (!text.is_empty() && text != placeholder).then_some(text)
}

/// A port sent as text, when it reads as one (surrounding blanks ignored).
fn port(text: Option<&str>) -> Option<u16> {
    text?.trim().parse().ok()
}

/// Serde adapter for the legacy `YYYY-MM-DD HH:MM:SS` form (reads every mapping format).
mod legacy_time {
    use super::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.format_legacy())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Millis(i64),
        }
        match Raw::deserialize(d)? {
            Raw::Text(text) => Timestamp::parse_mapping_format(&text).map_err(D::Error::custom),
            Raw::Millis(ms) => Ok(Timestamp::from_unix(ms.div_euclid(1000))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(changes: serde_json::Value) -> Alert {
        let mut document = serde_json::json!({
            "country": "CN", "countryName": "China", "vulnid": "",
            "originalRequestString": "", "sourceEntryAS": "-",
            "createTime": "2024-06-24 10:00:00", "clientDomain": false,
            "peerIdent": "s1", "peerType": "SSH/console(cowrie)", "client": "-",
            "location": "0.0 , 0.0", "locationDestination": "50.1 , 8.7",
            "sourceEntryIp": "8.8.8.8", "sourceEntryPort": null, "additionalData": "{}",
            "targetEntryIp": "1.2.3.4", "targetEntryPort": " 22 ", "targetCountry": "DE",
            "targetCountryName": "Germany", "targetEntryAS": "AS3320 Deutsche Telekom AG",
            "username": null, "password": null, "login": null, "targetport": null,
            "clientVersion": null, "sessionStart": "", "sessionEnd": "x",
            "recievedTime": "2024-06-24 10:00:01",
        });
        if let (Some(d), Some(c)) = (document.as_object_mut(), changes.as_object()) {
            d.extend(c.clone());
        }
        serde_json::from_value(document).unwrap()
    }

    #[test]
    fn placeholders_read_as_none() {
        let a = stored(serde_json::json!({}));
        assert_eq!(a.data_domain(), DataDomain::Private);
        assert_eq!(a.source_location(), None);
        assert_eq!(
            a.target_location(),
            Some(GeoPoint {
                latitude: 50.1,
                longitude: 8.7
            })
        );
        assert_eq!((a.source_port(), a.target_port()), (None, Some(22)));
        assert_eq!(a.source_as(), None);
        assert_eq!(a.target_as(), Some("AS3320 Deutsche Telekom AG"));
        assert_eq!(a.cve(), None);
        assert_eq!(a.sensor_hostname(), None);
        assert_eq!(a.extra_data(), None);
        assert_eq!(a.raw_http_request(), None);
        assert_eq!((a.session_started(), a.session_ended()), (None, Some("x")));
        assert_eq!(
            (a.sensor_external_ip(), a.sensor_internal_ip()),
            (None, None)
        );
        assert_eq!((a.tried_username(), a.tried_password()), (None, None));
        assert_eq!((a.login_result(), a.client_software()), (None, None));
        assert_eq!(a.protocol(), None);
        let unknown = stored(serde_json::json!({
            "username": "", "password": "", "login": "", "clientVersion": "",
            "targetport": "", "country": "-", "countryName": "-",
        }));
        assert_eq!(
            (unknown.tried_username(), unknown.tried_password()),
            (None, None)
        );
        assert_eq!(
            (unknown.login_result(), unknown.client_software()),
            (None, None)
        );
        assert_eq!((unknown.protocol(), unknown.source_country()), (None, None));
        assert_eq!(unknown.target_country(), Some(("DE", "Germany")));
    }

    #[test]
    fn values_read_as_values() {
        let a = stored(serde_json::json!({
            "clientDomain": true, "vulnid": "CVE-2017-0144", "hostname": "tpot-1",
            "additionalData": "{\"a\":1}", "rawhttp": "GET / HTTP/1.1",
            "sourceEntryPort": "50522", "targetEntryPort": "http", "sourceEntryAS": "",
        }));
        assert_eq!(a.data_domain(), DataDomain::Community);
        assert_eq!((a.source_port(), a.target_port()), (Some(50522), None));
        assert_eq!(a.source_as(), None);
        assert_eq!(a.cve(), Some("CVE-2017-0144"));
        assert_eq!(a.sensor_hostname(), Some("tpot-1"));
        assert_eq!(a.extra_data(), Some("{\"a\":1}"));
        assert_eq!(a.raw_http_request(), Some("GET / HTTP/1.1"));
        let sent = stored(serde_json::json!({
            "externalIP": "87.150.238.182", "internalIP": "172.17.0.2",
            "username": "root", "password": "1234", "login": "Fail",
            "clientVersion": "SSH-2.0-Go", "targetport": "tcp",
        }));
        assert_eq!(sent.sensor_external_ip(), Some("87.150.238.182"));
        assert_eq!(sent.sensor_internal_ip(), Some("172.17.0.2"));
        assert_eq!(
            (sent.tried_username(), sent.tried_password()),
            (Some("root"), Some("1234"))
        );
        assert_eq!(
            (sent.login_result(), sent.client_software()),
            (Some("Fail"), Some("SSH-2.0-Go"))
        );
        assert_eq!(sent.protocol(), Some("tcp"));
        assert_eq!(sent.source_country(), Some(("CN", "China")));
    }
}
