//! Parity with transformers' MarianTokenizer for both shared opus-mt models, on the fixtures of
//! `scripts/tokenizer_fixtures.py`: every line of newstest2014 (fr), the GSD test sentences and
//! the sample article (ids, `</s>` included), edge cases (ids and pieces), and the English side of
//! newstest2014 encoded with the target model and decoded back. Any difference fails.

use entente::tokenizer::MarianTokenizer;
use serde_json::Value;

use std::path::{Path, PathBuf};

fn lines(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut v: Vec<String> = text.split('\n').map(str::to_string).collect();
    v.pop(); // text after the final newline
    v
}

/// The reference files the fixtures were made from, each found on its own (a partial data
/// folder, e.g. one filled by scripts/fetch-test-data, skips the test instead of panicking);
/// the sample article is the repository's own copy.
struct Corpora {
    newstest_fr: PathBuf,
    newstest_en: PathBuf,
    gsd: PathBuf,
}

impl Corpora {
    fn find() -> Option<Self> {
        Some(Corpora {
            newstest_fr: entente::testdata::require(
                "eval/mt/newstest2014-fr-en/newstest2014.fr-en.fr",
            )?,
            newstest_en: entente::testdata::require(
                "eval/mt/newstest2014-fr-en/newstest2014.fr-en.en",
            )?,
            gsd: entente::testdata::require("eval/segment/fr_gsd-ud-test.conllu")?,
        })
    }

    fn get(&self, name: &str) -> Vec<String> {
        match name {
            "newstest2014.fr" => lines(&self.newstest_fr),
            "article" => lines(
                &Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora/000_5241068be115698e.txt"),
            ),
            "gsd" => std::fs::read_to_string(&self.gsd)
                .unwrap()
                .lines()
                .filter_map(|l| l.strip_prefix("# text = ").map(str::to_string))
                .collect(),
            other => panic!("unknown corpus {other}"),
        }
    }
}

fn ids(v: &Value) -> Vec<u32> {
    serde_json::from_value(v.clone()).unwrap()
}

fn check_model(model: &str) {
    // The tokenizer files and corpora live in the reference data folder (see entente::testdata).
    let Some(dir) = entente::testdata::require(&format!("models/{model}")) else {
        return;
    };
    let Some(sources) = Corpora::find() else {
        return;
    };
    let tok = MarianTokenizer::from_dir(&dir).unwrap();
    let fixture = std::fs::read_to_string(format!(
        "{}/tests/fixtures/tokenizer/{model}.jsonl",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let english = lines(&sources.newstest_en);
    let mut corpora = std::collections::HashMap::new();
    let (mut encoded, mut edges, mut decoded, mut failures) = (0, 0, 0, Vec::new());
    for line in fixture.lines() {
        let rec: Value = serde_json::from_str(line).unwrap();
        match rec["kind"].as_str().unwrap() {
            "meta" => {}
            "encode" => {
                let name = rec["corpus"].as_str().unwrap().to_string();
                let texts = corpora
                    .entry(name.clone())
                    .or_insert_with(|| sources.get(&name));
                let i = rec["line"].as_u64().unwrap() as usize;
                if tok.encode(&texts[i]) != ids(&rec["ids"]) {
                    failures.push(format!("{name}:{i} {:?}", texts[i]));
                }
                encoded += 1;
            }
            "edge" => {
                let text = rec["text"].as_str().unwrap();
                let pieces: Vec<String> = serde_json::from_value(rec["pieces"].clone()).unwrap();
                if tok.encode(text) != ids(&rec["ids"]) || tok.tokenize(text, false) != pieces {
                    failures.push(format!(
                        "edge {text:?}: got {:?} {:?}, want {:?} {pieces:?}",
                        tok.encode(text),
                        tok.tokenize(text, false),
                        ids(&rec["ids"])
                    ));
                }
                edges += 1;
            }
            "decode" => {
                let i = rec["line"].as_u64().unwrap() as usize;
                let source = rec
                    .get("source")
                    .and_then(Value::as_str)
                    .map_or_else(|| english[i].clone(), str::to_string);
                let want_text = rec.get("text").and_then(Value::as_str).unwrap_or(&source);
                let target_ids = tok.encode_target(&source);
                if target_ids != ids(&rec["ids"]) {
                    failures.push(format!("target encode {i} {source:?}"));
                } else if tok.decode(&target_ids) != want_text {
                    failures.push(format!(
                        "decode {i}: {:?} != {want_text:?}",
                        tok.decode(&target_ids)
                    ));
                }
                decoded += 1;
            }
            "decode_ids" => {
                let want = rec["text"].as_str().unwrap();
                let got = tok.decode(&ids(&rec["ids"]));
                if got != want {
                    failures.push(format!("decode_ids {:?}: {got:?} != {want:?}", rec["ids"]));
                }
            }
            other => panic!("unknown record {other}"),
        }
    }
    assert!(
        encoded > 3400 && edges > 30 && decoded > 3000,
        "{encoded} {edges} {decoded}"
    );
    assert!(
        failures.is_empty(),
        "{model}: {} differences, first: {:#?}",
        failures.len(),
        &failures[..failures.len().min(10)]
    );
}

#[test]
fn opus_mt_fr_en_matches_marian_tokenizer() {
    check_model("opus-mt-fr-en");
}

#[test]
fn opus_mt_tc_big_fr_en_matches_marian_tokenizer() {
    check_model("opus-mt-tc-big-fr-en");
}

/// The self-contained model's tokenizer (trained by scripts/make_selfcontained_model.py on the
/// project's own text) against MarianTokenizer's output recorded by the same script: every
/// training line and edge case (ids and pieces), and decoding. Needs no reference data.
#[test]
fn selfcontained_tokenizer_matches_marian_tokenizer() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let tok = MarianTokenizer::from_dir(&root.join("models/test/tiny-selfcontained")).unwrap();
    let fixture =
        std::fs::read_to_string(root.join("tests/fixtures/tokenizer/tiny-selfcontained.jsonl"))
            .unwrap();
    let (mut checked, mut failures) = (0, Vec::new());
    for line in fixture.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        match v["kind"].as_str().unwrap() {
            "edge" => {
                let text = v["text"].as_str().unwrap();
                let pieces: Vec<String> = serde_json::from_value(v["pieces"].clone()).unwrap();
                if tok.encode(text) != ids(&v["ids"]) || tok.tokenize(text, false) != pieces {
                    failures.push(format!("encode {text:?}"));
                }
            }
            "decode" => {
                if tok.decode(&ids(&v["ids"])) != v["text"].as_str().unwrap() {
                    failures.push(format!("decode {}", v["ids"]));
                }
            }
            _ => continue,
        }
        checked += 1;
    }
    assert!(checked > 100, "{checked}");
    assert!(
        failures.is_empty(),
        "{} differences: {failures:#?}",
        failures.len()
    );
}
