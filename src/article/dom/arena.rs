//! The page in document order: nodes with their parent, the end of their subtree and their
//! depth; elements and text kept apart (all text in one buffer), so that a node costs a few
//! words and a 50 MB page a few times its size.

use html5ever::LocalName;

use crate::article::names::Names;

/// No node.
pub const NONE: u32 = u32::MAX;

/// One element or text node.
#[derive(Debug, Clone)]
pub struct Node {
    pub parent: u32,
    /// One past the last node of this node's subtree (nodes are in document order).
    pub end: u32,
    pub depth: u32,
    /// For a text node: its characters once whitespace runs are collapsed (a word and the space
    /// after it).
    pub chars: u32,
    pub(super) data: Data,
}

/// What a node holds.
#[derive(Debug, Clone, Copy)]
pub(super) enum Data {
    /// Index into the elements.
    Element(u32),
    /// Range of the text buffer.
    Text { start: u32, len: u32 },
}

/// An element: its tag, what its names say, and the attributes extraction reads.
#[derive(Debug, Clone)]
pub struct Element {
    pub name: LocalName,
    pub names: Names,
    pub(super) extra: Option<Box<Extra>>,
}

/// The id, class and kept attributes of an element that has any.
#[derive(Debug, Clone, Default)]
pub(super) struct Extra {
    pub id: String,
    pub class: String,
    /// Kept attributes, named by their entry in the sink's list (no allocation per name).
    pub attrs: Vec<(&'static str, String)>,
}

impl Element {
    /// The lowercase tag name.
    pub fn tag(&self) -> &str {
        &self.name
    }

    pub fn id(&self) -> &str {
        self.extra.as_ref().map_or("", |x| x.id.as_str())
    }

    pub fn class(&self) -> &str {
        self.extra.as_ref().map_or("", |x| x.class.as_str())
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.extra
            .as_ref()?
            .attrs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The page as an arena of nodes in document order; node 0 is the document.
pub struct Dom {
    pub nodes: Vec<Node>,
    pub(super) elements: Vec<Element>,
    pub(super) text: String,
}

impl Dom {
    pub fn element(&self, at: u32) -> Option<&Element> {
        match self.nodes[at as usize].data {
            Data::Element(e) => Some(&self.elements[e as usize]),
            Data::Text { .. } => None,
        }
    }

    /// The text of a text node.
    pub fn text(&self, at: u32) -> Option<&str> {
        match self.nodes[at as usize].data {
            Data::Text { start, len } => {
                Some(&self.text[start as usize..start as usize + len as usize])
            }
            Data::Element(_) => None,
        }
    }

    pub fn tag(&self, at: u32) -> &str {
        self.element(at).map_or("", Element::tag)
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
            match self.text(i) {
                Some(t) => push_collapsed(&mut out, t),
                None if is_break(self.tag(i)) => push_space(&mut out),
                None => {}
            }
            i += 1;
        }
        out.trim().to_string()
    }
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

/// Append `text` with runs of whitespace collapsed to one space, and invisible characters
/// (soft hyphens, zero-width spaces and joiners' stray marks) left out: they break words for
/// search and translation and show nothing.
pub fn push_collapsed(out: &mut String, text: &str) {
    for (i, word) in text.split(char::is_whitespace).enumerate() {
        if i > 0 {
            push_space(out);
        }
        if word.contains(is_invisible) {
            out.extend(word.chars().filter(|&c| !is_invisible(c)));
        } else {
            out.push_str(word);
        }
    }
}

/// Characters that format text without showing: soft hyphen, zero-width space, word joiner,
/// byte-order mark.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{ad}' | '\u{200b}' | '\u{2060}' | '\u{feff}')
}

/// A space, unless the text is empty or already ends with whitespace.
pub fn push_space(out: &mut String) {
    if !out.is_empty() && !out.ends_with([' ', '\n']) {
        out.push(' ');
    }
}
