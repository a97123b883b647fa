//! Translation speed, memory, start-up and quantization drift beside transformers (PyTorch),
//! CTranslate2 (float32, int8) and Candle's own Marian (`candle_transformers::models::marian`).
//!
//! Run: `cargo run --release --example bench-translate [-- --python PATH --model-dir DIR]`
//! (`--engines a,b` runs only some of: entente, entente-int8, transformers, ct2-float32,
//! ct2-int8, ct2-float32-mkl, ct2-int8-mkl, candle-transformers; `--no-drift` skips the drift
//! table; `--profile` adds a table of where entente's time goes, span by span, measured in the
//! same runs). The `-mkl` engines (not run by default) are CTranslate2 with Intel MKL and its
//! AVX-512 kernels forced, as it runs on Intel CPUs; on other vendors' CPUs it picks oneDNN and
//! AVX2 by itself (`CT2_VERBOSE=1` says which). On AMD EPYC, MKL's int8 ran at 71–77 tok/s
//! greedy against oneDNN's 1,285–1,543: CTranslate2's own choice is its best there.
//!
//! A random-weight model with the exact opus-mt-fr-en architecture (config and tokenizer from
//! ../shared/models/opus-mt-fr-en, ~75M parameters) is built once by
//! `scripts/bench_translate.py build` (not committed; default directory /work/bench-model).
//! Every engine decodes the first 64 sentences of newstest2014 with exactly 32 new tokens each
//! (min = max), batch 16, 2 threads, greedy and beam 4, in its own process; the table gives
//! generated tokens per second, peak resident memory and the model's load time (for int8,
//! quantization included). Candle's Marian runs as its example does: greedy, one sentence at a
//! time (it has no beam search and no padding masks).
//!
//! Drift: each engine's float32 greedy outputs are teacher-forced through its int8 model and its
//! float32 model; per step, the difference of the reference token's log-probability and whether
//! the top-1 token changes; and how many of the 64 int8 greedy outputs equal the float32 ones.

#[path = "../common.rs"]
mod common;
mod profile;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use candle_core::{DType, Device, IndexOp, Tensor};
use entente::hub;
use entente::marian::Precision;
use entente::translate::{ResourceSettings, Setting, Translator};
use serde_json::{json, Value};

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

/// A file or folder of the reference data (`../shared`, or `ENTENTE_TEST_DATA` where the
/// benchmark runs away from its checkout).
fn shared(relative: &str) -> PathBuf {
    entente::testdata::find(relative)
        .unwrap_or_else(|| panic!("{relative} in ../shared or $ENTENTE_TEST_DATA"))
}

/// The peers' script: the checkout's, or `./scripts/` where the binary runs from another copy.
fn peer_script() -> PathBuf {
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/bench_translate.py");
    if built.exists() {
        built
    } else {
        PathBuf::from("scripts/bench_translate.py")
    }
}

fn sources() -> Vec<String> {
    std::fs::read_to_string(shared("eval/mt/newstest2014-fr-en/newstest2014.fr-en.fr"))
        .expect("reading newstest2014")
        .lines()
        .take(N_SENT)
        .map(str::to_string)
        .collect()
}

/// The benchmark model on the CPU with 2 worker threads, as every engine here runs.
fn load(model_dir: &Path, precision: Precision) -> Translator {
    let files = hub::resolve(model_dir.to_str().unwrap(), None, true).expect("benchmark model");
    let mut translator =
        Translator::load(&files, &files.dir, &Device::Cpu, precision).expect("load");
    let settings = ResourceSettings {
        threads: Some(Setting::new(2, "the benchmark")),
        memory_budget: None,
    };
    translator.apply_settings(&settings).expect("2 threads");
    translator
}

/// Exactly 32 new tokens, `beams` wide.
fn config(translator: &Translator, beams: usize) -> entente::generate::GenerationConfig {
    let mut config = translator.generation.clone();
    config.num_beams = beams;
    config.set_max_new_tokens(NEW_TOKENS);
    config.min_new_tokens = Some(NEW_TOKENS);
    config
}

/// Run entente in this process and print its JSON line (with `profiled`, also where the
/// translation's time went).
fn worker(model_dir: &Path, beams: usize, precision: Precision, profiled: bool) {
    let started = Instant::now();
    let translator = load(model_dir, precision);
    let load_s = started.elapsed().as_secs_f64();
    let config = config(&translator, beams);
    let sources = sources();
    entente::profile::enable(profiled);
    let start = Instant::now();
    let refs: Vec<&str> = sources.iter().map(String::as_str).collect();
    // As `entente translate --threads 2` runs: one batch per worker thread.
    let generated: usize =
        entente::translate::translate_parallel(&translator, &refs, &config, BATCH, &|_| {})
            .expect("translate")
            .iter()
            .map(|t| t.ids.len())
            .sum();
    let seconds = start.elapsed().as_secs_f64();
    assert_eq!(
        generated,
        N_SENT * NEW_TOKENS,
        "every sentence must get exactly 32 tokens"
    );
    let spans = profiled.then(|| profile::to_json(&entente::profile::report(), seconds, 2));
    println!(
        "{}",
        json!({"tokens_per_s": generated as f64 / seconds, "peak_rss_mb": peak_rss_mb(),
               "seconds": seconds, "load_s": load_s, "profile": spans})
    );
}

/// entente int8 against entente f32: the f32 greedy outputs teacher-forced through both.
fn drift_worker(model_dir: &Path) {
    let f32_model = load(model_dir, Precision::F32);
    let int8_model = load(model_dir, Precision::Int8);
    let config = config(&f32_model, 1);
    let sources = sources();
    let refs: Vec<&str> = sources.iter().map(String::as_str).collect();
    let greedy = |t: &Translator| {
        entente::translate::translate_parallel(t, &refs, &config, BATCH, &|_| {})
            .expect("translate")
    };
    let (references, quantized) = (greedy(&f32_model), greedy(&int8_model));
    let identical = references
        .iter()
        .zip(&quantized)
        .filter(|(a, b)| a.ids == b.ids)
        .count();
    let (mut diffs, mut changed) = (Vec::new(), 0usize);
    for (chunk, targets) in refs.chunks(BATCH).zip(references.chunks(BATCH)) {
        let targets: Vec<Vec<u32>> = targets.iter().map(|t| t.ids.clone()).collect();
        let exact = f32_model
            .teacher_force(chunk, &targets, &config)
            .expect("f32");
        let approx = int8_model
            .teacher_force(chunk, &targets, &config)
            .expect("int8");
        for (e, a) in exact.iter().flatten().zip(approx.iter().flatten()) {
            diffs.push(f64::from((e.logprob - a.logprob).abs()));
            changed += usize::from(e.top != a.top);
        }
    }
    println!(
        "{}",
        json!({"mean_abs": diffs.iter().sum::<f64>() / diffs.len() as f64,
               "max_abs": diffs.iter().copied().fold(0.0, f64::max),
               "top1_changed": changed as f64 / diffs.len() as f64, "steps": diffs.len(),
               "identical": identical, "sentences": references.len()})
    );
}

/// Candle's own Marian (candle-transformers), as its example runs it.
mod candle_marian {
    use super::*;
    use candle_nn::VarBuilder;
    use candle_transformers::models::marian::{Config, MTModel};

    pub fn load(model_dir: &Path) -> (MTModel, Config) {
        let config: Config = serde_json::from_str(
            &std::fs::read_to_string(model_dir.join("config.json")).expect("config.json"),
        )
        .expect("candle-transformers reads the config");
        // SAFETY: read-only map of a file nothing writes while the benchmark runs.
        let vb = unsafe {
            VarBuilder::from_mmaped_safetensors(
                &[model_dir.join("model.safetensors")],
                DType::F32,
                &Device::Cpu,
            )
        }
        .expect("weights");
        (MTModel::new(&config, vb).expect("model"), config)
    }

    /// Greedy decoding of `batch` (padded with the pad id, as a batch without masks must be),
    /// exactly `NEW_TOKENS` tokens (EOS excluded, as `min_new_tokens` does).
    pub fn greedy(model: &mut MTModel, config: &Config, batch: &[Vec<u32>]) -> Vec<Vec<u32>> {
        let longest = batch.iter().map(Vec::len).max().unwrap_or(0);
        let padded: Vec<u32> = batch
            .iter()
            .flat_map(|ids| {
                let mut row = ids.clone();
                row.resize(longest, config.pad_token_id);
                row
            })
            .collect();
        let input = Tensor::from_vec(padded, (batch.len(), longest), &Device::Cpu).unwrap();
        let encoded = model.encoder().forward(&input, 0).unwrap();
        let mut outputs = vec![Vec::new(); batch.len()];
        let mut last = vec![config.decoder_start_token_id; batch.len()];
        for step in 0..NEW_TOKENS {
            let ids = Tensor::from_vec(last.clone(), (batch.len(), 1), &Device::Cpu).unwrap();
            let logits = model.decode(&ids, &encoded, step).unwrap();
            let logits = logits.i((.., 0, ..)).unwrap().to_vec2::<f32>().unwrap();
            for (row, scores) in logits.iter().enumerate() {
                let mut best = None;
                for (i, &x) in scores.iter().enumerate() {
                    let banned = i as u32 == config.eos_token_id || i as u32 == config.pad_token_id;
                    if !banned && best.is_none_or(|b: usize| x > scores[b]) {
                        best = Some(i);
                    }
                }
                let best = best.unwrap_or(0);
                outputs[row].push(best as u32);
                last[row] = best as u32;
            }
        }
        model.reset_kv_cache();
        outputs
    }

    fn source_ids(model_dir: &Path) -> Vec<Vec<u32>> {
        let tokenizer = entente::tokenizer::MarianTokenizer::from_dir(model_dir).expect("tok");
        sources().iter().map(|s| tokenizer.encode(s)).collect()
    }

    /// Speed, one sentence at a time.
    pub fn worker(model_dir: &Path) {
        let started = Instant::now();
        let (mut model, config) = load(model_dir);
        let load_s = started.elapsed().as_secs_f64();
        let ids = source_ids(model_dir);
        let start = Instant::now();
        let generated: usize = ids
            .iter()
            .map(|s| greedy(&mut model, &config, std::slice::from_ref(s))[0].len())
            .sum();
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "{}",
            json!({"tokens_per_s": generated as f64 / seconds, "peak_rss_mb": peak_rss_mb(),
                   "seconds": seconds, "load_s": load_s})
        );
    }

    /// How many sentences translate differently in padded batches of 16 than alone.
    pub fn padding_worker(model_dir: &Path) {
        let (mut model, config) = load(model_dir);
        let ids = source_ids(model_dir);
        let alone: Vec<Vec<u32>> = ids
            .iter()
            .map(|s| greedy(&mut model, &config, std::slice::from_ref(s)).remove(0))
            .collect();
        let batched: Vec<Vec<u32>> = ids
            .chunks(BATCH)
            .flat_map(|chunk| greedy(&mut model, &config, chunk))
            .collect();
        let longest = ids.iter().map(Vec::len).max().unwrap_or(0);
        let full_length = ids
            .chunks(BATCH)
            .map(|c| c.iter().map(Vec::len).max().unwrap_or(0))
            .collect::<Vec<_>>();
        let (mut differ, mut padded) = (0, 0);
        for (i, (a, b)) in alone.iter().zip(&batched).enumerate() {
            let was_padded = ids[i].len() < full_length[i / BATCH];
            padded += usize::from(was_padded);
            differ += usize::from(a != b);
        }
        println!(
            "{}",
            json!({"differ": differ, "padded": padded, "sentences": ids.len(), "longest": longest})
        );
    }
}

fn run_json(command: &mut Command, what: &str) -> Option<Value> {
    let out = command.output().expect("running an engine");
    match serde_json::from_slice::<Value>(&out.stdout) {
        Ok(v) => Some(v),
        Err(_) => {
            eprintln!("{what} failed: {}", String::from_utf8_lossy(&out.stderr));
            None
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| common::arg(&args, name);
    let model_dir = PathBuf::from(arg("--model-dir").unwrap_or_else(|| "/work/bench-model".into()));
    if let Some(mode) = arg("--worker") {
        let beams = if mode == "greedy" { 1 } else { 4 };
        let profiled = args.iter().any(|a| a == "--profile");
        match arg("--engine").as_deref() {
            Some("entente-int8") => worker(&model_dir, beams, Precision::Int8, profiled),
            Some("candle-transformers") => candle_marian::worker(&model_dir),
            _ => worker(&model_dir, beams, Precision::F32, profiled),
        }
        return;
    }
    if args.iter().any(|a| a == "--drift-worker") {
        drift_worker(&model_dir);
        return;
    }
    if args.iter().any(|a| a == "--padding-worker") {
        candle_marian::padding_worker(&model_dir);
        return;
    }
    let python = common::python(&args);
    let script = peer_script();
    let build = Command::new(&python)
        .arg(&script)
        .arg("build")
        // The builder takes the data's root: the folder that holds `models/`.
        .args([shared("models").parent().unwrap(), model_dir.as_path()])
        .status()
        .expect("running the model builder");
    assert!(
        build.success(),
        "building the benchmark model failed (needs torch, transformers, ctranslate2)"
    );
    let sources_file = std::env::temp_dir().join("entente-bench-sources.txt");
    std::fs::write(&sources_file, sources().join("\n") + "\n").unwrap();
    let model = model_dir.to_str().unwrap();
    let me = std::env::current_exe().unwrap();
    let engines: Vec<String> = match arg("--engines") {
        Some(list) => list.split(',').map(str::to_string).collect(),
        None => [
            "entente",
            "entente-int8",
            "transformers",
            "ct2-float32",
            "ct2-int8",
            "candle-transformers",
        ]
        .map(String::from)
        .to_vec(),
    };

    println!("CPU: {}", common::cpu());
    println!("{N_SENT} newstest2014 sentences × {NEW_TOKENS} new tokens, batch {BATCH}, 2 threads, random opus-mt-fr-en-shaped model");
    println!();
    println!(
        "| engine | greedy (tok/s) | beam 4 (tok/s) | peak RSS greedy / beam (MB) | load (s) |"
    );
    println!("|---|---:|---:|---:|---:|");
    let mut speed = std::collections::BTreeMap::new();
    let profiled = args.iter().any(|a| a == "--profile");
    let mut profiles = Vec::new();
    for engine in engines.iter().map(String::as_str) {
        let mut cells = Vec::new();
        let mut rss = Vec::new();
        let mut load_s = None;
        for mode in ["greedy", "beam4"] {
            let result = if engine == "candle-transformers" && mode == "beam4" {
                None // no beam search in candle-transformers' Marian
            } else if engine.starts_with("entente") || engine == "candle-transformers" {
                run_json(
                    Command::new(&me)
                        .args(["--worker", mode, "--engine", engine, "--model-dir", model])
                        .args(profiled.then_some("--profile"))
                        .env("RAYON_NUM_THREADS", "1"),
                    &format!("{engine} {mode}"),
                )
            } else {
                // `-mkl`: CTranslate2 as it runs on Intel CPUs (Intel MKL's packed GEMMs,
                // AVX-512 kernels), which it does not choose by itself on other vendors' CPUs.
                let (base, mkl) = match engine.strip_suffix("-mkl") {
                    Some(base) => (base, true),
                    None => (engine, false),
                };
                let mut command = Command::new(&python);
                command
                    .arg(&script)
                    .args(["run", base, mode, model])
                    .arg(&sources_file)
                    .env("OMP_NUM_THREADS", "2");
                if mkl {
                    command
                        .env("CT2_USE_MKL", "1")
                        .env("CT2_FORCE_CPU_ISA", "AVX512");
                }
                run_json(&mut command, &format!("{engine} {mode}"))
            };
            match result {
                Some(v) => {
                    if !v["profile"].is_null() {
                        profiles.push((format!("{engine} {mode}"), v.clone()));
                    }
                    let tps = v["tokens_per_s"].as_f64().unwrap();
                    speed.insert((engine.to_string(), mode), tps);
                    cells.push(format!("{tps:.0}"));
                    rss.push(format!("{:.0}", v["peak_rss_mb"].as_f64().unwrap()));
                    load_s = load_s.or(v["load_s"].as_f64());
                }
                None => {
                    cells.push("-".into());
                    rss.push("-".into());
                }
            }
        }
        let name = match engine {
            "entente" => "entente f32 (exact)",
            "entente-int8" => "**entente int8**",
            "transformers" => "transformers (PyTorch, f32)",
            "ct2-float32" => "CTranslate2 float32",
            "ct2-int8" => "CTranslate2 int8",
            "ct2-float32-mkl" => "CTranslate2 float32 (MKL, AVX-512)",
            "ct2-int8-mkl" => "CTranslate2 int8 (MKL, AVX-512)",
            "candle-transformers" => "candle-transformers Marian (f32, 1 sentence at a time)",
            other => other,
        };
        println!(
            "| {name} | {} | {} | {} / {} | {} |",
            cells[0],
            cells[1],
            rss[0],
            rss[1],
            load_s.map_or("-".into(), |s| format!("{s:.2}"))
        );
    }
    for mode in ["greedy", "beam4"] {
        let get = |e: &str| speed.get(&(e.to_string(), mode)).copied();
        let mut ratios = Vec::new();
        for (ours, theirs, name) in [
            (
                "entente-int8",
                "ct2-int8",
                "entente int8 / CTranslate2 int8",
            ),
            (
                "entente-int8",
                "ct2-int8-mkl",
                "entente int8 / CTranslate2 int8 (MKL)",
            ),
            (
                "entente",
                "ct2-float32",
                "entente f32 / CTranslate2 float32",
            ),
            (
                "entente",
                "ct2-float32-mkl",
                "entente f32 / CTranslate2 float32 (MKL)",
            ),
            ("entente-int8", "entente", "entente int8 / entente f32"),
        ] {
            if let (Some(a), Some(b)) = (get(ours), get(theirs)) {
                ratios.push(format!("{name} = {:.2}×", a / b));
            }
        }
        if !ratios.is_empty() {
            println!();
            println!("{mode}: {}", ratios.join(", "));
        }
    }
    profile::print_table(&profiles);

    if args.iter().any(|a| a == "--no-drift") {
        return;
    }
    println!();
    println!("Drift of int8 from float32, per engine: its float32 greedy outputs (64 × 32 tokens) teacher-forced through both");
    println!();
    println!("| engine | mean abs Δ log-prob | max abs Δ log-prob | top-1 changed | int8 greedy outputs = f32 |");
    println!("|---|---:|---:|---:|---:|");
    let drift_rows = [
        (
            "entente int8 vs entente f32",
            run_json(
                Command::new(&me)
                    .args(["--drift-worker", "--model-dir", model])
                    .env("RAYON_NUM_THREADS", "1"),
                "entente drift",
            ),
        ),
        (
            "CTranslate2 int8 vs CTranslate2 float32",
            run_json(
                Command::new(&python)
                    .arg(&script)
                    .args(["drift", model])
                    .arg(&sources_file)
                    .env("OMP_NUM_THREADS", "2"),
                "CTranslate2 drift",
            ),
        ),
    ];
    for (name, v) in &drift_rows {
        match v {
            Some(v) => println!(
                "| {name} | {:.4} | {:.4} | {:.2}% | {} of {} |",
                v["mean_abs"].as_f64().unwrap(),
                v["max_abs"].as_f64().unwrap(),
                100.0 * v["top1_changed"].as_f64().unwrap(),
                v["identical"],
                v["sentences"]
            ),
            None => println!("| {name} | - | - | - | - |"),
        }
    }

    println!();
    if let Some(v) = run_json(
        Command::new(&me)
            .args(["--padding-worker", "--model-dir", model])
            .env("RAYON_NUM_THREADS", "2"),
        "candle-transformers padding check",
    ) {
        println!(
            "candle-transformers Marian, greedy in padded batches of {BATCH} vs one sentence at a time: {} of {} sentences translate differently ({} of them were padded; its encoder and cross-attention have no padding mask)",
            v["differ"], v["sentences"], v["padded"]
        );
    }
}
