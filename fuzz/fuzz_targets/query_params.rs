//! Legacy query-string parsing: Werkzeug decoding, first occurrence wins, `ci`, decimals and
//! Python-style unquoting must accept any input without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use peba::compat::params::{Params, decimal, unquote, unquote_plus};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let params = Params::parse(Some(&text));
    let _ = params.domain();
    let _ = params.wants_json();
    for name in ["time", "ci", "topx", "days", "monthOffset", "offset", "direction", "type", "day", "values", "gte", "lt", "ip", "out"] {
        if let Some(value) = params.get(name) {
            let _ = decimal(value);
        }
        let _ = params.non_empty(name);
    }
    let _ = decimal(&text);
    let unquoted = unquote(&text);
    assert!(unquoted.len() <= text.len() * 3 + 3);
    let _ = unquote_plus(&text);
    let _ = peba::compat::windows::parse_compact_day(&text);
});
