//! Tokenizer speed beside transformers' MarianTokenizer (Python + sentencepiece): the 3003
//! French lines of newstest2014 encoded one at a time on one core, and their ids decoded back.
//!
//! Run: `cargo run --release --example bench-tokenizer [-- --python PATH]`

#[path = "../common.rs"]
mod common;

use std::process::Command;
use std::time::Instant;

use entente::tokenizer::MarianTokenizer;

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared");

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let python = common::python(&args);
    let text_file = format!("{SHARED}/eval/mt/newstest2014-fr-en/newstest2014.fr-en.fr");
    let lines: Vec<String> = std::fs::read_to_string(&text_file)
        .expect("newstest2014 in ../shared")
        .lines()
        .map(str::to_string)
        .collect();
    println!(
        "newstest2014 fr: {} sentences, one at a time, one core",
        lines.len()
    );
    println!();
    println!("| model | entente encode (sent/s) | MarianTokenizer encode (sent/s) | speed-up | entente decode (sent/s) | MarianTokenizer decode (sent/s) | speed-up |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for model in ["opus-mt-fr-en", "opus-mt-tc-big-fr-en"] {
        let dir = format!("{SHARED}/models/{model}");
        let tok = MarianTokenizer::from_dir(std::path::Path::new(&dir)).expect("tokenizer files");
        // Warm up once, then time.
        let _ = tok.encode(&lines[0]);
        let start = Instant::now();
        let encoded: Vec<Vec<u32>> = lines.iter().map(|l| tok.encode(l)).collect();
        let encode = lines.len() as f64 / start.elapsed().as_secs_f64();
        let start = Instant::now();
        let chars: usize = encoded.iter().map(|ids| tok.decode(ids).len()).sum();
        std::hint::black_box(chars);
        let decode = lines.len() as f64 / start.elapsed().as_secs_f64();

        let peer = Command::new(&python)
            .env("OMP_NUM_THREADS", "1")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/scripts/bench_marian_tokenizer.py"
            ))
            .arg(&dir)
            .arg(&text_file)
            .output();
        let (p_enc, p_dec) = match peer {
            Ok(out) if out.status.success() => {
                let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("peer JSON");
                let n = v["sentences"].as_f64().unwrap();
                (
                    Some(n / v["encode_s"].as_f64().unwrap()),
                    Some(n / v["decode_s"].as_f64().unwrap()),
                )
            }
            Ok(out) => {
                eprintln!(
                    "MarianTokenizer failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                (None, None)
            }
            Err(e) => {
                eprintln!("MarianTokenizer not run: cannot start {python}: {e}");
                (None, None)
            }
        };
        let fmt = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.0}"));
        let ratio =
            |a: f64, b: Option<f64>| b.map_or("-".to_string(), |b| format!("{:.1}×", a / b));
        println!(
            "| {model} | {encode:.0} | {} | {} | {decode:.0} | {} | {} |",
            fmt(p_enc),
            ratio(encode, p_enc),
            fmt(p_dec),
            ratio(decode, p_dec)
        );
    }
}
