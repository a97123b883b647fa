//! The BLEU tokenizers (13a, intl, char, zh, none), TER's tercom tokenizer in every mode, and the
//! TER edit distance on the words they produce: no panic on any text.
#![no_main]
use entente::metrics::ter::translation_edit_rate;
use entente::metrics::tokenizers::{Tercom, Tokenizer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for name in Tokenizer::NAMES {
        let tokenizer: Tokenizer = name.parse().unwrap();
        let _ = tokenizer.tokenize(&text);
    }
    let (hyp, reference) = text.split_once('|').unwrap_or((&text, "a b c"));
    for bits in 0..8u8 {
        let tercom = Tercom {
            normalized: bits & 1 != 0,
            no_punct: bits & 2 != 0,
            case_sensitive: bits & 4 != 0,
        };
        let h = tercom.tokenize(hyp);
        let r = tercom.tokenize(reference);
        let h: Vec<&str> = h.split_whitespace().take(400).collect();
        let r: Vec<&str> = r.split_whitespace().take(400).collect();
        let (edits, len) = translation_edit_rate(&h, &r);
        assert!(edits >= 0 && edits as usize <= h.len().max(r.len()) + h.len() + r.len());
        assert_eq!(len, r.len());
    }
});
