//! The segmenter's core invariant: every non-whitespace byte of the input lies in exactly one
//! sentence, sentences are in order, trimmed and never empty. Checked on random text built from
//! the characters that drive the rules, and on the real sample article.

use entente::segment::{SegmentOptions, Segmenter};
use proptest::prelude::*;

fn check_lossless(text: &str, options: SegmentOptions) {
    let sentences = Segmenter::new(options).segment(text);
    let mut covered = vec![0u8; text.len()];
    let mut previous_end = 0;
    for s in &sentences {
        assert!(s.start < s.end, "empty sentence {s:?}");
        assert!(s.start >= previous_end, "overlap or disorder at {s:?}");
        let body = &text[s.start..s.end]; // panics if not on char boundaries
        assert_eq!(body.trim(), body, "untrimmed sentence {s:?}");
        covered[s.start..s.end].iter_mut().for_each(|c| *c += 1);
        previous_end = s.end;
    }
    for (i, c) in text.char_indices() {
        if !c.is_whitespace() {
            assert_eq!(
                covered[i], 1,
                "byte {i} ({c:?}) covered {} times in {text:?}",
                covered[i]
            );
        }
    }
}

const ALPHABET: &[&str] = &[
    "a", "b", "Le", "M", "Mme", "etc", "J", "C", "p", "ex", "12", "3", ",", ".", ".", "!", "?",
    "…", "...", " ", " ", "  ", "\n", "\n\n", "\r\n", "\t", "\u{a0}", "\u{202f}", "«", "»", "\"",
    "“", "”", "'", "’", "(", ")", "[", "]", "—", "-", "#tag", "@nom", "www.x.fr", "é", "É", "🙂",
    "中", "\u{200d}", "\u{301}",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn random_text_loses_nothing(parts in proptest::collection::vec(0..ALPHABET.len(), 0..80),
                                 join_lines: bool) {
        let text: String = parts.iter().map(|&i| ALPHABET[i]).collect();
        check_lossless(&text, SegmentOptions { join_lines });
    }

    #[test]
    fn arbitrary_unicode_loses_nothing(text in "\\PC{0,200}", join_lines: bool) {
        check_lossless(&text, SegmentOptions { join_lines });
    }
}

#[test]
fn sample_article_loses_nothing() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/corpora/000_5241068be115698e.txt"
    ))
    .unwrap();
    for join_lines in [false, true] {
        check_lossless(&text, SegmentOptions { join_lines });
    }
}
