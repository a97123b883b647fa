//! Metric speed beside sacreBLEU: all 16 WMT17 en-de systems scored with BLEU, chrF and TER.
//!
//! Run: `cargo run --release --example bench-metrics [-- --python PATH]`
//!
//! entente and sacreBLEU (through `scripts/bench_sacrebleu.py`, with `--python` or
//! `$ENTENTE_PYTHON`) each prepare the references once per metric and score every system; the
//! table gives both times on one core and the ratio, and checks that the scores agree.

#[path = "../common.rs"]
mod common;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Instant;

use entente::metrics::{self, pytext, Bleu, Chrf, Metric, Ter};

const DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/eval/bleu/wmt17-en-de"
);

fn read_lines(path: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = text.strip_suffix('\n').unwrap_or(&text);
    text.split('\n')
        .map(|l| pytext::rstrip(l).to_string())
        .collect()
}

/// Seconds to prepare references and score every system on `threads` threads, and the scores.
fn time_on<M: Metric>(
    metric: &M,
    refs: &[Vec<String>],
    systems: &BTreeMap<String, Vec<String>>,
    threads: usize,
) -> (f64, BTreeMap<String, f64>) {
    let start = Instant::now();
    let prepared = metrics::prepare_refs_on(metric, refs, threads);
    if std::env::var_os("ENTENTE_BENCH_VERBOSE").is_some() {
        eprintln!("prepare: {:.3}s", start.elapsed().as_secs_f64());
    }
    let scores = systems
        .iter()
        .map(|(name, hyps)| {
            let stats = metrics::corpus_stats_on(metric, hyps, &prepared, threads);
            (name.clone(), metric.compute(&stats.sum()).score)
        })
        .collect();
    (start.elapsed().as_secs_f64(), scores)
}

/// Times on one thread and on every core.
fn time_metric<M: Metric>(
    metric: &M,
    refs: &[Vec<String>],
    systems: &BTreeMap<String, Vec<String>>,
) -> (f64, f64, BTreeMap<String, f64>) {
    let (one, scores) = time_on(metric, refs, systems, 1);
    let (all, scores_all) = time_on(metric, refs, systems, metrics::default_threads());
    assert_eq!(
        scores, scores_all,
        "scores must not depend on the thread count"
    );
    (one, all, scores)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let python = common::python(&args);

    let refs = vec![read_lines(
        &std::path::Path::new(DIR).join("newstest2017.ref.en-de.de"),
    )];
    let mut systems = BTreeMap::new();
    for entry in std::fs::read_dir(DIR).expect("WMT17 data in ../shared") {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with("newstest2017.")
            && name.ends_with(".en-de.de")
            && !name.contains(".ref.")
        {
            systems.insert(name, read_lines(&path));
        }
    }
    let cores = metrics::default_threads();
    println!(
        "WMT17 en-de: {} systems × {} segments; sacreBLEU runs on one core",
        systems.len(),
        refs[0].len()
    );

    // ENTENTE_BENCH_ONLY=bleu|chrf|ter times one metric (for profiling).
    let only = std::env::var("ENTENTE_BENCH_ONLY").ok();
    let wanted = |key: &str| only.as_deref().is_none_or(|o| o == key);
    let mut ours = Vec::new();
    if wanted("bleu") {
        ours.push((
            "BLEU",
            "bleu",
            time_metric(&Bleu::default(), &refs, &systems),
        ));
    }
    if wanted("chrf") {
        ours.push((
            "chrF2",
            "chrf",
            time_metric(&Chrf::default(), &refs, &systems),
        ));
    }
    if wanted("ter") {
        ours.push(("TER", "ter", time_metric(&Ter::default(), &refs, &systems)));
    }

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/bench_sacrebleu.py");
    let peer = Command::new(&python)
        .env("OMP_NUM_THREADS", "1")
        .arg(script)
        .arg(DIR)
        .output();
    let peer: Option<serde_json::Value> = match peer {
        Ok(out) if out.status.success() => {
            Some(serde_json::from_slice(&out.stdout).expect("peer JSON"))
        }
        Ok(out) => {
            println!(
                "sacreBLEU failed ({python}): {}",
                String::from_utf8_lossy(&out.stderr)
            );
            None
        }
        Err(e) => {
            println!(
                "sacreBLEU not run: cannot start {python}: {e} (set --python or ENTENTE_PYTHON)"
            );
            None
        }
    };

    println!();
    println!("| metric | sacreBLEU 2.5 (s) | entente, 1 thread (s) | speed-up | entente, {cores} threads (s) | speed-up | scores identical |");
    println!("|---|---:|---:|---:|---:|---:|---|");
    for (label, key, (secs, all, scores)) in &ours {
        let (theirs, same) = match &peer {
            Some(p) => {
                let t = p[*key].as_f64().unwrap();
                let same = scores
                    .iter()
                    .all(|(name, s)| p["scores"][*key][name].as_f64() == Some(*s));
                (Some(t), if same { "yes" } else { "NO" })
            }
            None => (None, "-"),
        };
        match theirs {
            Some(t) => println!(
                "| {label} | {t:.3} | {secs:.3} | {:.1}× | {all:.3} | {:.1}× | {same} |",
                t / secs,
                t / all
            ),
            None => println!("| {label} | - | {secs:.3} | - | {all:.3} | - | - |"),
        }
    }
}
