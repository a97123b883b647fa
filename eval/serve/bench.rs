//! Load test of `entente serve`, beside `entente translate` on the same sentences, in one run.
//!
//! Run: `cargo build --release && cargo run --release --example bench-serve [-- --model DIR
//! --clients 64 --seconds 60 --overload-seconds 15 --beams 1 --max-new-tokens 32]`
//!
//! 1. Load: `--clients` concurrent clients post newstest2014 articles (its 176 documents, one
//!    sentence per line as published) to `POST /translate` for `--seconds`, each sending its next
//!    article as soon as the last is answered. Reported: requests by status, sentences/s,
//!    p50/p99 latency, the server's peak RSS and its batching (sentences per batch, share of
//!    batches holding several requests).
//! 2. Baseline: the sentences of every article answered, in the same order, through
//!    `entente translate` (one process, same model and search settings): sentences/s.
//! 3. Overload: a server with a queue of `--overload-queue` sentences (default 128) and the same
//!    clients for `--overload-seconds`: the deliberate 503s (with Retry-After), any other 5xx
//!    (4xx are the 413s of articles longer than that whole queue), and a request after the storm
//!    (the server recovers).
//!
//! Loopback only; bounded in time and in count. The default model is the full-size random
//! opus-mt-fr-en of `scripts/bench_translate.py build` (/work/bench-model); random weights never
//! emit EOS early, so every sentence costs exactly --max-new-tokens steps.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use entente::segment::Segmenter;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const NEWSTEST: &str = "eval/mt/newstest2014-fr-en";

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn num(name: &str, default: usize) -> usize {
    arg(name).map_or(default, |v| v.parse().expect("a number"))
}

/// newstest2014's documents, each an article with one sentence per line.
fn articles() -> Vec<String> {
    let dir = entente::testdata::require(NEWSTEST).unwrap_or_else(|| {
        eprintln!("newstest2014 not found: set ENTENTE_TEST_DATA or run scripts/fetch-test-data");
        std::process::exit(2)
    });
    let fr = std::fs::read_to_string(dir.join("newstest2014.fr-en.fr")).expect("newstest2014 fr");
    let ids =
        std::fs::read_to_string(dir.join("newstest2014.fr-en.docid_origlang.tsv")).expect("docids");
    let mut docs: Vec<(String, Vec<&str>)> = Vec::new();
    for (line, meta) in fr.lines().zip(ids.lines()) {
        let id = meta.split('\t').next().unwrap_or("").to_string();
        match docs.last_mut() {
            Some((last, lines)) if *last == id => lines.push(line),
            _ => docs.push((id, vec![line])),
        }
    }
    docs.into_iter()
        .map(|(_, lines)| lines.join("\n"))
        .collect()
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(entente: &Path, model: &str, search: &[String], extra: &[&str]) -> Server {
        let mut child = Command::new(entente)
            .args(["serve", "--model", model, "--port", "0"])
            .args(search)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting entente serve");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("the server exited before listening")
                .unwrap();
            if let Some(at) = line.find("http://") {
                break line[at..].split_whitespace().next().unwrap().to_string();
            }
        };
        // Keep draining stderr so the server never blocks on it.
        std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
        Server { child, base }
    }

    fn peak_rss_mb(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    }

    fn metric(&self, name: &str) -> f64 {
        let text = ureq::get(&format!("{}/metrics", self.base))
            .call()
            .map(|r| r.into_string().unwrap_or_default())
            .unwrap_or_default();
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or(0.0)
    }

    /// SIGTERM, and wait for the graceful exit.
    fn stop(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child.wait().expect("waiting for the server")
    }
}

#[derive(Default)]
struct Load {
    /// (article index, latency) of each 200.
    ok: Vec<(usize, Duration)>,
    /// Status → count, for everything that was not a 200.
    others: std::collections::BTreeMap<u16, usize>,
    retry_after_missing: usize,
    transport_errors: usize,
    wall: Duration,
}

/// `clients` threads posting articles (round robin from a shared cursor) until `seconds` pass.
fn run_load(server: &Server, articles: &[String], clients: usize, seconds: u64) -> Load {
    let load = Mutex::new(Load::default());
    let cursor = AtomicUsize::new(0);
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let last_done = Mutex::new(start);
    std::thread::scope(|scope| {
        for _ in 0..clients {
            scope.spawn(|| {
                let agent = ureq::AgentBuilder::new()
                    .timeout(Duration::from_secs(600))
                    .build();
                while Instant::now() < deadline {
                    let i = cursor.fetch_add(1, Ordering::Relaxed) % articles.len();
                    let body =
                        serde_json::json!({"q": articles[i], "source": "fr", "target": "en"});
                    let sent = Instant::now();
                    let result = agent
                        .post(&format!("{}/translate", server.base))
                        .send_json(body);
                    let took = sent.elapsed();
                    let mut load = load.lock().unwrap();
                    match result {
                        Ok(_) => {
                            load.ok.push((i, took));
                            *last_done.lock().unwrap() = Instant::now();
                        }
                        Err(ureq::Error::Status(code, response)) => {
                            *load.others.entry(code).or_default() += 1;
                            if code == 503 && response.header("Retry-After").is_none() {
                                load.retry_after_missing += 1;
                            }
                            drop(load);
                            // As a polite client would: back off before retrying.
                            if code == 503 || code == 429 {
                                std::thread::sleep(Duration::from_millis(200));
                            }
                        }
                        Err(_) => load.transport_errors += 1,
                    }
                }
            });
        }
    });
    let mut load = load.into_inner().unwrap();
    load.wall = last_done.into_inner().unwrap().duration_since(start);
    load
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64()
}

fn latencies(load: &Load) -> (f64, f64) {
    let mut l: Vec<Duration> = load.ok.iter().map(|(_, d)| *d).collect();
    l.sort();
    (percentile(&l, 0.5), percentile(&l, 0.99))
}

fn main() {
    let model = arg("--model").unwrap_or_else(|| "/work/bench-model".into());
    let entente =
        PathBuf::from(arg("--entente").unwrap_or_else(|| format!("{ROOT}/target/release/entente")));
    assert!(
        entente.exists(),
        "{} not found: cargo build --release first",
        entente.display()
    );
    let clients = num("--clients", 64);
    let seconds = num("--seconds", 60) as u64;
    let overload_seconds = num("--overload-seconds", 15) as u64;
    let overload_queue = num("--overload-queue", 128);
    let search: Vec<String> = [
        "--beams".to_string(),
        num("--beams", 1).to_string(),
        "--max-new-tokens".into(),
        num("--max-new-tokens", 32).to_string(),
        "--batch-size".into(),
        num("--batch-size", 16).to_string(),
    ]
    .to_vec();
    let articles = articles();
    let segmenter = Segmenter::default();
    let sentences: Vec<Vec<String>> = articles
        .iter()
        .map(|a| {
            segmenter
                .segment(a)
                .iter()
                .map(|s| s.text(a).to_string())
                .collect()
        })
        .collect();
    println!(
        "entente serve load test: {} newstest2014 articles ({} sentences), model {model}, {}",
        articles.len(),
        sentences.iter().map(Vec::len).sum::<usize>(),
        search.join(" ")
    );

    // 1. Load.
    let server = Server::start(&entente, &model, &search, &[]);
    let load = run_load(&server, &articles, clients, seconds);
    let served: usize = load.ok.iter().map(|(i, _)| sentences[*i].len()).sum();
    let batches = server.metric("entente_batches_total");
    let shared = server.metric("entente_shared_batches_total");
    let translated = server.metric("entente_sentences_translated_total");
    let rss = server.peak_rss_mb();
    let exit = server.stop();
    let server_rate = served as f64 / load.wall.as_secs_f64();
    let (p50, p99) = latencies(&load);

    // 2. The same sentences through `entente translate`.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("sentences.fr");
    let lines: Vec<&str> = load
        .ok
        .iter()
        .flat_map(|(i, _)| sentences[*i].iter().map(String::as_str))
        .collect();
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let start = Instant::now();
    let out = Command::new(&entente)
        .args(["translate", "--model", &model])
        .args(&search)
        .arg(&input)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("running entente translate");
    assert!(out.success(), "entente translate failed");
    let cli_wall = start.elapsed().as_secs_f64();
    let cli_rate = lines.len() as f64 / cli_wall;

    // 3. Overload.
    let queue = overload_queue.to_string();
    let server = Server::start(&entente, &model, &search, &["--max-queue", &queue]);
    let storm = run_load(&server, &articles, clients, overload_seconds);
    // Recovery: once the queue drains, a request is answered.
    let calm = Instant::now();
    while server.metric("entente_queue_depth") > 0.0 && calm.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let sent = Instant::now();
    let after = ureq::post(&format!("{}/translate", server.base))
        .send_json(serde_json::json!({"q": articles[0], "source": "fr", "target": "en"}));
    let recovered = after.is_ok();
    let recovery_latency = sent.elapsed().as_secs_f64();
    let overload_exit = server.stop();
    let (sp50, sp99) = latencies(&storm);

    let five_xx = |l: &Load| -> usize {
        l.others
            .iter()
            .filter(|(c, _)| **c >= 500 && **c != 503)
            .map(|(_, n)| n)
            .sum()
    };
    let count = |l: &Load, code: u16| l.others.get(&code).copied().unwrap_or(0);
    println!();
    println!("| run | clients | s | 200 | 503 | other 5xx | 4xx | sentences/s | p50 s | p99 s |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| load | {clients} | {:.1} | {} | {} | {} | {} | {server_rate:.2} | {p50:.2} | {p99:.2} |",
        load.wall.as_secs_f64(),
        load.ok.len(),
        count(&load, 503),
        five_xx(&load),
        load.others.values().sum::<usize>() - count(&load, 503) - five_xx(&load)
            + load.transport_errors,
    );
    println!(
        "| overload (queue {overload_queue}) | {clients} | {:.1} | {} | {} | {} | {} | {:.2} | {sp50:.2} | {sp99:.2} |",
        storm.wall.as_secs_f64(),
        storm.ok.len(),
        count(&storm, 503),
        five_xx(&storm),
        storm.others.values().sum::<usize>() - count(&storm, 503) - five_xx(&storm)
            + storm.transport_errors,
        storm.ok.iter().map(|(i, _)| sentences[*i].len()).sum::<usize>() as f64
            / storm.wall.as_secs_f64(),
    );
    println!();
    println!(
        "entente translate, same {} sentences in one process: {cli_wall:.1} s, {cli_rate:.2} sentences/s",
        lines.len()
    );
    println!(
        "server / translate throughput: {:.2}× (target ≥ 0.80×)",
        server_rate / cli_rate
    );
    println!(
        "server batching: {translated} sentences in {batches} batches ({:.1} per batch), {:.0}% of batches shared by several requests; peak RSS {rss:.0} MB",
        translated / batches.max(1.0),
        100.0 * shared / batches.max(1.0)
    );
    println!(
        "overload: {} deliberate 503s ({} without Retry-After), {} other 5xx; after it, a request {} in {recovery_latency:.2} s",
        count(&storm, 503),
        storm.retry_after_missing,
        five_xx(&storm),
        if recovered { "answered 200" } else { "FAILED" }
    );
    println!("graceful exits on SIGTERM: load server {exit}, overload server {overload_exit}");
}
