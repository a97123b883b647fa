//! sacreBLEU's paired significance tests and bootstrap confidence intervals, reproduced: p-values,
//! bootstrap means and 95% intervals for BLEU, chrF and TER on three WMT17 systems, against
//! `tests/fixtures/metrics/significance.json` (made by `scripts/significance_fixtures.py`).

use entente::metrics::significance::{self, DEFAULT_SEED};
use entente::metrics::{self, Bleu, Chrf, Metric, Ter};
use serde_json::Value;

fn dir_path() -> Option<String> {
    entente::testdata::require("eval/bleu/wmt17-en-de").map(|p| p.display().to_string())
}
const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/metrics/significance.json"
);

fn read_lines(path: &str, n: usize) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    text.split('\n')
        .take(n)
        .map(|l| metrics::pytext::rstrip(l).to_string())
        .collect()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

fn check_metric<M: Metric>(
    metric: &M,
    key: &str,
    fixture: &Value,
    systems: &[Vec<String>],
    refs: &[Vec<String>],
) {
    let prepared = metrics::prepare_refs(metric, refs);
    let stats: Vec<_> = systems
        .iter()
        .map(|h| metrics::corpus_stats(metric, h, &prepared))
        .collect();

    let bs = &fixture["bs"][key];
    let baseline = significance::bootstrap_estimate(metric, &stats[0], 1000, DEFAULT_SEED);
    assert_eq!(
        baseline.mean,
        f(&bs[0]["mean"]),
        "{key} baseline bootstrap mean"
    );
    assert_eq!(baseline.ci, f(&bs[0]["ci"]), "{key} baseline bootstrap ci");
    for (i, want) in bs.as_array().unwrap().iter().enumerate().skip(1) {
        let got = significance::paired_bootstrap(metric, &stats[0], &stats[i], 1000, DEFAULT_SEED);
        assert_eq!(got.score, f(&want["score"]), "{key} system {i} score");
        assert_eq!(
            got.p_value,
            f(&want["p_value"]),
            "{key} system {i} paired bootstrap p"
        );
        let estimate = got.estimate.unwrap();
        assert_eq!(estimate.mean, f(&want["mean"]), "{key} system {i} mean");
        assert_eq!(estimate.ci, f(&want["ci"]), "{key} system {i} ci");
    }
    let ar = &fixture["ar"][key];
    for (i, want) in ar.as_array().unwrap().iter().enumerate().skip(1) {
        let got = significance::paired_approximate_randomization(
            metric,
            &stats[0],
            &stats[i],
            10000,
            DEFAULT_SEED,
        );
        assert_eq!(
            got.p_value,
            f(&want["p_value"]),
            "{key} system {i} approximate randomization p"
        );
    }
}

#[test]
fn paired_tests_reproduce_sacrebleu() {
    let Some(dir) = dir_path() else { return };
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(FIXTURE).unwrap()).unwrap();
    let n = fixture["lines"].as_u64().unwrap() as usize;
    let refs = vec![read_lines(&format!("{dir}/newstest2017.ref.en-de.de"), n)];
    let systems: Vec<Vec<String>> = fixture["systems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| read_lines(&format!("{dir}/{}.de", s.as_str().unwrap()), n))
        .collect();
    check_metric(&Bleu::default(), "BLEU", &fixture, &systems, &refs);
    check_metric(&Chrf::default(), "chrF2", &fixture, &systems, &refs);
    check_metric(&Ter::default(), "TER", &fixture, &systems, &refs);
}

#[test]
fn confidence_intervals_reproduce_sacrebleu() {
    let Some(dir) = dir_path() else { return };
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(FIXTURE).unwrap()).unwrap();
    let n = fixture["lines"].as_u64().unwrap() as usize;
    let refs = vec![read_lines(&format!("{dir}/newstest2017.ref.en-de.de"), n)];
    let first = fixture["systems"][0].as_str().unwrap();
    let hyps = read_lines(&format!("{dir}/{first}.de"), n);
    fn check<M: Metric>(metric: &M, want: &Value, hyps: &[String], refs: &[Vec<String>]) {
        let stats = metrics::corpus_stats(metric, hyps, &metrics::prepare_refs(metric, refs));
        let got = significance::confidence_estimate(metric, &stats, 1000, DEFAULT_SEED);
        assert_eq!(metric.compute(&stats.sum()).score, f(&want["score"]));
        assert_eq!(got.mean, f(&want["mean"]), "mean");
        assert_eq!(got.ci, f(&want["ci"]), "ci");
    }
    let c = &fixture["confidence"];
    check(&Bleu::default(), &c["BLEU"], &hyps, &refs);
    check(&Chrf::default(), &c["chrF2"], &hyps, &refs);
    check(&Ter::default(), &c["TER"], &hyps, &refs);
}
