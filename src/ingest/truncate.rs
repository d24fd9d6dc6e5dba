//! Bounds the free-text fields of stored alerts (`max_field_bytes`). A longer value keeps its
//! start, cut at a character boundary, followed by [`TRUNCATED`], so that it is at most the
//! limit long. Ids are computed before, from the values as sent.

use crate::domain::Alert;
use std::borrow::Cow;

/// The end of every cut value.
pub const TRUNCATED: &str = "...[truncated]";

/// `text`, cut to at most `max` bytes (marker included) when longer.
pub fn cut(text: &str, max: usize) -> Cow<'_, str> {
    if text.len() <= max {
        return Cow::Borrowed(text);
    }
    let mut end = max.saturating_sub(TRUNCATED.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}{TRUNCATED}", &text[..end]))
}

fn cut_in_place(text: &mut String, max: usize) {
    if let Cow::Owned(cut) = cut(text, max) {
        *text = cut;
    }
}

/// Cuts every free-text field of `alert` that the sender controls (`additionalData` values are
/// cut before they are written as JSON, see [`crate::ingest::build_alert`]).
pub fn truncate_fields(alert: &mut Alert, max: usize) {
    for text in [
        &mut alert.original_request_string,
        &mut alert.vulnid,
        &mut alert.peer_ident,
        &mut alert.session_start,
        &mut alert.session_end,
        &mut alert.hostname,
        &mut alert.rawhttp,
    ] {
        cut_in_place(text, max);
    }
    for text in [
        &mut alert.source_entry_port,
        &mut alert.target_entry_port,
        &mut alert.username,
        &mut alert.password,
        &mut alert.login,
        &mut alert.targetport,
        &mut alert.client_version,
    ]
    .into_iter()
    .flatten()
    {
        cut_in_place(text, max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_stay_and_long_ones_end_in_the_marker() {
        assert_eq!(cut("abc", 3), "abc");
        let long = "x".repeat(100);
        let cut_value = cut(&long, 40);
        assert_eq!(cut_value.len(), 40);
        assert!(cut_value.ends_with(TRUNCATED));
        assert!(cut_value.starts_with("xxxx"));
    }

    #[test]
    fn cuts_at_character_boundaries() {
        let long = "é".repeat(100);
        let cut_value = cut(&long, 41);
        assert!(cut_value.len() <= 41);
        assert!(cut_value.ends_with(TRUNCATED));
        assert!(
            cut_value
                .trim_end_matches(TRUNCATED)
                .chars()
                .all(|c| c == 'é')
        );
    }
}
