//! Parity with sacreBLEU on the cases of `tests/fixtures/metrics/sacrebleu_cases.jsonl`
//! (made by `scripts/metrics_fixtures.py`): every tokenizer, lowercasing, each smoothing, n-gram
//! orders, multiple references, sentence-level scores, chrF/chrF++ options, TER options, and edge
//! cases (empty lines, CJK, emoji, mixed scripts, BOM, Unicode spaces). Scores must be equal to
//! the last bit; formatted lines and signatures must be identical up to the version.

use entente::metrics::{self, Bleu, Chrf, Metric, Ter};
use serde_json::Value;

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/metrics/sacrebleu_cases.jsonl"
);

fn bleu_from(args: &Value) -> Bleu {
    let mut bleu = Bleu::default();
    if let Some(t) = args.get("tokenize") {
        bleu.tokenizer = t.as_str().unwrap().parse().unwrap();
    }
    if let Some(lc) = args.get("lowercase") {
        bleu.lowercase = lc.as_bool().unwrap();
    }
    if let Some(s) = args.get("smooth_method") {
        bleu.smoothing = s.as_str().unwrap().parse().unwrap();
    }
    if let Some(v) = args.get("smooth_value") {
        bleu.smooth_value = v.as_f64();
    }
    if let Some(o) = args.get("max_ngram_order") {
        bleu.max_ngram_order = o.as_u64().unwrap() as usize;
    }
    if let Some(e) = args.get("effective_order") {
        bleu.effective_order = e.as_bool().unwrap();
    }
    bleu
}

fn chrf_from(args: &Value) -> Chrf {
    let mut chrf = Chrf::default();
    let get = |k: &str| args.get(k);
    if let Some(v) = get("char_order") {
        chrf.char_order = v.as_u64().unwrap() as usize;
    }
    if let Some(v) = get("word_order") {
        chrf.word_order = v.as_u64().unwrap() as usize;
    }
    if let Some(v) = get("beta") {
        chrf.beta = v.as_u64().unwrap() as u32;
    }
    if let Some(v) = get("lowercase") {
        chrf.lowercase = v.as_bool().unwrap();
    }
    if let Some(v) = get("whitespace") {
        chrf.whitespace = v.as_bool().unwrap();
    }
    if let Some(v) = get("eps_smoothing") {
        chrf.eps_smoothing = v.as_bool().unwrap();
    }
    chrf
}

fn ter_from(args: &Value) -> Ter {
    let mut ter = Ter::default();
    let flag = |k: &str| args.get(k).and_then(Value::as_bool).unwrap_or(false);
    ter.tokenizer.case_sensitive = flag("case_sensitive");
    ter.tokenizer.normalized = flag("normalized");
    ter.tokenizer.no_punct = flag("no_punct");
    ter
}

fn check<M: Metric>(metric: &M, case: &Value, hyps: &[String], refs: &[Vec<String>]) {
    let name = case["name"].as_str().unwrap();
    let prepared = metrics::prepare_refs(metric, refs);
    let stats = metrics::corpus_stats(metric, hyps, &prepared);
    let score = metric.compute(&stats.sum());
    assert_eq!(
        score.score,
        case["score"].as_f64().unwrap(),
        "{name}: corpus score"
    );

    let version = format!("entente-{}", env!("CARGO_PKG_VERSION"));
    let signature = metric.signature(refs.len());
    assert_eq!(
        signature.format(false),
        case["signature"]
            .as_str()
            .unwrap()
            .replace("{version}", &version),
        "{name}: signature"
    );
    assert_eq!(
        score.format_text(4, &signature.format(false), false),
        case["line"]
            .as_str()
            .unwrap()
            .replace("{version}", &version),
        "{name}: formatted line"
    );
    assert_eq!(
        score.format_text(1, &signature.format(true), false),
        case["line_short"]
            .as_str()
            .unwrap()
            .replace("{version}", &version),
        "{name}: short line"
    );
    if let Some(expected) = case.get("sentence_scores") {
        for (i, want) in expected.as_array().unwrap().iter().enumerate() {
            let refs_i: Vec<&str> = refs.iter().map(|r| r[i].as_str()).collect();
            let got = metrics::sentence_score(metric, &hyps[i], &refs_i).score;
            assert_eq!(
                got,
                want.as_f64().unwrap(),
                "{name}: sentence {i} {:?}",
                hyps[i]
            );
        }
    }
}

#[test]
fn every_fixture_matches_sacrebleu() {
    let text = std::fs::read_to_string(FIXTURES).unwrap();
    let mut lines = text.lines();
    let corpus: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    let hyps: Vec<String> = serde_json::from_value(corpus["hyps"].clone()).unwrap();
    let all_refs: Vec<Vec<String>> = serde_json::from_value(corpus["refs"].clone()).unwrap();
    let mut n = 0;
    for line in lines {
        let case: Value = serde_json::from_str(line).unwrap();
        let refs = &all_refs[..case["nrefs"].as_u64().unwrap() as usize];
        let args = &case["args"];
        match case["metric"].as_str().unwrap() {
            "bleu" => {
                let bleu = bleu_from(args);
                check(&bleu, &case, &hyps, refs);
                let prepared = metrics::prepare_refs(&bleu, refs);
                let d = bleu.compute_details(&metrics::corpus_stats(&bleu, &hyps, &prepared).sum());
                let as_f64 =
                    |k: &str| -> Vec<f64> { serde_json::from_value(case[k].clone()).unwrap() };
                assert_eq!(d.counts, as_f64("counts"), "{}", case["name"]);
                assert_eq!(d.totals, as_f64("totals"), "{}", case["name"]);
            }
            "chrf" => check(&chrf_from(args), &case, &hyps, refs),
            "ter" => check(&ter_from(args), &case, &hyps, refs),
            other => panic!("unknown metric {other}"),
        }
        n += 1;
    }
    assert_eq!(n, 50);
}
