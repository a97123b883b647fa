//! Alignment evaluation on the Bleualign dev set (German–French, Text+Berg) and on newstest2014
//! documents, plus the speed of a 10,000 × 10,000 sentence synthetic document.
//!
//! Run: `cargo run --release --example eval-align [-- --cross-validate]`

use std::time::Instant;

use entente::align::eval::{parse_ladder, score, Ladder};
use entente::align::{align, AlignConfig, Features};
use entente::segment::Segmenter;

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared");

fn lines(path: &str) -> Vec<String> {
    std::fs::read_to_string(format!("{SHARED}/{path}"))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .map(|l| l.trim().to_string())
        .collect()
}

fn ladder(links: &[entente::align::Link]) -> Ladder {
    links
        .iter()
        .map(|l| (l.src.clone(), l.tgt.clone()))
        .collect()
}

fn row(name: &str, proposed: &Ladder, gold: &Ladder) {
    let s = score(proposed, gold);
    println!(
        "| {name} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
        s.strict.0, s.strict.1, s.strict.2, s.lax.0, s.lax.1, s.lax.2
    );
}

/// The default weights were chosen on the whole dev set. For a figure free of that choice: split
/// the dev set into halves at the middle gold link, choose weights on one half (a small grid) and
/// score them on the other.
fn cross_validate(mt: &[String], fr: &[String], gold: &Ladder) {
    let mid = gold.len() / 2;
    let first = &gold[..mid];
    let s0 = first.iter().flat_map(|l| &l.0).max().map_or(0, |x| x + 1);
    let t0 = first.iter().flat_map(|l| &l.1).max().map_or(0, |x| x + 1);
    let shift = |links: &[(Vec<usize>, Vec<usize>)], ds: usize, dt: usize| -> Ladder {
        links
            .iter()
            .map(|(a, b)| {
                (
                    a.iter().map(|x| x - ds).collect(),
                    b.iter().map(|x| x - dt).collect(),
                )
            })
            .collect()
    };
    let features = |texts: &[String]| -> Vec<Features> {
        texts.iter().map(|s| Features::lexical(s)).collect()
    };
    let halves = [
        (
            features(&mt[..s0]),
            features(&fr[..t0]),
            shift(&gold[..mid], 0, 0),
        ),
        (
            features(&mt[s0..]),
            features(&fr[t0..]),
            shift(&gold[mid..], s0, t0),
        ),
    ];
    println!();
    println!("Two-fold cross-validation (dev.google.fr): weights chosen on one half, scored on the other");
    println!();
    println!(
        "| chosen on | its strict F1 | strict F1 on the other half | defaults on the other half |"
    );
    println!("|---|---:|---:|---:|");
    for (tune, test) in [(0, 1), (1, 0)] {
        let f1 = |h: usize, config: &AlignConfig| {
            let (s, t, g) = &halves[h];
            score(&ladder(&align(s, t, config)), g).strict.2
        };
        let mut best = (f64::MIN, AlignConfig::default());
        for dice_weight in [0.0, 0.1, 0.2, 0.3] {
            for length_weight in [0.05, 0.1, 0.2] {
                for skip_score in [-0.05, 0.0] {
                    for merge_penalty in [0.0, 0.02, 0.05] {
                        let config = AlignConfig {
                            dice_weight,
                            length_weight,
                            skip_score,
                            merge_penalty,
                            ..AlignConfig::default()
                        };
                        let f = f1(tune, &config);
                        if f > best.0 {
                            best = (f, config);
                        }
                    }
                }
            }
        }
        println!(
            "| half {tune} | {:.3} | {:.3} | {:.3} |",
            best.0,
            f1(test, &best.1),
            f1(test, &AlignConfig::default())
        );
    }
}

fn main() {
    let dir = "eval/align/bleualign-dev";
    let de = lines(&format!("{dir}/dev.de"));
    let fr = lines(&format!("{dir}/dev.fr"));
    let gold = parse_ladder(&std::fs::read_to_string(format!("{SHARED}/{dir}/dev.defr")).unwrap())
        .unwrap();
    let config = AlignConfig::default();
    println!(
        "Bleualign dev (de–fr): {} source, {} target sentences, {} gold links",
        de.len(),
        fr.len(),
        gold.len()
    );
    println!();
    println!("| aligner | strict P | strict R | strict F1 | lax P | lax R | lax F1 |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let tgt_ngrams: Vec<Features> = fr.iter().map(|s| Features::lexical(s)).collect();
    for (name, file) in [
        ("entente + dev.google.fr", "dev.google.fr"),
        ("entente + dev.europarlfull.fr", "dev.europarlfull.fr"),
    ] {
        let mt: Vec<Features> = lines(&format!("{dir}/{file}"))
            .iter()
            .map(|s| Features::lexical(s))
            .collect();
        row(name, &ladder(&align(&mt, &tgt_ngrams, &config)), &gold);
    }
    let src_anchors: Vec<Features> = de.iter().map(|s| Features::anchors(s)).collect();
    let tgt_anchors: Vec<Features> = fr.iter().map(|s| Features::anchors(s)).collect();
    row(
        "entente, no MT (anchors + length)",
        &ladder(&align(&src_anchors, &tgt_anchors, &config)),
        &gold,
    );
    let src_len: Vec<Features> = de.iter().map(|s| Features::length_only(s)).collect();
    let tgt_len: Vec<Features> = fr.iter().map(|s| Features::length_only(s)).collect();
    // Plain Gale-Church: the length term alone, no merge prior.
    let gc = AlignConfig {
        dice_weight: 0.0,
        length_weight: 1.0,
        skip_score: -0.05,
        merge_penalty: 0.0,
        ..config
    };
    row(
        "Gale-Church (length only, entente's search)",
        &ladder(&align(&src_len, &tgt_len, &gc)),
        &gold,
    );
    println!("| peers (published): Gale-Church | | | 0.697 | | | 0.937 |");
    println!("| peers (published): Bleualign + dev.google.fr | | | 0.780 | | | 0.979 |");
    if std::env::args().any(|a| a == "--cross-validate") {
        cross_validate(&lines(&format!("{dir}/dev.google.fr")), &fr, &gold);
    }

    // newstest2014: documents rebuilt as raw text, segmented on both sides, aligned without MT.
    let fr_lines = lines("eval/mt/newstest2014-fr-en/newstest2014.fr-en.fr");
    let en_lines = lines("eval/mt/newstest2014-fr-en/newstest2014.fr-en.en");
    let docids: Vec<String> =
        lines("eval/mt/newstest2014-fr-en/newstest2014.fr-en.docid_origlang.tsv")
            .iter()
            .map(|l| l.split('\t').next().unwrap_or("").to_string())
            .collect();
    let segmenter = Segmenter::default();
    let (mut all_prop, mut all_gold) = (Ladder::new(), Ladder::new());
    let (mut offset_s, mut offset_t) = (0, 0);
    let mut start = 0;
    let mut docs = 0;
    while start < fr_lines.len() {
        let end = (start..fr_lines.len())
            .find(|&k| docids[k] != docids[start])
            .unwrap_or(fr_lines.len());
        // Segment each side of the document as one running text; map segments back to lines.
        let side = |src: &[String]| -> (Vec<String>, Vec<usize>) {
            let text = src.join(" ");
            let mut line_of = Vec::new();
            let mut starts = Vec::new();
            let mut pos = 0;
            for (k, l) in src.iter().enumerate() {
                starts.push((pos, k));
                pos += l.len() + 1;
            }
            let mut segs = Vec::new();
            for s in segmenter.segment(&text) {
                let k = starts
                    .iter()
                    .rev()
                    .find(|(p, _)| *p <= s.start)
                    .map_or(0, |(_, k)| *k);
                segs.push(s.text(&text).to_string());
                line_of.push(k);
            }
            (segs, line_of)
        };
        let (src_segs, src_line) = side(&fr_lines[start..end]);
        let (tgt_segs, tgt_line) = side(&en_lines[start..end]);
        let sf: Vec<Features> = src_segs.iter().map(|s| Features::anchors(s)).collect();
        let tf: Vec<Features> = tgt_segs.iter().map(|s| Features::anchors(s)).collect();
        for l in align(&sf, &tf, &config) {
            all_prop.push((
                l.src.iter().map(|i| i + offset_s).collect(),
                l.tgt.iter().map(|j| j + offset_t).collect(),
            ));
        }
        for k in 0..end - start {
            let s: Vec<usize> = (0..src_line.len())
                .filter(|&i| src_line[i] == k)
                .map(|i| i + offset_s)
                .collect();
            let t: Vec<usize> = (0..tgt_line.len())
                .filter(|&j| tgt_line[j] == k)
                .map(|j| j + offset_t)
                .collect();
            all_gold.push((s, t));
        }
        offset_s += src_segs.len();
        offset_t += tgt_segs.len();
        start = end;
        docs += 1;
    }
    println!();
    println!("newstest2014 fr–en: {docs} documents rebuilt as raw text, segmented on both sides, aligned with no MT");
    println!();
    println!("| aligner | strict P | strict R | strict F1 | lax P | lax R | lax F1 |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    row("entente, no MT", &all_prop, &all_gold);

    // Speed: a synthetic 10,000 × 10,000 document with merges and gaps.
    let n = 10_000;
    let src: Vec<Features> = (0..n)
        .map(|i| Features::anchors(&format!("phrase {i} numero {}", i * 7 % 1000)))
        .collect();
    let tgt: Vec<Features> = (0..n)
        .map(|i| {
            Features::anchors(&format!(
                "sentence {} number {}",
                i + (i % 97 == 0) as usize,
                (i * 7) % 1000
            ))
        })
        .collect();
    let t = Instant::now();
    let links = align(&src, &tgt, &config);
    println!();
    println!(
        "synthetic 10,000 × 10,000 sentences: {} links in {:.2} s",
        links.len(),
        t.elapsed().as_secs_f64()
    );
}
