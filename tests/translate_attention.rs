//! The word-alignment probe against transformers: for real sentence pairs (newstest2014 fr→en),
//! entente's teacher-forced cross-attention weights (each decoder layer, the mean of its heads)
//! at every target position equal transformers' `output_attentions` within float tolerance
//! (`tests/fixtures/attention/`, made by `scripts/attention_fixtures.py`), on the test
//! checkpoints, through the host step (CPU default) and the Candle graph.

mod common;

use std::path::Path;

use entente::translate::Translator;
use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The largest difference between entente's weights and the fixture's, over every layer, row,
/// step and source token.
fn worst_difference(name: &str, translator: &Translator) -> f32 {
    let text = std::fs::read_to_string(
        Path::new(ROOT).join(format!("tests/fixtures/attention/{name}.jsonl")),
    )
    .unwrap();
    let mut lines = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap());
    let meta = lines.next().unwrap()["meta"].clone();
    let records: Vec<Value> = lines.collect();
    let sources: Vec<&str> = meta["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let targets: Vec<Vec<u32>> = serde_json::from_value(meta["targets"].clone()).unwrap();
    let layers = meta["layers"].as_u64().unwrap() as usize;
    let mut worst = 0f32;
    for layer in 0..layers {
        let got = translator
            .cross_attention(&sources, &targets, layer)
            .unwrap();
        for r in &records {
            let row = r["row"].as_u64().unwrap() as usize;
            let step = r["step"].as_u64().unwrap() as usize;
            let want: Vec<f32> = serde_json::from_value(r["layers"][layer].clone()).unwrap();
            let ours = &got[row][step];
            assert_eq!(
                ours.len(),
                want.len(),
                "{name} layer {layer} row {row} step {step}"
            );
            for (a, b) in ours.iter().zip(&want) {
                worst = worst.max((a - b).abs());
            }
        }
        assert_eq!(
            got.iter().map(Vec::len).sum::<usize>(),
            records.len(),
            "{name}: one weight vector per target token"
        );
    }
    assert!(
        translator
            .cross_attention(&sources, &targets, layers)
            .is_err(),
        "{name}: a layer past the last is an error"
    );
    worst
}

#[test]
fn cross_attention_equals_transformers_output_attentions() {
    for (name, tokenizer) in [
        ("tiny-fr-en-swish", "opus-mt-fr-en"),
        ("tiny-tc-big-relu", "opus-mt-tc-big-fr-en"),
        ("tiny-fr-en-gelu-separate", "opus-mt-fr-en"),
        ("tiny-fr-en-varied", "opus-mt-fr-en"),
    ] {
        let Some((_keep, dir)) = common::model_dir(name, tokenizer) else {
            return;
        };
        let mut translator = common::load_f32(&dir);
        assert!(translator.model.host_decoder());
        let host = worst_difference(name, &translator);
        assert!(host < 2e-5, "{name} host step: weights differ by {host}");
        translator.model.set_host_decoder(false);
        let graph = worst_difference(name, &translator);
        assert!(
            graph < 2e-5,
            "{name} Candle graph: weights differ by {graph}"
        );
    }
}
