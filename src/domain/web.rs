//! What web honeypots record of a request, read out of the stored text: the `User-Agent` of the
//! raw HTTP request and the path of the requested URL. Both stores count the stored texts and
//! fold them into these values with [`DerivedCounts`], so their rankings are equal and exact.

use super::{TermCount, rank_terms};
use std::collections::HashMap;

/// A value read out of a stored text field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DerivedField {
    /// The `User-Agent` header of `rawhttp` (the decoded raw HTTP request).
    UserAgent,
    /// The path of `originalRequestString`: the URL without query and fragment.
    HttpPath,
}

impl DerivedField {
    /// The stored field (PEBA's document name) the value is read from.
    pub fn source(self) -> &'static str {
        match self {
            DerivedField::UserAgent => "rawhttp",
            DerivedField::HttpPath => "originalRequestString",
        }
    }

    /// The value in a stored text; `None` when the text holds none.
    pub fn read(self, stored: &str) -> Option<&str> {
        match self {
            DerivedField::UserAgent => user_agent(stored),
            DerivedField::HttpPath => http_path(stored),
        }
    }
}

/// The `User-Agent` header of an HTTP request (name matched case-insensitively, value
/// trimmed), unless absent or empty. Only the header block counts, not the body.
fn user_agent(request: &str) -> Option<&str> {
    request
        .lines()
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("user-agent")
                .then(|| value.trim())
        })
        .filter(|value| !value.is_empty())
}

/// The path of a requested URL: of `/path?query`, of `http(s)://host/path`, or of a request
/// line `GET /path HTTP/1.1`; `None` for any other text (e.g. `Attack on port 80/tcp`).
fn http_path(request: &str) -> Option<&str> {
    let request = request.trim();
    let target = match request.split_once(' ') {
        Some((method, rest)) if !method.starts_with('/') && !method.contains("://") => {
            let (target, version) = rest.rsplit_once(' ')?;
            version.starts_with("HTTP/").then_some(target)?
        }
        _ => request,
    };
    match target.split_once("://") {
        Some((scheme, rest))
            if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") =>
        {
            let path = rest.find(['/', '?', '#']).map_or("", |at| &rest[at..]);
            match path.split(['?', '#']).next().unwrap_or_default() {
                "" => Some("/"),
                path => Some(path),
            }
        }
        Some(_) => None,
        None => Some(target.split(['?', '#']).next().unwrap_or_default())
            .filter(|path| path.starts_with('/')),
    }
}

/// Counts of derived values, fed with stored texts and their counts.
#[derive(Debug)]
pub struct DerivedCounts {
    field: DerivedField,
    counts: HashMap<String, u64>,
}

impl DerivedCounts {
    /// No counts yet.
    pub fn new(field: DerivedField) -> Self {
        DerivedCounts {
            field,
            counts: HashMap::new(),
        }
    }

    /// Adds `count` alerts whose stored text is `stored`.
    pub fn add(&mut self, stored: &str, count: u64) {
        if let Some(value) = self.field.read(stored) {
            *self.counts.entry(value.to_owned()).or_default() += count;
        }
    }

    /// The `limit` most frequent values, ranked as [`rank_terms`].
    pub fn ranked(self, limit: usize) -> Vec<TermCount> {
        let mut terms: Vec<TermCount> = self
            .counts
            .into_iter()
            .map(|(key, count)| TermCount {
                key,
                count,
                label: None,
            })
            .collect();
        rank_terms(&mut terms);
        terms.truncate(limit);
        terms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_come_from_the_header_block() {
        let read = |text| DerivedField::UserAgent.read(text);
        assert_eq!(
            read("GET / HTTP/1.1\r\nHost: x\r\nuser-AGENT:  Mozilla/5.0 zgrab/0.x \r\n\r\n"),
            Some("Mozilla/5.0 zgrab/0.x")
        );
        assert_eq!(
            read("GET / HTTP/1.1\nUser-Agent: curl/8.0\n"),
            Some("curl/8.0")
        );
        assert_eq!(
            read("POST / HTTP/1.1\r\nHost: x\r\n\r\nUser-Agent: body"),
            None
        );
        assert_eq!(read("GET / HTTP/1.1\r\nUser-Agent:\r\n\r\n"), None);
        assert_eq!(read("User-Agent: first line is the request line"), None);
        assert_eq!(read("-"), None);
    }

    #[test]
    fn paths_drop_query_and_fragment() {
        let read = |text| DerivedField::HttpPath.read(text);
        assert_eq!(
            read("/phpmyadmin/index.php?lang=en"),
            Some("/phpmyadmin/index.php")
        );
        assert_eq!(read("/a#top"), Some("/a"));
        assert_eq!(read("/"), Some("/"));
        assert_eq!(read("http://example.org"), Some("/"));
        assert_eq!(read("HTTPS://example.org/x/y?z"), Some("/x/y"));
        assert_eq!(
            read("GET /cgi-bin/ViewLog.asp HTTP/1.1"),
            Some("/cgi-bin/ViewLog.asp")
        );
        assert_eq!(read("GET /a b HTTP/1.0"), Some("/a b"));
        assert_eq!(read("/a b?c d"), Some("/a b"));
        assert_eq!(read("GET /a"), None);
        assert_eq!(read("Attack on port 80/tcp"), None);
        assert_eq!(read("ftp://example.org/x"), None);
        assert_eq!(read("index.php"), None);
        assert_eq!(read(""), None);
    }

    #[test]
    fn counts_fold_stored_texts_into_values() {
        let mut counts = DerivedCounts::new(DerivedField::HttpPath);
        counts.add("/a?x=1", 2);
        counts.add("/a?x=2", 3);
        counts.add("/b", 5);
        counts.add("Attack on port 80/tcp", 9);
        counts.add("/c", 1);
        let ranked = counts.ranked(2);
        let keys: Vec<(&str, u64)> = ranked.iter().map(|t| (t.key.as_str(), t.count)).collect();
        assert_eq!(keys, [("/a", 5), ("/b", 5)]);
    }
}
