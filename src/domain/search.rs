//! Free-text search: the text a filter looks for in an alert's request, username and password.
//!
//! The match is a substring match in which ASCII letters match in either case (`wget` finds
//! `/usr/bin/WGET -q …`); every other character, including non-ASCII letters, must be equal.
//! Both stores and the live feed decide it exactly this way.

use super::Alert;
use std::ops::RangeInclusive;

/// Text searched in alerts, its length checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SearchText(String);

/// Why a search text is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchTextError {
    /// Too short or too long, in characters.
    #[error(
        "the search text must be {min} to {max} characters long, not {0}",
        min = SearchText::CHARS.start(),
        max = SearchText::CHARS.end()
    )]
    Length(usize),
    /// A NUL character, which SQLite's full-text queries end at.
    #[error("the search text must not contain the NUL character")]
    Nul,
}

impl SearchText {
    /// Accepted lengths in characters: at least a trigram (the embedded store's index unit),
    /// at most what keeps every store's query small.
    pub const CHARS: RangeInclusive<usize> = 3..=200;

    /// The text, when its length is in [`Self::CHARS`].
    pub fn parse(text: &str) -> Result<Self, SearchTextError> {
        let chars = text.chars().count();
        if !Self::CHARS.contains(&chars) {
            return Err(SearchTextError::Length(chars));
        }
        if text.contains('\0') {
            return Err(SearchTextError::Nul);
        }
        Ok(SearchText(text.to_owned()))
    }

    /// The text as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text with ASCII letters in lower case: what folded field values must contain.
    pub fn folded(&self) -> String {
        self.0.to_ascii_lowercase()
    }

    /// Whether `value` contains the text, ASCII letters in either case.
    pub fn found_in(&self, value: &str) -> bool {
        value.to_ascii_lowercase().contains(&self.folded())
    }

    /// Whether one of the fields searched in `alert` contains the text.
    pub fn found_in_alert(&self, alert: &Alert) -> bool {
        searched_fields(alert)
            .into_iter()
            .flatten()
            .any(|value| self.found_in(value))
    }
}

/// The fields a search looks in: the request (URL, command input, request line), the username
/// and the password.
pub fn searched_fields(alert: &Alert) -> [Option<&str>; 3] {
    [
        Some(alert.original_request_string.as_str()),
        alert.username.as_deref(),
        alert.password.as_deref(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_bounded_in_characters_and_nul_is_refused() {
        assert_eq!(SearchText::parse("wg"), Err(SearchTextError::Length(2)));
        assert_eq!(SearchText::parse("php\0"), Err(SearchTextError::Nul));
        assert!(SearchText::parse("攻撃者").is_ok());
        assert!(SearchText::parse(&"x".repeat(200)).is_ok());
        assert_eq!(
            SearchText::parse(&"x".repeat(201)).unwrap_err().to_string(),
            "the search text must be 3 to 200 characters long, not 201"
        );
    }

    #[test]
    fn ascii_letters_match_in_either_case_and_nothing_else_is_folded() {
        let wget = SearchText::parse("wget").unwrap();
        assert!(wget.found_in("cd /tmp; /usr/bin/WGET -q http://x"));
        assert!(!wget.found_in("w get"));
        let umlaut = SearchText::parse("Ünï").unwrap();
        assert!(umlaut.found_in("xÜNïx"));
        assert!(!umlaut.found_in("xÜNÏx"));
        assert!(umlaut.found_in("Ünïcödé"));
        assert!(!umlaut.found_in("ünïcödé"));
        let pattern = SearchText::parse("a*c").unwrap();
        assert!(!pattern.found_in("abc"));
        assert!(pattern.found_in("xA*Cx"));
    }
}
