//! The parsed page as one arena in document order: html5ever parses the page as a browser
//! would (broken markup repaired), building straight into our compact nodes ([`sink`]), which
//! are then laid out in document order ([`arena`]) so that every later pass is a loop over
//! indices — no recursion, however deep the page nests ([`depth`] caps the nesting first).

mod arena;
mod depth;
mod sink;
mod trim;

pub use arena::{push_collapsed, push_space, Dom, Element, NONE};
pub use depth::VOID as VOID_ELEMENTS;
pub use sink::collapsed_chars;
pub use trim::trim_for_parse;

use html5ever::tendril::TendrilSink;

/// Input is fed to the parser in pieces of this many bytes (cut on character boundaries), so
/// that the page is not copied whole into the parser's buffer.
const CHUNK: usize = 1 << 16;

/// Parse `html` (a whole page).
pub fn parse(html: &str) -> Dom {
    parse_trimmed(&trim_for_parse(html))
}

/// Parse a page [`trim_for_parse`] has trimmed (or, for comparison, one it has not).
fn parse_trimmed(limited: &str) -> Dom {
    let mut parser = html5ever::parse_document(sink::Sink::default(), Default::default());
    let mut rest: &str = limited;
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

/// The first difference between the tree of `html` parsed whole and parsed trimmed, if any:
/// elements (tag, id, class, kept attributes) and the text outside scripts and style sheets, in
/// document order. For the extraction benchmark's check that trimming changes nothing read.
pub fn trim_difference(html: &str) -> Option<String> {
    let trimmed = trim_for_parse(html);
    if trimmed.len() == html.len() {
        return None;
    }
    let (whole, cut) = (parse_trimmed(html), parse_trimmed(&trimmed));
    let (a, b) = (whole.read_items(), cut.read_items());
    let at = a.iter().zip(&b).position(|(x, y)| x != y);
    match at {
        Some(k) => Some(format!(
            "item {k}: {:?} whole, {:?} trimmed (after {:?})",
            a[k],
            b[k],
            &a[k.saturating_sub(3)..k]
        )),
        None if a.len() != b.len() => Some(format!("{} items whole, {} trimmed", a.len(), b.len())),
        None => None,
    }
}

impl Dom {
    /// What extraction can read of the tree, in document order: each element's description and
    /// each non-empty text outside scripts and style sheets, with its depth.
    fn read_items(&self) -> Vec<String> {
        let mut items = Vec::new();
        // The text run open: its depth, its parent, its text.
        let mut run: Option<(u32, u32, String)> = None;
        let flush = |run: &mut Option<(u32, u32, String)>, items: &mut Vec<String>| {
            if let Some((depth, _, text)) = run.take() {
                let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
                if !text.is_empty() {
                    items.push(format!("{depth} {text:?}"));
                }
            }
        };
        let mut i = 0;
        while i < self.nodes.len() as u32 {
            let depth = self.nodes[i as usize].depth;
            i += 1;
            let at = i - 1;
            if let Some(e) = self.element(at) {
                flush(&mut run, &mut items);
                // What trimming leaves out on purpose: an SVG's content.
                if e.tag() == "svg" {
                    items.push(format!("{depth} <{}>", e.tag()));
                    i = self.nodes[at as usize].end;
                    continue;
                }
                let attrs = e.extra.as_ref().map(|x| &x.attrs);
                items.push(format!(
                    "{depth} <{} #{} .{} {:?}>",
                    e.tag(),
                    e.id(),
                    e.class(),
                    attrs
                ));
            } else if let Some(t) = self.text(at) {
                // Text split by a comment is one text once the comment is gone: compared as
                // the run of text between elements, whitespace collapsed.
                let parent = self.nodes[at as usize].parent;
                if matches!(self.tag(parent), "script" | "style") {
                    continue;
                }
                match &mut run {
                    Some((_, open, text)) if *open == parent => text.push_str(t),
                    _ => {
                        flush(&mut run, &mut items);
                        run = Some((depth, parent, t.to_string()));
                    }
                }
                continue;
            }
        }
        flush(&mut run, &mut items);
        items
    }
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
