//! The stored `"<lat> , <lon>"` strings, split the way each legacy route split them. A value
//! that cannot be split is treated as unknown (`0.0`, `0.0`) for that alert only, instead of
//! failing the whole answer as PEBA did.

/// Unknown coordinates, as stored for private or unlocatable addresses.
pub const UNKNOWN: (&str, &str) = ("0.0", "0.0");

/// `location.split(" , ")[0]`, `[1]` (`retrieveAlertsJson`, `retrieveLatLonAttacks`).
pub fn split_spaced(location: &str) -> (String, String) {
    let mut parts = location.split(" , ");
    match (parts.next(), parts.next()) {
        (Some(lat), Some(lon)) => (lat.to_owned(), lon.to_owned()),
        _ => (UNKNOWN.0.to_owned(), UNKNOWN.1.to_owned()),
    }
}

/// `location.split(",")[0].strip()`, `[1].strip()` (`retrieveAlertsCyber`).
pub fn split_trimmed(location: &str) -> (String, String) {
    let mut parts = location.split(',');
    match (parts.next(), parts.next()) {
        (Some(lat), Some(lon)) => (lat.trim().to_owned(), lon.trim().to_owned()),
        _ => (UNKNOWN.0.to_owned(), UNKNOWN.1.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits() {
        assert_eq!(
            split_spaced("39.9042 , 116.4074"),
            ("39.9042".into(), "116.4074".into())
        );
        assert_eq!(split_spaced("1 , 2 , 3"), ("1".into(), "2".into()));
        assert_eq!(split_spaced("1,2"), ("0.0".into(), "0.0".into()));
        assert_eq!(split_trimmed("1,2"), ("1".into(), "2".into()));
        assert_eq!(
            split_trimmed(" 37.751 , -97.822 "),
            ("37.751".into(), "-97.822".into())
        );
        assert_eq!(split_trimmed(""), ("0.0".into(), "0.0".into()));
    }
}
