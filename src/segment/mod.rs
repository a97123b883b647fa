//! French sentence segmentation for text scraped from the web.
//!
//! This module owns the split of an article into paragraphs and sentences, as byte spans into the
//! original text. A paragraph is one input line (or, with [`SegmentOptions::join_lines`], a run of
//! non-blank lines); a line break is always a boundary, so headlines, date lines, captions and
//! credits stand alone. Inside a paragraph a boundary is proposed after a cluster of final
//! punctuation (`.`, `!`, `?`, `…`, `...`, French-spaced `? !`), extended over closing quotes and
//! brackets, and then accepted or rejected from the word before it (abbreviations, initials,
//! numbered items) and the word after it (French sentences start with a capital, a digit, a
//! quote or a dialogue dash).
//!
//! Invariant: the sentences of a text cover every non-whitespace byte exactly once, in order.
//! Nothing is dropped, a truncated last paragraph included. Work is linear in the input size.

pub mod abbrev;

use std::ops::Range;

use serde::Serialize;

/// One sentence: paragraph and sentence indices (0-based) and its byte span in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Sentence {
    pub para: usize,
    pub sent: usize,
    pub start: usize,
    pub end: usize,
}

impl Sentence {
    /// The sentence's text, sliced from the input it was computed on.
    pub fn text<'a>(&self, input: &'a str) -> &'a str {
        &input[self.start..self.end]
    }
}

/// How the input is cut into paragraphs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SegmentOptions {
    /// Hard-wrapped text: a single newline is a space, a blank line ends a paragraph.
    pub join_lines: bool,
}

/// A French sentence segmenter. Cheap to build; holds only its options.
#[derive(Debug, Clone, Default)]
pub struct Segmenter {
    options: SegmentOptions,
}

/// Longest word (in bytes) inspected before a period; longer words are never abbreviations.
const MAX_WORD_LOOKBACK: usize = 64;

impl Segmenter {
    pub fn new(options: SegmentOptions) -> Self {
        Segmenter { options }
    }

    /// Byte ranges of the paragraphs of `text`, trimmed of surrounding whitespace; blank lines
    /// produce none.
    pub fn paragraphs(&self, text: &str) -> Vec<Range<usize>> {
        let mut paragraphs = Vec::new();
        let mut offset = 0;
        let mut open: Option<Range<usize>> = None;
        for line in text.split_inclusive('\n') {
            let line_start = offset;
            offset += line.len();
            let Some(content) = trimmed_range(line) else {
                if let Some(para) = open.take() {
                    paragraphs.push(para);
                }
                continue;
            };
            let content = line_start + content.start..line_start + content.end;
            match (&mut open, self.options.join_lines) {
                (Some(para), true) => para.end = content.end,
                _ => {
                    if let Some(para) = open.replace(content) {
                        paragraphs.push(para);
                    }
                }
            }
        }
        paragraphs.extend(open);
        paragraphs
    }

    /// Sentence spans inside one paragraph, relative to `paragraph`, each trimmed of whitespace.
    pub fn sentence_spans(&self, paragraph: &str) -> Vec<Range<usize>> {
        let mut spans = Vec::new();
        let mut sentence_start = 0;
        let mut quotes = QuoteParity::default();
        let mut cursor = 0;
        while let Some(found) = find_candidate(&paragraph.as_bytes()[cursor..]) {
            let term_start = cursor + found;
            let (kind, term_end) = match paragraph.as_bytes()[term_start] {
                b';' => (Candidate::Semicolon, term_start + 1),
                b')' if is_emoticon_end(paragraph, term_start) => {
                    (Candidate::Emoticon, term_start + 1)
                }
                b')' => {
                    cursor = term_start + 1;
                    continue;
                }
                _ => (Candidate::Punctuation, cluster_end(paragraph, term_start)),
            };
            cursor = term_end;
            if is_bracketed_ellipsis(paragraph, term_start, term_end) {
                continue;
            }
            let close_end = match kind {
                Candidate::Punctuation => closers_end(paragraph, term_end, |at| {
                    quotes.is_open(paragraph, sentence_start, at)
                }),
                _ => term_end,
            };
            let Some(after) = char_at(paragraph, close_end) else {
                break; // the paragraph ends here: the rest is its last sentence
            };
            if !after.is_whitespace() {
                continue; // "3.5", "lemonde.fr", "?!)" inside a word
            }
            let next_start = skip_whitespace(paragraph, close_end);
            if next_start == paragraph.len() {
                break;
            }
            let cluster = &paragraph[term_start..term_end];
            let next = &paragraph[next_start..];
            let boundary = match kind {
                // In French a semicolon is followed by a lowercase word; a capital means the
                // text glued two sentences (lists, forum posts).
                Candidate::Semicolon => next.chars().next().is_some_and(char::is_uppercase),
                Candidate::Emoticon => starts_sentence(next),
                Candidate::Punctuation if cluster == "." => {
                    period_ends_sentence(paragraph, sentence_start, term_start, next)
                }
                Candidate::Punctuation => starts_sentence(next),
            };
            if boundary {
                if let Some(span) = trimmed_range(&paragraph[sentence_start..close_end]) {
                    spans.push(sentence_start + span.start..sentence_start + span.end);
                }
                sentence_start = next_start;
                cursor = next_start;
            }
        }
        if let Some(span) = trimmed_range(&paragraph[sentence_start..]) {
            spans.push(sentence_start + span.start..sentence_start + span.end);
        }
        spans
    }

    /// All sentences of `text`, with paragraph and sentence indices and absolute byte spans.
    pub fn segment(&self, text: &str) -> Vec<Sentence> {
        let mut sentences = Vec::new();
        for (para, range) in self.paragraphs(text).into_iter().enumerate() {
            let paragraph = &text[range.clone()];
            for (sent, span) in self.sentence_spans(paragraph).into_iter().enumerate() {
                sentences.push(Sentence {
                    para,
                    sent,
                    start: range.start + span.start,
                    end: range.start + span.end,
                });
            }
        }
        sentences
    }
}

/// Segment `text` with default options and return the sentences as string slices.
pub fn split_sentences(text: &str) -> Vec<&str> {
    Segmenter::default()
        .segment(text)
        .iter()
        .map(|s| s.text(text))
        .collect()
}

/// Collapse the whitespace runs that contain a line break into one space, so that a sentence of
/// hard-wrapped text prints on one line.
pub fn single_line(sentence: &str) -> std::borrow::Cow<'_, str> {
    if !sentence.chars().any(is_line_break) {
        return sentence.into();
    }
    let mut out = String::with_capacity(sentence.len());
    let mut pending = String::new();
    let mut pending_has_break = false;
    for c in sentence.chars() {
        if c.is_whitespace() {
            pending.push(c);
            pending_has_break |= is_line_break(c);
            continue;
        }
        if pending_has_break {
            out.push(' ');
        } else {
            out.push_str(&pending);
        }
        pending.clear();
        pending_has_break = false;
        out.push(c);
    }
    out.into()
}

fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

fn trimmed_range(s: &str) -> Option<Range<usize>> {
    let start = s.len() - s.trim_start().len();
    let end = s.trim_end().len();
    (start < end).then_some(start..end)
}

fn char_at(s: &str, at: usize) -> Option<char> {
    s.get(at..)?.chars().next()
}

fn char_before(s: &str, at: usize) -> Option<char> {
    s[..at].chars().next_back()
}

/// What kind of boundary candidate was found.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Candidate {
    /// `.`, `!`, `?`, `…` and their clusters.
    Punctuation,
    /// `;` (a boundary only before a capital).
    Semicolon,
    /// The end of `;)`, `:)`, `:-(`: forum text ends sentences with them.
    Emoticon,
}

/// Offset of the first possible boundary: `.`, `!`, `?`, `;`, `)` or `…` (U+2026, E2 80 A6).
fn find_candidate(bytes: &[u8]) -> Option<usize> {
    bytes.iter().enumerate().find_map(|(i, &b)| match b {
        b'.' | b'!' | b'?' | b';' | b')' => Some(i),
        0xE2 if bytes.get(i + 1..i + 3) == Some(&[0x80, 0xA6]) => Some(i),
        _ => None,
    })
}

/// Is the `)` or `(` at `at` the mouth of an emoticon such as `;)`, `:)` or `:-(`?
fn is_emoticon_end(s: &str, at: usize) -> bool {
    let before = &s.as_bytes()[..at];
    let eyes = match before {
        [.., eyes, b'-'] => *eyes,
        [.., eyes] => *eyes,
        [] => return false,
    };
    matches!(eyes, b':' | b';')
}

/// Parity of straight double quotes in the current sentence, counted incrementally so that the
/// scan stays linear however many candidates a sentence holds.
#[derive(Default)]
struct QuoteParity {
    sentence_start: usize,
    counted_to: usize,
    count: usize,
}

impl QuoteParity {
    /// True when an odd number of `"` precede `at` in the sentence starting at
    /// `sentence_start`: a quote there closes a quotation.
    fn is_open(&mut self, s: &str, sentence_start: usize, at: usize) -> bool {
        if sentence_start != self.sentence_start || at < self.counted_to {
            *self = QuoteParity {
                sentence_start,
                counted_to: sentence_start,
                count: 0,
            };
        }
        self.count += s.as_bytes()[self.counted_to..at]
            .iter()
            .filter(|&&b| b == b'"')
            .count();
        self.counted_to = at;
        self.count % 2 == 1
    }
}

/// Horizontal spaces that French typography puts before `!`, `?`, `»`.
fn is_inline_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\u{A0}' | '\u{202F}' | '\u{2009}')
}

fn skip_inline_spaces(s: &str, mut at: usize) -> usize {
    while let Some(c) = char_at(s, at).filter(|&c| is_inline_space(c)) {
        at += c.len_utf8();
    }
    at
}

fn skip_whitespace(s: &str, at: usize) -> usize {
    s.len() - s[at..].trim_start().len()
}

/// End of the punctuation cluster starting at `start`: a run of periods, or any mix of `!`, `?`
/// and `…` where French spacing may separate the marks ("Quoi ? !").
fn cluster_end(s: &str, start: usize) -> usize {
    let mut end = start;
    while let Some(c) = char_at(s, end) {
        match c {
            '.' | '!' | '?' | '…' => end += c.len_utf8(),
            _ => {
                let after_spaces = skip_inline_spaces(s, end);
                match char_at(s, after_spaces) {
                    Some('!' | '?') if after_spaces > end && end > start => end = after_spaces,
                    _ => break,
                }
            }
        }
    }
    end
}

/// "(…)" and "[...]" mark an omission inside a quote, not a sentence end.
fn is_bracketed_ellipsis(s: &str, start: usize, end: usize) -> bool {
    let cluster = &s[start..end];
    let is_ellipsis = cluster == "…" || (cluster.len() >= 3 && cluster.chars().all(|c| c == '.'));
    is_ellipsis
        && matches!(char_before(s, start), Some('(' | '['))
        && matches!(char_at(s, end), Some(')' | ']'))
}

/// End of the closing quotes and brackets that follow final punctuation: `. »`, `!"`, `.)`.
/// `quote_is_open(at)` tells whether a straight quote at `at` would close an open quotation.
fn closers_end(s: &str, mut end: usize, mut quote_is_open: impl FnMut(usize) -> bool) -> usize {
    loop {
        let after_spaces = skip_inline_spaces(s, end);
        let Some(c) = char_at(s, after_spaces) else {
            return end;
        };
        let attached = after_spaces == end;
        let closes = match c {
            '»' | '”' | ')' | ']' | '›' => true,
            // A spaced straight quote closes the sentence's quotation if one is open;
            // otherwise it opens the next sentence.
            '"' => attached || quote_is_open(after_spaces),
            '\'' | '’' => attached,
            _ => false,
        };
        if !closes {
            return end;
        }
        end = after_spaces + c.len_utf8();
    }
}

/// Does the text after a boundary candidate look like the start of a French sentence?
fn starts_sentence(next: &str) -> bool {
    let mut chars = next.chars();
    let Some(first) = chars.next() else {
        return true;
    };
    match first {
        c if c.is_uppercase() || c.is_ascii_digit() => true,
        '—' | '–' | '-' | '•' | '*' | '#' | '@' | '¿' | '¡' => true,
        '«' | '"' | '“' | '‘' | '(' | '[' => {
            let rest = chars.as_str().trim_start();
            rest.chars().next().is_none_or(|c| !c.is_lowercase())
        }
        _ => false,
    }
}

/// Is the single period at `period` (inside `para`) the end of a sentence?
fn period_ends_sentence(para: &str, sentence_start: usize, period: usize, next: &str) -> bool {
    let word_start = word_start_before(para, period);
    let Some(word_start) = word_start else {
        return starts_sentence(next); // an overlong token is no abbreviation
    };
    let raw = &para[word_start..period];
    let word = raw
        .trim_start_matches(['(', '[', '«', '"', '“', '‘', '\'', '’'])
        .trim_end_matches([')', ']', '»', '"', '”', '’', '\'']);
    // Elided articles and pronouns: "l'A. F. P.", "d'av. J.-C." look at the word after them.
    let word = word.rsplit(['\'', '’']).next().unwrap_or(word);
    if word.is_empty() {
        return starts_sentence(next);
    }
    if abbrev::is_prefix_abbreviation(word) || is_initial(word) {
        return false;
    }
    let next_is_capitalised = next.chars().next().is_some_and(char::is_uppercase);
    let short_lowercase = word.chars().count() <= 2 && word.chars().all(char::is_lowercase);
    if abbrev::is_final_abbreviation(word) || abbrev::is_dotted_acronym(word) || short_lowercase {
        return next_is_capitalised;
    }
    // "1. Introduction": a small number opening its sentence numbers a list item.
    let opens_sentence = para[sentence_start..word_start].trim().is_empty();
    if opens_sentence && word.len() <= 2 && word.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    // After an ordinary word a period ends the sentence, even before a lowercase word: web text
    // often starts sentences in lowercase. Only punctuation that cannot open a sentence says no.
    starts_sentence(next) || next.chars().next().is_some_and(char::is_lowercase)
}

/// A single capital letter: an initial ("J. Chirac", "A. F. P.").
fn is_initial(word: &str) -> bool {
    let mut chars = word.chars();
    matches!((chars.next(), chars.next()), (Some(c), None) if c.is_uppercase())
}

/// Start of the whitespace-delimited word that ends at `end`, or None if it is longer than
/// [`MAX_WORD_LOOKBACK`] bytes (keeps the scan linear on pathological input).
fn word_start_before(s: &str, end: usize) -> Option<usize> {
    let floor = end.saturating_sub(MAX_WORD_LOOKBACK);
    let mut start = end;
    for (i, c) in s[..end].char_indices().rev() {
        if c.is_whitespace() {
            return Some(start);
        }
        if i < floor {
            return None;
        }
        start = i;
    }
    Some(start)
}

#[cfg(test)]
mod tests;
