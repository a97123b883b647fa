//! The plan engine's checks and timings on a GPU (`scripts/gpu_check.sh` runs each part under
//! its own timeout), rehearsed on the CPU with `--device cpu` (the CPU twin).
//!
//! `cargo build --release --features cuda-engine --example gpu-check` (no CUDA toolkit needed),
//! then `gpu-check PART --model DIR [--device cuda|cuda:N|cpu] [--storage f16|f32] …`:
//!
//! - `selftest`: every kernel against its CPU twin, kernel by kernel, f32 (≤ 1e-5 relative) and
//!   f16 (≤ 2e-3), over 4 positions of a batch of 8 sentences × 2 beams (CUDA only);
//! - `parity`: the engine's ids against the host step's (which holds transformers' fixtures),
//!   greedy and beam 4, `--sentences` newstest2014 sentences, 32 new tokens;
//! - `steps`: one decoder step's time at `--rows 16,64,256,1024`, against the memory floor at
//!   `--bandwidth` GB/s (H100 ≈ 3000, H200 ≈ 4300);
//! - `e2e`: `--sentences` sentences at `--batch`, `--beams`, exactly `--new-tokens` each:
//!   decode and whole-job tok/s and the effective batch;
//! - `drift`: f16 against f32 on the same sentences (CUDA): identical outputs, mean |Δ log-prob|.
//!
//! Each part prints a JSON line last.

#[path = "../common.rs"]
mod common;

use std::time::Instant;

use entente::generate::{GenerationConfig, Processing, RowEdits, Wanted};
use entente::translate::{load_named, translate_sorted, Translator};
use serde_json::json;

fn newstest(n: usize) -> Vec<String> {
    let path = entente::testdata::find("eval/mt/newstest2014-fr-en/newstest2014.fr-en.fr")
        .or_else(|| std::env::var("GPU_CHECK_SOURCES").ok().map(Into::into))
        .expect("newstest2014: ../shared, $ENTENTE_TEST_DATA or $GPU_CHECK_SOURCES");
    let text = std::fs::read_to_string(path).expect("reading newstest2014");
    text.lines().take(n).map(str::to_string).collect()
}

/// The engine under test: the CPU twin for `cpu`, else the CUDA executor.
fn engine(model: &str, device: &str, storage: &str) -> Translator {
    if device == "cpu" {
        let mut t = load_named(model, None, "cpu", "f32").expect("loading the model");
        let longest = t.generation.max_length;
        t.model.use_plan_engine(longest).expect("the plan engine");
        t
    } else {
        load_named(model, None, device, storage).expect("loading the model on the engine")
    }
}

fn fixed(t: &Translator, beams: usize, new_tokens: usize) -> GenerationConfig {
    let mut c = t.generation.clone();
    c.num_beams = beams;
    c.set_max_new_tokens(new_tokens);
    c.min_new_tokens = Some(new_tokens);
    c
}

fn ids(
    t: &Translator,
    sources: &[String],
    config: &GenerationConfig,
    batch: usize,
) -> Vec<Vec<u32>> {
    let refs: Vec<&str> = sources.iter().map(String::as_str).collect();
    let out = translate_sorted(t, &refs, config, batch, &|_| {}).expect("translating");
    out.into_iter().map(|t| t.ids).collect()
}

fn parity(model: &str, device: &str, n: usize) -> bool {
    let host = load_named(model, None, "cpu", "f32").expect("the host step");
    let planned = engine(model, device, "f32");
    let sources = newstest(n);
    let mut all = true;
    for beams in [1, 4] {
        let config = fixed(&host, beams, 32);
        let (a, b) = (
            ids(&host, &sources, &config, 16),
            ids(&planned, &sources, &config, 16),
        );
        let equal = a.iter().zip(&b).filter(|(x, y)| x == y).count();
        println!(
            "parity {device} f32 beams {beams}: {equal}/{} sentences' ids equal",
            a.len()
        );
        all &= equal == a.len();
        println!(
            "{}",
            json!({"part": "parity", "beams": beams, "equal": equal, "of": a.len()})
        );
    }
    all
}

/// Bytes one step must read at `rows` rows and `position` (the weights it multiplies by, the
/// self-attention cache so far, the cross-attention's keys and values), in `bytes` per value.
fn floor_bytes(t: &Translator, rows: usize, position: usize, source: usize, bytes: usize) -> f64 {
    let c = t.model.config();
    let (d, ffn) = (c.d_model, c.decoder_ffn_dim);
    let layer = 6 * d * d + 2 * d * ffn;
    let weights = c.decoder_layers * layer + t.model.target_vocab_size() * d;
    let cache = rows * c.decoder_layers * 2 * d * (position + source);
    ((weights + cache) * bytes) as f64
}

/// Mean seconds of 30 steps after 2 of warm-up.
fn mean_step(mut step: impl FnMut()) -> f64 {
    let times: Vec<f64> = (0..32)
        .map(|_| {
            let start = Instant::now();
            step();
            start.elapsed().as_secs_f64()
        })
        .collect();
    times[2..].iter().sum::<f64>() / (times.len() - 2) as f64
}

fn steps(model: &str, device: &str, storage: &str, rows: &[usize], bandwidth: f64) {
    let t = engine(model, device, storage);
    let sources = newstest(*rows.iter().max().unwrap_or(&16));
    let bytes = if storage == "f16" && device != "cpu" {
        2
    } else {
        4
    };
    let storage = if device == "cpu" {
        "f32 (CPU twin)"
    } else {
        storage
    };
    for &r in rows {
        let refs: Vec<&str> = sources.iter().take(r).map(String::as_str).collect();
        let batch = t.tokenizer.encode_batch(&refs);
        let (ids, mask) = (batch.ids, batch.attention_mask);
        let source = ids.first().map_or(0, Vec::len);
        let encoded = t.model.encode(&ids, &mask).expect("encoding");
        let tokens = vec![t.generation.decoder_start_token_id; ids.len()];
        // Greedy's pick where the logits are (what search runs), then the dense logits copied
        // to the host (what it ran before).
        let edits = vec![Some(RowEdits::default()); ids.len()];
        let wanted = Wanted::Greedy { edits: &edits };
        let processing = Processing::from(&t.generation);
        let (mut scratch, mut picked) = (Vec::new(), Vec::new());
        let mut state = t.model.start(&encoded, 1).expect("starting");
        let picking = mean_step(|| {
            t.model
                .step_candidates(
                    &mut state,
                    &tokens,
                    wanted,
                    processing,
                    &mut scratch,
                    &mut picked,
                )
                .expect("a step")
        });
        let mut state = t.model.start(&encoded, 1).expect("starting");
        let dense = mean_step(|| {
            t.model
                .step(&mut state, &tokens, &mut scratch)
                .expect("a step")
        });
        let floor = floor_bytes(&t, ids.len(), 16, source, bytes) / (bandwidth * 1e9);
        println!(
            "steps {device} {storage}: {} rows: {:.1} µs a step with greedy's pick on the \
             device ({:.1} µs with the logits to the host), floor {:.1} µs ({:.0}% of it), \
             {:.0} row-steps/s",
            ids.len(),
            picking * 1e6,
            dense * 1e6,
            floor * 1e6,
            100.0 * floor / picking,
            ids.len() as f64 / picking
        );
        println!(
            "{}",
            json!({"part": "steps", "rows": ids.len(), "step_us": picking * 1e6,
                   "dense_step_us": dense * 1e6, "floor_us": floor * 1e6})
        );
    }
}

fn e2e(model: &str, device: &str, storage: &str, n: usize, batch: usize, beams: usize, new: usize) {
    let job = Instant::now();
    let t = engine(model, device, storage);
    let storage = if device == "cpu" {
        "f32 (CPU twin)"
    } else {
        storage
    };
    let config = fixed(&t, beams, new);
    let sources = newstest(n);
    let plan = t.plan(&config, batch, n.div_ceil(batch));
    let start = Instant::now();
    let generated: usize = ids(&t, &sources, &config, batch).iter().map(Vec::len).sum();
    let decode = start.elapsed().as_secs_f64();
    let whole = job.elapsed().as_secs_f64();
    println!(
        "e2e {device} {storage}: {n} sentences, beams {beams}, {}: {:.0} tok/s decoding \
         ({decode:.2} s), {:.0} tok/s whole job ({whole:.2} s, load included)",
        plan.describe(),
        generated as f64 / decode,
        generated as f64 / whole
    );
    #[cfg(feature = "cuda-engine")]
    if let Some(report) = t.model.plan_graph_report() {
        println!("e2e {device} {storage}: {report}");
    }
    println!(
        "{}",
        json!({"part": "e2e", "beams": beams, "batch": plan.describe(),
                         "tokens": generated, "decode_s": decode, "job_s": whole})
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str, default: &str| common::arg(&args, name).unwrap_or(default.into());
    let number = |name: &str, default: usize| flag(name, &default.to_string()).parse().unwrap();
    let model = flag("--model", "/work/bench-model");
    let device = flag("--device", "cuda");
    let storage = flag("--storage", "f16");
    println!("CPU: {}", common::cpu());
    match args.get(1).map(String::as_str) {
        Some("parity") => {
            if !parity(&model, &device, number("--sentences", 32)) {
                std::process::exit(1);
            }
        }
        Some("steps") => {
            let rows: Vec<usize> = flag("--rows", "16,64,256,1024")
                .split(',')
                .map(|r| r.parse().unwrap())
                .collect();
            let bandwidth: f64 = flag("--bandwidth", "3000").parse().unwrap();
            steps(&model, &device, &storage, &rows, bandwidth);
        }
        Some("e2e") => e2e(
            &model,
            &device,
            &storage,
            number("--sentences", 2048),
            number("--batch", 256),
            number("--beams", 1),
            number("--new-tokens", 32),
        ),
        #[cfg(feature = "cuda-engine")]
        Some("selftest") => cuda::selftest(&model, &device),
        #[cfg(feature = "cuda-engine")]
        Some("drift") => cuda::drift(&model, &device, number("--sentences", 256)),
        _ => {
            eprintln!("gpu-check selftest|parity|steps|e2e|drift --model DIR [--device …]");
            std::process::exit(2);
        }
    }
}

#[cfg(feature = "cuda-engine")]
mod cuda {
    use super::*;
    use entente::marian::backend::plan::cuda::Storage;

    fn ordinal(device: &str) -> usize {
        device
            .strip_prefix("cuda:")
            .map_or(0, |n| n.parse().unwrap())
    }

    pub fn selftest(model: &str, device: &str) {
        let t = load_named(model, None, "cpu", "f32").expect("the model on the CPU");
        let sources = newstest(8);
        let refs: Vec<&str> = sources.iter().map(String::as_str).collect();
        let batch = t.tokenizer.encode_batch(&refs);
        let (ids, mask) = (batch.ids, batch.attention_mask);
        let mut failed = false;
        for storage in [Storage::F32, Storage::F16] {
            let checks = t
                .model
                .plan_kernel_check(&ids, &mask, 2, ordinal(device), storage, 4)
                .expect("the kernel check");
            let bad: Vec<_> = checks.iter().filter(|c| !c.within).collect();
            let worst = checks.iter().map(|c| c.relative_error).fold(0f32, f32::max);
            println!(
                "selftest {storage:?}: {} kernel runs, {} outside the tolerance, worst {worst:.2e}",
                checks.len(),
                bad.len()
            );
            for c in bad.iter().take(10) {
                println!(
                    "  {} #{} at position {}: {:.2e}",
                    c.kernel, c.index, c.position, c.relative_error
                );
            }
            failed |= !bad.is_empty();
            println!(
                "{}",
                json!({"part": "selftest", "storage": format!("{storage:?}"),
                                 "runs": checks.len(), "bad": bad.len(), "worst": worst})
            );
        }
        if failed {
            std::process::exit(1);
        }
    }

    pub fn drift(model: &str, device: &str, n: usize) {
        let (f32s, f16s) = (engine(model, device, "f32"), engine(model, device, "f16"));
        let sources = newstest(n);
        let refs: Vec<&str> = sources.iter().map(String::as_str).collect();
        let config = fixed(&f32s, 1, 32);
        let a = translate_sorted(&f32s, &refs, &config, 64, &|_| {}).expect("f32");
        let b = translate_sorted(&f16s, &refs, &config, 64, &|_| {}).expect("f16");
        let same = a.iter().zip(&b).filter(|(x, y)| x.ids == y.ids).count();
        let tokens: usize = a.iter().map(|t| t.ids.len()).sum();
        let delta: f64 = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (x.logprob - y.logprob).abs())
            .sum();
        println!(
            "drift f16 vs f32 on {device}: {same}/{n} identical outputs, mean |Δ log-prob| {:.5} a token",
            delta / tokens as f64
        );
        println!(
            "{}",
            json!({"part": "drift", "identical": same, "of": n,
                             "mean_abs_delta_logprob": delta / tokens as f64})
        );
    }
}
