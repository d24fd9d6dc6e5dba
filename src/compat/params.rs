//! Legacy query-string parameters: Werkzeug decoding (`+` is a space, percent escapes,
//! invalid UTF-8 replaced), the first occurrence of a name wins, and the `ci` domain choice.
//! Routes read their parameters through the struct they declare with
//! [`route_params!`](super::cache::route_params), never through [`Params`] itself.

use super::cache::route_params;
use crate::domain::DataDomain;
pub use crate::domain::unquote;

route_params! {
    /// What routes that read only the data domain read.
    pub struct DomainParams {
        /// The data domain.
        ci: "ci",
    }
}

/// The decoded query string of one request.
#[derive(Debug, Clone, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Decodes a raw query string (`None`: no query string).
    pub fn parse(query: Option<&str>) -> Self {
        let pairs = query
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        Params { pairs }
    }

    /// The first value of `name`, possibly empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The parameter `name`, as a route reads it.
    pub fn param(&self, name: &str) -> Param {
        Param(self.get(name).map(str::to_owned))
    }
}

/// One query parameter of a request: its first value, possibly empty, or none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Param(Option<String>);

impl Param {
    /// The value, possibly empty.
    pub fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// The value, with an empty value treated as absent.
    pub fn non_empty(&self) -> Option<&str> {
        self.get().filter(|v| !v.is_empty())
    }

    /// The data domain this `ci` value chooses: `0` private, `-1` both, anything else (or
    /// nothing) community.
    pub fn domain(&self) -> DataDomain {
        match self.get() {
            Some("0") => DataDomain::Private,
            Some("-1") => DataDomain::All,
            _ => DataDomain::Community,
        }
    }

    /// The value as the cache key holds it: `ci` and `out` by what they choose (so that
    /// `ci=1`, `ci=x` and no `ci` share one entry), every other parameter as sent.
    pub fn key_form(&self, name: &str) -> Option<&str> {
        match name {
            "ci" => match self.domain() {
                DataDomain::Private => Some("0"),
                DataDomain::All => Some("-1"),
                DataDomain::Community => None,
            },
            "out" => self.wants_json().then_some("json"),
            _ => self.get(),
        }
    }

    /// Whether this `out` value asks for JSON (exactly `json`).
    pub fn wants_json(&self) -> bool {
        self.get() == Some("json")
    }
}

/// A legacy "decimal": one or more ASCII digits, no sign, no whitespace. `None` for anything
/// else, and for numbers too large to mean anything (they only ever produced store errors).
pub fn decimal(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Python's `urllib.parse.unquote_plus`: `+` becomes a space, then percent escapes are
/// decoded (invalid UTF-8 replaced).
pub fn unquote_plus(text: &str) -> String {
    let spaced = text.replace('+', " ");
    unquote(&spaced)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_occurrence_wins() {
        let p = Params::parse(Some("ci=0&ci=1&time=day&time=5"));
        assert_eq!(p.get("ci"), Some("0"));
        assert_eq!(p.get("time"), Some("day"));
        assert_eq!(p.param("ci").domain(), DataDomain::Private);
    }

    #[test]
    fn ci_values() {
        let d = |q: &str| Params::parse(Some(q)).param("ci").domain();
        assert_eq!(
            Params::parse(None).param("ci").domain(),
            DataDomain::Community
        );
        assert_eq!(d("ci="), DataDomain::Community);
        assert_eq!(d("ci=1"), DataDomain::Community);
        assert_eq!(d("ci=0"), DataDomain::Private);
        assert_eq!(d("ci=-1"), DataDomain::All);
        assert_eq!(d("ci=00"), DataDomain::Community);
        assert_eq!(d("ci=abc"), DataDomain::Community);
        assert_eq!(d("ci=%2D1"), DataDomain::All);
        assert_eq!(d("ci=+0"), DataDomain::Community);
        assert_eq!(d("ci"), DataDomain::Community);
    }

    #[test]
    fn empty_values_and_decoding() {
        let p = Params::parse(Some("time=&out=json&x=a+b%2Bc&y"));
        assert_eq!(p.get("time"), Some(""));
        assert_eq!(p.param("time").non_empty(), None);
        assert!(p.param("out").wants_json());
        assert_eq!(p.get("x"), Some("a b+c"));
        assert_eq!(p.get("y"), Some(""));
        assert!(!Params::parse(Some("out=JSON")).param("out").wants_json());
    }

    #[test]
    fn decimals_are_ascii_digits() {
        assert_eq!(decimal("0"), Some(0));
        assert_eq!(decimal("0010"), Some(10));
        assert_eq!(decimal("46080"), Some(46080));
        for bad in ["", "-1", "+1", " 1", "1 ", "1.5", "1e3", "١٢", "abc"] {
            assert_eq!(decimal(bad), None, "{bad:?}");
        }
        assert_eq!(decimal("99999999999999999999999"), None);
    }

    #[test]
    fn python_unquoting() {
        assert_eq!(unquote("a%20b+c"), "a b+c");
        assert_eq!(unquote_plus("a%20b+c"), "a b c");
        assert_eq!(unquote("100%"), "100%");
        assert_eq!(unquote("%zz%3C"), "%zz<");
        assert_eq!(unquote("%C3%A4"), "ä");
        assert_eq!(unquote("%FF"), "\u{FFFD}");
    }
}
