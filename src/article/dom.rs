//! A compact copy of the page's tree for extraction: html5ever parses the page as a browser
//! would (broken markup repaired), then the elements and text are laid out in one arena in
//! document order, so that every pass is a loop over indices — no recursion, however deep the
//! page nests — and the parser's own tree is dropped.

use scraper::{Html, Node as HtmlNode};

/// No node.
pub const NONE: u32 = u32::MAX;

/// One element or text node.
#[derive(Debug, Clone)]
pub struct Node {
    pub parent: u32,
    /// One past the last node of this node's subtree (nodes are in document order).
    pub end: u32,
    pub depth: u32,
    pub kind: Kind,
}

#[derive(Debug, Clone)]
pub enum Kind {
    Element(Element),
    /// A text node's text (not yet whitespace-collapsed).
    Text(String),
}

#[derive(Debug, Clone, Default)]
pub struct Element {
    /// Lowercase tag name.
    pub tag: String,
    pub id: String,
    pub class: String,
    /// The attributes extraction reads, when present.
    pub attrs: Vec<(String, String)>,
}

/// Attributes kept besides `id` and `class`.
const KEPT_ATTRIBUTES: &[&str] = &[
    "itemprop",
    "itemtype",
    "role",
    "hidden",
    "aria-hidden",
    "style",
    "href",
    "rel",
    "datetime",
    "content",
    "name",
    "property",
    "type",
    "lang",
    "http-equiv",
    "data-testid",
];

impl Element {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The page as an arena of nodes in document order; node 0 is the document.
pub struct Dom {
    pub nodes: Vec<Node>,
}

impl Dom {
    /// Parse `html` (a whole page).
    pub fn parse(html: &str) -> Self {
        let parsed = Html::parse_document(&limit_depth(html));
        let mut nodes = vec![Node {
            parent: NONE,
            end: 0,
            depth: 0,
            kind: Kind::Element(Element {
                tag: "#document".into(),
                ..Element::default()
            }),
        }];
        // (arena index of the open element) for each open level of the traversal.
        let mut open: Vec<u32> = vec![0];
        for edge in parsed.tree.root().traverse() {
            match edge {
                ego_tree::iter::Edge::Open(node) => {
                    let kind = match node.value() {
                        HtmlNode::Element(e) => {
                            let mut element = Element {
                                tag: e.name().to_ascii_lowercase(),
                                ..Element::default()
                            };
                            for (name, value) in e.attrs() {
                                match name {
                                    "id" => element.id = value.to_string(),
                                    "class" => element.class = value.to_string(),
                                    _ if KEPT_ATTRIBUTES.contains(&name) => {
                                        element.attrs.push((name.to_string(), value.to_string()))
                                    }
                                    _ => {}
                                }
                            }
                            Kind::Element(element)
                        }
                        HtmlNode::Text(t) => Kind::Text(t.text.to_string()),
                        _ => continue,
                    };
                    let is_element = matches!(kind, Kind::Element(_));
                    let parent = *open.last().expect("the document stays open");
                    nodes.push(Node {
                        parent,
                        end: 0,
                        depth: open.len() as u32,
                        kind,
                    });
                    let at = nodes.len() as u32 - 1;
                    if is_element {
                        open.push(at);
                    } else {
                        nodes[at as usize].end = at + 1;
                    }
                }
                ego_tree::iter::Edge::Close(node) => {
                    if matches!(node.value(), HtmlNode::Element(_)) {
                        if let Some(at) = open.pop() {
                            nodes[at as usize].end = nodes.len() as u32;
                        }
                    }
                }
            }
        }
        nodes[0].end = nodes.len() as u32;
        drop(parsed);
        Dom { nodes }
    }

    pub fn element(&self, at: u32) -> Option<&Element> {
        match &self.nodes[at as usize].kind {
            Kind::Element(e) => Some(e),
            Kind::Text(_) => None,
        }
    }

    pub fn tag(&self, at: u32) -> &str {
        self.element(at).map_or("", |e| e.tag.as_str())
    }

    /// The nodes of `at`'s subtree, `at` included, in document order.
    pub fn subtree(&self, at: u32) -> std::ops::Range<u32> {
        at..self.nodes[at as usize].end
    }

    /// Whether `inner` is `outer` or inside it.
    pub fn contains(&self, outer: u32, inner: u32) -> bool {
        self.subtree(outer).contains(&inner)
    }

    /// `at`'s ancestors, nearest first.
    pub fn ancestors(&self, at: u32) -> impl Iterator<Item = u32> + '_ {
        std::iter::successors(Some(self.nodes[at as usize].parent), |&p| {
            (p != NONE).then(|| self.nodes[p as usize].parent)
        })
        .take_while(|&p| p != NONE)
    }

    /// The elements named `tag`, in document order.
    pub fn find_all<'a>(&'a self, tag: &'a str) -> impl Iterator<Item = u32> + 'a {
        (0..self.nodes.len() as u32).filter(move |&i| self.tag(i) == tag)
    }

    /// The text of `at`'s subtree, whitespace collapsed, skipping the subtrees `skip` marks.
    pub fn text_of(&self, at: u32, skip: &dyn Fn(u32) -> bool) -> String {
        let mut out = String::new();
        let mut i = at;
        let end = self.nodes[at as usize].end;
        while i < end {
            if i != at && skip(i) {
                i = self.nodes[i as usize].end;
                continue;
            }
            match &self.nodes[i as usize].kind {
                Kind::Text(t) => push_collapsed(&mut out, t),
                Kind::Element(e) if is_break(&e.tag) => push_space(&mut out),
                Kind::Element(_) => {}
            }
            i += 1;
        }
        out.trim().to_string()
    }
}

/// The deepest nesting kept: the parser checks its stack of open elements at every tag, so a
/// page nested 100,000 deep would take minutes; deeper start tags are dropped (their content
/// stays, one level up), as browsers cap the depth of the trees they build (Blink at 512).
pub const MAX_DEPTH: usize = 512;

/// Elements without an end tag.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "keygen",
];

/// Elements whose content is raw text up to their end tag.
const RAW: &[&str] = &[
    "script",
    "style",
    "textarea",
    "title",
    "xmp",
    "plaintext",
    "noscript",
];

/// `html` with the start tags beyond [`MAX_DEPTH`] removed (borrowed when none are). The scan
/// is a tokenizer's approximation: comments and raw-text elements are skipped, quoted attribute
/// values may hold `>`.
pub fn limit_depth(html: &str) -> std::borrow::Cow<'_, str> {
    let bytes = html.as_bytes();
    let mut depth = 0usize;
    let mut cut: Vec<std::ops::Range<usize>> = Vec::new();
    let mut i = 0;
    while let Some(offset) = bytes[i..].iter().position(|&b| b == b'<') {
        let start = i + offset;
        if bytes[start..].starts_with(b"<!--") {
            i = find_from(bytes, start + 4, b"-->").map_or(bytes.len(), |e| e + 3);
            continue;
        }
        let closing = bytes.get(start + 1) == Some(&b'/');
        let name_at = start + 1 + usize::from(closing);
        let name_end = bytes[name_at..]
            .iter()
            .position(|b| !b.is_ascii_alphanumeric() && *b != b'-')
            .map_or(bytes.len(), |p| name_at + p);
        if name_end == name_at || !bytes[name_at].is_ascii_alphabetic() {
            i = start + 1;
            continue;
        }
        let end = tag_end(bytes, name_end);
        let name = html[name_at..name_end].to_ascii_lowercase();
        if closing {
            depth = depth.saturating_sub(1);
        } else if !VOID.contains(&name.as_str()) && bytes[end - 2] != b'/' {
            if RAW.contains(&name.as_str()) {
                let close = format!("</{name}");
                i = find_from_ignore_case(bytes, end, close.as_bytes()).unwrap_or(bytes.len());
                continue;
            }
            depth += 1;
            if depth > MAX_DEPTH {
                cut.push(start..end);
                depth -= 1;
            }
        }
        i = end;
    }
    if cut.is_empty() {
        return std::borrow::Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut at = 0;
    for range in cut {
        out.push_str(&html[at..range.start]);
        at = range.end;
    }
    out.push_str(&html[at..]);
    std::borrow::Cow::Owned(out)
}

/// One past the `>` that ends the tag whose name ends at `from` (quotes respected).
fn tag_end(bytes: &[u8], from: usize) -> usize {
    let mut quote = None;
    for (k, &b) in bytes[from..].iter().enumerate() {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if b == q => quote = None,
            (None, b'>') => return from + k + 1,
            _ => {}
        }
    }
    bytes.len()
}

fn find_from(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

fn find_from_ignore_case(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
        .map(|p| from + p)
}

/// Elements that separate the words around them.
pub fn is_break(tag: &str) -> bool {
    matches!(
        tag,
        "br" | "p"
            | "div"
            | "li"
            | "td"
            | "th"
            | "tr"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "section"
            | "article"
            | "blockquote"
            | "figcaption"
            | "dt"
            | "dd"
            | "hr"
            | "img"
    )
}

/// Append `text` with runs of whitespace collapsed to one space.
pub fn push_collapsed(out: &mut String, text: &str) {
    for (i, word) in text.split(char::is_whitespace).enumerate() {
        if i > 0 {
            push_space(out);
        }
        out.push_str(word);
    }
}

/// A space, unless the text is empty or already ends with whitespace.
pub fn push_space(out: &mut String) {
    if !out.is_empty() && !out.ends_with([' ', '\n']) {
        out.push(' ');
    }
}

/// The words of `class` and `id` values: each name split at `-`, `_`, digits and lowercase →
/// uppercase steps, lowercased ("articleBody" → "article", "body").
pub fn name_words(value: &str) -> Vec<String> {
    let mut words = Vec::new();
    for name in value.split_whitespace() {
        let mut word = String::new();
        let mut previous_lower = false;
        for c in name.chars() {
            let boundary = !c.is_alphabetic() || (c.is_uppercase() && previous_lower);
            if boundary && !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            if c.is_alphabetic() {
                word.extend(c.to_lowercase());
            }
            previous_lower = c.is_lowercase();
        }
        if !word.is_empty() {
            words.push(word);
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_arena_keeps_document_order_and_subtrees() {
        let dom = Dom::parse("<p class=a>Un <b>deux</b></p><p>trois<br>quatre</p>");
        let ps: Vec<u32> = dom.find_all("p").collect();
        assert_eq!(ps.len(), 2);
        assert_eq!(dom.text_of(ps[0], &|_| false), "Un deux");
        assert_eq!(dom.text_of(ps[1], &|_| false), "trois quatre");
        assert_eq!(dom.element(ps[0]).unwrap().class, "a");
        let body = dom.find_all("body").next().unwrap();
        assert!(dom.contains(body, ps[1]) && !dom.contains(ps[0], ps[1]));
        assert_eq!(dom.ancestors(ps[0]).next(), Some(body));
    }

    #[test]
    fn deep_nesting_does_not_overflow_the_stack() {
        let page = "<div>".repeat(100_000) + "fond" + &"</div>".repeat(100_000);
        let dom = Dom::parse(&page);
        let root = dom.find_all("body").next().unwrap();
        assert_eq!(dom.text_of(root, &|_| false), "fond");
    }

    #[test]
    fn class_names_split_into_words() {
        assert_eq!(
            name_words("articleBody post-content share_buttons2 JP-relatedPosts"),
            ["article", "body", "post", "content", "share", "buttons", "jp", "related", "posts"]
        );
    }
}
