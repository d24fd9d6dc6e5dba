//! Python's `ipaddress` notions of *private* and *global* addresses (Python 3.11 tables).
//!
//! PEBA used them twice, with different results for the shared address space 100.64.0.0/10:
//!
//! - GeoIP enrichment ([`is_private`]): private addresses get `PIR` / `IANA Private IP Range` /
//!   `IANA`. 100.64.0.0/10 is *not* private and is looked up like any public address.
//! - The bad-IP lists ([`is_global`]): every address that is not global is dropped;
//!   100.64.0.0/10 is not global either. Multicast (224.0.0.0/4) and 192.88.99.0/24 count as
//!   global (legacy quirk, kept).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The IPv4 ranges Python 3.11 calls private, as `(network, prefix length)`.
const PRIVATE_V4: [([u8; 4], u8); 14] = [
    ([0, 0, 0, 0], 8),
    ([10, 0, 0, 0], 8),
    ([127, 0, 0, 0], 8),
    ([169, 254, 0, 0], 16),
    ([172, 16, 0, 0], 12),
    ([192, 0, 0, 0], 29),
    ([192, 0, 0, 170], 31),
    ([192, 0, 2, 0], 24),
    ([192, 168, 0, 0], 16),
    ([198, 18, 0, 0], 15),
    ([198, 51, 100, 0], 24),
    ([203, 0, 113, 0], 24),
    ([240, 0, 0, 0], 4),
    ([255, 255, 255, 255], 32),
];

/// The IPv6 ranges Python 3.11 calls private, as `(network, prefix length)`.
const PRIVATE_V6: [([u16; 8], u8); 10] = [
    ([0, 0, 0, 0, 0, 0, 0, 1], 128),
    ([0, 0, 0, 0, 0, 0, 0, 0], 128),
    ([0, 0, 0, 0, 0, 0xffff, 0, 0], 96),
    ([0x100, 0, 0, 0, 0, 0, 0, 0], 64),
    ([0x2001, 0, 0, 0, 0, 0, 0, 0], 23),
    ([0x2001, 0x2, 0, 0, 0, 0, 0, 0], 48),
    ([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32),
    ([0x2001, 0x10, 0, 0, 0, 0, 0, 0], 28),
    ([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7),
    ([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10),
];

/// The shared address space (RFC 6598), neither private nor global in Python.
const SHARED_V4: ([u8; 4], u8) = ([100, 64, 0, 0], 10);

fn in_v4(ip: Ipv4Addr, (net, len): ([u8; 4], u8)) -> bool {
    let mask = if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len))
    };
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn in_v6(ip: Ipv6Addr, (net, len): ([u16; 8], u8)) -> bool {
    let mask = if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len))
    };
    u128::from(ip) & mask == u128::from(Ipv6Addr::from(net)) & mask
}

/// Python's `ip_address(x).is_private` (3.11): the 14 IPv4 ranges of the legacy contract
/// (not 100.64.0.0/10) and the 10 IPv6 ranges of the same Python version.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => PRIVATE_V4.iter().any(|&range| in_v4(v4, range)),
        IpAddr::V6(v6) => PRIVATE_V6.iter().any(|&range| in_v6(v6, range)),
    }
}

/// Python's `ip_address(x).is_global` (3.11): IPv4 addresses neither private nor in
/// 100.64.0.0/10; IPv6 addresses that are not private. Multicast counts as global.
pub fn is_global(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !in_v4(v4, SHARED_V4) && !is_private(ip),
        IpAddr::V6(_) => !is_private(ip),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn private_v4_ranges_and_their_edges() {
        for private in [
            "0.0.0.0",
            "0.255.255.255",
            "10.1.2.3",
            "127.0.0.1",
            "169.254.1.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.7",
            "192.0.0.170",
            "192.0.0.171",
            "192.0.2.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "240.0.0.1",
            "255.255.255.255",
        ] {
            assert!(is_private(ip(private)), "{private}");
            assert!(!is_global(ip(private)), "{private}");
        }
        for public in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "172.15.255.255",
            "192.0.0.8",
            "192.0.0.172",
            "192.88.99.1",
            "224.0.0.1",
            "239.255.255.255",
            "198.20.0.1",
            "11.0.0.0",
        ] {
            assert!(!is_private(ip(public)), "{public}");
            assert!(is_global(ip(public)), "{public}");
        }
    }

    #[test]
    fn shared_address_space_is_neither_private_nor_global() {
        for shared in ["100.64.0.0", "100.100.1.1", "100.127.255.255"] {
            assert!(!is_private(ip(shared)), "{shared}");
            assert!(!is_global(ip(shared)), "{shared}");
        }
        assert!(is_global(ip("100.63.255.255")));
        assert!(is_global(ip("100.128.0.0")));
    }

    #[test]
    fn ipv6_tables() {
        for private in [
            "::1",
            "::",
            "::ffff:8.8.8.8",
            "100::1",
            "2001::1",
            "2001:1ff::1",
            "2001:db8::1",
            "2001:10::1",
            "fc00::1",
            "fdff::1",
            "fe80::1",
        ] {
            assert!(is_private(ip(private)), "{private}");
            assert!(!is_global(ip(private)), "{private}");
        }
        for public in ["2a00:1450:4001::1", "2001:4860:4860::8888", "ff02::1"] {
            assert!(!is_private(ip(public)), "{public}");
            assert!(is_global(ip(public)), "{public}");
        }
    }
}
