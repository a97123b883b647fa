//! html5ever's tree builder writing into our nodes: the tree is linked as the parser builds and
//! rearranges it (adoption of misnested tags, foster parenting of table text), elements and text
//! stored compactly as they arrive, then laid out in document order.

use std::borrow::Cow;
use std::cell::{Ref, RefCell};

use html5ever::interface::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::tendril::StrTendril;
use html5ever::{local_name, ns, Attribute, LocalName, QualName};

use super::arena::{Data, Dom, Element, Extra, Node, NONE};
use crate::article::names::Names;

/// The attributes kept besides `id` and `class`.
pub(super) const KEPT_ATTRIBUTES: &[&str] = &[
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

/// `name`'s entry in [`KEPT_ATTRIBUTES`], if the arena keeps it.
fn kept_attribute(name: &str) -> Option<&'static str> {
    KEPT_ATTRIBUTES.iter().copied().find(|&k| k == name)
}

/// A node's links while the tree is built.
#[derive(Clone, Copy)]
struct Links {
    parent: u32,
    first_child: u32,
    last_child: u32,
    previous: u32,
    next: u32,
}

const UNLINKED: Links = Links {
    parent: NONE,
    first_child: NONE,
    last_child: NONE,
    previous: NONE,
    next: NONE,
};

struct Tree {
    links: Vec<Links>,
    data: Vec<Data>,
    /// The element names html5ever asks back for (elements only; `None` for text).
    names: Vec<Option<QualName>>,
    elements: Vec<Element>,
    text: String,
}

/// The name handed out for nodes that are not elements (the parser asks only for elements').
static NO_NAME: std::sync::LazyLock<QualName> =
    std::sync::LazyLock::new(|| QualName::new(None, ns!(), local_name!("")));

/// The parser's side of the tree.
#[derive(Default)]
pub(super) struct Sink {
    tree: RefCell<Tree>,
    /// What each class value seen says ([`Names::of`]): a page gives the same class to many
    /// elements, so each value is read once.
    class_names: RefCell<rustc_hash::FxHashMap<String, Names>>,
}

impl Default for Tree {
    fn default() -> Self {
        let mut tree = Tree {
            links: Vec::new(),
            data: Vec::new(),
            names: Vec::new(),
            elements: Vec::new(),
            text: String::new(),
        };
        tree.links.push(UNLINKED);
        tree.elements.push(Element {
            name: LocalName::from("#document"),
            names: Names::default(),
            extra: None,
        });
        tree.data.push(Data::Element(0));
        tree.names.push(None);
        tree
    }
}

impl Tree {
    fn push(&mut self, data: Data, name: Option<QualName>) -> u32 {
        self.links.push(UNLINKED);
        self.data.push(data);
        self.names.push(name);
        self.links.len() as u32 - 1
    }

    fn text_node(&mut self, text: &str) -> u32 {
        let start = self.text.len() as u32;
        self.text.push_str(text);
        self.push(
            Data::Text {
                start,
                len: text.len() as u32,
            },
            None,
        )
    }

    fn detach(&mut self, node: u32) {
        let Links {
            parent,
            previous,
            next,
            ..
        } = self.links[node as usize];
        if parent == NONE {
            return;
        }
        if previous != NONE {
            self.links[previous as usize].next = next;
        } else {
            self.links[parent as usize].first_child = next;
        }
        if next != NONE {
            self.links[next as usize].previous = previous;
        } else {
            self.links[parent as usize].last_child = previous;
        }
        let l = &mut self.links[node as usize];
        l.parent = NONE;
        l.previous = NONE;
        l.next = NONE;
    }

    /// Link `node` under `parent`, before `before` (at the end for `NONE`).
    fn link(&mut self, parent: u32, node: u32, before: u32) {
        self.detach(node);
        let previous = if before == NONE {
            self.links[parent as usize].last_child
        } else {
            self.links[before as usize].previous
        };
        let l = &mut self.links[node as usize];
        l.parent = parent;
        l.previous = previous;
        l.next = before;
        if previous != NONE {
            self.links[previous as usize].next = node;
        } else {
            self.links[parent as usize].first_child = node;
        }
        if before != NONE {
            self.links[before as usize].previous = node;
        } else {
            self.links[parent as usize].last_child = node;
        }
    }

    /// Append `text` to the text node `at`, if it is one (moving its text to the end of the
    /// buffer when something was stored after it).
    fn extend_text(&mut self, at: u32, text: &str) -> bool {
        if at == NONE {
            return false;
        }
        let Data::Text { start, len } = self.data[at as usize] else {
            return false;
        };
        let (mut start, len) = (start as usize, len as usize);
        if start + len != self.text.len() {
            let old = self.text[start..start + len].to_string();
            start = self.text.len();
            self.text.push_str(&old);
        }
        self.text.push_str(text);
        self.data[at as usize] = Data::Text {
            start: start as u32,
            len: (len + text.len()) as u32,
        };
        true
    }

    fn append_text(&mut self, parent: u32, before: u32, text: &str) {
        let neighbour = if before == NONE {
            self.links[parent as usize].last_child
        } else {
            self.links[before as usize].previous
        };
        if !self.extend_text(neighbour, text) {
            let node = self.text_node(text);
            self.link(parent, node, before);
        }
    }
}

impl Sink {
    /// The tree in document order: a walk along the links (first child, next sibling, back up
    /// to the parent), no stack.
    pub(super) fn into_dom(self) -> Dom {
        let Tree {
            links,
            data,
            elements,
            text,
            ..
        } = self.tree.into_inner();
        let mut nodes: Vec<Node> = Vec::with_capacity(links.len());
        // The arena index of each open element, innermost last.
        let mut open: Vec<u32> = Vec::new();
        let mut at = 0u32;
        loop {
            let d = data[at as usize];
            let index = nodes.len() as u32;
            nodes.push(Node {
                parent: open.last().copied().unwrap_or(NONE),
                end: index + 1,
                depth: open.len() as u32,
                chars: match d {
                    Data::Text { start, len } => {
                        collapsed_chars(&text[start as usize..(start + len) as usize])
                    }
                    Data::Element(_) => 0,
                },
                data: d,
            });
            let l = links[at as usize];
            if matches!(d, Data::Element(_)) && l.first_child != NONE {
                open.push(index);
                at = l.first_child;
                continue;
            }
            // Up until a node with a next sibling, closing the elements left.
            let mut up = at;
            loop {
                let next = links[up as usize].next;
                if next != NONE && up != 0 {
                    at = next;
                    break;
                }
                let Some(o) = open.pop() else {
                    return Dom {
                        nodes,
                        elements,
                        text,
                    };
                };
                nodes[o as usize].end = nodes.len() as u32;
                up = links[up as usize].parent;
            }
        }
    }
}

/// Characters of `text` once whitespace runs are collapsed: each word and the space after it.
pub fn collapsed_chars(text: &str) -> u32 {
    let (mut chars, mut in_word) = (0u32, false);
    for c in text.chars() {
        if c.is_whitespace() {
            in_word = false;
        } else {
            chars += 1;
            if !in_word {
                chars += 1;
                in_word = true;
            }
        }
    }
    chars
}

impl Sink {
    fn names_of(&self, class: &str, id: &str) -> Names {
        let class_names = {
            let mut cache = self.class_names.borrow_mut();
            match cache.get(class) {
                Some(&names) => names,
                None => *cache
                    .entry(class.to_string())
                    .or_insert_with(|| Names::of(class, "")),
            }
        };
        if id.is_empty() {
            class_names
        } else {
            class_names.union(Names::of("", id))
        }
    }
}

impl TreeSink for Sink {
    type Handle = u32;
    type Output = Self;
    type ElemName<'a> = Ref<'a, QualName>;

    fn finish(self) -> Self {
        self
    }

    fn parse_error(&self, _msg: Cow<'static, str>) {}

    fn get_document(&self) -> u32 {
        0
    }

    fn elem_name<'a>(&'a self, target: &'a u32) -> Ref<'a, QualName> {
        Ref::map(self.tree.borrow(), |t| {
            t.names[*target as usize].as_ref().unwrap_or(&NO_NAME)
        })
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, _: ElementFlags) -> u32 {
        let mut extra = Extra::default();
        for a in attrs {
            let key: &str = &a.name.local;
            match key {
                "id" => extra.id = a.value.to_string(),
                "class" => extra.class = a.value.to_string(),
                _ => {
                    if let Some(kept) = kept_attribute(key) {
                        extra.attrs.push((kept, a.value.to_string()))
                    }
                }
            }
        }
        let element = Element {
            name: name.local.clone(),
            names: self.names_of(&extra.class, &extra.id),
            extra: (!extra.id.is_empty() || !extra.class.is_empty() || !extra.attrs.is_empty())
                .then(|| Box::new(extra)),
        };
        let mut tree = self.tree.borrow_mut();
        tree.elements.push(element);
        let index = tree.elements.len() as u32 - 1;
        tree.push(Data::Element(index), Some(name))
    }

    fn create_comment(&self, _text: StrTendril) -> u32 {
        // Comments carry no article text: an empty text node keeps the parser's handle valid.
        self.tree.borrow_mut().text_node("")
    }

    fn create_pi(&self, _target: StrTendril, _data: StrTendril) -> u32 {
        self.tree.borrow_mut().text_node("")
    }

    fn append(&self, parent: &u32, child: NodeOrText<u32>) {
        let mut tree = self.tree.borrow_mut();
        match child {
            NodeOrText::AppendNode(node) => tree.link(*parent, node, NONE),
            NodeOrText::AppendText(text) => tree.append_text(*parent, NONE, &text),
        }
    }

    fn append_based_on_parent_node(
        &self,
        element: &u32,
        prev_element: &u32,
        child: NodeOrText<u32>,
    ) {
        let has_parent = self.tree.borrow().links[*element as usize].parent != NONE;
        if has_parent {
            self.append_before_sibling(element, child);
        } else {
            self.append(prev_element, child);
        }
    }

    fn append_doctype_to_document(&self, _: StrTendril, _: StrTendril, _: StrTendril) {}

    fn get_template_contents(&self, _target: &u32) -> u32 {
        // Template contents are never article text: a detached node holds them.
        let mut tree = self.tree.borrow_mut();
        tree.elements.push(Element {
            name: local_name!("template"),
            names: Names::default(),
            extra: None,
        });
        let index = tree.elements.len() as u32 - 1;
        tree.push(
            Data::Element(index),
            Some(QualName::new(None, ns!(html), local_name!("template"))),
        )
    }

    fn same_node(&self, x: &u32, y: &u32) -> bool {
        x == y
    }

    fn set_quirks_mode(&self, _mode: QuirksMode) {}

    fn append_before_sibling(&self, sibling: &u32, new_node: NodeOrText<u32>) {
        let mut tree = self.tree.borrow_mut();
        let parent = tree.links[*sibling as usize].parent;
        if parent == NONE {
            return;
        }
        match new_node {
            NodeOrText::AppendNode(node) => tree.link(parent, node, *sibling),
            NodeOrText::AppendText(text) => tree.append_text(parent, *sibling, &text),
        }
    }

    fn add_attrs_if_missing(&self, target: &u32, attrs: Vec<Attribute>) {
        let mut tree = self.tree.borrow_mut();
        let Data::Element(e) = tree.data[*target as usize] else {
            return;
        };
        let element = &mut tree.elements[e as usize];
        for a in attrs {
            let key: &str = &a.name.local;
            if let Some(kept) = kept_attribute(key).filter(|k| element.attr(k).is_none()) {
                element
                    .extra
                    .get_or_insert_with(Default::default)
                    .attrs
                    .push((kept, a.value.to_string()));
            }
        }
    }

    fn remove_from_parent(&self, target: &u32) {
        self.tree.borrow_mut().detach(*target);
    }

    fn reparent_children(&self, node: &u32, new_parent: &u32) {
        let mut tree = self.tree.borrow_mut();
        let mut child = tree.links[*node as usize].first_child;
        while child != NONE {
            let next = tree.links[child as usize].next;
            tree.link(*new_parent, child, NONE);
            child = next;
        }
    }
}
