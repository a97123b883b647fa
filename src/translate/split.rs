//! Sources and articles in pieces: a source longer than the model's positions split at clause
//! boundaries (the longest prefix that fits, by binary search), and an article's translated
//! sentences joined back with the source's own line breaks.

use crate::segment::Sentence;

/// [`super::Translator::split_long`] with the token count given by `count`.
pub(super) fn split_to_fit(
    source: &str,
    limit: usize,
    count: impl Fn(&str) -> usize,
) -> Vec<String> {
    let fits = |s: &str| count(s) <= limit;
    if fits(source) {
        return vec![source.to_string()];
    }
    let mut pieces = Vec::new();
    let mut rest = source.trim();
    while !rest.is_empty() {
        // The smallest window (doubling from a few characters per allowed token) whose text
        // no longer fits, or the whole rest.
        let mut window = char_floor(rest, limit.saturating_mul(8).max(64));
        while window < rest.len() && fits(&rest[..window]) {
            window = char_floor(rest, window.saturating_mul(2));
        }
        if window >= rest.len() && fits(rest) {
            pieces.push(rest.to_string());
            break;
        }
        let scope = &rest[..window.min(rest.len())];
        let clause_ends: Vec<usize> = scope
            .char_indices()
            .filter(|&(_, c)| matches!(c, ',' | ';' | ':' | '.' | '!' | '?' | '…' | ')' | '»'))
            .map(|(i, c)| i + c.len_utf8())
            .filter(|&e| e < rest.len())
            .collect();
        let spaces: Vec<usize> = scope
            .char_indices()
            .filter(|&(i, c)| c == ' ' && i > 0)
            .map(|(i, _)| i)
            .collect();
        let char_ends: Vec<usize> = scope
            .char_indices()
            .map(|(i, c)| i + c.len_utf8())
            .collect();
        let fits_at = |end: usize| fits(&rest[..end]);
        let end = longest_fitting(&clause_ends, fits_at)
            .or_else(|| longest_fitting(&spaces, fits_at))
            .or_else(|| longest_fitting(&char_ends, fits_at))
            // Not even one character fits: it goes alone (the model sees it whole).
            .unwrap_or_else(|| rest.chars().next().map_or(1, char::len_utf8));
        pieces.push(rest[..end].trim().to_string());
        rest = rest[end..].trim_start();
    }
    pieces
}

/// The largest char boundary of `s` at or below `at` (at least the first character's end).
pub(super) fn char_floor(s: &str, at: usize) -> usize {
    if at >= s.len() {
        return s.len();
    }
    let mut i = at;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    if i == 0 {
        s.chars().next().map_or(0, char::len_utf8)
    } else {
        i
    }
}

/// The last of the increasing `candidates` for which `fits` holds, by binary search (prefix
/// token counts grow with the prefix, up to rare merges; the result is always checked).
pub(super) fn longest_fitting(candidates: &[usize], fits: impl Fn(usize) -> bool) -> Option<usize> {
    let (mut lo, mut hi) = (0, candidates.len());
    let mut best = None;
    while lo < hi {
        let mid = (lo + hi) / 2;
        if fits(candidates[mid]) {
            best = Some(candidates[mid]);
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    best
}

/// An article's translation laid out as its source: the sentences of a paragraph joined by a
/// space, and around and between paragraphs the source's own line breaks (blank lines and
/// single newlines alike; other whitespace there is dropped). `sentences` are the segmenter's
/// spans of `source`, `translations` their English, one each.
pub fn join_article(source: &str, sentences: &[Sentence], translations: &[&str]) -> String {
    let mut out = String::new();
    let mut last: Option<&Sentence> = None;
    for (s, t) in sentences.iter().zip(translations) {
        match last {
            Some(prev) if prev.para == s.para => out.push(' '),
            Some(prev) => push_newlines(&mut out, &source[prev.end..s.start], 1),
            None => push_newlines(&mut out, &source[..s.start], 0),
        }
        out.push_str(t);
        last = Some(s);
    }
    match last {
        Some(prev) => push_newlines(&mut out, &source[prev.end..], 0),
        None => push_newlines(&mut out, source, 0),
    }
    out
}

/// The newlines of `gap`, at least `at_least` of them.
pub(super) fn push_newlines(out: &mut String, gap: &str, at_least: usize) {
    let n = gap.matches('\n').count().max(at_least);
    out.extend(std::iter::repeat_n('\n', n));
}
