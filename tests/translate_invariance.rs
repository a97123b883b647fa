//! Batch invariance on the CPU: a sentence's translation — ids, text and log-probability, to the
//! last bit — is the same whatever other sentences share its batch, wherever it sits in it,
//! however long the others are (padding) and whatever the batch size and beam layout. Every
//! tiny checkpoint, greedy and beam 4, float32 and int8; fixed batches of 2 to 64 and a property
//! test over random compositions.

mod common;

use std::path::PathBuf;

use candle_core::Device;
use entente::generate::GenerationConfig;
use entente::hub;
use entente::marian::Precision;
use entente::translate::{Translation, Translator};
use proptest::prelude::*;
use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const CHECKPOINTS: [&str; 5] = [
    "tiny-selfcontained",
    "tiny-fr-en-swish",
    "tiny-fr-en-gelu-separate",
    "tiny-tc-big-relu",
    "tiny-fr-en-varied",
];

/// The checkpoint's fixture sources (its tokenizer's name from the fixture's first record).
fn sources_and_tokenizer(name: &str) -> (Vec<String>, String) {
    let fixture = std::fs::read_to_string(
        PathBuf::from(ROOT).join(format!("tests/fixtures/translate/{name}.jsonl")),
    )
    .unwrap();
    let records: Vec<Value> = fixture
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let tokenizer = records[0]["spec"]["tokenizer"]
        .as_str()
        .unwrap()
        .to_string();
    let mut sources: Vec<String> = records
        .iter()
        .filter_map(|r| r["src"].as_str())
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string)
        .collect();
    sources.sort();
    sources.dedup();
    (sources, tokenizer)
}

/// The checkpoint loaded in `precision`, with its directory kept alive; None when its tokenizer
/// files (reference data) are missing.
fn load(
    name: &str,
    precision: Precision,
) -> Option<(Translator, Vec<String>, Option<tempfile::TempDir>)> {
    let (sources, tokenizer) = sources_and_tokenizer(name);
    let (keep, dir) = common::model_dir(name, &tokenizer)?;
    let files = hub::resolve(dir.to_str().unwrap(), None, true).unwrap();
    let translator = Translator::load(&files, &files.dir, &Device::Cpu, precision).unwrap();
    Some((translator, sources, keep))
}

fn config(translator: &Translator, beams: usize) -> GenerationConfig {
    let mut config = translator.generation.clone();
    config.num_beams = beams;
    config.set_max_new_tokens(16);
    config
}

/// Each source translated alone.
fn alone(
    translator: &Translator,
    sources: &[String],
    config: &GenerationConfig,
) -> Vec<Translation> {
    sources
        .iter()
        .map(|s| {
            translator
                .translate_batch(&[s.as_str()], config)
                .unwrap()
                .remove(0)
        })
        .collect()
}

/// A small deterministic generator for batch compositions.
fn next(state: &mut u64) -> usize {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    (*state >> 16) as usize
}

/// Batches of 2 to 64 sentences drawn from `sources` (repeats allowed, so that a sentence also
/// shares a batch with itself): every sentence's translation equals its translation alone.
fn check(name: &str, precision: Precision) {
    let Some((translator, sources, _keep)) = load(name, precision) else {
        return;
    };
    for beams in [1, 4] {
        let config = config(&translator, beams);
        let reference = alone(&translator, &sources, &config);
        let mut state = 0x2545_F491_4F6C_DD1D_u64 ^ beams as u64;
        for size in [2, 3, 7, 16, 33, 64] {
            let picks: Vec<usize> = (0..size)
                .map(|_| next(&mut state) % sources.len())
                .collect();
            let batch: Vec<&str> = picks.iter().map(|&i| sources[i].as_str()).collect();
            let got = translator.translate_batch(&batch, &config).unwrap();
            for (k, (&i, t)) in picks.iter().zip(&got).enumerate() {
                assert_eq!(
                    t, &reference[i],
                    "{name} {precision:?} beams {beams}: sentence {i} at {k} of a batch of {size}"
                );
            }
        }
    }
}

#[test]
fn selfcontained_f32_and_int8() {
    check(CHECKPOINTS[0], Precision::F32);
    check(CHECKPOINTS[0], Precision::Int8);
}

#[test]
fn swish_f32_and_int8() {
    check(CHECKPOINTS[1], Precision::F32);
    check(CHECKPOINTS[1], Precision::Int8);
}

#[test]
fn gelu_separate_f32_and_int8() {
    check(CHECKPOINTS[2], Precision::F32);
    check(CHECKPOINTS[2], Precision::Int8);
}

#[test]
fn tc_big_relu_f32_and_int8() {
    check(CHECKPOINTS[3], Precision::F32);
    check(CHECKPOINTS[3], Precision::Int8);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Any composition: a random batch of the self-contained model's sources, greedy or beam,
    /// float32 or int8, gives every sentence its translation alone.
    #[test]
    fn any_batch_composition(
        picks in prop::collection::vec(0usize..1000, 1..24),
        beams in prop::sample::select(vec![1usize, 2, 4]),
        int8 in any::<bool>(),
    ) {
        let precision = if int8 { Precision::Int8 } else { Precision::F32 };
        let (translator, sources, _keep) = load(CHECKPOINTS[0], precision).expect("self-contained");
        let config = config(&translator, beams);
        let batch: Vec<&str> = picks.iter().map(|&i| sources[i % sources.len()].as_str()).collect();
        let got = translator.translate_batch(&batch, &config).unwrap();
        for (s, t) in batch.iter().zip(&got) {
            let single = translator.translate_batch(&[*s], &config).unwrap().remove(0);
            prop_assert_eq!(t, &single);
        }
    }
}
