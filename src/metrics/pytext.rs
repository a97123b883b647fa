//! Python `str` semantics that sacreBLEU's numbers depend on.
//!
//! sacreBLEU splits, strips and lowercases with Python's string methods; to match it to the last
//! digit entente must use the same definitions, which differ from Rust's in small ways (Python's
//! `str.split()` also splits on the information separators U+001C..U+001F, for instance).

/// Python's `str.isspace()` for one character.
pub fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.split()` with no argument.
pub fn split(s: &str) -> impl Iterator<Item = &str> {
    s.split(is_space).filter(|w| !w.is_empty())
}

/// Python's `str.rstrip()`.
pub fn rstrip(s: &str) -> &str {
    s.trim_end_matches(is_space)
}

/// Python's `str.strip()`.
pub fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// Python's `' '.join(s.split())`.
pub fn normalize_spaces(s: &str) -> String {
    if s.is_ascii() {
        // Fast path: Python's ASCII whitespace is \t \n \v \f \r, \x1c-\x1f and space.
        let mut out = String::with_capacity(s.len());
        for word in s
            .split(|c: char| matches!(c, '\t'..='\r' | '\x1c'..='\x1f' | ' '))
            .filter(|w| !w.is_empty())
        {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
        return out;
    }
    let mut out = String::with_capacity(s.len());
    for word in split(s) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Python's `str.lower()` (full Unicode mapping, final sigma included, as Rust's).
pub fn lower(s: &str) -> String {
    s.to_lowercase()
}

/// Python's `re.sub` for a two-character pattern `(A)(B)`: scans left to right, and after a
/// match continues behind it, exactly as the regex engine does for fixed-width patterns.
pub fn sub_pairs(
    s: &str,
    first: impl Fn(char) -> bool,
    second: impl Fn(char) -> bool,
    replace: impl Fn(&mut String, char, char),
) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match chars.peek() {
            Some(&next) if first(c) && second(next) => {
                replace(&mut out, c, next);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// Python's `re.sub(r'(X)', r' \1 ', s)` for a one-character class X.
pub fn pad_chars(s: &str, class: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if class(c) {
            out.push(' ');
            out.push(c);
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// Python's `repr(float)` for the values sacreBLEU prints in JSON (shortest round-trip digits,
/// `.0` on integral values, exponent notation outside [1e-4, 1e16)).
pub fn float_repr(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let abs = x.abs();
    if x != 0.0 && !(1e-4..1e16).contains(&abs) {
        // Rust's `{:e}` gives "1e-5"; Python gives "1e-05".
        let s = format!("{x:e}");
        let (mantissa, exp) = s.split_once('e').expect("exponent");
        let exp: i32 = exp.parse().expect("exponent digits");
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.abs());
    }
    let s = format!("{x}");
    if s.contains('.') {
        s
    } else {
        format!("{s}.0")
    }
}

/// Python's `f"{x:.{width}f}"`: exact decimal rounding, ties to even on the binary value.
pub fn format_fixed(x: f64, width: usize) -> String {
    format!("{x:.width$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_whitespace() {
        assert_eq!(
            split("a\u{1c}b \u{a0}c\u{3000}").collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        assert_eq!(rstrip("ab \u{1f}\r"), "ab");
        assert_eq!(rstrip("\u{feff}ab"), "\u{feff}ab");
    }

    #[test]
    fn pairs_do_not_overlap() {
        // re.sub(r'([^0-9])([\.,])', r'\1 \2 ', 'a..b') == 'a . .b'
        let out = sub_pairs(
            "a..b",
            |c| !c.is_ascii_digit(),
            |c| c == '.' || c == ',',
            |o, a, b| {
                o.push(a);
                o.push(' ');
                o.push(b);
                o.push(' ');
            },
        );
        assert_eq!(out, "a . .b");
    }

    #[test]
    fn float_reprs() {
        assert_eq!(float_repr(26.3), "26.3");
        assert_eq!(float_repr(26.0), "26.0");
        assert_eq!(float_repr(0.0), "0.0");
        assert_eq!(float_repr(1e-5), "1e-05");
        assert_eq!(format_fixed(0.25, 1), "0.2");
        assert_eq!(format_fixed(0.35, 1), "0.3"); // 0.35 is 0.34999… in binary
    }
}
