//! The legacy JSON form (Flask `jsonify`): object keys sorted by code point at every level,
//! compact separators, everything outside printable ASCII written as `\uXXXX` (lower-case
//! hex, surrogate pairs above the BMP), and a trailing newline.

use crate::ingest::pyfmt::json_string;
use serde_json::Value;

/// Serialises `value` in the legacy form, including the trailing newline.
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out.push('\n');
    out
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => json_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            // Sorted explicitly: the map's own order depends on serde_json features.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(out, key);
                out.push(':');
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_sorted_at_every_level() {
        let v = json!({"b": 1, "a": {"z": [ {"y": 1, "X": 2} ], "_": null}, "A": true, "1": false});
        assert_eq!(
            to_string(&v),
            "{\"1\":false,\"A\":true,\"a\":{\"_\":null,\"z\":[{\"X\":2,\"y\":1}]},\"b\":1}\n"
        );
    }

    #[test]
    fn non_ascii_is_escaped() {
        let v = json!("Köln \u{1F600} \"q\" \\ \n\t\u{01}\u{7f}/");
        assert_eq!(
            to_string(&v),
            "\"K\\u00f6ln \\ud83d\\ude00 \\\"q\\\" \\\\ \\n\\t\\u0001\\u007f/\"\n"
        );
    }

    #[test]
    fn plain_values() {
        assert_eq!(to_string(&json!("Nope")), "\"Nope\"\n");
        assert_eq!(to_string(&json!([])), "[]\n");
        assert_eq!(to_string(&json!({})), "{}\n");
        assert_eq!(
            to_string(&json!({"AlertCount": false})),
            "{\"AlertCount\":false}\n"
        );
        assert_eq!(to_string(&json!(0.42)), "0.42\n");
    }
}
