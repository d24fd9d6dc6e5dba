//! Streaming parser for EWS-SimpleMessage bodies.
//!
//! The parser keeps exactly what the ingest rules look at: the credentials and, for every
//! `Alert` element (at any depth below the root, in document order), its direct children in
//! document order. Element text follows Python's ElementTree: the character data (text, CDATA,
//! character references) before the element's first child element, comments and processing
//! instructions left out; no character data at all is *null* (`None`).
//!
//! Hostile input is refused rather than interpreted: any `DOCTYPE` (and so every entity
//! declaration) is an error; only the five predefined entities and numeric character references
//! are expanded. Element depth, attributes per element, the number of alerts and their children
//! are capped, and every step is linear in the body, so that a body within the HTTP size limit
//! can make the parser neither allocate without bound nor work for long.

use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

/// Deepest element nesting accepted.
pub const MAX_DEPTH: usize = 64;
/// Most `Alert` elements accepted in one message (ewsposter sends at most 100).
pub const MAX_ALERTS: usize = 10_000;
/// Most child elements kept for one alert.
pub const MAX_ALERT_CHILDREN: usize = 1_000;
/// Most attributes on one element (EWS elements carry at most four).
pub const MAX_ATTRIBUTES: usize = 32;

/// A parsed EWS-SimpleMessage.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EwsMessage {
    /// `Authentication/username` and `Authentication/token` (direct children of the root), or
    /// `None` when either is missing.
    pub credentials: Option<Credentials>,
    /// Every `Alert` element, in document order.
    pub alerts: Vec<RawAlert>,
}

/// The credentials of a message. An element without text gives the empty string.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Credentials {
    /// `Authentication/username`.
    pub username: String,
    /// `Authentication/token`.
    pub token: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// One `Alert` element: the direct children the ingest rules use, in document order. Unknown
/// children (e.g. `Classification`) are left out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawAlert {
    /// The children, in document order.
    pub children: Vec<AlertChild>,
}

/// A direct child of an `Alert` element. `None` stands for an absent attribute or for an
/// element without text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertChild {
    /// `<Analyzer id="…"/>`.
    Analyzer {
        /// The `id` attribute.
        id: Option<String>,
    },
    /// `<CreateTime tz="…">YYYY-MM-DD HH:MM:SS</CreateTime>`.
    CreateTime {
        /// The `tz` attribute.
        tz: Option<String>,
        /// The element text.
        text: Option<String>,
    },
    /// `<Source port="…" protocol="…">address</Source>`.
    Source(Endpoint),
    /// `<Target port="…" protocol="…">address</Target>`.
    Target(Endpoint),
    /// `<Request type="…">text</Request>`.
    Request {
        /// The `type` attribute.
        kind: Option<String>,
        /// The element text.
        text: Option<String>,
    },
    /// `<AdditionalData meaning="…">text</AdditionalData>`.
    AdditionalData {
        /// The `meaning` attribute.
        meaning: Option<String>,
        /// The element text.
        text: Option<String>,
    },
}

/// A `Source` or `Target` element.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Endpoint {
    /// The element text (the address).
    pub address: Option<String>,
    /// The `port` attribute.
    pub port: Option<String>,
    /// The `protocol` attribute.
    pub protocol: Option<String>,
}

/// Why a body is not an acceptable EWS-SimpleMessage.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EwsError {
    /// The body is empty.
    #[error("empty body")]
    Empty,
    /// The body is not UTF-8.
    #[error("body is not UTF-8 (invalid byte at offset {0})")]
    NotUtf8(usize),
    /// The body is not well-formed XML.
    #[error("malformed XML at byte {position}: {message}")]
    Malformed {
        /// Byte offset of the problem.
        position: u64,
        /// What is wrong.
        message: String,
    },
    /// The body has a document type declaration (and so possibly entity declarations).
    #[error("document type declarations and entities are not accepted")]
    DoctypeRefused,
    /// The body references an entity other than the five predefined ones.
    #[error(
        "undefined entity &{0}; (only the predefined entities and character references are accepted)"
    )]
    UndefinedEntity(String),
    /// The root element has no child elements.
    #[error("root element has no child elements")]
    NoChildElements,
    /// Elements are nested deeper than [`MAX_DEPTH`].
    #[error("elements nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// More than [`MAX_ALERTS`] alerts.
    #[error("more than {MAX_ALERTS} alerts in one message")]
    TooManyAlerts,
    /// An alert with more than [`MAX_ALERT_CHILDREN`] child elements.
    #[error("an alert has more than {MAX_ALERT_CHILDREN} child elements")]
    TooManyAlertChildren,
    /// An element with more than [`MAX_ATTRIBUTES`] attributes.
    #[error("an element has more than {MAX_ATTRIBUTES} attributes")]
    TooManyAttributes,
}

/// What an open element is, for the parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The root element.
    Root,
    /// `Authentication` directly below the root.
    Authentication,
    /// `username` / `token` directly below that `Authentication`.
    Credential(CredentialPart),
    /// An `Alert` element; the index into the alert list.
    Alert(usize),
    /// A direct child of the alert with that index, kept as `children[child]`.
    AlertChild { alert: usize, child: usize },
    /// Anything else.
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CredentialPart {
    Username,
    Token,
}

/// An open element: its role and whether character data still counts as its text (only
/// before its first child element).
struct Open {
    role: Role,
    collecting: bool,
}

/// Parser state beyond the element stack.
#[derive(Default)]
struct State {
    alerts: Vec<RawAlert>,
    /// Texts of alert children, parallel to `RawAlert::children`.
    texts: Vec<Vec<Option<String>>>,
    seen_authentication: bool,
    username: Option<Option<String>>,
    token: Option<Option<String>>,
    root_seen: bool,
    root_has_children: bool,
}

/// Parses an EWS-SimpleMessage body.
pub fn parse_message(body: &[u8]) -> Result<EwsMessage, EwsError> {
    if body.is_empty() {
        return Err(EwsError::Empty);
    }
    let text = std::str::from_utf8(body).map_err(|e| EwsError::NotUtf8(e.valid_up_to()))?;
    let mut reader = Reader::from_str(text);
    let config = reader.config_mut();
    config.check_end_names = true;
    config.expand_empty_elements = false;
    config.allow_unmatched_ends = false;
    config.check_comments = true;

    let mut stack: Vec<Open> = Vec::new();
    let mut state = State::default();
    let malformed = |reader: &Reader<&[u8]>, message: String| EwsError::Malformed {
        position: reader.error_position(),
        message,
    };

    loop {
        let event = reader
            .read_event()
            .map_err(|e| malformed(&reader, e.to_string()))?;
        match event {
            Event::Start(start) => {
                let open = open_element(&start, &mut stack, &mut state, &reader)?;
                stack.push(open);
            }
            Event::Empty(start) => {
                open_element(&start, &mut stack, &mut state, &reader)?;
            }
            Event::End(_) => {
                stack.pop();
            }
            Event::Text(text) => {
                let content = text.xml10_content();
                if stack.is_empty() {
                    if !content.chars().all(is_xml_whitespace) {
                        return Err(malformed(
                            &reader,
                            "text outside the root element".to_owned(),
                        ));
                    }
                } else {
                    append_text(&stack, &mut state, &content);
                }
            }
            Event::CData(cdata) => {
                if stack.is_empty() {
                    return Err(malformed(
                        &reader,
                        "CDATA outside the root element".to_owned(),
                    ));
                }
                let content = cdata.xml10_content();
                append_text(&stack, &mut state, &content);
            }
            Event::GeneralRef(reference) => {
                if stack.is_empty() {
                    return Err(malformed(
                        &reader,
                        "reference outside the root element".to_owned(),
                    ));
                }
                let resolved = resolve_reference(&reference, &reader)?;
                append_text(&stack, &mut state, resolved.encode_utf8(&mut [0; 4]));
            }
            Event::DocType(_) => return Err(EwsError::DoctypeRefused),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }

    if !stack.is_empty() {
        return Err(malformed(
            &reader,
            "unclosed element at end of body".to_owned(),
        ));
    }
    if !state.root_seen {
        return Err(malformed(&reader, "no root element".to_owned()));
    }
    if !state.root_has_children {
        return Err(EwsError::NoChildElements);
    }

    let credentials = match (state.username, state.token) {
        (Some(username), Some(token)) => Some(Credentials {
            username: username.unwrap_or_default(),
            token: token.unwrap_or_default(),
        }),
        _ => None,
    };
    let mut alerts = state.alerts;
    for (alert, texts) in alerts.iter_mut().zip(state.texts) {
        for (child, text) in alert.children.iter_mut().zip(texts) {
            set_text(child, text);
        }
    }
    Ok(EwsMessage {
        credentials,
        alerts,
    })
}

fn is_xml_whitespace(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Registers an opening tag and returns what it is.
fn open_element(
    start: &BytesStart<'_>,
    stack: &mut [Open],
    state: &mut State,
    reader: &Reader<&[u8]>,
) -> Result<Open, EwsError> {
    if stack.len() >= MAX_DEPTH {
        return Err(EwsError::TooDeep);
    }
    // Character data after a child element is that child's tail, not the parent's text.
    if let Some(parent) = stack.last_mut() {
        parent.collecting = false;
    }
    let name = start.name();
    let name = name.as_ref();
    let parent = stack.last().map(|open| open.role);
    let attributes = read_attributes(start, reader)?;
    let role = match parent {
        None => {
            if state.root_seen {
                return Err(EwsError::Malformed {
                    position: reader.error_position(),
                    message: "more than one root element".to_owned(),
                });
            }
            state.root_seen = true;
            Role::Root
        }
        Some(parent) => {
            if parent == Role::Root {
                state.root_has_children = true;
            }
            if name == "Alert" {
                if state.alerts.len() >= MAX_ALERTS {
                    return Err(EwsError::TooManyAlerts);
                }
                state.alerts.push(RawAlert::default());
                state.texts.push(Vec::new());
                Role::Alert(state.alerts.len() - 1)
            } else {
                match parent {
                    Role::Root if name == "Authentication" && !state.seen_authentication => {
                        state.seen_authentication = true;
                        Role::Authentication
                    }
                    Role::Authentication if name == "username" && state.username.is_none() => {
                        state.username = Some(None);
                        Role::Credential(CredentialPart::Username)
                    }
                    Role::Authentication if name == "token" && state.token.is_none() => {
                        state.token = Some(None);
                        Role::Credential(CredentialPart::Token)
                    }
                    Role::Alert(alert) => match (
                        alert_child(name, &attributes),
                        state.alerts.get_mut(alert),
                        state.texts.get_mut(alert),
                    ) {
                        (Some(child), Some(raw), Some(texts)) => {
                            if raw.children.len() >= MAX_ALERT_CHILDREN {
                                return Err(EwsError::TooManyAlertChildren);
                            }
                            raw.children.push(child);
                            texts.push(None);
                            Role::AlertChild {
                                alert,
                                child: raw.children.len() - 1,
                            }
                        }
                        _ => Role::Other,
                    },
                    _ => Role::Other,
                }
            }
        }
    };
    Ok(Open {
        role,
        collecting: true,
    })
}

/// The attributes of a tag, unescaped and normalised as XML 1.0 requires. quick-xml refuses
/// duplicate names (a hashed check, linear in the attributes).
fn read_attributes(
    start: &BytesStart<'_>,
    reader: &Reader<&[u8]>,
) -> Result<Vec<(String, String)>, EwsError> {
    let mut out = Vec::new();
    for attribute in start.attributes() {
        if out.len() == MAX_ATTRIBUTES {
            return Err(EwsError::TooManyAttributes);
        }
        let attribute: Attribute<'_> = attribute.map_err(|e| EwsError::Malformed {
            position: reader.error_position(),
            message: e.to_string(),
        })?;
        let value = attribute
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| attribute_error(e, reader))?;
        out.push((attribute.key.as_ref().to_owned(), value.into_owned()));
    }
    Ok(out)
}

fn attribute_error(error: quick_xml::Error, reader: &Reader<&[u8]>) -> EwsError {
    if let quick_xml::Error::Escape(quick_xml::escape::EscapeError::UnrecognizedEntity(_, name)) =
        &error
    {
        return EwsError::UndefinedEntity(name.clone());
    }
    EwsError::Malformed {
        position: reader.error_position(),
        message: error.to_string(),
    }
}

fn attribute(attributes: &[(String, String)], name: &str) -> Option<String> {
    attributes
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.clone())
}

/// The kept form of a direct child of an `Alert` (text filled in later).
fn alert_child(name: &str, attributes: &[(String, String)]) -> Option<AlertChild> {
    let endpoint = || Endpoint {
        address: None,
        port: attribute(attributes, "port"),
        protocol: attribute(attributes, "protocol"),
    };
    Some(match name {
        "Analyzer" => AlertChild::Analyzer {
            id: attribute(attributes, "id"),
        },
        "CreateTime" => AlertChild::CreateTime {
            tz: attribute(attributes, "tz"),
            text: None,
        },
        "Source" => AlertChild::Source(endpoint()),
        "Target" => AlertChild::Target(endpoint()),
        "Request" => AlertChild::Request {
            kind: attribute(attributes, "type"),
            text: None,
        },
        "AdditionalData" => AlertChild::AdditionalData {
            meaning: attribute(attributes, "meaning"),
            text: None,
        },
        _ => return None,
    })
}

fn set_text(child: &mut AlertChild, value: Option<String>) {
    match child {
        AlertChild::Analyzer { .. } => {}
        AlertChild::CreateTime { text, .. }
        | AlertChild::Request { text, .. }
        | AlertChild::AdditionalData { text, .. } => *text = value,
        AlertChild::Source(endpoint) | AlertChild::Target(endpoint) => endpoint.address = value,
    }
}

/// Adds character data to the text of the innermost open element, if it still collects text
/// and its text matters.
fn append_text(stack: &[Open], state: &mut State, content: &str) {
    let Some(open) = stack.last() else { return };
    if !open.collecting {
        return;
    }
    let slot = match open.role {
        Role::Credential(CredentialPart::Username) => state.username.as_mut(),
        Role::Credential(CredentialPart::Token) => state.token.as_mut(),
        Role::AlertChild { alert, child } => state
            .texts
            .get_mut(alert)
            .and_then(|texts| texts.get_mut(child)),
        _ => None,
    };
    if let Some(slot) = slot {
        slot.get_or_insert_with(String::new).push_str(content);
    }
}

/// Resolves `&name;` / `&#N;` / `&#xN;`: predefined entities and character references only.
fn resolve_reference(reference: &BytesRef<'_>, reader: &Reader<&[u8]>) -> Result<char, EwsError> {
    if reference.is_char_ref() {
        let c = reference
            .resolve_char_ref()
            .map_err(|e| EwsError::Malformed {
                position: reader.error_position(),
                message: e.to_string(),
            })?
            .ok_or_else(|| EwsError::Malformed {
                position: reader.error_position(),
                message: "invalid character reference".to_owned(),
            })?;
        if !is_xml_char(c) {
            return Err(EwsError::Malformed {
                position: reader.error_position(),
                message: format!("reference to invalid character U+{:04X}", u32::from(c)),
            });
        }
        return Ok(c);
    }
    match &**reference {
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "amp" => Ok('&'),
        "apos" => Ok('\''),
        "quot" => Ok('"'),
        other => Err(EwsError::UndefinedEntity(other.to_owned())),
    }
}

/// XML 1.0 `Char`.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"<EWS-SimpleMessage version="3.0">
  <Authentication>
    <username>community-01-user</username>
    <token>foth{a5maiCee8fineu7</token>
  </Authentication>
  <Alert>
    <Analyzer id="cowrie-community-01"/>
    <CreateTime tz="+0200">2024-06-24 12:00:00</CreateTime>
    <Source category="ipv4" port="50522" protocol="tcp">8.8.8.8</Source>
    <Target category="ipv4" port="22" protocol="tcp">87.150.238.182</Target>
    <Classification origin="o" ident="i" text="t"/>
    <Request type="description">SSH Honeypot Cowrie</Request>
    <AdditionalData type="string" meaning="username"/>
    <AdditionalData type="string" meaning="input">['uname -a', 'caf&#233; &amp; &lt;x&gt;']</AdditionalData>
  </Alert>
</EWS-SimpleMessage>"#;

    fn some(text: &str) -> Option<String> {
        Some(text.to_owned())
    }

    #[test]
    fn parses_credentials_and_children_in_order() {
        let message = parse_message(SAMPLE.as_bytes()).unwrap();
        assert_eq!(
            message.credentials,
            Some(Credentials {
                username: "community-01-user".into(),
                token: "foth{a5maiCee8fineu7".into(),
            })
        );
        assert_eq!(message.alerts.len(), 1);
        assert_eq!(
            message.alerts[0].children,
            vec![
                AlertChild::Analyzer {
                    id: some("cowrie-community-01")
                },
                AlertChild::CreateTime {
                    tz: some("+0200"),
                    text: some("2024-06-24 12:00:00")
                },
                AlertChild::Source(Endpoint {
                    address: some("8.8.8.8"),
                    port: some("50522"),
                    protocol: some("tcp")
                }),
                AlertChild::Target(Endpoint {
                    address: some("87.150.238.182"),
                    port: some("22"),
                    protocol: some("tcp")
                }),
                AlertChild::Request {
                    kind: some("description"),
                    text: some("SSH Honeypot Cowrie")
                },
                AlertChild::AdditionalData {
                    meaning: some("username"),
                    text: None
                },
                AlertChild::AdditionalData {
                    meaning: some("input"),
                    text: some("['uname -a', 'café & <x>']")
                },
            ]
        );
    }

    #[test]
    fn credentials_debug_hides_the_token() {
        let message = parse_message(SAMPLE.as_bytes()).unwrap();
        let debug = format!("{:?}", message.credentials);
        assert!(!debug.contains("foth"), "{debug}");
    }

    #[test]
    fn credentials_only_as_direct_children() {
        for body in [
            "<r><Authentication><username>u</username></Authentication></r>",
            "<r><Authentication><token>t</token></Authentication></r>",
            "<r><x><Authentication><username>u</username><token>t</token></Authentication></x></r>",
            "<r><Authentication><x><username>u</username><token>t</token></x></Authentication></r>",
        ] {
            assert_eq!(
                parse_message(body.as_bytes()).unwrap().credentials,
                None,
                "{body}"
            );
        }
        let message = parse_message(
            b"<r><Authentication><username>u</username><token/></Authentication></r>",
        )
        .unwrap();
        assert_eq!(
            message.credentials,
            Some(Credentials {
                username: "u".into(),
                token: String::new()
            })
        );
        // The first Authentication and the first username win, as with ElementTree's find().
        let message = parse_message(
            b"<r><Authentication><username>a</username><username>b</username><token>t</token>\
              </Authentication><Authentication><username>c</username><token>d</token>\
              </Authentication></r>",
        )
        .unwrap();
        assert_eq!(message.credentials.unwrap().username, "a");
    }

    #[test]
    fn alerts_at_any_depth_in_document_order() {
        let body = br#"<r><Alert><Analyzer id="a"/></Alert><x><y><Alert><Analyzer id="b"/>
            <Alert><Analyzer id="c"/></Alert></Alert></y></x></r>"#;
        let message = parse_message(body).unwrap();
        let ids: Vec<_> = message
            .alerts
            .iter()
            .map(|alert| alert.children.clone())
            .collect();
        assert_eq!(
            ids,
            vec![
                vec![AlertChild::Analyzer { id: some("a") }],
                vec![AlertChild::Analyzer { id: some("b") }],
                vec![AlertChild::Analyzer { id: some("c") }],
            ]
        );
    }

    #[test]
    fn element_text_like_elementtree() {
        let body = br#"<r><Alert>
            <Request type="url"></Request>
            <Request type="raw"><![CDATA[R0VU<>]]>&#x41;<!-- c -->B<b>child</b>tail</Request>
            <AdditionalData meaning="input"> </AdditionalData>
            <AdditionalData meaning="x">a&#13;&#10;b
c</AdditionalData>
            <Source port="1 &amp;&#9;2">1.2.3.4</Source>
            <Target>&#x31;.2.3.4</Target>
        </Alert></r>"#;
        let message = parse_message(body).unwrap();
        assert_eq!(
            message.alerts[0].children,
            vec![
                AlertChild::Request {
                    kind: some("url"),
                    text: None
                },
                AlertChild::Request {
                    kind: some("raw"),
                    text: some("R0VU<>AB")
                },
                AlertChild::AdditionalData {
                    meaning: some("input"),
                    text: some(" ")
                },
                AlertChild::AdditionalData {
                    meaning: some("x"),
                    text: some("a\r\nb\nc")
                },
                AlertChild::Source(Endpoint {
                    address: some("1.2.3.4"),
                    port: some("1 &\t2"),
                    protocol: None
                }),
                AlertChild::Target(Endpoint {
                    address: some("1.2.3.4"),
                    port: None,
                    protocol: None
                }),
            ]
        );
    }

    #[test]
    fn declaration_comments_and_instructions_are_fine() {
        let body =
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- hi --><?pi x?>\n<r><a/></r>\n";
        assert_eq!(parse_message(body).unwrap(), EwsMessage::default());
    }

    #[test]
    fn empty_and_non_utf8_bodies() {
        assert_eq!(parse_message(b""), Err(EwsError::Empty));
        assert_eq!(
            parse_message(b"<r><a>\xff</a></r>"),
            Err(EwsError::NotUtf8(6))
        );
    }

    #[test]
    fn root_without_child_elements() {
        for body in ["<r/>", "<r>text</r>", "<r><!-- c --></r>"] {
            assert_eq!(
                parse_message(body.as_bytes()),
                Err(EwsError::NoChildElements),
                "{body}"
            );
        }
    }

    #[test]
    fn malformed_bodies_are_errors() {
        for body in [
            "not xml",
            "<r><a></r>",
            "<r><a>",
            "<r></r><r2/>",
            "<r><a/></r><b/>",
            "<r><a/></r>trailing",
            "<r><a x='1' x='2'/></r>",
            "<r><a x=1/></r>",
            "</r>",
            "<r><a>&#0;</a></r>",
            "<r><a>&#xD800;</a></r>",
            "<r><a>&#1;</a></r>",
            "<r><a>& b</a></r>",
            "<r><!-- a -- b --><a/></r>",
        ] {
            match parse_message(body.as_bytes()) {
                Err(EwsError::Malformed { message, .. }) => assert!(!message.is_empty()),
                other => panic!("{body}: {other:?}"),
            }
        }
    }

    #[test]
    fn doctypes_are_refused() {
        let external = r#"<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<r><Alert><Request type="url">&xxe;</Request></Alert></r>"#;
        let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<lolz><a>&lol3;</a></lolz>"#;
        let plain = "<!DOCTYPE r><r><a/></r>";
        for body in [external, laughs, plain] {
            assert_eq!(
                parse_message(body.as_bytes()),
                Err(EwsError::DoctypeRefused)
            );
        }
    }

    #[test]
    fn undefined_entities_are_refused() {
        assert_eq!(
            parse_message(b"<r><a>&xxe;</a></r>"),
            Err(EwsError::UndefinedEntity("xxe".into()))
        );
        assert_eq!(
            parse_message(b"<r><a b='&xxe;'/></r>"),
            Err(EwsError::UndefinedEntity("xxe".into()))
        );
    }

    #[test]
    fn deep_nesting_is_refused() {
        let depth = 100_000;
        let body = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
        assert_eq!(parse_message(body.as_bytes()), Err(EwsError::TooDeep));
        let ok = format!("{}{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
        assert!(parse_message(ok.as_bytes()).is_ok());
    }

    #[test]
    fn alert_count_is_capped() {
        let body = format!("<r>{}</r>", "<Alert/>".repeat(MAX_ALERTS + 1));
        assert_eq!(parse_message(body.as_bytes()), Err(EwsError::TooManyAlerts));
        let body = format!("<r>{}</r>", "<Alert/>".repeat(MAX_ALERTS));
        assert_eq!(
            parse_message(body.as_bytes()).unwrap().alerts.len(),
            MAX_ALERTS
        );
    }

    #[test]
    fn attributes_are_capped() {
        let tag = |n: usize| {
            let attributes: String = (0..n).map(|i| format!(" a{i}='v'")).collect();
            format!("<r><Alert><Source{attributes}/></Alert></r>")
        };
        assert!(parse_message(tag(MAX_ATTRIBUTES).as_bytes()).is_ok());
        assert_eq!(
            parse_message(tag(MAX_ATTRIBUTES + 1).as_bytes()),
            Err(EwsError::TooManyAttributes)
        );
        let root: String = (0..300_000).map(|i| format!(" a{i}='v'")).collect();
        assert_eq!(
            parse_message(format!("<r{root}><x/></r>").as_bytes()),
            Err(EwsError::TooManyAttributes)
        );
    }

    #[test]
    fn duplicate_attributes_are_malformed() {
        assert!(matches!(
            parse_message(b"<r><a b='1' c='2' b='3'/></r>"),
            Err(EwsError::Malformed { .. })
        ));
    }

    #[test]
    fn alert_children_are_capped() {
        let body = format!(
            "<r><Alert>{}</Alert></r>",
            "<Request type='x'/>".repeat(MAX_ALERT_CHILDREN + 1)
        );
        assert_eq!(
            parse_message(body.as_bytes()),
            Err(EwsError::TooManyAlertChildren)
        );
    }
}
