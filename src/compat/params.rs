//! Legacy query-string parameters: Werkzeug decoding (`+` is a space, percent escapes,
//! invalid UTF-8 replaced), the first occurrence of a name wins, and the kinds a route reads
//! a parameter as ([`ParamKind`]: text, the `ci` domain choice, `out`, a whole number).
//! Routes read their parameters through the struct they declare with
//! [`route_params!`](super::cache::route_params), never through [`Params`] itself.

use super::cache::route_params;
use crate::domain::DataDomain;
pub use crate::domain::unquote;
use std::borrow::Cow;

route_params! {
    /// What routes that read only the data domain read.
    pub struct DomainParams {
        /// The data domain.
        ci: Domain = "ci",
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

    /// The parameter `name`, read as the kind `K`.
    pub fn param<K: ParamKind>(&self, name: &str) -> K {
        K::read(self.get(name))
    }
}

/// How a route reads one query parameter, and the form it takes in the cache key: values
/// the route reads the same have the same key form, so they share one cached answer.
pub trait ParamKind: std::fmt::Debug + Clone + Default + Send + Sync {
    /// Reads the first value of the parameter (`None`: not sent).
    fn read(value: Option<&str>) -> Self;
    /// The key form; `None` leaves the parameter out of the key.
    fn key_form(&self) -> Option<Cow<'_, str>>;
}

/// A parameter read as text: its first value, possibly empty, or none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Param(Option<String>);

impl ParamKind for Param {
    fn read(value: Option<&str>) -> Self {
        Param(value.map(str::to_owned))
    }

    /// The value as sent.
    fn key_form(&self) -> Option<Cow<'_, str>> {
        self.get().map(Cow::Borrowed)
    }
}

/// The data domain a `ci` value chooses: `0` private, `-1` both, anything else (or nothing)
/// community.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Domain(DataDomain);

impl Domain {
    /// The chosen domain.
    pub fn domain(self) -> DataDomain {
        self.0
    }
}

impl ParamKind for Domain {
    fn read(value: Option<&str>) -> Self {
        Domain(match value {
            Some("0") => DataDomain::Private,
            Some("-1") => DataDomain::All,
            _ => DataDomain::Community,
        })
    }

    /// `0`, `-1`, or nothing for community data (so `ci=1`, `ci=x` and no `ci` share a key).
    fn key_form(&self) -> Option<Cow<'_, str>> {
        match self.0 {
            DataDomain::Private => Some(Cow::Borrowed("0")),
            DataDomain::All => Some(Cow::Borrowed("-1")),
            DataDomain::Community => None,
        }
    }
}

/// Whether an `out` value asks for JSON (exactly `json`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Output {
    json: bool,
}

impl Output {
    /// Whether JSON is asked for.
    pub fn wants_json(self) -> bool {
        self.json
    }
}

impl ParamKind for Output {
    fn read(value: Option<&str>) -> Self {
        Output {
            json: value == Some("json"),
        }
    }

    /// `json`, or nothing for the default form.
    fn key_form(&self) -> Option<Cow<'_, str>> {
        self.json.then_some(Cow::Borrowed("json"))
    }
}

/// A whole-number parameter: absent (or empty), a legacy [`decimal`], or anything else.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Number {
    /// Not sent, or sent empty.
    #[default]
    Absent,
    /// A decimal.
    Value(u64),
    /// Not a decimal (or too large to mean anything).
    Invalid,
}

impl Number {
    /// The number, `default` when absent; `None` when invalid.
    pub fn or(self, default: u64) -> Option<u64> {
        match self {
            Number::Absent => Some(default),
            Number::Value(n) => Some(n),
            Number::Invalid => None,
        }
    }
}

impl ParamKind for Number {
    fn read(value: Option<&str>) -> Self {
        match value.filter(|v| !v.is_empty()) {
            None => Number::Absent,
            Some(text) => decimal(text).map_or(Number::Invalid, Number::Value),
        }
    }

    /// The number in its shortest form (`05` and `5` share a key), `-` for every invalid
    /// value, nothing when absent.
    fn key_form(&self) -> Option<Cow<'_, str>> {
        match self {
            Number::Absent => None,
            Number::Value(n) => Some(Cow::Owned(n.to_string())),
            Number::Invalid => Some(Cow::Borrowed("-")),
        }
    }
}

impl Param {
    /// The value, possibly empty.
    pub fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// The value, with an empty value treated as absent.
    pub fn non_empty(&self) -> Option<&str> {
        self.get().filter(|v| !v.is_empty())
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
        assert_eq!(p.param::<Domain>("ci").domain(), DataDomain::Private);
    }

    #[test]
    fn ci_values() {
        let d = |q: &str| Params::parse(Some(q)).param::<Domain>("ci").domain();
        assert_eq!(
            Params::parse(None).param::<Domain>("ci").domain(),
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
        assert_eq!(p.param::<Param>("time").non_empty(), None);
        assert!(p.param::<Output>("out").wants_json());
        assert_eq!(p.get("x"), Some("a b+c"));
        assert_eq!(p.get("y"), Some(""));
        assert!(
            !Params::parse(Some("out=JSON"))
                .param::<Output>("out")
                .wants_json()
        );
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
    fn numbers_by_value() {
        let n = |q: &str| Params::parse(Some(q)).param::<Number>("n");
        assert_eq!(n("n=05"), Number::Value(5));
        assert_eq!(n("n=05").key_form(), n("n=5").key_form());
        assert_eq!(n("n="), Number::Absent);
        assert_eq!(n("x=1").or(10), Some(10));
        assert_eq!(n("n=-1"), Number::Invalid);
        assert_eq!(n("n=a").key_form(), n("n=b").key_form());
        assert_ne!(n("n=a").key_form(), n("n=1").key_form());
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
