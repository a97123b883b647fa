//! The `13a` tokenizer: mteval-v13a.pl's tokenization, sacreBLEU's default.

use std::borrow::Cow;

use super::regexp;

pub fn tokenize(line: &str) -> String {
    // The language-independent part, in sacreBLEU's order; most lines need none of it.
    let mut text = Cow::Borrowed(line);
    for (from, to) in [("<skipped>", ""), ("-\n", ""), ("\n", " ")] {
        if text.contains(from) {
            text = text.replace(from, to).into();
        }
    }
    if text.contains('&') {
        for (from, to) in [
            ("&quot;", "\""),
            ("&amp;", "&"),
            ("&lt;", "<"),
            ("&gt;", ">"),
        ] {
            text = text.replace(from, to).into();
        }
    }
    regexp::tokenize_padded(&text)
}

#[cfg(test)]
mod tests {
    #[test]
    fn mteval_examples() {
        // Outputs of sacreBLEU 2.5.1's Tokenizer13a for the same inputs.
        assert_eq!(
            super::tokenize("Hello, world. 3.5-4"),
            "Hello , world . 3.5 - 4"
        );
        assert_eq!(super::tokenize("a &amp;quot; b"), "a & quot ; b");
    }
}
