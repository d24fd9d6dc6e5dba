//! The few Python behaviours the legacy documents depend on: `repr(float)`, `json.dumps` of a
//! string dictionary and `urllib.parse.unquote`.

pub use crate::domain::unquote;
use std::fmt::Write as _;

/// Python's `repr(float)`: the shortest text that reads back as the same number, with at least
/// one decimal digit (`51.2993`, `-97.822`, `0.0`), in exponent form below 1e-4 and from 1e16
/// on (`1e-05`, `1e+16`). Not-a-number and infinities give `nan`, `inf`, `-inf`.
pub fn float_repr(value: f64) -> String {
    if value.is_nan() {
        return "nan".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    if value == 0.0 {
        return if value.is_sign_negative() {
            "-0.0"
        } else {
            "0.0"
        }
        .to_owned();
    }
    // Shortest round-trip digits and the decimal exponent, e.g. "5.12993e1".
    let sci = format!("{value:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-4..16).contains(&exponent) {
        let mut fixed = format!("{value}");
        if !fixed.contains('.') {
            fixed.push_str(".0");
        }
        fixed
    } else {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.unsigned_abs())
    }
}

/// Python's `json.dumps` of a `dict` of strings with default arguments: keys in the given order,
/// `", "` and `": "` separators, non-ASCII characters escaped as `\uXXXX` (surrogate pairs above
/// U+FFFF).
pub fn json_dumps_object<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::from("{");
    for (index, (key, value)) in entries.into_iter().enumerate() {
        if index > 0 {
            out.push_str(", ");
        }
        json_string(&mut out, key);
        out.push_str(": ");
        json_string(&mut out, value);
    }
    out.push('}');
    out
}

/// Appends a JSON string literal the way Python's `json.dumps(..., ensure_ascii=True)` writes it
/// (also Flask's `jsonify`): printable ASCII as is, everything else (DEL included) as `\uXXXX`.
pub fn json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_like_python() {
        for (value, expected) in [
            (51.2993, "51.2993"),
            (-97.822, "-97.822"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (9.0, "9.0"),
            (-180.0, "-180.0"),
            (37.751, "37.751"),
            (0.1, "0.1"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-0.000012, "-1.2e-05"),
            (1e16, "1e+16"),
            (1234567890123456.0, "1234567890123456.0"),
            (1.0 / 3.0, "0.3333333333333333"),
            (f64::NAN, "nan"),
            (f64::NEG_INFINITY, "-inf"),
        ] {
            assert_eq!(float_repr(value), expected);
        }
    }

    #[test]
    fn json_like_python() {
        assert_eq!(json_dumps_object([]), "{}");
        assert_eq!(
            json_dumps_object([("protocol", "ssh")]),
            r#"{"protocol": "ssh"}"#
        );
        assert_eq!(
            json_dumps_object([("payload_md5", "abc"), ("protocol", "ftp")]),
            r#"{"payload_md5": "abc", "protocol": "ftp"}"#
        );
        assert_eq!(
            json_dumps_object([("payload", "a\"b\\c\nd\te\u{1}\u{7f}é€😀")]),
            r#"{"payload": "a\"b\\c\nd\te\u0001\u007fé€😀"}"#
                .replace('é', "\\u00e9")
                .replace('€', "\\u20ac")
                .replace('😀', "\\ud83d\\ude00")
        );
    }

    #[test]
    fn unquote_like_python() {
        for (input, expected) in [
            ("", ""),
            ("/a%20b", "/a b"),
            ("a+b", "a+b"),
            ("%41%4a%4A", "AJJ"),
            ("100%", "100%"),
            ("%zz%4", "%zz%4"),
            ("%C3%A9t%C3%A9", "été"),
            ("%C3", "\u{fffd}"),
            ("%C3x", "\u{fffd}x"),
            ("é%A9", "é\u{fffd}"),
            ("%E2%82", "\u{fffd}"),
            ("%FF%FE", "\u{fffd}\u{fffd}"),
            ("%F0%9F%98%80", "😀"),
        ] {
            assert_eq!(unquote(input), expected, "{input}");
        }
    }
}
