//! Python's text escapes, as PEBA applied them to what it stored and showed.

/// Python's `urllib.parse.unquote`: percent escapes decoded as UTF-8 (invalid sequences
/// replaced); malformed escapes stay as they are.
pub fn unquote(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// Python's `html.escape(s, quote=True)`.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquote_like_python() {
        assert_eq!(unquote("a%20b+c"), "a b+c");
        assert_eq!(unquote("100%"), "100%");
        assert_eq!(unquote("%zz%3C"), "%zz<");
        assert_eq!(unquote("%C3%A4"), "\u{e4}");
        assert_eq!(unquote("%FF"), "\u{FFFD}");
    }

    #[test]
    fn html_escape_like_python() {
        assert_eq!(
            html_escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;"
        );
    }
}
