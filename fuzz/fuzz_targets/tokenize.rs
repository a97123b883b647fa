//! MarianTokenizer (the self-contained test model's files) on arbitrary text: encoding, batching
//! and decoding never panic, ids stay inside the vocabulary, and encoding ends with `</s>`.
#![no_main]
use std::sync::OnceLock;

use entente::tokenizer::MarianTokenizer;
use libfuzzer_sys::fuzz_target;

fn tokenizer() -> &'static MarianTokenizer {
    static TOKENIZER: OnceLock<MarianTokenizer> = OnceLock::new();
    TOKENIZER.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../models/test/tiny-selfcontained");
        MarianTokenizer::from_dir(&dir).expect("the self-contained model loads")
    })
}

fuzz_target!(|data: &[u8]| {
    let tok = tokenizer();
    let text = String::from_utf8_lossy(data);
    let ids = tok.encode(&text);
    assert_eq!(ids.last(), Some(&tok.eos_id()));
    assert!(ids.iter().all(|&id| id <= tok.max_source_id()));
    let _ = tok.tokenize(&text, false);
    let _ = tok.decode(&ids);
    let words: Vec<u32> = data
        .chunks(2)
        .map(|c| u32::from(c[0]) << 8 | u32::from(*c.get(1).unwrap_or(&0)))
        .collect();
    let _ = tok.decode(&words); // ids outside the vocabulary included
    let _ = tok.encode_batch(&[text.as_ref(), "", "x"]);
});
