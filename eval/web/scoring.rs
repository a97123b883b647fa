//! The scrapinghub article-extraction benchmark's scoring rule (its `evaluate.py`): `\w+`
//! tokens, 4-token shingles, per-page true/false positives and negatives normalized so that every
//! page weighs the same, precision and recall averaged over pages. Shared by `eval-web` and the
//! extraction quality floor (`tests/quality_floors.rs`).

use std::collections::HashMap;

/// Tokens as the benchmark's `\w+` (Unicode word characters).
fn tokens(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_' || is_mark(c)))
        .filter(|t| !t.is_empty())
        .collect()
}

/// Combining marks count as word characters in Python's `\w`.
fn is_mark(c: char) -> bool {
    use unicode_general_category::{get_general_category, GeneralCategory as G};
    matches!(
        get_general_category(c),
        G::NonspacingMark | G::SpacingMark | G::EnclosingMark
    )
}

/// The benchmark's 4-token shingles (one shorter shingle for a shorter text).
pub fn shingles(text: &str) -> HashMap<Vec<&str>, usize> {
    let t = tokens(text);
    let n = 4;
    let mut counts = HashMap::new();
    for i in 0..t.len().saturating_sub(n - 1).max(1) {
        let s: Vec<&str> = t[i..(i + n).min(t.len())].to_vec();
        if !s.is_empty() {
            *counts.entry(s).or_insert(0) += 1;
        }
    }
    counts
}

/// (tp, fp, fn) normalized to sum 1, as the benchmark's `string_shingle_matching`.
pub fn matching(truth: &str, pred: &str) -> (f64, f64, f64) {
    matching_shingles(&shingles(truth), &shingles(pred), |_, count| count)
}

/// [`matching`] over shingle counts, each truth shingle counted `wanted(shingle, count)` times
/// for the true positives and negatives (a false positive is a predicted shingle beyond the
/// whole truth's count).
pub fn matching_shingles(
    t: &HashMap<Vec<&str>, usize>,
    p: &HashMap<Vec<&str>, usize>,
    wanted: impl Fn(&Vec<&str>, usize) -> usize,
) -> (f64, f64, f64) {
    let (mut tp, mut fp, mut fnn) = (0.0, 0.0, 0.0);
    for (k, &c) in t {
        let (c, q) = (wanted(k, c), *p.get(k).unwrap_or(&0));
        tp += c.min(q) as f64;
        fnn += c.saturating_sub(q) as f64;
    }
    for (k, &q) in p {
        fp += q.saturating_sub(*t.get(k).unwrap_or(&0)) as f64;
    }
    let s = tp + fp + fnn;
    if s > 0.0 {
        (tp / s, fp / s, fnn / s)
    } else {
        (tp, fp, fnn)
    }
}

/// Precision, recall and F1 as the benchmark's `metrics_from_tp_fp_fns`.
pub fn f1(scores: &[(f64, f64, f64)]) -> (f64, f64, f64) {
    // tp / (tp + extra), with extra the false positives (precision) or negatives (recall).
    let score = |extra: f64, (tp, fp, fnn): (f64, f64, f64)| {
        if fp == 0.0 && fnn == 0.0 {
            1.0
        } else if tp == 0.0 && extra == 0.0 {
            0.0
        } else {
            tp / (tp + extra)
        }
    };
    let precision: Vec<f64> = scores
        .iter()
        .filter(|s| s.0 + s.1 > 0.0)
        .map(|&s| score(s.1, s))
        .collect();
    let recall: Vec<f64> = scores
        .iter()
        .filter(|s| s.0 + s.2 > 0.0)
        .map(|&s| score(s.2, s))
        .collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let (p, r) = (mean(&precision), mean(&recall));
    (p, r, 2.0 * p * r / (p + r))
}
