//! HTML and XHTML documents: the page cut into blocks at block-level elements, each block's
//! inline elements lifted out and put back around the words of the translation, everything
//! else written back byte for byte. `translate="no"`, `notranslate`, `code`, `pre`, scripts and
//! styles stay as they are (inline ones go with the words around them); `lang` becomes `en`;
//! the text is escaped again on output. A block whose inline markup does not nest (a stray or
//! crossing end tag) has each of its text runs translated on its own instead.

mod lexer;

use std::ops::Range;

use lexer::{Tag, Token};

use super::blocks::TranslatedBlock;
use super::inline::{render, InlineText, Lifter, Piece};

/// Elements that start and end blocks of text.
const BLOCK: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "button",
    "caption",
    "center",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hgroup",
    "hr",
    "html",
    "legend",
    "li",
    "main",
    "menu",
    "nav",
    "ol",
    "optgroup",
    "option",
    "p",
    "section",
    "select",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "ul",
];

/// Elements whose text is code or data (with the raw-text ones the lexer keeps whole).
const PROTECTED: &[&str] = &[
    "code", "pre", "kbd", "samp", "script", "style", "noscript", "template", "textarea", "svg",
    "math",
];

/// Elements without content: HTML's void elements, as the page reader knows them.
const VOID: &[&str] = crate::article::VOID_ELEMENTS;

/// What goes to the output, in order.
enum Part {
    /// Source bytes, copied (a start tag's `lang` rewritten).
    Copy(Range<usize>, bool),
    /// A block of text, translated.
    Block(BlockLayout),
}

/// How a block is written around its translation.
struct BlockLayout {
    lead: String,
    trail: String,
    /// Per element: its start tag and end tag (a point: its bytes, nothing after).
    tags: Vec<(Range<usize>, Option<Range<usize>>)>,
}

/// A parsed HTML document: its blocks to translate and how to write it back.
pub struct HtmlDocument<'s> {
    source: &'s str,
    parts: Vec<Part>,
    pub blocks: Vec<InlineText>,
}

impl<'s> HtmlDocument<'s> {
    pub fn parse(source: &'s str) -> Self {
        let mut doc = HtmlDocument {
            source,
            parts: Vec::new(),
            blocks: Vec::new(),
        };
        let tokens = lexer::tokens(source);
        // The element protecting what is inside it: its name, how deep its own name nests, and
        // whether it is inline (then the end of its block ends it too, as a browser closes it).
        let mut protection: Option<(String, usize, bool)> = None;
        let mut pending: Vec<Token> = Vec::new();
        // Whether `pending` holds text to translate (kept as tokens arrive: a block may be huge).
        let mut has_text = false;
        let mut i = 0;
        while i < tokens.len() {
            let token = &tokens[i];
            let block_tag = matches!(token, Token::Tag(t) if is_block(t));
            if protection.as_ref().is_some_and(|p| p.2 && block_tag) {
                protection = None;
            }
            if let Some((name, depth, _)) = &mut protection {
                if let Token::Tag(tag) = token {
                    if tag.name == *name && !tag.self_closing {
                        if tag.closing {
                            *depth -= 1;
                        } else {
                            *depth += 1;
                        }
                    }
                }
                doc.parts.push(Part::Copy(range_of(token), false));
                if protection.as_ref().is_some_and(|(_, d, _)| *d == 0) {
                    protection = None;
                }
                i += 1;
                continue;
            }
            match token {
                Token::Tag(tag) if is_block(tag) || is_protected(tag) && !has_text => {
                    doc.flush(&mut pending);
                    has_text = false;
                    let protects = is_protected(tag) && !VOID.contains(&tag.name.as_str());
                    if protects {
                        protection = Some((tag.name.clone(), 1, !is_block(tag)));
                    }
                    // A protected element's own `lang` stays: its text is not translated.
                    doc.parts.push(Part::Copy(tag.range.clone(), !protects));
                }
                Token::Other(range) if !has_text => {
                    doc.flush(&mut pending);
                    doc.parts.push(Part::Copy(range.clone(), false));
                }
                Token::Tag(tag) if is_protected(tag) => {
                    // An inline protected element goes whole, as one piece, with its words.
                    let end = matching_end(&tokens, i);
                    pending.push(Token::Other(tag.range.start..token_end(&tokens[end])));
                    i = end;
                }
                other => {
                    has_text |=
                        matches!(other, Token::Text(r) if !source[r.clone()].trim().is_empty());
                    pending.push(other.clone());
                }
            }
            i += 1;
        }
        doc.flush(&mut pending);
        doc
    }

    /// End the block being gathered: tokens with text become a block (or, when their markup does
    /// not nest, a block per text run); whitespace around it is copied.
    fn flush(&mut self, pending: &mut Vec<Token>) {
        let tokens = std::mem::take(pending);
        if pending_is_empty(self.source, &tokens) {
            for t in &tokens {
                self.parts.push(Part::Copy(range_of(t), true));
            }
            return;
        }
        match self.lift(&tokens) {
            Some((block, layout)) => {
                self.blocks.push(block);
                self.parts.push(Part::Block(layout));
            }
            None => {
                for t in &tokens {
                    match t {
                        Token::Text(r) if !self.source[r.clone()].trim().is_empty() => {
                            let mut lifter = Lifter::new();
                            lifter.text(&decode(&self.source[r.clone()]));
                            self.blocks.push(lifter.finish());
                            self.parts.push(Part::Block(self.edges(r, Vec::new())));
                        }
                        other => self.parts.push(Part::Copy(range_of(other), true)),
                    }
                }
            }
        }
    }

    /// A block's text and elements, or `None` when its end tags do not match its start tags.
    fn lift(&self, tokens: &[Token]) -> Option<(InlineText, BlockLayout)> {
        let mut lifter = Lifter::new();
        let mut tags = Vec::new();
        let mut open: Vec<(String, usize)> = Vec::new();
        for t in tokens {
            match t {
                Token::Text(r) => lifter.text(&decode(&self.source[r.clone()])),
                Token::Other(r) => {
                    lifter.point();
                    tags.push((r.clone(), None));
                }
                Token::Tag(tag) if tag.closing => {
                    let (name, i) = open.pop()?;
                    if name != tag.name {
                        return None;
                    }
                    lifter.close();
                    tags[i].1 = Some(tag.range.clone());
                }
                Token::Tag(tag) if tag.self_closing || VOID.contains(&tag.name.as_str()) => {
                    if tag.name == "br" {
                        lifter.break_point();
                    } else {
                        lifter.point();
                    }
                    tags.push((tag.range.clone(), None));
                }
                Token::Tag(tag) => {
                    let i = lifter.open();
                    open.push((tag.name.clone(), i));
                    tags.push((tag.range.clone(), Some(0..0)));
                }
            }
        }
        if !open.is_empty() {
            return None;
        }
        let first = range_of(tokens.first()?);
        let last = range_of(tokens.last()?);
        let mut layout = self.edges(&(first.start..last.end), tags);
        // Whitespace is only the block's own when it is text at its edges.
        if !matches!(tokens.first(), Some(Token::Text(_))) {
            layout.lead.clear();
        }
        if !matches!(tokens.last(), Some(Token::Text(_))) {
            layout.trail.clear();
        }
        Some((lifter.finish(), layout))
    }

    /// The whitespace at the ends of `range` and the block's element tags.
    fn edges(
        &self,
        range: &Range<usize>,
        tags: Vec<(Range<usize>, Option<Range<usize>>)>,
    ) -> BlockLayout {
        let text = &self.source[range.clone()];
        let lead = &text[..text.len() - text.trim_start().len()];
        let trail = &text[text.trim_end().len()..];
        BlockLayout {
            lead: lead.to_string(),
            trail: trail.to_string(),
            tags,
        }
    }

    /// The document with each block replaced by its translation (one per [`Self::blocks`]).
    pub fn write(&self, translated: &[TranslatedBlock]) -> String {
        let mut out = String::with_capacity(self.source.len());
        let mut next = self.blocks.iter().zip(translated);
        for part in &self.parts {
            match part {
                Part::Copy(range, english) => self.copy(&mut out, range.clone(), *english),
                Part::Block(layout) => {
                    let Some((block, t)) = next.next() else {
                        continue;
                    };
                    out.push_str(&layout.lead);
                    for piece in
                        render(&t.text, block, &t.placement.ranges, &t.placement.rank, true)
                    {
                        match piece {
                            Piece::Text(text) => escape_into(&mut out, text),
                            Piece::Open(i) | Piece::Point(i) => {
                                self.copy(&mut out, layout.tags[i].0.clone(), true)
                            }
                            Piece::Close(i) => {
                                if let Some(end) = &layout.tags[i].1 {
                                    out.push_str(&self.source[end.clone()]);
                                }
                            }
                        }
                    }
                    out.push_str(&layout.trail);
                }
            }
        }
        out
    }

    /// Copy source bytes; in a start tag read as translated, `lang` becomes `en`.
    fn copy(&self, out: &mut String, range: Range<usize>, english: bool) {
        let text = &self.source[range.clone()];
        if !english || !text.starts_with('<') || !text.contains("lang") {
            out.push_str(text);
            return;
        }
        let mut cursor = range.start;
        if let Some(Token::Tag(tag)) = lexer::tokens(text).first() {
            for value in &tag.lang {
                let value = value.start + range.start..value.end + range.start;
                out.push_str(&self.source[cursor..value.start]);
                out.push_str("en");
                cursor = value.end;
            }
        }
        out.push_str(&self.source[cursor..range.end]);
    }
}

fn is_block(tag: &Tag) -> bool {
    BLOCK.contains(&tag.name.as_str())
}

fn is_protected(tag: &Tag) -> bool {
    !tag.closing
        && (tag.no_translate || PROTECTED.contains(&tag.name.as_str()))
        && !tag.self_closing
}

/// The token closing the inline element opened at `open` (same name, nesting counted), looked
/// for within its block and a bounded distance; else the start tag alone.
fn matching_end(tokens: &[Token], open: usize) -> usize {
    const LOOK_AHEAD: usize = 10_000;
    let Token::Tag(start) = &tokens[open] else {
        return open;
    };
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate().skip(open).take(LOOK_AHEAD) {
        if let Token::Tag(tag) = t {
            if is_block(tag) {
                return open;
            }
            if tag.name == start.name && !tag.self_closing {
                if tag.closing {
                    depth -= 1;
                    if depth == 0 {
                        return i;
                    }
                } else {
                    depth += 1;
                }
            }
        }
    }
    open
}

fn range_of(token: &Token) -> Range<usize> {
    match token {
        Token::Text(r) | Token::Other(r) => r.clone(),
        Token::Tag(t) => t.range.clone(),
    }
}

fn token_end(token: &Token) -> usize {
    range_of(token).end
}

/// Whether gathered tokens hold no text to translate.
fn pending_is_empty(source: &str, tokens: &[Token]) -> bool {
    !tokens
        .iter()
        .any(|t| matches!(t, Token::Text(r) if !source[r.clone()].trim().is_empty()))
}

/// Text with its character references decoded.
fn decode(text: &str) -> String {
    html_escape::decode_html_entities(text).into_owned()
}

/// Text escaped as XML escapes it (`&`, `<`, `>`), and a no-break space as a numeric reference:
/// XHTML has no `&nbsp;`.
fn escape_into(out: &mut String, text: &str) {
    let escaped = quick_xml::escape::partial_escape(text);
    if escaped.contains('\u{a0}') {
        out.push_str(&escaped.replace('\u{a0}', "&#160;"));
    } else {
        out.push_str(&escaped);
    }
}

#[cfg(test)]
mod tests;
