//! The `zh` tokenizer: Chinese characters split apart, the rest tokenized as mteval-v13a.

use super::regexp;
use crate::metrics::pytext::strip;

/// sacreBLEU's `_UCODE_RANGES`, compared as Python compares strings. Two of its entries are
/// written `'\u20000'` and `'\u2f800'`, which Python reads as two-character strings ("\u2000"
/// followed by "0"), so for one character they mean U+2001..=U+2A6D and U+2F81..=U+2FA1. The
/// ranges below are those effective ones: sacreBLEU's scores depend on them.
const RANGES: &[(char, char)] = &[
    ('\u{3400}', '\u{4db5}'),
    ('\u{4e00}', '\u{9fa5}'),
    ('\u{9fa6}', '\u{9fbb}'),
    ('\u{f900}', '\u{fa2d}'),
    ('\u{fa30}', '\u{fa6a}'),
    ('\u{fa70}', '\u{fad9}'),
    ('\u{2001}', '\u{2a6d}'),
    ('\u{2f81}', '\u{2fa1}'),
    ('\u{ff00}', '\u{ffef}'),
    ('\u{2e80}', '\u{2eff}'),
    ('\u{3000}', '\u{303f}'),
    ('\u{31c0}', '\u{31ef}'),
    ('\u{2f00}', '\u{2fdf}'),
    ('\u{2ff0}', '\u{2fff}'),
    ('\u{3100}', '\u{312f}'),
    ('\u{31a0}', '\u{31bf}'),
    ('\u{fe10}', '\u{fe1f}'),
    ('\u{fe30}', '\u{fe4f}'),
    ('\u{2600}', '\u{26ff}'),
    ('\u{2700}', '\u{27bf}'),
    ('\u{3200}', '\u{32ff}'),
    ('\u{3300}', '\u{33ff}'),
];

fn is_chinese_char(c: char) -> bool {
    RANGES.iter().any(|&(lo, hi)| lo <= c && c <= hi)
}

pub fn tokenize(line: &str) -> String {
    let mut spaced = String::with_capacity(line.len() * 2);
    for c in strip(line).chars() {
        if is_chinese_char(c) {
            spaced.push(' ');
            spaced.push(c);
            spaced.push(' ');
        } else {
            spaced.push(c);
        }
    }
    regexp::tokenize(&spaced)
}
