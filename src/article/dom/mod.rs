//! The parsed page as one arena in document order: html5ever parses the page as a browser
//! would (broken markup repaired), building straight into our compact nodes ([`sink`]), which
//! are then laid out in document order ([`arena`]) so that every later pass is a loop over
//! indices — no recursion, however deep the page nests ([`depth`] caps the nesting first).

mod arena;
mod depth;
mod sink;

pub use arena::{push_collapsed, push_space, Dom, Element, NONE};
pub use depth::limit_depth;

use html5ever::tendril::TendrilSink;

/// Input is fed to the parser in pieces of this many bytes (cut on character boundaries), so
/// that the page is not copied whole into the parser's buffer.
const CHUNK: usize = 1 << 16;

/// Parse `html` (a whole page).
pub fn parse(html: &str) -> Dom {
    let limited = limit_depth(html);
    let mut parser = html5ever::parse_document(sink::Sink::default(), Default::default());
    let mut rest: &str = &limited;
    while !rest.is_empty() {
        let mut cut = rest.len().min(CHUNK);
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        parser.process(rest[..cut].into());
        rest = &rest[cut..];
    }
    parser.finish().into_dom()
}

impl Dom {
    /// Parse `html` (a whole page).
    pub fn parse(html: &str) -> Self {
        parse(html)
    }
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
        assert_eq!(dom.element(ps[0]).unwrap().class(), "a");
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
}
