//! GeoIP enrichment of source and target addresses (legacy contract §3.11).
//!
//! Works with MaxMind GeoLite2-City / GeoLite2-ASN and with DB-IP's City Lite / ASN Lite
//! databases: it reads `country.iso_code`, `country.names.en`, `location.latitude`,
//! `location.longitude`, `autonomous_system_number` and `autonomous_system_organization`.
//!
//! Per address:
//! 1. Defaults: country `-`, country name `-`, AS `-`, location `0.0 , 0.0`.
//! 2. Private addresses ([`is_private`], which leaves out 100.64.0.0/10): `PIR`,
//!    `IANA Private IP Range`, `IANA`, `0.0 , 0.0`, without any database lookup.
//! 3. Otherwise every value the databases have replaces its default: AS as
//!    `AS<number> <organisation>` from the ASN database, coordinates (Python float formatting),
//!    country name and ISO code from the City database. Unlike PEBA, an address the ASN database
//!    does not know still gets its City data (an allowed improvement): each database is asked
//!    on its own.
//!
//! Results are cached per address (bounded): the databases do not change while peba runs.

use super::address::is_private;
use super::pyfmt::float_repr;
use maxminddb::{MaxMindDbError, Reader};
use moka::sync::Cache;
use serde::Deserialize;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// How many addresses the cache holds at most.
pub const CACHE_CAPACITY: usize = 100_000;

/// The GeoIP values of one address, as stored in the alert document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeoInfo {
    /// ISO country code, `PIR` or `-` (`country` / `targetCountry`).
    pub country: String,
    /// English country name, `IANA Private IP Range` or `-` (`countryName` /
    /// `targetCountryName`).
    pub country_name: String,
    /// `AS<number> <organisation>`, `IANA` or `-` (`sourceEntryAS` / `targetEntryAS`).
    pub asn: String,
    /// `<lat> , <lon>` (`location` / `locationDestination`).
    pub location: String,
}

impl GeoInfo {
    /// The values of an address nothing is known about.
    pub fn unknown() -> Self {
        GeoInfo {
            country: "-".to_owned(),
            country_name: "-".to_owned(),
            asn: "-".to_owned(),
            location: "0.0 , 0.0".to_owned(),
        }
    }

    /// The values of a private address.
    pub fn private_range() -> Self {
        GeoInfo {
            country: "PIR".to_owned(),
            country_name: "IANA Private IP Range".to_owned(),
            asn: "IANA".to_owned(),
            location: "0.0 , 0.0".to_owned(),
        }
    }
}

/// A GeoIP database that could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("cannot open GeoIP database {path}: {source}")]
pub struct GeoIpError {
    /// The database file.
    pub path: PathBuf,
    /// Why it failed.
    #[source]
    pub source: MaxMindDbError,
}

/// The GeoIP databases and the lookup cache.
pub struct GeoIp {
    city: Option<Reader<Vec<u8>>>,
    asn: Option<Reader<Vec<u8>>>,
    cache: Cache<IpAddr, GeoInfo>,
}

impl std::fmt::Debug for GeoIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeoIp")
            .field(
                "city",
                &self.city.as_ref().map(|r| &r.metadata().database_type),
            )
            .field(
                "asn",
                &self.asn.as_ref().map(|r| &r.metadata().database_type),
            )
            .finish_non_exhaustive()
    }
}

/// What the start-up summary says about a loaded database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseInfo {
    /// The database's own type (`GeoLite2-City`, `DBIP-ASN-Lite (compat=GeoLite2-ASN)`, …).
    pub database_type: String,
    /// Its build date, `YYYY-MM-DD` (UTC).
    pub built: String,
    /// Whether its records carry the fields peba reads.
    pub fields_match: bool,
}

impl DatabaseInfo {
    fn of(reader: &Reader<Vec<u8>>, fields_match: bool) -> Self {
        let metadata = reader.metadata();
        let built = i64::try_from(metadata.build_epoch)
            .ok()
            .and_then(|epoch| chrono::DateTime::from_timestamp(epoch, 0))
            .map_or_else(|| "?".to_owned(), |t| t.format("%Y-%m-%d").to_string());
        DatabaseInfo {
            database_type: metadata.database_type.clone(),
            built,
            fields_match,
        }
    }
}

/// Whether the first record of an ASN database has `autonomous_system_number`.
fn asn_fields_match(reader: &Reader<Vec<u8>>) -> bool {
    let options = maxminddb::WithinOptions::default().skip_empty_values();
    let Ok(mut networks) = reader.networks(options) else {
        return false;
    };
    networks
        .next()
        .and_then(Result::ok)
        .and_then(|found| found.decode::<AsnRecord>().ok().flatten())
        .is_some_and(|record| record.autonomous_system_number.is_some())
}

#[derive(Deserialize)]
struct CityRecord {
    #[serde(default)]
    country: Option<CountryRecord>,
    #[serde(default)]
    location: Option<LocationRecord>,
}

#[derive(Deserialize)]
struct CountryRecord {
    #[serde(default)]
    iso_code: Option<String>,
    #[serde(default)]
    names: Option<NamesRecord>,
}

#[derive(Deserialize)]
struct NamesRecord {
    #[serde(default)]
    en: Option<String>,
}

#[derive(Deserialize)]
struct LocationRecord {
    #[serde(default)]
    latitude: Option<f64>,
    #[serde(default)]
    longitude: Option<f64>,
}

#[derive(Deserialize)]
struct AsnRecord {
    #[serde(default)]
    autonomous_system_number: Option<u32>,
    #[serde(default)]
    autonomous_system_organization: Option<String>,
}

fn open_reader(path: &Path) -> Result<Reader<Vec<u8>>, GeoIpError> {
    Reader::open_readfile(path).map_err(|source| GeoIpError {
        path: path.to_owned(),
        source,
    })
}

impl GeoIp {
    /// Opens the City and ASN databases (either may be left out); the files are read into
    /// memory once.
    pub fn open(city: Option<&Path>, asn: Option<&Path>) -> Result<GeoIp, GeoIpError> {
        Ok(GeoIp {
            city: city.map(open_reader).transpose()?,
            asn: asn.map(open_reader).transpose()?,
            cache: new_cache(),
        })
    }

    /// No databases: private addresses still get the `PIR` values, every other address the
    /// defaults.
    pub fn disabled() -> GeoIp {
        GeoIp {
            city: None,
            asn: None,
            cache: new_cache(),
        }
    }

    /// The loaded City database, for the start-up summary.
    pub fn city_database(&self) -> Option<DatabaseInfo> {
        self.city.as_ref().map(|r| DatabaseInfo::of(r, true))
    }

    /// The loaded ASN database, for the start-up summary; `fields_match` tells whether its
    /// records carry the fields peba reads.
    pub fn asn_database(&self) -> Option<DatabaseInfo> {
        self.asn
            .as_ref()
            .map(|r| DatabaseInfo::of(r, asn_fields_match(r)))
    }

    /// Whether any database is loaded.
    pub fn is_enabled(&self) -> bool {
        self.city.is_some() || self.asn.is_some()
    }

    /// The GeoIP values of an address (cached).
    pub fn lookup(&self, ip: IpAddr) -> GeoInfo {
        if is_private(ip) {
            return GeoInfo::private_range();
        }
        if !self.is_enabled() {
            return GeoInfo::unknown();
        }
        if let Some(info) = self.cache.get(&ip) {
            return info;
        }
        let info = self.lookup_uncached(ip);
        self.cache.insert(ip, info.clone());
        info
    }

    fn lookup_uncached(&self, ip: IpAddr) -> GeoInfo {
        let mut info = GeoInfo::unknown();
        let asn = self.asn.as_ref().and_then(|r| decode::<AsnRecord>(r, ip));
        if let Some(AsnRecord {
            autonomous_system_number: Some(number),
            autonomous_system_organization: organisation,
        }) = asn
        {
            info.asn = match organisation {
                Some(organisation) => format!("AS{number} {organisation}"),
                None => format!("AS{number}"),
            };
        }
        if let Some(record) = self.city.as_ref().and_then(|r| decode::<CityRecord>(r, ip)) {
            let (mut latitude, mut longitude) = ("0.0".to_owned(), "0.0".to_owned());
            if let Some(location) = record.location {
                if let Some(value) = location.longitude {
                    longitude = float_repr(value);
                }
                if let Some(value) = location.latitude {
                    latitude = float_repr(value);
                }
            }
            info.location = format!("{latitude} , {longitude}");
            if let Some(country) = record.country {
                if let Some(name) = country.names.and_then(|names| names.en) {
                    info.country_name = name;
                }
                if let Some(code) = country.iso_code {
                    info.country = code;
                }
            }
        }
        info
    }
}

fn new_cache() -> Cache<IpAddr, GeoInfo> {
    Cache::new(CACHE_CAPACITY as u64)
}

/// The record of `ip`, or `None` when the address is not in the database or the lookup fails
/// (e.g. an IPv6 address in an IPv4-only database, or a record of another shape).
fn decode<'de, T: Deserialize<'de>>(reader: &'de Reader<Vec<u8>>, ip: IpAddr) -> Option<T> {
    let result = reader.lookup(ip).ok()?;
    if !result.has_data() {
        return None;
    }
    result.decode::<T>().ok().flatten()
}

#[cfg(test)]
#[path = "../../tests/support/mmdb.rs"]
pub(crate) mod mmdb;

#[cfg(test)]
pub(crate) mod tests {
    use super::mmdb::{AsnRecord, CityRecord, Value, build_db, write_asn_db, write_city_db};
    use super::*;
    use ipnet::IpNet;

    fn net(text: &str) -> IpNet {
        text.parse().unwrap()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn info(country: &str, name: &str, asn: &str, location: &str) -> GeoInfo {
        GeoInfo {
            country: country.into(),
            country_name: name.into(),
            asn: asn.into(),
            location: location.into(),
        }
    }

    /// City and ASN databases for the tests: `(dir, GeoIp)`.
    pub(crate) fn test_geoip() -> (tempfile::TempDir, GeoIp) {
        let dir = tempfile::tempdir().unwrap();
        let city = dir.path().join("city.mmdb");
        let asn = dir.path().join("asn.mmdb");
        write_city_db(
            &city,
            &[
                (
                    net("8.8.8.0/24"),
                    CityRecord::new("US", "United States", 37.751, -97.822),
                ),
                (
                    net("87.150.0.0/16"),
                    CityRecord::new("DE", "Germany", 51.2993, 9.491),
                ),
                // Known to the City database only.
                (
                    net("5.6.7.0/24"),
                    CityRecord::new("FR", "France", 48.8582, 2.3387),
                ),
                // Only a country, no coordinates.
                (
                    net("9.9.9.0/24"),
                    CityRecord {
                        iso_code: Some("CH".into()),
                        country_name: Some("Switzerland".into()),
                        ..CityRecord::default()
                    },
                ),
                (
                    net("100.64.0.0/10"),
                    CityRecord::new("XX", "Shared", 1.5, -0.25),
                ),
                (
                    net("2a00:1450::/32"),
                    CityRecord::new("IE", "Ireland", 53.0, -8.0),
                ),
            ],
        )
        .unwrap();
        write_asn_db(
            &asn,
            &[
                (net("8.8.8.0/24"), AsnRecord::new(15169, "GOOGLE")),
                (
                    net("87.128.0.0/10"),
                    AsnRecord::new(3320, "Deutsche Telekom AG"),
                ),
                (net("9.9.9.0/24"), AsnRecord::new(19281, "Quad9")),
                // Known to the ASN database only.
                (net("4.4.4.0/24"), AsnRecord::new(3356, "LEVEL3")),
                (
                    net("4.4.5.0/24"),
                    AsnRecord {
                        number: Some(64512),
                        organization: None,
                    },
                ),
            ],
        )
        .unwrap();
        let geoip = GeoIp::open(Some(&city), Some(&asn)).unwrap();
        (dir, geoip)
    }

    #[test]
    fn public_addresses() {
        let (_dir, geoip) = test_geoip();
        assert_eq!(
            geoip.lookup(ip("8.8.8.8")),
            info("US", "United States", "AS15169 GOOGLE", "37.751 , -97.822")
        );
        assert_eq!(
            geoip.lookup(ip("87.150.238.182")),
            info(
                "DE",
                "Germany",
                "AS3320 Deutsche Telekom AG",
                "51.2993 , 9.491"
            )
        );
        assert_eq!(
            geoip.lookup(ip("9.9.9.9")),
            info("CH", "Switzerland", "AS19281 Quad9", "0.0 , 0.0")
        );
        assert_eq!(
            geoip.lookup(ip("2a00:1450:4001::1")),
            info("IE", "Ireland", "-", "53.0 , -8.0")
        );
        assert_eq!(
            geoip.lookup(ip("4.4.5.5")),
            info("-", "-", "AS64512", "0.0 , 0.0")
        );
    }

    #[test]
    fn private_addresses_never_reach_the_databases() {
        let (_dir, geoip) = test_geoip();
        for private in ["10.0.0.5", "192.168.1.1", "127.0.0.1", "::1", "fe80::1"] {
            assert_eq!(
                geoip.lookup(ip(private)),
                GeoInfo::private_range(),
                "{private}"
            );
            assert_eq!(
                GeoIp::disabled().lookup(ip(private)),
                GeoInfo::private_range()
            );
        }
        // 100.64.0.0/10 is not private for GeoIP: it is looked up.
        assert_eq!(
            geoip.lookup(ip("100.64.1.1")),
            info("XX", "Shared", "-", "1.5 , -0.25")
        );
    }

    #[test]
    fn unknown_addresses_keep_the_defaults() {
        let (_dir, geoip) = test_geoip();
        assert_eq!(geoip.lookup(ip("1.2.3.4")), GeoInfo::unknown());
        assert_eq!(geoip.lookup(ip("2001:4860::1")), GeoInfo::unknown());
        assert_eq!(GeoIp::disabled().lookup(ip("8.8.8.8")), GeoInfo::unknown());
    }

    #[test]
    fn asn_failure_keeps_city_data() {
        let (_dir, geoip) = test_geoip();
        assert_eq!(
            geoip.lookup(ip("5.6.7.8")),
            info("FR", "France", "-", "48.8582 , 2.3387")
        );
        assert_eq!(
            geoip.lookup(ip("4.4.4.4")),
            info("-", "-", "AS3356 LEVEL3", "0.0 , 0.0")
        );
    }

    #[test]
    fn either_database_alone() {
        let (dir, _) = test_geoip();
        let city_only = GeoIp::open(Some(&dir.path().join("city.mmdb")), None).unwrap();
        assert_eq!(
            city_only.lookup(ip("8.8.8.8")),
            info("US", "United States", "-", "37.751 , -97.822")
        );
        let asn_only = GeoIp::open(None, Some(&dir.path().join("asn.mmdb"))).unwrap();
        assert_eq!(
            asn_only.lookup(ip("8.8.8.8")),
            info("-", "-", "AS15169 GOOGLE", "0.0 , 0.0")
        );
    }

    #[test]
    fn ipv4_tree_and_ipv4_in_ipv6_tree() {
        let dir = tempfile::tempdir().unwrap();
        let record = CityRecord::new("NL", "Netherlands", 52.3824, 4.8995).to_value();
        let v4 = dir.path().join("v4.mmdb");
        std::fs::write(
            &v4,
            build_db("DBIP-City-Lite", 4, &[(net("145.0.0.0/8"), record.clone())]),
        )
        .unwrap();
        let v6 = dir.path().join("v6.mmdb");
        std::fs::write(
            &v6,
            build_db("DBIP-City-Lite", 6, &[(net("145.0.0.0/8"), record)]),
        )
        .unwrap();
        let expected = info("NL", "Netherlands", "-", "52.3824 , 4.8995");
        for path in [&v4, &v6] {
            let geoip = GeoIp::open(Some(path), None).unwrap();
            assert_eq!(geoip.lookup(ip("145.1.2.3")), expected);
            assert_eq!(geoip.lookup(ip("146.1.2.3")), GeoInfo::unknown());
        }
        // An IPv6 address against an IPv4-only tree: defaults, no panic.
        let geoip = GeoIp::open(Some(&v4), None).unwrap();
        assert_eq!(geoip.lookup(ip("2a00::1")), GeoInfo::unknown());
    }

    #[test]
    fn records_of_another_shape_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("odd.mmdb");
        let odd = Value::map([("country", Value::str("not a map"))]);
        std::fs::write(&path, build_db("Odd", 6, &[(net("8.0.0.0/8"), odd)])).unwrap();
        let geoip = GeoIp::open(Some(&path), Some(&path)).unwrap();
        assert_eq!(geoip.lookup(ip("8.8.8.8")), GeoInfo::unknown());
    }

    #[test]
    fn missing_or_broken_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.mmdb");
        assert!(GeoIp::open(Some(&missing), None).is_err());
        let broken = dir.path().join("broken.mmdb");
        std::fs::write(&broken, b"not a database").unwrap();
        let error = GeoIp::open(None, Some(&broken)).unwrap_err();
        assert!(error.to_string().contains("broken.mmdb"), "{error}");
    }

    #[test]
    fn results_are_cached() {
        let (_dir, geoip) = test_geoip();
        let cached = || {
            geoip.cache.run_pending_tasks();
            geoip.cache.entry_count()
        };
        let first = geoip.lookup(ip("8.8.8.8"));
        assert_eq!(cached(), 1);
        assert_eq!(geoip.lookup(ip("8.8.8.8")), first);
        assert_eq!(cached(), 1);
        geoip.lookup(ip("10.0.0.1"));
        assert_eq!(cached(), 1, "private addresses are not looked up");
    }
}
