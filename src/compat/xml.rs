//! The legacy XML writer: the declaration glued to the root element, two spaces of indent
//! per level, one element per line, `<X />` for empty or null values and childless parents,
//! text escaped as `&amp;`, `&lt;`, `&gt;` only, and a final newline.

/// One element of a legacy XML answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// An element holding text (`None` or empty: written as `<X />`).
    Leaf(&'static str, Option<String>),
    /// An element holding elements (none: written as `<X />`).
    Parent(&'static str, Vec<Node>),
}

impl Node {
    /// A text element.
    pub fn text(name: &'static str, value: impl Into<String>) -> Node {
        Node::Leaf(name, Some(value.into()))
    }

    /// A text element that may be null.
    pub fn opt(name: &'static str, value: Option<&str>) -> Node {
        Node::Leaf(name, value.map(str::to_owned))
    }

    /// An element with children.
    pub fn parent(name: &'static str, children: Vec<Node>) -> Node {
        Node::Parent(name, children)
    }
}

/// The XML declaration every legacy XML answer starts with.
pub const DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

/// Serialises a whole document.
pub fn document(root: &Node) -> String {
    let mut out = String::from(DECLARATION);
    write_node(&mut out, root, 0);
    out
}

fn write_node(out: &mut String, node: &Node, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
    match node {
        Node::Leaf(name, Some(text)) if !text.is_empty() => {
            out.push('<');
            out.push_str(name);
            out.push('>');
            escape_into(out, text);
            out.push_str("</");
            out.push_str(name);
            out.push_str(">\n");
        }
        Node::Leaf(name, _) => empty(out, name),
        Node::Parent(name, children) if children.is_empty() => empty(out, name),
        Node::Parent(name, children) => {
            out.push('<');
            out.push_str(name);
            out.push_str(">\n");
            for child in children {
                write_node(out, child, depth + 1);
            }
            for _ in 0..depth {
                out.push_str("  ");
            }
            out.push_str("</");
            out.push_str(name);
            out.push_str(">\n");
        }
    }
}

fn empty(out: &mut String, name: &str) {
    out.push('<');
    out.push_str(name);
    out.push_str(" />\n");
}

/// Escapes text content: `&`, `<` and `>` only (quotes stay as they are).
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_list_form() {
        let doc = Node::parent(
            "EWSSimpleIPInfo",
            vec![Node::parent(
                "Sources",
                vec![Node::parent(
                    "Source",
                    vec![
                        Node::text("Address", "87.150.238.111"),
                        Node::text("Count", "41"),
                    ],
                )],
            )],
        );
        assert_eq!(
            document(&doc),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><EWSSimpleIPInfo>\n  <Sources>\n    <Source>\n      <Address>87.150.238.111</Address>\n      <Count>41</Count>\n    </Source>\n  </Sources>\n</EWSSimpleIPInfo>\n"
        );
    }

    #[test]
    fn empty_forms() {
        let doc = Node::parent("EWSSimpleIPInfo", vec![Node::parent("Sources", vec![])]);
        assert_eq!(
            document(&doc),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><EWSSimpleIPInfo>\n  <Sources />\n</EWSSimpleIPInfo>\n"
        );
        let doc = Node::parent(
            "A",
            vec![Node::opt("Request", None), Node::text("Request", "")],
        );
        assert_eq!(
            document(&doc),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><A>\n  <Request />\n  <Request />\n</A>\n"
        );
        assert_eq!(
            document(&Node::parent("Root", vec![])),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Root />\n"
        );
    }

    #[test]
    fn escaping_is_minimal() {
        let doc = Node::parent("A", vec![Node::text("R", "ls -la <x> & \"q\" 'a'")]);
        assert_eq!(
            document(&doc),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><A>\n  <R>ls -la &lt;x&gt; &amp; \"q\" 'a'</R>\n</A>\n"
        );
    }
}
