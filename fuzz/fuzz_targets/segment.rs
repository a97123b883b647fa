//! The segmenter on arbitrary text, in both paragraph modes, with its core invariant checked:
//! sentences are in order, non-empty, trimmed, on char boundaries, and every non-whitespace
//! byte lies in exactly one of them.
#![no_main]
use entente::segment::{SegmentOptions, Segmenter};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for join_lines in [false, true] {
        let sentences = Segmenter::new(SegmentOptions { join_lines }).segment(&text);
        let mut covered = vec![0u8; text.len()];
        let mut previous_end = 0;
        for s in &sentences {
            assert!(s.start < s.end && s.start >= previous_end, "{s:?}");
            let body = &text[s.start..s.end];
            assert_eq!(body.trim(), body);
            covered[s.start..s.end].iter_mut().for_each(|c| *c += 1);
            previous_end = s.end;
        }
        for (i, c) in text.char_indices() {
            assert!(
                c.is_whitespace() || covered[i] == 1,
                "byte {i} ({c:?}) lost"
            );
        }
    }
});
