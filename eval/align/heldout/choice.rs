//! The settings compared across the held-out sets — characters of a word compared (prefix
//! length), realigning, and how links are read off the lattice (the best path, or maximum
//! expected accuracy at three link costs) — each on every set, and the choice made leaving each
//! set out in turn; and `--errors`, what kind of link the shipped setting gets wrong.

use std::collections::BTreeMap;

use entente::align::eval::Ladder;
use entente::align::lexicon::STEM_CHARS;
use entente::align::{AlignConfig, Decoding};

use super::{align_set, f1, Run, Set};

/// Characters of a word compared.
const STEMS: [usize; 3] = [5, 8, usize::MAX];

/// The decodings compared: the best path, and expected accuracy at (link cost, null cost).
const DECODINGS: [Decoding; 4] = [
    Decoding::BestPath,
    Decoding::ExpectedAccuracy {
        link_cost: 0.5,
        null_cost: 0.8,
        min_merge: 0.25,
    },
    Decoding::ExpectedAccuracy {
        link_cost: 0.65,
        null_cost: 0.9,
        min_merge: 0.25,
    },
    Decoding::ExpectedAccuracy {
        link_cost: 0.8,
        null_cost: 1.0,
        min_merge: 0.25,
    },
];

/// One point of the grid.
#[derive(Clone, Copy, PartialEq)]
struct Setting {
    stem: usize,
    realign: bool,
    decoding: Decoding,
}

impl Setting {
    fn name(&self) -> String {
        let stem = if self.stem == usize::MAX {
            "whole words".to_string()
        } else {
            format!("{}-char prefix", self.stem)
        };
        let decoding = match self.decoding {
            Decoding::BestPath => "best path".to_string(),
            Decoding::ExpectedAccuracy {
                link_cost,
                null_cost,
                ..
            } => format!("expected accuracy {link_cost}/{null_cost}"),
        };
        let realign = if self.realign { ", realign" } else { "" };
        format!("{stem}{realign}, {decoding}")
    }

    fn shipped() -> Self {
        Setting {
            stem: STEM_CHARS,
            realign: true,
            decoding: AlignConfig::default().decoding,
        }
    }
}

/// Every setting on every set (lexicon on, all the pair's dictionaries): the F1 of each.
fn grid(sets: &mut [Set]) -> Vec<(Setting, Vec<f64>)> {
    let mut grid: Vec<(Setting, Vec<f64>)> = Vec::new();
    for stem in STEMS {
        sets.iter_mut().for_each(|set| set.read_lexicon(stem, true));
        for realign in [false, true] {
            for decoding in DECODINGS {
                let setting = Setting {
                    stem,
                    realign,
                    decoding,
                };
                let run = Run {
                    lexicon: true,
                    realign,
                    config: AlignConfig {
                        decoding,
                        ..AlignConfig::default()
                    },
                };
                grid.push((setting, sets.iter().map(|set| f1(set, &run)).collect()));
            }
        }
    }
    sets.iter_mut()
        .for_each(|set| set.read_lexicon(STEM_CHARS, true));
    grid
}

/// Leave one set out: for each set, the setting best on the others (mean F1), and what it
/// scores on the set left out, beside the shipped setting.
pub fn leave_one_set_out(sets: &mut [Set]) {
    let grid = grid(sets);
    println!();
    println!("Every setting on every set (lexicon on; sets in the order of the table, the dev set first):");
    println!();
    for (setting, scores) in &grid {
        let mean = scores.iter().sum::<f64>() / scores.len() as f64;
        let each: Vec<String> = scores.iter().map(|v| format!("{v:.3}")).collect();
        println!("- {}: mean {mean:.4} ({})", setting.name(), each.join(", "));
    }
    let shipped = &grid
        .iter()
        .find(|(s, _)| *s == Setting::shipped())
        .expect("the shipped setting is in the grid")
        .1;
    println!();
    println!("Leave one set out (lexicon on): the setting chosen on the other sets, scored on the one left out");
    println!();
    println!(
        "| left out | chosen on the others | its F1 there | shipped ({}) |",
        Setting::shipped().name()
    );
    println!("|---|---|---:|---:|");
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
            chosen.name(),
            scores[k],
            shipped[k]
        );
    }
}

/// `--errors`: for each set, the gold links missed and the proposed links that are wrong under
/// the shipped setting, counted by shape (source sentences, target sentences).
pub fn print_errors(set: &Set) {
    let mut missed: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    let mut wrong: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    let mut shapes: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for (proposed, gold) in align_set(set, &Run::shipped(true, true)) {
        let count = |links: &Ladder, against: &Ladder, into: &mut BTreeMap<_, usize>| {
            for link in links.iter().filter(|l| !against.contains(l)) {
                *into.entry((link.0.len(), link.1.len())).or_default() += 1;
            }
        };
        count(gold, &proposed, &mut missed);
        count(&proposed, gold, &mut wrong);
        for link in gold {
            *shapes.entry((link.0.len(), link.1.len())).or_default() += 1;
        }
    }
    println!("{}: gold shapes {shapes:?}", set.name);
    println!("  missed {missed:?}");
    println!("  wrong  {wrong:?}");
}
