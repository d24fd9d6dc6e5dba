//! Coordinates as stored alerts carry them: the text `"<lat> , <lon>"`, `0.0 , 0.0` when
//! unknown.

/// A point on the earth.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoPoint {
    /// Degrees north.
    pub latitude: f64,
    /// Degrees east.
    pub longitude: f64,
}

impl GeoPoint {
    /// Reads the stored `"<lat> , <lon>"` form (any spacing around the comma).
    pub fn parse(text: &str) -> Option<GeoPoint> {
        let (lat, lon) = text.split_once(',')?;
        Some(GeoPoint {
            latitude: lat.trim().parse().ok()?,
            longitude: lon.trim().parse().ok()?,
        })
    }

    /// Reads a stored location, `None` when it does not parse or is the `0.0 , 0.0` stored
    /// for unknown places.
    pub fn parse_known(text: &str) -> Option<GeoPoint> {
        GeoPoint::parse(text).filter(|p| p.latitude != 0.0 || p.longitude != 0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::GeoPoint;

    #[test]
    fn stored_forms() {
        let point = GeoPoint {
            latitude: 39.9042,
            longitude: 116.4074,
        };
        assert_eq!(GeoPoint::parse("39.9042 , 116.4074"), Some(point));
        assert_eq!(GeoPoint::parse("39.9042,116.4074"), Some(point));
        assert_eq!(GeoPoint::parse("0.0 , 0.0").map(|p| p.latitude), Some(0.0));
        assert_eq!(GeoPoint::parse_known("0.0 , 0.0"), None);
        assert_eq!(
            GeoPoint::parse_known("0.0 , 7.5").map(|p| p.longitude),
            Some(7.5)
        );
        for bad in ["", "1", "a , 2", "1 , b", "1 , 2 , 3"] {
            assert_eq!(GeoPoint::parse(bad), None, "{bad}");
        }
    }
}
