//! The pipeline's overhead, measured: `entente pipeline` on N generated documents (consecutive
//! newstest2014 lines, up to 5 per document and never one line twice, so that the run-wide
//! sentence cache does not flatter the pipeline) beside `entente translate` on the same sentences, in
//! one run: seconds, documents/s, sentences/s, tokens/s and peak RSS (GNU time's maximum RSS).
//!
//!   cargo run --release --example bench-pipeline -- [--model DIR] [--docs 200,2000] [--beams K]
//!       [--max-new-tokens N (default 32)] [--mix (pipeline --mix-documents)]
//!
//! --model defaults to /work/bench-model (the full-size random opus-mt-fr-en of
//! scripts/bench_translate.py build) when it exists, else the tiny test model.

use std::path::{Path, PathBuf};

#[path = "../common.rs"]
#[allow(dead_code)] // the harnesses' shared helpers; this one uses `arg` alone
mod common;
use std::process::Command;
use std::time::Instant;

struct Measure {
    seconds: f64,
    peak_rss_mb: f64,
}

/// Run the release `entente` binary under GNU time.
fn measure(args: &[&str]) -> Measure {
    let exe = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/entente");
    let start = Instant::now();
    let out = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("PEAK_RSS_KB=%M")
        .arg(&exe)
        .args(args)
        .output()
        .expect("GNU time (/usr/bin/time) and target/release/entente (cargo build --release)");
    let seconds = start.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() || out.status.code() == Some(3),
        "entente {args:?} failed: {stderr}"
    );
    let kb: f64 = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("PEAK_RSS_KB="))
        .next_back()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0);
    Measure {
        seconds,
        peak_rss_mb: kb / 1024.0,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| common::arg(&args, flag);
    let model = value("--model").unwrap_or_else(|| {
        if Path::new("/work/bench-model/model.safetensors").exists() {
            "/work/bench-model".into()
        } else {
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/models/test/tiny-selfcontained"
            )
            .into()
        }
    });
    let sizes: Vec<usize> = value("--docs")
        .unwrap_or_else(|| "200,2000".into())
        .split(',')
        .map(|n| n.parse().expect("--docs N,M"))
        .collect();
    let beams = value("--beams").unwrap_or_else(|| "4".into());
    // `--mix-documents`: batches across documents even where the engine is not batch-invariant
    // (on the CPU it is, and the default batches across documents too).
    let mix = args.iter().any(|a| a == "--mix");
    // Random weights seldom choose EOS: cap the output as eval/translate's benchmark does.
    let max_new = value("--max-new-tokens").unwrap_or_else(|| "32".into());
    let data = entente::testdata::find("eval/mt/newstest2014-fr-en/newstest2014.fr-en.fr")
        .expect("newstest2014 (ENTENTE_TEST_DATA or ../shared)");
    let sentences: Vec<String> = std::fs::read_to_string(data)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let work = std::env::temp_dir().join(format!("entente-bench-pipeline-{}", std::process::id()));
    println!("CPU: {}", common::cpu());
    println!(
        "model {model}, beams {beams}, at most {max_new} new tokens, all cores; pipeline ({}) vs \
         translate on the same sentences",
        if mix {
            "--mix-documents"
        } else {
            "default batching"
        }
    );
    println!(
        "{:>6} {:>9} | {:>10} {:>8} {:>8} {:>8} | {:>11} {:>8} {:>8} | {:>6}",
        "docs",
        "lines",
        "pipeline s",
        "docs/s",
        "tok/s",
        "RSS MB",
        "translate s",
        "tok/s",
        "RSS MB",
        "ratio"
    );
    for &n in &sizes {
        let dir = work.join(format!("docs-{n}"));
        std::fs::create_dir_all(&dir).unwrap();
        let mut all = String::new();
        let per_doc = (sentences.len() / n).clamp(1, 5);
        for d in 0..n {
            let lines: Vec<&str> = (0..per_doc)
                .map(|k| sentences[(d * per_doc + k) % sentences.len()].as_str())
                .collect();
            std::fs::write(dir.join(format!("d{d:05}.txt")), lines.join("\n") + "\n").unwrap();
            all.push_str(&(lines.join("\n") + "\n"));
        }
        let flat: PathBuf = work.join(format!("sentences-{n}.txt"));
        std::fs::write(&flat, &all).unwrap();
        let out = work.join(format!("out-{n}"));
        let common = [
            "--model",
            model.as_str(),
            "--beams",
            beams.as_str(),
            "--max-new-tokens",
            max_new.as_str(),
        ];
        let mut p_args = vec![
            "pipeline",
            dir.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--quiet",
        ];
        p_args.extend_from_slice(&common);
        if mix {
            p_args.push("--mix-documents");
        }
        let pipeline = measure(&p_args);
        let t_out = work.join(format!("translate-{n}.jsonl"));
        let mut t_args = vec![
            "translate",
            flat.to_str().unwrap(),
            "-o",
            t_out.to_str().unwrap(),
            "--format",
            "jsonl",
        ];
        t_args.extend_from_slice(&common);
        let translate = measure(&t_args);
        // Tokens generated: the pipeline's run.json, translate's JSONL ids.
        let run: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
        let p_tokens = run["tokens_generated"].as_f64().unwrap_or(0.0);
        let t_tokens: usize = std::fs::read_to_string(&t_out)
            .unwrap()
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["ids"].as_array().map_or(0, Vec::len)
            })
            .sum();
        let lines = per_doc * n;
        println!(
            "{:>6} {:>9} | {:>10.2} {:>8.1} {:>8.0} {:>8.0} | {:>11.2} {:>8.0} {:>8.0} | {:>5.2}×",
            n,
            lines,
            pipeline.seconds,
            n as f64 / pipeline.seconds,
            p_tokens / pipeline.seconds,
            pipeline.peak_rss_mb,
            translate.seconds,
            t_tokens as f64 / translate.seconds,
            translate.peak_rss_mb,
            pipeline.seconds / translate.seconds
        );
    }
    let _ = std::fs::remove_dir_all(&work);
}
