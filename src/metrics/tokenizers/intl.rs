//! The `intl` tokenizer: mteval-v14's international tokenization on Unicode categories.

use unicode_general_category::{get_general_category, GeneralCategory as G};

use crate::metrics::pytext::{normalize_spaces, pad_chars, sub_pairs};

fn is_punctuation(c: char) -> bool {
    matches!(
        get_general_category(c),
        G::ConnectorPunctuation
            | G::DashPunctuation
            | G::OpenPunctuation
            | G::ClosePunctuation
            | G::InitialPunctuation
            | G::FinalPunctuation
            | G::OtherPunctuation
    )
}

fn is_number(c: char) -> bool {
    matches!(
        get_general_category(c),
        G::DecimalNumber | G::LetterNumber | G::OtherNumber
    )
}

fn is_symbol(c: char) -> bool {
    matches!(
        get_general_category(c),
        G::MathSymbol | G::CurrencySymbol | G::ModifierSymbol | G::OtherSymbol
    )
}

pub fn tokenize(line: &str) -> String {
    // r'(\P{N})(\p{P})' -> r'\1 \2 '
    let line = sub_pairs(
        line,
        |c| !is_number(c),
        is_punctuation,
        |o, a, b| {
            o.push(a);
            o.push(' ');
            o.push(b);
            o.push(' ');
        },
    );
    // r'(\p{P})(\P{N})' -> r' \1 \2'
    let line = sub_pairs(
        &line,
        is_punctuation,
        |c| !is_number(c),
        |o, a, b| {
            o.push(' ');
            o.push(a);
            o.push(' ');
            o.push(b);
        },
    );
    // r'(\p{S})' -> r' \1 '
    normalize_spaces(&pad_chars(&line, is_symbol))
}
