//! Alignment on hand-aligned sets entente was not tuned on: the Text+Berg German–French test
//! documents (Bleualign's test set, 7 documents) and ParIce English–Icelandic (10 documents),
//! both as SentAlign's `eval_data/` distributes them (fetch steinst/SentAlign and point
//! `--sets` at its `eval_data`; nothing of it is copied here). No MT; with and without the
//! FreeDict dictionary of the pair (Debian's `dict-freedict-deu-fra`, `dict-freedict-isl-eng`)
//! and `--realign`. Vecalign's strict F1 over all links of a set.
//!
//! Run: `cargo run --release --example eval-align-heldout -- --sets DIR [--hunalign DIR]`; with
//! `--hunalign` (hunalign's `regtest/handaligns`, fetched), the Multext-East "1984" novel in
//! Hungarian–English and Romanian–English too (`dict-freedict-hun-eng`; Debian has no ron-eng).

#[path = "../common.rs"]
mod common;

use std::path::{Path, PathBuf};

use entente::align::eval::{parse_ladder, score_vecalign, Ladder};
use entente::align::lexicon::STEM_CHARS;
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

/// A hunalign hand-aligned novel (`regtest/handaligns/NAME`: `hu.sen`, the source whatever
/// its language, `en.sen`, and `hand.ladder`'s rungs "i j": each bead runs from one rung to the
/// next), `latin2` for files in ISO 8859-2.
fn hunalign_set(dir: &Path, name: &'static str, latin2: bool, dictionary: &str) -> Option<Set> {
    let read = |file: &str| -> Option<Vec<String>> {
        let bytes = std::fs::read(dir.join(file)).ok()?;
        let text = if latin2 {
            encoding_rs::ISO_8859_2.decode(&bytes).0.into_owned()
        } else {
            String::from_utf8_lossy(&bytes).into_owned()
        };
        Some(text.lines().map(|l| l.trim().to_string()).collect())
    };
    let (src, tgt) = (read("hu.sen")?, read("en.sen")?);
    let rungs: Vec<(usize, usize)> = std::fs::read_to_string(dir.join("hand.ladder"))
        .ok()?
        .lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace().map(|v| v.parse::<usize>().ok());
            Some((it.next()??, it.next()??))
        })
        .collect();
    let mut gold = Ladder::new();
    for (k, &(i, j)) in rungs.iter().enumerate() {
        let (ni, nj) = rungs.get(k + 1).copied().unwrap_or((src.len(), tgt.len()));
        if ni > i || nj > j {
            gold.push(((i..ni).collect(), (j..nj).collect()));
        }
    }
    Some(Set {
        name,
        docs: vec![(src, tgt, gold)],
        lexicon: Lexicon::read(Path::new(dictionary)).ok(),
        dictionary: dictionary.into(),
    })
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
/// scores on the set left out, beside the shipped setting (`STEM_CHARS`, realign).
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
    println!("Every setting on every set (lexicon on):");
    println!();
    for (setting, scores) in &grid {
        let mean = scores.iter().sum::<f64>() / scores.len() as f64;
        let each: Vec<String> = scores.iter().map(|v| format!("{v:.3}")).collect();
        println!(
            "- {}: mean {mean:.4} ({})",
            setting_name(*setting),
            each.join(", ")
        );
    }
    println!();
    println!("Leave one set out (lexicon on): the setting chosen on the other sets, scored on the one left out");
    println!();
    println!(
        "| left out | chosen on the others | its F1 there | shipped (8-char prefix, realign) |"
    );
    println!("|---|---|---:|---:|");
    let shipped = &grid
        .iter()
        .find(|(s, _)| *s == (STEM_CHARS, true))
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

/// The set's F1 without and with its dictionary and realign.
fn print_row(set: &Set) {
    let dictionary = |realign: bool| {
        if set.lexicon.is_some() {
            format!("{:.3}", f1(set, true, realign))
        } else {
            "no dictionary".into()
        }
    };
    println!(
        "| {} | {} | {:.3} | {} | {:.3} | {} |",
        set.name,
        set.docs.len(),
        f1(set, false, false),
        dictionary(false),
        f1(set, false, true),
        dictionary(true)
    );
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
        print_row(set);
    }
    let novels = common::arg(&args, "--hunalign").map(PathBuf::from);
    let novels: Vec<Set> = novels
        .iter()
        .flat_map(|dir| {
            [
                hunalign_set(
                    &dir.join("1984.hu"),
                    "1984 (novel), hu–en",
                    true,
                    "/usr/share/dictd/freedict-hun-eng.index",
                ),
                hunalign_set(
                    &dir.join("1984.ro.utf8"),
                    "1984 (novel), ro–en",
                    false,
                    "/usr/share/dictd/freedict-ron-eng.index",
                ),
            ]
        })
        .flatten()
        .collect();
    for set in &novels {
        print_row(set);
    }
    let [tb, parice] = sets;
    let mut all = vec![dev_set(), tb, parice];
    all.extend(novels);
    leave_one_set_out(&mut all);
}
