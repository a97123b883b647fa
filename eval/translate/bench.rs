//! Translation speed beside transformers (PyTorch) and CTranslate2 (float32, int8).
//!
//! Run: `cargo run --release --example bench-translate [-- --python PATH --model-dir DIR]`
//!
//! A random-weight model with the exact opus-mt-fr-en architecture (config and tokenizer from
//! ../shared/models/opus-mt-fr-en, ~75M parameters) is built once by
//! `scripts/bench_translate.py build` (not committed; default directory /work/bench-model).
//! Every engine decodes the first 64 sentences of newstest2014 with exactly 32 new tokens each
//! (min = max), batch 16, 2 threads, greedy and beam 4, in its own process; the table gives
//! generated tokens per second and peak resident memory.

#[path = "../common.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use candle_core::Device;
use entente::hub;
use entente::marian::Precision;
use entente::translate::Translator;

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared");
const N_SENT: usize = 64;
const NEW_TOKENS: usize = 32;
const BATCH: usize = 16;

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn sources() -> Vec<String> {
    std::fs::read_to_string(format!(
        "{SHARED}/eval/mt/newstest2014-fr-en/newstest2014.fr-en.fr"
    ))
    .expect("newstest2014 in ../shared")
    .lines()
    .take(N_SENT)
    .map(str::to_string)
    .collect()
}

/// Run entente in this process and print its JSON line.
fn worker(model_dir: &Path, beams: usize, precision: Precision) {
    let files = hub::resolve(model_dir.to_str().unwrap(), None, true).expect("benchmark model");
    let translator = Translator::load(&files, &files.dir, &Device::Cpu, precision).expect("load");
    let mut config = translator.generation.clone();
    config.num_beams = beams;
    config.set_max_new_tokens(NEW_TOKENS);
    config.min_new_tokens = Some(NEW_TOKENS);
    let sources = sources();
    let start = Instant::now();
    let refs: Vec<&str> = sources.iter().map(String::as_str).collect();
    // As `entente translate` runs: one batch per core, Candle's own threads at 1.
    let generated: usize =
        entente::translate::translate_parallel(&translator, &refs, &config, BATCH, 2, &|_| {})
            .expect("translate")
            .iter()
            .map(|t| t.ids.len())
            .sum();
    let seconds = start.elapsed().as_secs_f64();
    if std::env::var_os("BENCH_STATUS").is_some() {
        eprintln!("{}", std::fs::read_to_string("/proc/self/status").unwrap());
    }
    assert_eq!(
        generated,
        N_SENT * NEW_TOKENS,
        "every sentence must get exactly 32 tokens"
    );
    println!(
        "{}",
        serde_json::json!({"tokens_per_s": generated as f64 / seconds, "peak_rss_mb": peak_rss_mb(), "seconds": seconds})
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| common::arg(&args, name);
    let model_dir = PathBuf::from(arg("--model-dir").unwrap_or_else(|| "/work/bench-model".into()));
    if let Some(mode) = arg("--worker") {
        let precision = match arg("--precision").as_deref() {
            Some("int8") => Precision::Int8,
            _ => Precision::F32,
        };
        worker(&model_dir, if mode == "greedy" { 1 } else { 4 }, precision);
        return;
    }
    let python = common::python(&args);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/bench_translate.py");
    let build = Command::new(&python)
        .args([script, "build", SHARED, model_dir.to_str().unwrap()])
        .status()
        .expect("running the model builder");
    assert!(
        build.success(),
        "building the benchmark model failed (needs torch, transformers, ctranslate2)"
    );
    let sources_file = std::env::temp_dir().join("entente-bench-sources.txt");
    std::fs::write(&sources_file, sources().join("\n") + "\n").unwrap();

    println!("{N_SENT} newstest2014 sentences × {NEW_TOKENS} new tokens, batch {BATCH}, 2 threads, random opus-mt-fr-en-shaped model (float32 unless noted)");
    println!();
    println!("| engine | greedy (tok/s) | beam 4 (tok/s) | peak RSS greedy / beam (MB) |");
    println!("|---|---:|---:|---:|");
    let me = std::env::current_exe().unwrap();
    let engines = match arg("--engines") {
        Some(list) => list.split(',').map(str::to_string).collect(),
        None => [
            "entente",
            "entente-int8",
            "transformers",
            "ct2-float32",
            "ct2-int8",
        ]
        .map(String::from)
        .to_vec(),
    };
    for engine in engines.iter().map(String::as_str) {
        let mut cells = Vec::new();
        let mut rss = Vec::new();
        for mode in ["greedy", "beam4"] {
            let out = if let Some(precision) = engine.strip_prefix("entente") {
                let precision = precision.strip_prefix('-').unwrap_or("f32");
                Command::new(&me)
                    .args(["--worker", mode, "--precision", precision])
                    .args(["--model-dir", model_dir.to_str().unwrap()])
                    .env("RAYON_NUM_THREADS", "1")
                    .output()
            } else {
                Command::new(&python)
                    .args([
                        script,
                        "run",
                        engine,
                        mode,
                        model_dir.to_str().unwrap(),
                        sources_file.to_str().unwrap(),
                    ])
                    .env("OMP_NUM_THREADS", "2")
                    .output()
            }
            .expect("running an engine");
            match serde_json::from_slice::<serde_json::Value>(&out.stdout) {
                Ok(v) => {
                    cells.push(format!("{:.0}", v["tokens_per_s"].as_f64().unwrap()));
                    rss.push(format!("{:.0}", v["peak_rss_mb"].as_f64().unwrap()));
                }
                Err(_) => {
                    eprintln!(
                        "{engine} {mode} failed: {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                    cells.push("-".into());
                    rss.push("-".into());
                }
            }
        }
        let name = match engine {
            "entente" => "entente (Candle, f32)",
            "entente-int8" => "entente int8",
            "transformers" => "transformers (PyTorch, f32)",
            "ct2-float32" => "CTranslate2 float32",
            _ => "CTranslate2 int8",
        };
        println!(
            "| {name} | {} | {} | {} / {} |",
            cells[0], cells[1], rss[0], rss[1]
        );
    }
}
