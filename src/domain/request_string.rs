//! The display form of an alert's request, as the legacy ticker (`retrieveAlertsJson`
//! `requestString`) shows it HTML-escaped and GraphQL `displayRequest` shows it raw (legacy
//! rules, plus decision 8 for cowrie input sent as a Python list).

use super::Alert;
use super::text::{html_escape, unquote};

const COWRIE: &str = "SSH/console(cowrie)";
const HERALDING: &str = "Passwords(heralding)";

impl Alert {
    /// The request as the legacy ticker shows it (HTML-escaped; the credentials for login
    /// honeypots without a request).
    pub fn display_request(&self) -> String {
        build(
            &self.peer_type,
            &self.original_request_string,
            self.username.as_deref(),
            self.password.as_deref(),
            self.login.as_deref(),
        )
    }

    /// The same display form without HTML escaping, for clients that escape themselves.
    pub fn display_request_raw(&self) -> String {
        compose(
            &self.peer_type,
            &self.original_request_string,
            self.username.as_deref(),
            self.password.as_deref(),
            self.login.as_deref(),
            str::to_owned,
        )
    }
}

/// The escaped display form (see [`compose`]).
fn build(
    peer_type: &str,
    request: &str,
    username: Option<&str>,
    password: Option<&str>,
    login: Option<&str>,
) -> String {
    compose(peer_type, request, username, password, login, html_escape)
}

/// The rules, in order:
/// 1. cowrie or heralding with an empty request: the credentials string;
/// 2. cowrie: the input as a Python list → commands joined with `; ` (decision 8); otherwise
///    the legacy rule (escape, line feeds to `"; "`, drop the first two characters);
/// 3. anything else: percent-decoded, then escaped.
///
/// `escape` is Python's `html.escape` for the legacy form and the identity for the raw one.
fn compose(
    peer_type: &str,
    request: &str,
    username: Option<&str>,
    password: Option<&str>,
    login: Option<&str>,
    escape: fn(&str) -> String,
) -> String {
    let cowrie = peer_type.contains(COWRIE);
    if (cowrie || peer_type.contains(HERALDING)) && request.is_empty() {
        let mut s = match username {
            Some(u) => format!("Username: \"{}\"", unquote(u)),
            None => "Username: <none>".to_owned(),
        };
        match password {
            Some(p) => s.push_str(&format!(" | Password: \"{}\"", unquote(p))),
            None => s.push_str(" | Password: <none>"),
        }
        if let (true, Some(login)) = (cowrie, login) {
            s.push_str(" | Status: ");
            s.push_str(login);
        }
        return escape(&s);
    }
    if cowrie {
        if let Some(commands) = python_list(request) {
            return escape(&commands.join("; "));
        }
        let joined = escape(request).replace('\n', "; ");
        return joined.chars().skip(2).collect();
    }
    escape(&unquote(request))
}

/// Reads the Python `repr` of a list of strings (`['a', "b'c"]`); `None` for anything else.
fn python_list(text: &str) -> Option<Vec<String>> {
    let inner = text.strip_prefix('[')?.strip_suffix(']')?;
    let mut items = Vec::new();
    let mut chars = inner.chars().peekable();
    if chars.peek().is_none() {
        return Some(items);
    }
    loop {
        let quote = chars.next().filter(|q| *q == '\'' || *q == '"')?;
        let mut item = String::new();
        loop {
            match chars.next()? {
                c if c == quote => break,
                '\\' => item.push(unescape(&mut chars)?),
                c => item.push(c),
            }
        }
        items.push(item);
        match chars.next() {
            None => return Some(items),
            Some(',') => {
                if chars.next() != Some(' ') {
                    return None;
                }
            }
            Some(_) => return None,
        }
    }
}

fn unescape(chars: &mut impl Iterator<Item = char>) -> Option<char> {
    let hex = |chars: &mut dyn Iterator<Item = char>, n: usize| -> Option<char> {
        let digits: String = chars.take(n).collect();
        if digits.len() != n {
            return None;
        }
        char::from_u32(u32::from_str_radix(&digits, 16).ok()?)
    };
    Some(match chars.next()? {
        '\\' => '\\',
        '\'' => '\'',
        '"' => '"',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'x' => hex(chars, 2)?,
        'u' => hex(chars, 4)?,
        'U' => hex(chars, 8)?,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_examples() {
        assert_eq!(
            build(HERALDING, "", Some("root"), Some("passw0rd"), None),
            "Username: &quot;root&quot; | Password: &quot;passw0rd&quot;"
        );
        assert_eq!(
            build(COWRIE, "\nls -la\nuname -a", None, None, None),
            "ls -la; uname -a"
        );
        assert_eq!(
            build(COWRIE, "", None, Some("passw0rd"), Some("")),
            "Username: &lt;none&gt; | Password: &quot;passw0rd&quot; | Status: "
        );
        assert_eq!(
            build("Webpage", "/index.php?a=%3Cscript%3E&b=1", None, None, None),
            "/index.php?a=&lt;script&gt;&amp;b=1"
        );
    }

    #[test]
    fn raw_form_keeps_the_text() {
        let raw = |peer_type: &str, request: &str, username: Option<&str>| {
            compose(
                peer_type,
                request,
                username,
                Some("x'y"),
                None,
                str::to_owned,
            )
        };
        assert_eq!(
            raw("Webpage", "/index.php?a=%3Cscript%3E&b=1", None),
            "/index.php?a=<script>&b=1"
        );
        assert_eq!(
            raw(HERALDING, "", Some("<root>")),
            "Username: \"<root>\" | Password: \"x'y\""
        );
        assert_eq!(
            raw(COWRIE, r#"['echo "a<b"', "it's"]"#, None),
            "echo \"a<b\"; it's"
        );
        assert_eq!(raw(COWRIE, "a\nb<c", None), " b<c");
    }

    #[test]
    fn credentials_string_details() {
        // heralding never shows the login status; both fields percent-decoded first
        assert_eq!(
            build(HERALDING, "", Some("a%20b"), None, Some("Success")),
            "Username: &quot;a b&quot; | Password: &lt;none&gt;"
        );
        assert_eq!(
            build(COWRIE, "", Some("root"), Some("x'y"), Some("Success")),
            "Username: &quot;root&quot; | Password: &quot;x&#x27;y&quot; | Status: Success"
        );
        // the peer type only has to contain the name
        assert_eq!(
            build("X SSH/console(cowrie) Y", "", Some("u"), Some("p"), None),
            "Username: &quot;u&quot; | Password: &quot;p&quot;"
        );
    }

    #[test]
    fn cowrie_list_input_is_joined() {
        assert_eq!(
            build(
                COWRIE,
                "['uname -a', 'cat /proc/cpuinfo']",
                None,
                None,
                None
            ),
            "uname -a; cat /proc/cpuinfo"
        );
        assert_eq!(
            build(COWRIE, r#"['echo "a<b"', "it's"]"#, None, None, None),
            "echo &quot;a&lt;b&quot;; it&#x27;s"
        );
        assert_eq!(build(COWRIE, "[]", None, None, None), "");
        assert_eq!(
            build(COWRIE, r"['a\nb', 'c\\d', '\x41\u00e4']", None, None, None),
            "a\nb; c\\d; A\u{e4}"
        );
    }

    #[test]
    fn cowrie_legacy_rule_otherwise() {
        assert_eq!(build(COWRIE, "ls", None, None, None), "");
        assert_eq!(build(COWRIE, "a\nb<c", None, None, None), " b&lt;c");
        // not a list repr: legacy rule
        assert_eq!(build(COWRIE, "[oops]", None, None, None), "ops]");
        // no percent-decoding for cowrie input
        assert_eq!(build(COWRIE, "\n%41", None, None, None), "%41");
    }

    #[test]
    fn other_requests_are_decoded_then_escaped() {
        assert_eq!(
            build(
                "Network(Dionaea)",
                "Attack on port 445/tcp",
                None,
                None,
                None
            ),
            "Attack on port 445/tcp"
        );
        assert_eq!(
            build("Service(ES)", "/_search?q=%22x%22", None, None, None),
            "/_search?q=&quot;x&quot;"
        );
        // heralding with a request is decoded like anything else
        assert_eq!(build(HERALDING, "a%2Bb", None, None, None), "a+b");
    }

    #[test]
    fn python_lists() {
        assert_eq!(
            python_list("['a', 'b']"),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(python_list("['a','b']"), None);
        assert_eq!(python_list("['a', b]"), None);
        assert_eq!(python_list("['a'"), None);
        assert_eq!(python_list("['a' ]"), None);
        assert_eq!(python_list("['\\q']"), None);
    }
}
