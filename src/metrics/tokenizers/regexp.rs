//! sacreBLEU's `TokenizerRegexp`, the language-dependent part of mteval-v13a shared by the `13a`
//! and `zh` tokenizers (and by TER's normalizer).
//!
//! The four regular expressions are applied one after the other, as `re.sub` does, but on bytes:
//! every character class involved is ASCII or the complement of ASCII digits, so a UTF-8
//! continuation or lead byte plays exactly the role its character plays, and spaces are only ever
//! inserted at character boundaries. This is several times faster than working on `char`s.

use crate::metrics::pytext::normalize_spaces;

/// The character class `[\{-\~\[-\` -\&\(-\+\:-\@\/]` of mteval-v13a.
pub fn is_13a_symbol(c: char) -> bool {
    c.is_ascii() && is_13a_symbol_byte(c as u8)
}

/// The class as a byte table, for the hot loop.
const SYMBOLS: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        table[b] =
            matches!(c, b'{'..=b'~' | b'['..=b'`' | b' '..=b'&' | b'('..=b'+' | b':'..=b'@' | b'/');
        b += 1;
    }
    table
};

#[inline]
fn is_13a_symbol_byte(b: u8) -> bool {
    SYMBOLS[b as usize]
}

/// `re.sub(r'(A)(B)', replacement, s)` on bytes for two one-byte classes, into `out`.
fn sub_pairs_into(
    s: &[u8],
    out: &mut Vec<u8>,
    first: impl Fn(u8) -> bool,
    second: impl Fn(u8) -> bool,
    replace: impl Fn(&mut Vec<u8>, u8, u8),
) {
    out.clear();
    out.reserve(s.len() + 16);
    let mut i = 0;
    while i < s.len() {
        if i + 1 < s.len() && first(s[i]) && second(s[i + 1]) {
            replace(out, s[i], s[i + 1]);
            i += 2;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
}

fn is_period_or_comma(b: u8) -> bool {
    b == b'.' || b == b','
}

fn not_digit(b: u8) -> bool {
    !b.is_ascii_digit()
}

/// The period, comma and dash rules, from `a` (scratch `b`); the result ends in `a`.
fn punctuation_rules(a: &mut Vec<u8>, b: &mut Vec<u8>) {
    // period and comma unless preceded by a digit: r'\1 \2 '
    sub_pairs_into(a, b, not_digit, is_period_or_comma, |o, x, y| {
        o.extend_from_slice(&[x, b' ', y, b' ']);
    });
    // period and comma unless followed by a digit: r' \1 \2'
    sub_pairs_into(b, a, is_period_or_comma, not_digit, |o, x, y| {
        o.extend_from_slice(&[b' ', x, b' ', y]);
    });
    // dash when preceded by a digit: r'\1 \2 '
    sub_pairs_into(
        a,
        b,
        |x| x.is_ascii_digit(),
        |y| y == b'-',
        |o, x, y| {
            o.extend_from_slice(&[x, b' ', y, b' ']);
        },
    );
    std::mem::swap(a, b);
}

/// Bytes back to a string: spaces were only inserted at character boundaries.
fn into_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The period, comma and dash rules of mteval-v13a (tercom applies them after its own steps).
pub fn split_punctuation_after_symbols(line: &str) -> String {
    let (mut a, mut b) = (line.as_bytes().to_vec(), Vec::new());
    punctuation_rules(&mut a, &mut b);
    into_string(a)
}

/// Pad every mteval-v13a symbol with spaces (`re.sub(r'(X)', r' \1 ', s)`) into `out`.
fn pad_symbols_into(line: &[u8], out: &mut Vec<u8>) {
    for &b in line {
        if is_13a_symbol_byte(b) {
            out.extend_from_slice(&[b' ', b, b' ']);
        } else {
            out.push(b);
        }
    }
}

/// Pad every mteval-v13a symbol with spaces: `re.sub(r'(X)', r' \1 ', s)`.
pub fn pad_symbols(line: &str) -> String {
    let mut out = Vec::with_capacity(line.len() + 32);
    pad_symbols_into(line.as_bytes(), &mut out);
    into_string(out)
}

/// `TokenizerRegexp.__call__(f" {line} ")`, as mteval-v13a calls it.
pub fn tokenize_padded(line: &str) -> String {
    let mut a = Vec::with_capacity(line.len() + 48);
    // The surrounding spaces are themselves symbols: each becomes three spaces.
    pad_symbols_into(b" ", &mut a);
    pad_symbols_into(line.as_bytes(), &mut a);
    pad_symbols_into(b" ", &mut a);
    let mut b = Vec::with_capacity(a.len() + 16);
    punctuation_rules(&mut a, &mut b);
    normalize_spaces_bytes(a)
}

/// `' '.join(s.split())` on bytes, with an ASCII fast path.
fn normalize_spaces_bytes(bytes: Vec<u8>) -> String {
    if !bytes.is_ascii() {
        return normalize_spaces(&into_string(bytes));
    }
    let mut out = Vec::with_capacity(bytes.len());
    for word in bytes
        .split(|&b| matches!(b, b'\t'..=b'\r' | 0x1c..=0x1f | b' '))
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(b' ');
        }
        out.extend_from_slice(word);
    }
    into_string(out)
}

/// The punctuation rules of mteval-v13a, without the final whitespace normalization.
pub fn split_punctuation(line: &str) -> String {
    split_punctuation_after_symbols(&pad_symbols(line))
}

/// `TokenizerRegexp.__call__`: punctuation rules, then single spaces.
pub fn tokenize(line: &str) -> String {
    normalize_spaces(&split_punctuation(line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_behave_like_characters() {
        // Outputs of sacreBLEU 2.5.1: TokenizerRegexp()(s)
        assert_eq!(tokenize(" ä.ö,5 3-ü .x "), "ä . ö , 5 3 - ü . x");
        assert_eq!(tokenize("北京.欢迎,"), "北京 . 欢迎 ,");
    }
}
