//! `config.json`, `generation_config.json` and `vocab.json` loading on arbitrary text: parse,
//! check and validate must return errors, never panic (debug assertions catch overflows).
//! The input is split at the first U+0001 into a generation config and a model config.
#![no_main]
use std::path::Path;

use entente::generate::GenerationConfig;
use entente::marian::MarianConfig;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (generation, model) = text.split_once('\u{1}').unwrap_or((text, text));
    if let Ok(config) = serde_json::from_str::<MarianConfig>(model) {
        if config.check().is_ok() {
            let _ = config.parameter_count();
            let _ = config.target_vocab_size();
        }
    }
    for generation in [Some(generation), None] {
        if let Ok(mut g) = GenerationConfig::from_json(generation, model) {
            for (vocab, positions) in [(1, 1), (320, 128), (59514, 512), (0, 0)] {
                let mut copy = g.clone();
                let _ = copy.validate(vocab, positions);
            }
            g.set_max_new_tokens(usize::MAX / 2);
            let _ = g.validate(320, 128);
        }
    }
    let _ = entente::tokenizer::marian::parse_vocab(text, Path::new("vocab.json"));
});
