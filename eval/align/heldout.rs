//! Alignment on hand-aligned sets entente was not tuned on: the Text+Berg German–French test
//! documents (Bleualign's test set, 7 documents) and ParIce English–Icelandic (10 documents),
//! both as SentAlign's `eval_data/` distributes them (fetch steinst/SentAlign and point
//! `--sets` at its `eval_data`; nothing of it is copied here). No MT; with and without the
//! FreeDict dictionary of the pair (Debian's `dict-freedict-deu-fra`, `dict-freedict-isl-eng`)
//! and `--realign`. Vecalign's strict F1 over all links of a set.
//!
//! Run: `cargo run --release --example eval-align-heldout -- --sets DIR`

#[path = "../common.rs"]
mod common;

use std::path::{Path, PathBuf};

use entente::align::eval::{parse_ladder, score_vecalign, Ladder};
use entente::align::{align_and_realign, align_sentences_with, Lexicon};

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| {
            // ParIce's lines start with their number and a tab.
            let text = match l.split_once('\t') {
                Some((n, rest)) if n.chars().all(|c| c.is_ascii_digit()) => rest,
                _ => l,
            };
            text.trim().to_string()
        })
        .collect()
}

/// One set: its documents (source, target, gold) and the dictionary of its pair.
struct Set {
    name: &'static str,
    docs: Vec<(Vec<String>, Vec<String>, Ladder)>,
    lexicon: Option<Lexicon>,
    dictionary: String,
}

fn load(dir: &Path, name: &'static str, sides: [&str; 2], dictionary: &str) -> Set {
    let gold_dir = dir.join("gold");
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir.join(sides[0]))
        .expect("the set's source folder")
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    let docs = names
        .iter()
        .filter_map(|p| {
            let file = p.file_name()?;
            let gold = parse_ladder(&std::fs::read_to_string(gold_dir.join(file)).ok()?).ok()?;
            Some((lines(p), lines(&dir.join(sides[1]).join(file)), gold))
        })
        .collect();
    let lexicon = Lexicon::read(Path::new(dictionary)).ok();
    Set {
        name,
        docs,
        lexicon,
        dictionary: dictionary.to_string(),
    }
}

/// Every document aligned, links renumbered as one document, against the gold so numbered.
fn f1(set: &Set, lexicon: bool, realign: bool) -> f64 {
    let (mut proposed, mut gold) = (Ladder::new(), Ladder::new());
    let (mut offset_s, mut offset_t) = (0, 0);
    for (src, tgt, g) in &set.docs {
        let l = if lexicon { set.lexicon.as_ref() } else { None };
        let (links, _) = if realign {
            align_and_realign(src, tgt, None, l)
        } else {
            align_sentences_with(src, tgt, None, l)
        };
        let shift = |ids: &[usize], by: usize| ids.iter().map(|i| i + by).collect::<Vec<_>>();
        proposed.extend(
            links
                .iter()
                .map(|l| (shift(&l.src, offset_s), shift(&l.tgt, offset_t))),
        );
        gold.extend(
            g.iter()
                .map(|(s, t)| (shift(s, offset_s), shift(t, offset_t))),
        );
        offset_s += src.len();
        offset_t += tgt.len();
    }
    score_vecalign(&proposed, &gold).strict.2
}

/// The Bleualign dev set (one document) from ../shared.
fn dev_set() -> Set {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/eval/align/bleualign-dev");
    let gold = parse_ladder(&std::fs::read_to_string(dir.join("dev.defr")).expect("dev gold"))
        .expect("dev gold");
    let dictionary = "/usr/share/dictd/freedict-deu-fra.index";
    Set {
        name: "Bleualign dev, de–fr",
        docs: vec![(lines(&dir.join("dev.de")), lines(&dir.join("dev.fr")), gold)],
        lexicon: Lexicon::read(Path::new(dictionary)).ok(),
        dictionary: dictionary.into(),
    }
}

/// The settings compared: characters of a word (prefix length) and realigning.
const STEMS: [usize; 3] = [5, 8, usize::MAX];

fn setting_name((stem, realign): (usize, bool)) -> String {
    let stem = if stem == usize::MAX {
        "whole words".to_string()
    } else {
        format!("{stem}-char prefix")
    };
    format!("{stem}{}", if realign { ", realign" } else { "" })
}

/// Leave one set out: for each set, the setting best on the others (mean F1), and what it
/// scores on the set left out, beside the shipped setting (whole words, no realign).
fn leave_one_set_out(sets: &mut [Set]) {
    let mut grid = Vec::new();
    for stem in STEMS {
        for realign in [false, true] {
            let scores: Vec<f64> = sets
                .iter_mut()
                .map(|set| {
                    set.lexicon = Lexicon::read_stemmed(Path::new(&set.dictionary), stem).ok();
                    f1(set, true, realign)
                })
                .collect();
            grid.push(((stem, realign), scores));
        }
    }
    println!();
    println!("Leave one set out (lexicon on): the setting chosen on the other sets, scored on the one left out");
    println!();
    println!(
        "| left out | chosen on the others | its F1 there | shipped (whole words, no realign) |"
    );
    println!("|---|---|---:|---:|");
    let shipped = &grid
        .iter()
        .find(|(s, _)| *s == (usize::MAX, false))
        .expect("shipped")
        .1;
    for (k, set) in sets.iter().enumerate() {
        let others = |scores: &[f64]| {
            let o: Vec<f64> = (scores.iter().enumerate())
                .filter(|(i, _)| *i != k)
                .map(|(_, v)| *v)
                .collect();
            o.iter().sum::<f64>() / o.len() as f64
        };
        let (chosen, scores) = grid
            .iter()
            .max_by(|a, b| others(&a.1).total_cmp(&others(&b.1)))
            .expect("a grid");
        println!(
            "| {} | {} | {:.3} | {:.3} |",
            set.name,
            setting_name(*chosen),
            scores[k],
            shipped[k]
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir =
        PathBuf::from(common::arg(&args, "--sets").unwrap_or("/work/align-sets/eval_data".into()));
    let sets = [
        load(
            &dir.join("bleualign"),
            "Text+Berg test, de–fr",
            ["deu", "fra"],
            "/usr/share/dictd/freedict-deu-fra.index",
        ),
        load(
            &dir.join("parice"),
            "ParIce, en–is",
            ["eng", "isl"],
            "/usr/share/dictd/freedict-isl-eng.index",
        ),
    ];
    println!("Vecalign strict F1, no MT, on sets entente was not tuned on");
    println!();
    println!("| set | documents | no MT | + FreeDict lexicon | + realign | + both |");
    println!("|---|---:|---:|---:|---:|---:|");
    for set in &sets {
        let dictionary = |on: bool| {
            if set.lexicon.is_some() {
                format!("{:.3}", f1(set, on, false))
            } else {
                "no dictionary".into()
            }
        };
        println!(
            "| {} | {} | {:.3} | {} | {:.3} | {} |",
            set.name,
            set.docs.len(),
            f1(set, false, false),
            dictionary(true),
            f1(set, false, true),
            if set.lexicon.is_some() {
                format!("{:.3}", f1(set, true, true))
            } else {
                "–".into()
            }
        );
    }
    let [tb, parice] = sets;
    leave_one_set_out(&mut [dev_set(), tb, parice]);
}
