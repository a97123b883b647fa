//! sacreBLEU's `TokenizerRegexp`, the language-dependent part of mteval-v13a shared by the `13a`
//! and `zh` tokenizers (and by TER's normalizer).

use crate::metrics::pytext::{normalize_spaces, pad_chars, sub_pairs};

/// The character class `[\{-\~\[-\` -\&\(-\+\:-\@\/]` of mteval-v13a.
pub fn is_13a_symbol(c: char) -> bool {
    matches!(c, '{'..='~' | '['..='`' | ' '..='&' | '('..='+' | ':'..='@' | '/')
}

/// The punctuation rules of mteval-v13a, without the final whitespace normalization.
pub fn split_punctuation(line: &str) -> String {
    split_punctuation_after_symbols(&pad_chars(line, is_13a_symbol))
}

/// The period, comma and dash rules of mteval-v13a (tercom applies them after its own steps).
pub fn split_punctuation_after_symbols(line: &str) -> String {
    let is_period_or_comma = |c: char| c == '.' || c == ',';
    let not_digit = |c: char| !c.is_ascii_digit();
    // period and comma unless preceded by a digit: r'\1 \2 '
    let line = sub_pairs(line, not_digit, is_period_or_comma, |o, a, b| {
        o.push(a);
        o.push(' ');
        o.push(b);
        o.push(' ');
    });
    // period and comma unless followed by a digit: r' \1 \2'
    let line = sub_pairs(&line, is_period_or_comma, not_digit, |o, a, b| {
        o.push(' ');
        o.push(a);
        o.push(' ');
        o.push(b);
    });
    // dash when preceded by a digit: r'\1 \2 '
    sub_pairs(
        &line,
        |c| c.is_ascii_digit(),
        |c| c == '-',
        |o, a, b| {
            o.push(a);
            o.push(' ');
            o.push(b);
            o.push(' ');
        },
    )
}

/// `TokenizerRegexp.__call__`: punctuation rules, then single spaces.
pub fn tokenize(line: &str) -> String {
    normalize_spaces(&split_punctuation(line))
}
