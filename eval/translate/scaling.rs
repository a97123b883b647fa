//! Throughput as threads grow: the same job at 1, 2, 4 … N threads (N = the cores available),
//! entente beside CTranslate2 at the same thread counts (its `inter_threads`, one
//! `intra_threads`: batches in parallel, as entente runs them), int8 and f32, greedy and beam 4.
//!
//! Run: `cargo run --release --example bench-scaling [-- --python PATH --model-dir DIR
//! --sentences N --threads 1,2,4 --engines entente,ct2]`. The model is the random-weight
//! opus-mt-fr-en-shaped one `scripts/bench_translate.py build` makes (as for bench-translate).
//! Each run is a whole job in its own process (start, model load, then the translation of the
//! first N newstest2014 sentences, exactly 32 new tokens each, batch 16); the table gives the
//! decode throughput (tok/s), tok/s per thread, the per-thread efficiency against one thread,
//! the whole job's seconds (load included), and the effective batch entente chose.

#[path = "../common.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use candle_core::Device;
use entente::hub;
use entente::marian::Precision;
use entente::translate::{ResourceSettings, Setting, Translator};
use serde_json::{json, Value};

const NEW_TOKENS: usize = 32;
const BATCH: usize = 16;

fn sources(n: usize) -> Vec<String> {
    let path = entente::testdata::find("eval/mt/newstest2014-fr-en/newstest2014.fr-en.fr")
        .expect("newstest2014 in ../shared or $ENTENTE_TEST_DATA");
    std::fs::read_to_string(path)
        .expect("reading newstest2014")
        .lines()
        .take(n)
        .map(str::to_string)
        .collect()
}

/// One whole job in this process: load with `threads` worker threads, translate, print JSON.
fn worker(model_dir: &Path, precision: Precision, beams: usize, threads: usize, n: usize) {
    let started = Instant::now();
    let files = hub::resolve(model_dir.to_str().unwrap(), None, true).expect("benchmark model");
    let mut translator =
        Translator::load(&files, &files.dir, &Device::Cpu, precision).expect("load");
    let settings = ResourceSettings {
        threads: Some(Setting::new(threads, "--threads")),
        memory_budget: None,
    };
    translator.apply_settings(&settings).expect("threads");
    let mut config = translator.generation.clone();
    config.num_beams = beams;
    config.set_max_new_tokens(NEW_TOKENS);
    config.min_new_tokens = Some(NEW_TOKENS);
    let sources = sources(n);
    let refs: Vec<&str> = sources.iter().map(String::as_str).collect();
    let plan = translator.plan(&config, BATCH, refs.len().div_ceil(BATCH));
    let start = Instant::now();
    let generated: usize =
        entente::translate::translate_sorted(&translator, &refs, &config, BATCH, &|_| {})
            .expect("translate")
            .iter()
            .map(|t| t.ids.len())
            .sum();
    let seconds = start.elapsed().as_secs_f64();
    assert_eq!(
        generated,
        n * NEW_TOKENS,
        "every sentence gets exactly 32 tokens"
    );
    println!(
        "{}",
        json!({"tokens_per_s": generated as f64 / seconds, "seconds": seconds,
               "job_s": started.elapsed().as_secs_f64(), "batch": plan.describe()})
    );
}

fn run_json(command: &mut Command, what: &str) -> Option<(Value, f64)> {
    let start = Instant::now();
    let out = command.output().expect("starting a benchmark process");
    let wall = start.elapsed().as_secs_f64();
    if !out.status.success() {
        eprintln!("{what} failed: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().rev().find(|l| l.starts_with('{'))?;
    Some((serde_json::from_str(line).ok()?, wall))
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// 1, 2, 4 … up to the cores, and the cores themselves.
fn default_threads() -> Vec<usize> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut counts: Vec<usize> = std::iter::successors(Some(1usize), |t| Some(t * 2))
        .take_while(|&t| t <= cores)
        .collect();
    if counts.last() != Some(&cores) {
        counts.push(cores);
    }
    counts
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let model = arg(&args, "--model-dir").unwrap_or_else(|| "/work/bench-model".into());
    let n: usize = arg(&args, "--sentences").map_or(192, |s| s.parse().expect("--sentences N"));
    if args.iter().any(|a| a == "--worker") {
        let precision = match arg(&args, "--dtype").as_deref() {
            Some("int8") => Precision::Int8,
            _ => Precision::F32,
        };
        let beams = arg(&args, "--beams").map_or(1, |b| b.parse().unwrap());
        let threads = arg(&args, "--threads").map_or(1, |t| t.parse().unwrap());
        worker(Path::new(&model), precision, beams, threads, n);
        return;
    }
    let threads: Vec<usize> = arg(&args, "--threads").map_or_else(default_threads, |list| {
        list.split(',')
            .map(|t| t.parse().expect("--threads 1,2,4"))
            .collect()
    });
    let engines = arg(&args, "--engines").unwrap_or_else(|| "entente,ct2".into());
    let python = common::python(&args);
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/bench_translate.py");
    let sources_file =
        std::env::temp_dir().join(format!("entente-scaling-{}.fr", std::process::id()));
    std::fs::write(&sources_file, sources(n).join("\n") + "\n").expect("writing the sources");
    let me = std::env::current_exe().expect("own path");

    println!("CPU: {}", common::cpu());
    println!(
        "{n} newstest2014 sentences × {NEW_TOKENS} new tokens, batch {BATCH}, random opus-mt-fr-en-shaped model; \
         whole jobs, one process each; CTranslate2 with inter_threads = threads, intra_threads = 1"
    );
    println!();
    println!("| engine | search | threads | tok/s | tok/s per thread | per thread vs 1 thread | job (s) | effective batch |");
    println!("|---|---|---:|---:|---:|---:|---:|---|");
    let mut ratios = Vec::new();
    for (dtype, ct2) in [("int8", "ct2-int8"), ("f32", "ct2-float32")] {
        for (mode, beams) in [("greedy", 1), ("beam4", 4)] {
            let mut ours_one = None;
            let mut theirs_one = None;
            for &t in &threads {
                let row = |name: &str, result: Option<(Value, f64)>, one: &mut Option<f64>| {
                    let Some((v, wall)) = result else {
                        println!("| {name} | {mode} | {t} | - | - | - | - | - |");
                        return None;
                    };
                    let tps = v["tokens_per_s"].as_f64().unwrap_or(0.0);
                    let per = tps / t as f64;
                    let base = *one.get_or_insert(per);
                    println!(
                        "| {name} | {mode} | {t} | {tps:.0} | {per:.0} | {:.0}% | {wall:.1} | {} |",
                        100.0 * per / base,
                        v["batch"].as_str().unwrap_or("16 (its own)")
                    );
                    Some(tps)
                };
                let ours = engines.contains("entente").then(|| {
                    run_json(
                        Command::new(&me).args([
                            "--worker",
                            "--dtype",
                            dtype,
                            "--beams",
                            &beams.to_string(),
                            "--threads",
                            &t.to_string(),
                            "--model-dir",
                            &model,
                            "--sentences",
                            &n.to_string(),
                        ]),
                        &format!("entente {dtype} {mode} {t}"),
                    )
                });
                let ours = ours.and_then(|r| row(&format!("entente {dtype}"), r, &mut ours_one));
                let theirs = engines.contains("ct2").then(|| {
                    run_json(
                        Command::new(&python)
                            .arg(&script)
                            .args(["scale", ct2, mode, &model])
                            .arg(&sources_file)
                            .args([t.to_string(), n.to_string()]),
                        &format!("{ct2} {mode} {t}"),
                    )
                });
                let theirs =
                    theirs.and_then(|r| row(&format!("CTranslate2 {dtype}"), r, &mut theirs_one));
                if let (Some(a), Some(b)) = (ours, theirs) {
                    ratios.push(format!("{dtype} {mode} {t} threads: {:.2}×", a / b));
                }
            }
        }
    }
    let _ = std::fs::remove_file(&sources_file);
    if !ratios.is_empty() {
        println!();
        println!("entente / CTranslate2 (tok/s): {}", ratios.join("; "));
    }
}
