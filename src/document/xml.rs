//! XML parts of office documents (DOCX, PPTX, ODT, ODP): each paragraph's text with its runs and
//! spans lifted out and put back around the words of its translation; every byte outside the
//! paragraphs, and every element of a paragraph that is not text, written back as it was.
//! Parsing is quick-xml's; only the predefined entities and character references are read (an
//! entity a DTD declares is refused, so nothing expands).

use std::ops::Range;

use super::blocks::TranslatedBlock;
use super::format::DocumentError;

mod tokens;

use super::inline::{render, InlineText, Lifter, Piece};
use tokens::{breaks_words, matching_ends, tokenize, Kind, Token};

/// Paragraphs inside paragraphs (a text box in a run) deeper than this are refused.
const MAX_PARAGRAPH_NESTING: usize = 32;

/// Which elements of a format hold paragraphs, runs and text.
pub struct Profile {
    pub paragraphs: &'static [&'static str],
    /// Runs: elements whose text sits in `text` children and whose properties come first
    /// (DOCX `w:r`, PPTX `a:r`). They tile their paragraph: every character is in one.
    pub runs: &'static [&'static str],
    pub text: &'static str,
    /// Written around a run's text: the text element's start and end tags.
    pub text_tags: (&'static str, &'static str),
    /// Inside a run, elements that may be dropped (layout hints the application recomputes).
    pub droppable: &'static [&'static str],
    /// Elements that wrap text or runs (links, spans).
    pub spans: &'static [&'static str],
    /// An element standing for spaces (ODF `text:s`).
    pub space: Option<&'static str>,
}

pub const DOCX: Profile = Profile {
    paragraphs: &["w:p"],
    runs: &["w:r"],
    text: "w:t",
    text_tags: ("<w:t xml:space=\"preserve\">", "</w:t>"),
    droppable: &["w:lastRenderedPageBreak", "w:proofErr"],
    spans: &["w:hyperlink", "w:smartTag", "w:ins"],
    space: None,
};

pub const PPTX: Profile = Profile {
    paragraphs: &["a:p"],
    runs: &["a:r"],
    text: "a:t",
    text_tags: ("<a:t>", "</a:t>"),
    droppable: &[],
    spans: &[],
    space: None,
};

pub const ODF: Profile = Profile {
    paragraphs: &["text:p", "text:h"],
    runs: &[],
    text: "",
    text_tags: ("", ""),
    droppable: &[],
    spans: &["text:span", "text:a"],
    space: Some("text:s"),
};

/// What goes to the output, in order.
enum Segment {
    Copy(Range<usize>),
    /// Markup made here: a tab or break of a run given a run of its own.
    Made(String),
    Paragraph(Box<Paragraph>),
}

/// A paragraph: its tags, what stays before and after its text, and how each element is
/// written.
struct Paragraph {
    block: usize,
    open: Range<usize>,
    close: Range<usize>,
    prefix: Vec<Segment>,
    /// Per element: (what opens it, what closes it); a point: its own segments.
    elements: Vec<Element>,
}

enum Element {
    Wrap(String, String),
    Point(Vec<Segment>),
}

/// A parsed XML part: its paragraphs' blocks, and how to write it back.
pub struct XmlPart<'s> {
    source: &'s str,
    segments: Vec<Segment>,
    pub blocks: Vec<InlineText>,
    profile: &'static Profile,
}

impl<'s> XmlPart<'s> {
    pub fn parse(
        source: &'s str,
        part: &str,
        profile: &'static Profile,
    ) -> Result<Self, DocumentError> {
        let tokens = tokenize(source, part)?;
        let mut doc = XmlPart {
            source,
            segments: Vec::new(),
            blocks: Vec::new(),
            profile,
        };
        let ends = matching_ends(&tokens);
        doc.segments = doc.segments_of(&tokens, &ends, 0..tokens.len(), 0, part)?;
        Ok(doc)
    }

    /// The segments of `tokens[range]`: paragraphs lifted, the rest copied.
    fn segments_of(
        &mut self,
        tokens: &[Token],
        ends: &[usize],
        range: Range<usize>,
        depth: usize,
        part: &str,
    ) -> Result<Vec<Segment>, DocumentError> {
        if depth > MAX_PARAGRAPH_NESTING {
            return Err(DocumentError::Part {
                part: part.to_string(),
                why: format!("paragraphs nested more than {MAX_PARAGRAPH_NESTING} deep"),
            });
        }
        let mut out = Vec::new();
        let mut i = range.start;
        while i < range.end {
            match &tokens[i].kind {
                Kind::Start(name) if self.profile.paragraphs.contains(&name.as_str()) => {
                    let end = ends[i];
                    out.push(self.paragraph(tokens, ends, (i, end), depth, part)?);
                    i = end + 1;
                }
                _ => {
                    push_copy(&mut out, tokens[i].range.clone());
                    i += 1;
                }
            }
        }
        Ok(out)
    }

    /// The paragraph opened at `open` and closed at `close`. What comes before its first text
    /// stays first (paragraph properties); every other element that is not text is a point,
    /// written back (its own paragraphs translated) where the words around it went.
    fn paragraph(
        &mut self,
        tokens: &[Token],
        ends: &[usize],
        (open, close): (usize, usize),
        depth: usize,
        part: &str,
    ) -> Result<Segment, DocumentError> {
        let mut lift = Lift::default();
        let mut i = open + 1;
        while i < close {
            let until = match self.lift_text(&mut lift, tokens, ends, i) {
                Some(next) => next,
                None => {
                    // Not text: a point (or, before any text, the prefix), its end included.
                    let until = match tokens[i].kind {
                        Kind::Start(_) => ends[i],
                        _ => i,
                    };
                    let inner = self.segments_of(tokens, ends, i..until + 1, depth + 1, part)?;
                    lift.point(inner, tokens[i..until + 1].iter().any(breaks_words));
                    until
                }
            };
            i = until + 1;
        }
        let block = lift.lifter.finish();
        if !lift.has_text {
            return Ok(Segment::Copy(
                tokens[open].range.start..tokens[close].range.end,
            ));
        }
        self.blocks.push(block);
        Ok(Segment::Paragraph(Box::new(Paragraph {
            block: self.blocks.len() - 1,
            open: tokens[open].range.clone(),
            close: tokens[close].range.clone(),
            prefix: lift.prefix,
            elements: lift.elements,
        })))
    }

    /// Lift token `i` of a paragraph if it is text or wraps text (a run, a span, a space); the
    /// last token it took. `None`: it is something else.
    fn lift_text(
        &self,
        lift: &mut Lift,
        tokens: &[Token],
        ends: &[usize],
        i: usize,
    ) -> Option<usize> {
        let profile = self.profile;
        let token = &tokens[i];
        match &token.kind {
            Kind::Start(name) if profile.runs.contains(&name.as_str()) => {
                let until = ends[i];
                let (pieces, content) = self.run_pieces(tokens, ends, (i, until))?;
                // The run's properties say its text is now English (spell-checking, hyphenation).
                let start = english_language(&self.source[token.range.start..content]);
                let end = &self.source[tokens[until].range.clone()];
                let (t_open, t_close) = profile.text_tags;
                // Each text piece is a run of its own with the run's properties; a tab or break
                // between them is one too, a point that keeps words apart.
                for piece in pieces {
                    match piece {
                        RunPiece::Text(text) => {
                            lift.lifter.open();
                            lift.lifter.text(&text);
                            lift.lifter.close();
                            lift.elements.push(Element::Wrap(
                                format!("{start}{t_open}"),
                                format!("{t_close}{end}"),
                            ));
                            lift.has_text |= !text.trim().is_empty();
                        }
                        RunPiece::Break(range) => {
                            let markup = format!("{start}{}{end}", &self.source[range]);
                            lift.point(vec![Segment::Made(markup)], true);
                        }
                    }
                }
                Some(until)
            }
            Kind::Start(name) if profile.spans.contains(&name.as_str()) => {
                lift.lifter.open();
                let end = &self.source[tokens[ends[i]].range.clone()];
                lift.elements.push(Element::Wrap(
                    self.source[token.range.clone()].to_string(),
                    end.to_string(),
                ));
                Some(i)
            }
            Kind::End(name) if profile.spans.contains(&name.as_str()) => {
                lift.lifter.close();
                Some(i)
            }
            Kind::Text(text) if profile.runs.is_empty() => {
                lift.lifter.text(text);
                lift.has_text |= !text.trim().is_empty();
                Some(i)
            }
            Kind::Empty(name) if Some(name.as_str()) == profile.space => {
                lift.lifter.text(" ");
                Some(i)
            }
            // Whitespace between the elements of a run format is not text: kept before the
            // first text, dropped after it.
            Kind::Text(text) if text.trim().is_empty() => {
                if !lift.started() {
                    lift.prefix.push(Segment::Copy(token.range.clone()));
                }
                Some(i)
            }
            _ => None,
        }
    }

    /// A run's pieces — its text elements' text, and the tabs and breaks between them — and where
    /// its content starts (after its properties), when the run holds nothing else but droppable
    /// hints; `None` otherwise (a drawing, a field: the run is then kept whole).
    fn run_pieces(
        &self,
        tokens: &[Token],
        ends: &[usize],
        (open, close): (usize, usize),
    ) -> Option<(Vec<RunPiece>, usize)> {
        let profile = self.profile;
        let mut pieces: Vec<RunPiece> = Vec::new();
        let mut content = None;
        let mut i = open + 1;
        while i < close {
            let end = ends[i];
            let token = &tokens[i];
            match &token.kind {
                Kind::Start(name) | Kind::Empty(name) if *name == profile.text => {
                    content.get_or_insert(token.range.start);
                    let mut text = String::new();
                    for t in tokens.get(i + 1..end).unwrap_or(&[]) {
                        match &t.kind {
                            Kind::Text(x) => text.push_str(x),
                            _ => return None,
                        }
                    }
                    match pieces.last_mut() {
                        Some(RunPiece::Text(last)) => last.push_str(&text),
                        _ => pieces.push(RunPiece::Text(text)),
                    }
                }
                Kind::Start(name) | Kind::Empty(name)
                    if content.is_none() && name.ends_with(":rPr") => {}
                Kind::Start(name) | Kind::Empty(name)
                    if profile.droppable.contains(&name.as_str()) => {}
                Kind::Empty(_) if breaks_words(token) => {
                    content.get_or_insert(token.range.start);
                    pieces.push(RunPiece::Break(token.range.clone()));
                }
                Kind::Text(x) if x.trim().is_empty() => {}
                _ => return None,
            }
            i = end + 1;
        }
        pieces
            .iter()
            .any(|p| matches!(p, RunPiece::Text(_)))
            .then_some((pieces, content?))
    }

    /// The part with each paragraph's block replaced by its translation (one per
    /// [`Self::blocks`]); `tile` as the blocks were placed.
    pub fn write(&self, translated: &[TranslatedBlock]) -> String {
        let mut out = String::with_capacity(self.source.len());
        self.write_segments(&mut out, &self.segments, translated);
        out
    }

    fn write_segments(
        &self,
        out: &mut String,
        segments: &[Segment],
        translated: &[TranslatedBlock],
    ) {
        for segment in segments {
            match segment {
                Segment::Copy(range) => out.push_str(&self.source[range.clone()]),
                Segment::Made(markup) => out.push_str(markup),
                Segment::Paragraph(p) => {
                    let (block, t) = (&self.blocks[p.block], &translated[p.block]);
                    out.push_str(&self.source[p.open.clone()]);
                    self.write_segments(out, &p.prefix, translated);
                    let spacing = self.profile.runs.is_empty();
                    let placement = &t.placement;
                    for piece in render(&t.text, block, &placement.ranges, &placement.rank, spacing)
                    {
                        match piece {
                            Piece::Text(text) => {
                                out.push_str(&quick_xml::escape::partial_escape(text))
                            }
                            Piece::Open(i) => {
                                if let Element::Wrap(open, _) = &p.elements[i] {
                                    out.push_str(open);
                                }
                            }
                            Piece::Close(i) => {
                                if let Element::Wrap(_, close) = &p.elements[i] {
                                    out.push_str(close);
                                }
                            }
                            Piece::Point(i) => {
                                if let Element::Point(inner) = &p.elements[i] {
                                    self.write_segments(out, inner, translated);
                                }
                            }
                        }
                    }
                    out.push_str(&self.source[p.close.clone()]);
                }
            }
        }
    }

    /// Whether runs tile their paragraphs in this part's format.
    pub fn tiles(&self) -> bool {
        !self.profile.runs.is_empty()
    }
}

/// What a run holds, in order: text (its text elements' text together), or a tab or break.
enum RunPiece {
    Text(String),
    Break(Range<usize>),
}

/// A paragraph being lifted: its text and elements so far, and what stays before its text.
#[derive(Default)]
struct Lift {
    lifter: Lifter,
    elements: Vec<Element>,
    prefix: Vec<Segment>,
    has_text: bool,
}

impl Lift {
    /// Whether text (or an element that wraps it) has begun.
    fn started(&self) -> bool {
        self.has_text || self.lifter.open_count() > 0
    }

    /// Something that is not text: a point once text has begun, else part of the prefix.
    fn point(&mut self, inner: Vec<Segment>, breaks: bool) {
        if !self.started() {
            self.prefix.extend(inner);
            return;
        }
        if breaks {
            self.lifter.break_point();
        } else {
            self.lifter.point();
        }
        self.elements.push(Element::Point(inner));
    }
}

/// A run's start tag and properties with a French language tag made English: DOCX
/// `<w:lang w:val="fr-FR"/>`, PPTX `lang="fr-FR"`.
fn english_language(properties: &str) -> String {
    let mut out = String::with_capacity(properties.len());
    let mut rest = properties;
    while let Some(at) = rest.find("lang") {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        // `lang="fr…"` (PPTX) or `lang w:val="fr…"` (DOCX's element, its first attribute).
        let value_at = ["lang=\"", "lang w:val=\""]
            .iter()
            .find_map(|p| tail.strip_prefix(p).map(|v| (tail.len() - v.len(), v)));
        match value_at {
            Some((skip, value)) if value.starts_with("fr") => {
                let end = value.find('"').unwrap_or(value.len());
                out.push_str(&tail[..skip]);
                out.push_str("en-US");
                rest = &value[end..];
            }
            _ => {
                out.push_str("lang");
                rest = &tail[4..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Append a copied range, merged with the previous one when they touch.
fn push_copy(out: &mut Vec<Segment>, range: Range<usize>) {
    if let Some(Segment::Copy(last)) = out.last_mut() {
        if last.end == range.start {
            last.end = range.end;
            return;
        }
    }
    out.push(Segment::Copy(range));
}

#[cfg(test)]
mod tests;
