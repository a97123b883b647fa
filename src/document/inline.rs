//! A block of a document with its inline markup lifted out: the plain text the model reads
//! (whitespace collapsed, as a browser shows it) and the inline elements as spans over that
//! text, in document order. Formats build one with a [`Lifter`] and write the translation back
//! from [`render`]'s pieces.

use std::ops::Range;

/// One inline element of a block: the bytes of the block's text it wraps, the element it sits
/// in, and whether it wraps nothing (a line break, an image, a bookmark: a point).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub parent: Option<usize>,
    pub point: bool,
    /// For a point, or an element that wrapped no text: whether the source had whitespace
    /// before it, and after it.
    pub spaced: (bool, bool),
    /// For a point: whether it separates words (a line break, a tab), so that it never goes
    /// inside a word of the translation.
    pub breaks: bool,
}

/// A block's text and its inline elements (parents before children, siblings in order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InlineText {
    pub text: String,
    pub spans: Vec<Span>,
}

impl InlineText {
    /// Children of each span (and, last, of the block itself), in document order.
    pub fn children(&self) -> Vec<Vec<usize>> {
        let mut children = vec![Vec::new(); self.spans.len() + 1];
        for (i, span) in self.spans.iter().enumerate() {
            children[span.parent.unwrap_or(self.spans.len())].push(i);
        }
        children
    }
}

/// Builds an [`InlineText`] from a block's text runs and element boundaries as a reader meets
/// them. Whitespace runs become one space, none at the ends; an element opened before a space
/// starts after it, one closed before a space ends before it.
#[derive(Default)]
pub struct Lifter {
    text: String,
    spans: Vec<Span>,
    open: Vec<usize>,
    space_pending: bool,
    /// The point just met, until the next text tells whether whitespace follows it.
    last_point: Option<usize>,
}

impl Lifter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Text of the block (already decoded from the format's escapes). Only ASCII whitespace
    /// collapses, as in a browser: a no-break space is text.
    pub fn text(&mut self, chunk: &str) {
        if let Some(point) = self.last_point.take_if(|_| !chunk.is_empty()) {
            self.spans[point].spaced.1 = chunk.starts_with(|c: char| c.is_ascii_whitespace());
        }
        for word in chunk.split_inclusive(|c: char| c.is_ascii_whitespace()) {
            let bare = word.trim_end_matches(|c: char| c.is_ascii_whitespace());
            if !bare.is_empty() {
                if self.space_pending && !self.text.is_empty() {
                    self.text.push(' ');
                }
                self.space_pending = false;
                self.text.push_str(bare);
            }
            if bare.len() < word.len() {
                self.space_pending = true;
            }
        }
    }

    /// Where the next word will start.
    fn next_start(&self) -> usize {
        self.text.len() + usize::from(self.space_pending && !self.text.is_empty())
    }

    /// An element opens; its index.
    pub fn open(&mut self) -> usize {
        self.last_point = None;
        let start = self.next_start();
        self.spans.push(Span {
            start,
            end: start,
            parent: self.open.last().copied(),
            point: false,
            spaced: (self.space_pending, false),
            breaks: false,
        });
        self.open.push(self.spans.len() - 1);
        self.spans.len() - 1
    }

    /// The innermost open element closes; its index (`None` when none is open).
    pub fn close(&mut self) -> Option<usize> {
        let i = self.open.pop()?;
        self.spans[i].end = self.text.len().max(self.spans[i].start);
        if self.spans[i].end == self.spans[i].start {
            // It wrapped no text: the next text says whether whitespace follows it.
            self.last_point = Some(i);
        }
        Some(i)
    }

    /// An element that wraps nothing; its index.
    pub fn point(&mut self) -> usize {
        let at = self.next_start();
        self.spans.push(Span {
            start: at,
            end: at,
            parent: self.open.last().copied(),
            point: true,
            spaced: (self.space_pending, false),
            breaks: false,
        });
        self.last_point = Some(self.spans.len() - 1);
        self.spans.len() - 1
    }

    /// A point that separates words (a line break, a tab); its index.
    pub fn break_point(&mut self) -> usize {
        let i = self.point();
        self.spans[i].breaks = true;
        self.space_pending = true;
        i
    }

    /// How many elements are open.
    pub fn open_count(&self) -> usize {
        self.open.len()
    }

    /// The block, elements still open closed at its end, every span within the text.
    pub fn finish(mut self) -> InlineText {
        while self.close().is_some() {}
        let len = self.text.len();
        for span in &mut self.spans {
            span.start = span.start.min(len);
            span.end = span.end.clamp(span.start, len);
        }
        InlineText {
            text: self.text,
            spans: self.spans,
        }
    }
}

/// A piece of a translated block, in writing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    Open(usize),
    Close(usize),
    Point(usize),
}

/// The pieces of `text` with the elements of `block` placed at `ranges` (bytes of `text`, as
/// [`super::placement`] gives them, nested as the elements are); siblings come in the order of
/// their ranges, ties broken by `rank`. With `spacing`, a point that had whitespace beside it in
/// the source gets a space there where the translation has none (`code` between two words).
pub fn render<'a>(
    text: &'a str,
    block: &InlineText,
    ranges: &[Range<usize>],
    rank: &[usize],
    spacing: bool,
) -> Vec<Piece<'a>> {
    let mut children = block.children();
    for list in &mut children {
        list.sort_by_key(|&i| (ranges[i].start, rank[i]));
    }
    let mut out = Vec::new();
    // An explicit stack (element, next child, cursor) rather than recursion: nesting is bounded
    // by the formats, but a stack frame per level is not needed.
    let root = block.spans.len();
    let mut stack: Vec<(usize, usize, usize)> = vec![(root, 0, 0)];
    // Elements that wrapped no text and get a space after them once closed.
    let mut space_after: Vec<usize> = Vec::new();
    while let Some(&mut (node, ref mut next, ref mut cursor)) = stack.last_mut() {
        let end = if node == root {
            text.len()
        } else {
            ranges[node].end
        };
        match children[node].get(*next) {
            Some(&child) => {
                *next += 1;
                let at = ranges[child].start.clamp(*cursor, end);
                if at > *cursor {
                    out.push(Piece::Text(&text[*cursor..at]));
                }
                *cursor = ranges[child].end.clamp(at, end);
                let span = &block.spans[child];
                let empty = span.point || (span.start == span.end && ranges[child].is_empty());
                // Inside an element that wrapped no text, nothing is spaced.
                let spaced = spacing && empty && !stack_is_empty_element(&stack, block, ranges);
                let (before, after) = spaced_at(text, at, span.spaced, spaced);
                if before {
                    out.push(Piece::Text(" "));
                }
                if span.point {
                    out.push(Piece::Point(child));
                    if after {
                        out.push(Piece::Text(" "));
                    }
                } else {
                    out.push(Piece::Open(child));
                    stack.push((child, 0, at));
                    if after {
                        space_after.push(child);
                    }
                }
            }
            None => {
                if end > *cursor {
                    out.push(Piece::Text(&text[*cursor..end]));
                }
                stack.pop();
                if node != root {
                    out.push(Piece::Close(node));
                    if space_after.last() == Some(&node) {
                        space_after.pop();
                        out.push(Piece::Text(" "));
                    }
                }
            }
        }
    }
    out
}

/// Whether the innermost element being written wrapped no text.
fn stack_is_empty_element(
    stack: &[(usize, usize, usize)],
    block: &InlineText,
    ranges: &[Range<usize>],
) -> bool {
    stack.last().is_some_and(|&(node, _, _)| {
        node < block.spans.len()
            && block.spans[node].start == block.spans[node].end
            && ranges[node].is_empty()
    })
}

/// Whether a space goes before and after something that wraps no text at byte `at`: where the
/// source had whitespace beside it and the translation has none there, and only at a word's
/// edge (inside a word — a point placed between characters — nothing is added).
fn spaced_at(text: &str, at: usize, (before, after): (bool, bool), spacing: bool) -> (bool, bool) {
    let (head, rest) = text.split_at(at);
    let spaced_before = head.is_empty() || head.ends_with(char::is_whitespace);
    let spaced_after = rest.is_empty() || rest.starts_with(char::is_whitespace);
    let spacing = spacing && (spaced_before || spaced_after);
    (
        spacing && before && !spaced_before,
        spacing && after && !spaced_after,
    )
}

/// The whitespace-separated words of `text`, as byte ranges.
pub fn words(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push(s..i);
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(s..text.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lift_sample() -> InlineText {
        // «Le <b>président</b> a annoncé une <a>réforme</a>  mardi.<br>»
        let mut l = Lifter::new();
        l.text("  Le ");
        l.open();
        l.text("président");
        l.close();
        l.text(" a\n annoncé une ");
        l.open();
        l.text("réforme");
        l.close();
        l.text("  mardi.");
        l.point();
        l.finish()
    }

    #[test]
    fn lifting_collapses_whitespace_and_spans_wrap_their_words() {
        let b = lift_sample();
        assert_eq!(b.text, "Le président a annoncé une réforme mardi.");
        assert_eq!(&b.text[b.spans[0].start..b.spans[0].end], "président");
        assert_eq!(&b.text[b.spans[1].start..b.spans[1].end], "réforme");
        assert!(b.spans[2].point);
        assert_eq!(b.spans[2].start, b.text.len());
    }

    #[test]
    fn rendering_nests_and_keeps_every_byte_of_the_text() {
        let mut l = Lifter::new();
        l.text("a ");
        l.open();
        l.text("b ");
        l.open();
        l.text("c");
        l.close();
        l.close();
        l.text(" d");
        let b = l.finish();
        let text = "w x y z";
        let pieces = render(text, &b, &[2..5, 4..5], &[0, 1], true);
        assert_eq!(
            pieces,
            [
                Piece::Text("w "),
                Piece::Open(0),
                Piece::Text("x "),
                Piece::Open(1),
                Piece::Text("y"),
                Piece::Close(1),
                Piece::Close(0),
                Piece::Text(" z"),
            ]
        );
    }

    #[test]
    fn words_are_byte_ranges() {
        assert_eq!(words(" é b  c "), [1..3, 4..5, 7..8]);
    }
}
