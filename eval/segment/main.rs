//! Segmentation evaluation on UD French-GSD, beside the peers, plus throughput.
//!
//! Run: `cargo run --release --example eval-segment [-- --python PATH]`
//!
//! Running text is rebuilt from the `# text =` sentences in file order: up to 5 sentences per
//! paragraph joined by one space; a sentence that does not end in `. ! ? … ; : " » ) ] '` closes
//! its paragraph. Boundaries inside paragraphs are scored (precision / recall / F1), measured as
//! counts of non-whitespace characters so that peers that alter whitespace are scored fairly.
//! Peers (pySBD, Moses via `sentence-splitter`) run through `scripts/segment_peers.py` with the
//! Python given by `--python` or `$ENTENTE_PYTHON` (default `python3`); if it is missing, their
//! rows say so.

#[path = "../common.rs"]
mod common;
mod gold;

use std::process::Command;
use std::time::Instant;

use entente::segment::Segmenter;
use gold::{build_paragraphs, proposed, Paragraph};
use unicode_segmentation::UnicodeSegmentation;

const GOLD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/eval/segment/fr_gsd-ud-test.conllu"
);

struct Row {
    name: String,
    precision: f64,
    recall: f64,
    f1: f64,
    mb_per_s: Option<f64>,
}

fn score(
    name: &str,
    paragraphs: &[Paragraph],
    output: &[Vec<String>],
    mb_per_s: Option<f64>,
) -> Row {
    let (mut tp, mut n_pred, mut n_gold) = (0usize, 0usize, 0usize);
    for (p, sents) in paragraphs.iter().zip(output) {
        let pred = proposed(sents);
        tp += pred.intersection(&p.boundaries).count();
        n_pred += pred.len();
        n_gold += p.boundaries.len();
    }
    let precision = tp as f64 / n_pred.max(1) as f64;
    let recall = tp as f64 / n_gold.max(1) as f64;
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    Row {
        name: name.to_string(),
        precision,
        recall,
        f1,
        mb_per_s,
    }
}

/// Time `f` over the paragraphs until at least `min_seconds` passed; returns MB/s.
fn throughput(paragraphs: &[Paragraph], min_seconds: f64, mut f: impl FnMut(&str) -> usize) -> f64 {
    let bytes: usize = paragraphs.iter().map(|p| p.text.len()).sum();
    let start = Instant::now();
    let mut rounds = 0usize;
    let mut sink = 0usize;
    while rounds == 0 || start.elapsed().as_secs_f64() < min_seconds {
        for p in paragraphs {
            sink = sink.wrapping_add(f(&p.text));
        }
        rounds += 1;
    }
    std::hint::black_box(sink);
    (bytes * rounds) as f64 / 1e6 / start.elapsed().as_secs_f64()
}

/// With `--errors`: each paragraph where entente misses or invents a boundary.
fn print_errors(paragraphs: &[Paragraph], output: &[Vec<String>]) {
    for (p, sents) in paragraphs.iter().zip(output) {
        let pred = proposed(sents);
        if pred != p.boundaries {
            let missed: Vec<_> = p.boundaries.difference(&pred).collect();
            let extra: Vec<_> = pred.difference(&p.boundaries).collect();
            println!("missed {missed:?} extra {extra:?}");
            for s in sents {
                println!("    | {s}");
            }
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let python = common::python(&args);

    let conllu = std::fs::read_to_string(GOLD).expect("reading the GSD test file from ../shared");
    let paragraphs = build_paragraphs(&conllu);
    let n_gold: usize = paragraphs.iter().map(|p| p.boundaries.len()).sum();
    let total_bytes: usize = paragraphs.iter().map(|p| p.text.len()).sum();
    println!(
        "UD French-GSD test: {} paragraphs, {} internal boundaries, {:.1} kB of text",
        paragraphs.len(),
        n_gold,
        total_bytes as f64 / 1e3
    );

    let segmenter = Segmenter::default();
    let entente_out: Vec<Vec<String>> = paragraphs
        .iter()
        .map(|p| {
            segmenter
                .sentence_spans(&p.text)
                .into_iter()
                .map(|r| p.text[r].to_string())
                .collect()
        })
        .collect();
    let entente_speed = throughput(&paragraphs, 2.0, |t| segmenter.sentence_spans(t).len());

    let uax_out: Vec<Vec<String>> = paragraphs
        .iter()
        .map(|p| {
            p.text
                .split_sentence_bounds()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .collect();
    let uax_speed = throughput(&paragraphs, 2.0, |t| t.split_sentence_bounds().count());

    if args.iter().any(|a| a == "--errors") {
        print_errors(&paragraphs, &entente_out);
    }

    let mut rows = vec![
        score("entente", &paragraphs, &entente_out, Some(entente_speed)),
        score(
            "UAX #29 (unicode-segmentation)",
            &paragraphs,
            &uax_out,
            Some(uax_speed),
        ),
    ];

    let tmp = std::env::temp_dir().join(format!("entente-gsd-{}.txt", std::process::id()));
    let joined: String = paragraphs.iter().map(|p| format!("{}\n", p.text)).collect();
    std::fs::write(&tmp, joined).expect("writing the paragraphs for the peers");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/segment_peers.py");
    let peers = Command::new(&python).arg(script).arg(&tmp).output();
    let _ = std::fs::remove_file(&tmp);
    match peers {
        Ok(out) if out.status.success() => {
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("peer JSON");
            for (key, name) in [
                ("pysbd", "pySBD 0.3 (fr)"),
                ("moses", "Moses splitter (sentence-splitter, fr)"),
            ] {
                let Some(peer) = v.get(key) else {
                    println!("{name}: not installed for {python}");
                    continue;
                };
                let sents: Vec<Vec<String>> =
                    serde_json::from_value(peer["sentences"].clone()).unwrap();
                let seconds = peer["seconds"].as_f64().unwrap();
                rows.push(score(
                    name,
                    &paragraphs,
                    &sents,
                    Some(total_bytes as f64 / 1e6 / seconds),
                ));
            }
        }
        Ok(out) => println!(
            "peers failed ({python}): {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => {
            println!("peers not run: cannot start {python}: {e} (set --python or ENTENTE_PYTHON)")
        }
    }

    println!();
    println!("| system | precision | recall | F1 | MB/s (1 core) |");
    println!("|---|---:|---:|---:|---:|");
    for r in &rows {
        let speed = r.mb_per_s.map_or("-".to_string(), |s| format!("{s:.2}"));
        println!(
            "| {} | {:.4} | {:.4} | {:.4} | {} |",
            r.name, r.precision, r.recall, r.f1, speed
        );
    }
}
