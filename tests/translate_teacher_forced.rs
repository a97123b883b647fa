//! Teacher-forced parity: for real sentence pairs (newstest2014 fr→en), entente's
//! log-probabilities over the whole target vocabulary at every target position against
//! transformers' (`tests/fixtures/teacher_forced/`, made by `scripts/teacher_forced_fixtures.py`),
//! on every test checkpoint, through the host step (CPU default) and the Candle graph, and
//! from the `pytorch_model.bin` twin of the self-contained model. Search fixtures only show the
//! tokens a search picks (on random weights, often one token repeated); these compare the whole
//! distribution: the 16 best tokens, the target's log-probability, four signed sums over the
//! whole vocabulary, and for the self-contained model (320 tokens) every value. A full-size
//! opus-mt-fr-en (the real architecture, vocabulary and tokenizer, 75M random parameters) is
//! built here from the same counter-based hash `scripts/full_size_teacher_forced.py` filled it
//! with, so 300 MB of weights need not be shipped.

mod common;

use std::path::Path;

use entente::hub;
use entente::translate::Translator;
use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The sign of vocabulary index `j` in projection `k` (the fixture script's rule).
fn sign(j: usize, k: u64) -> f64 {
    let h = (j as u64 * 2_654_435_761 + k * 40_503) & 0xFFFF_FFFF;
    if h >> 31 == 1 {
        -1.0
    } else {
        1.0
    }
}

fn fixture(name: &str) -> (Value, Vec<Value>) {
    let text = std::fs::read_to_string(
        Path::new(ROOT).join(format!("tests/fixtures/teacher_forced/{name}.jsonl")),
    )
    .unwrap();
    let mut lines = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap());
    let meta = lines.next().unwrap()["meta"].clone();
    (meta, lines.collect())
}

/// Compare `translator`'s teacher-forced distributions with the fixture of `name`; the largest
/// difference seen.
fn compare(name: &str, translator: &Translator) -> f64 {
    let (meta, records) = fixture(name);
    let sources: Vec<&str> = meta["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let targets: Vec<Vec<u32>> = serde_json::from_value(meta["targets"].clone()).unwrap();
    let mut got: Vec<Vec<Vec<f32>>> = targets.iter().map(|_| Vec::new()).collect();
    translator
        .teacher_force_each(
            &sources,
            &targets,
            &translator.generation,
            &mut |row, _, lp| got[row].push(lp.to_vec()),
        )
        .unwrap();
    assert_eq!(
        records.len(),
        targets.iter().map(Vec::len).sum::<usize>(),
        "{name}: one record per target position"
    );
    let mut worst = 0f64;
    let mut check = |what: &str, ours: f64, theirs: f64, tolerance: f64| {
        let d = (ours - theirs).abs();
        worst = worst.max(d / tolerance * 1e-4);
        assert!(
            d <= tolerance,
            "{name} {what}: entente {ours}, transformers {theirs}"
        );
    };
    for r in &records {
        let (row, step) = (
            r["row"].as_u64().unwrap() as usize,
            r["step"].as_u64().unwrap() as usize,
        );
        let lp = &got[row][step];
        assert_eq!(lp.len() as u64, meta["vocab"].as_u64().unwrap(), "{name}");
        let at = format!("row {row} step {step}");
        let target = r["target"].as_u64().unwrap() as usize;
        check(
            &format!("{at} target"),
            lp[target] as f64,
            r["logprob"].as_f64().unwrap(),
            1e-4,
        );
        for pair in r["top"].as_array().unwrap() {
            let id = pair[0].as_u64().unwrap() as usize;
            check(
                &format!("{at} token {id}"),
                lp[id] as f64,
                pair[1].as_f64().unwrap(),
                1e-4,
            );
        }
        for (k, want) in r["proj"].as_array().unwrap().iter().enumerate() {
            let sum: f64 = lp
                .iter()
                .enumerate()
                .map(|(j, &x)| sign(j, k as u64) * x as f64)
                .sum();
            check(
                &format!("{at} projection {k}"),
                sum,
                want.as_f64().unwrap(),
                2e-2,
            );
        }
        if let Some(full) = r.get("full") {
            for (j, want) in full.as_array().unwrap().iter().enumerate() {
                check(
                    &format!("{at} token {j}"),
                    lp[j] as f64,
                    want.as_f64().unwrap(),
                    1e-4,
                );
            }
        }
    }
    worst
}

#[test]
fn whole_distributions_equal_transformers_on_every_checkpoint_and_step() {
    for (name, tokenizer) in [
        ("tiny-selfcontained", "tiny-selfcontained"),
        ("tiny-fr-en-swish", "opus-mt-fr-en"),
        ("tiny-tc-big-relu", "opus-mt-tc-big-fr-en"),
        ("tiny-fr-en-gelu-separate", "opus-mt-fr-en"),
        ("tiny-fr-en-varied", "opus-mt-fr-en"),
    ] {
        let Some((_keep, dir)) = common::model_dir(name, tokenizer) else {
            return;
        };
        let mut translator = common::load_f32(&dir);
        assert!(
            translator.model.host_decoder(),
            "the CPU default is the host step"
        );
        compare(name, &translator);
        translator.model.set_host_decoder(false);
        compare(name, &translator);
    }
}

#[test]
fn a_pytorch_model_bin_gives_the_same_distributions() {
    let dir = tempfile::tempdir().unwrap();
    let bin = Path::new(ROOT).join("tests/fixtures/pytorch-bin");
    let selfcontained = common::selfcontained();
    for (from, name) in [
        (&bin, "config.json"),
        (&bin, "generation_config.json"),
        (&bin, "pytorch_model.bin"),
        (&selfcontained, "source.spm"),
        (&selfcontained, "target.spm"),
        (&selfcontained, "vocab.json"),
        (&selfcontained, "tokenizer_config.json"),
    ] {
        std::fs::copy(from.join(name), dir.path().join(name)).unwrap();
    }
    let files = hub::resolve(dir.path().to_str().unwrap(), None, true).unwrap();
    assert!(files
        .weights
        .as_ref()
        .unwrap()
        .ends_with("pytorch_model.bin"));
    compare("tiny-selfcontained", &common::load_f32(dir.path()));
}

/// splitmix64, as the fixture script computes it.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The fixture script's tensor: element i is the top 24 bits of splitmix64(seed·2³² + i) mapped
/// exactly to [-1, 1), times `scale`, plus `offset` (float32 arithmetic, as numpy's).
fn filled(seed: u64, n: usize, scale: f32, offset: f32) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(n * 4);
    for i in 0..n as u64 {
        let top = (splitmix64((seed << 32).wrapping_add(i)) >> 40) as f32;
        let unit = top / 8_388_608.0 - 1.0;
        bytes.extend_from_slice(&(unit * scale + offset).to_le_bytes());
    }
    bytes
}

#[test]
fn a_full_size_opus_mt_gives_transformers_distributions() {
    let Some(tokenizer) = entente::testdata::require("models/opus-mt-fr-en") else {
        return;
    };
    let (meta, _) = fixture("full-size-opus-mt-fr-en");
    let dir = tempfile::tempdir().unwrap();
    let mut data = Vec::new();
    for t in meta["tensors"].as_array().unwrap() {
        let shape: Vec<usize> = serde_json::from_value(t["shape"].clone()).unwrap();
        let n = shape.iter().product();
        let bytes = filled(
            t["seed"].as_u64().unwrap(),
            n,
            t["scale"].as_f64().unwrap() as f32,
            t["offset"].as_f64().unwrap() as f32,
        );
        data.push((t["name"].as_str().unwrap().to_string(), shape, bytes));
    }
    let views: Vec<(String, safetensors::tensor::TensorView)> = data
        .iter()
        .map(|(name, shape, bytes)| {
            let view =
                safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), bytes)
                    .unwrap();
            (name.clone(), view)
        })
        .collect();
    safetensors::serialize_to_file(views, None, &dir.path().join("model.safetensors")).unwrap();
    for name in [
        "config.json",
        "generation_config.json",
        "source.spm",
        "target.spm",
        "vocab.json",
        "tokenizer_config.json",
    ] {
        std::fs::copy(tokenizer.join(name), dir.path().join(name)).unwrap();
    }
    let translator = common::load_f32(dir.path());
    assert_eq!(
        translator.model.config().d_model,
        512,
        "the real architecture"
    );
    compare("full-size-opus-mt-fr-en", &translator);
}
