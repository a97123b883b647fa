//! Leave-one-source-out for the extraction settings that are numbers ([`Tuning`]): for each
//! source, the setting that scores best on the other sources (mean of their scores: F1 where a
//! source gives bodies, else the share of snippets right), and what it scores on the source
//! left out — beside what the shipped default scores there. A setting that only wins on the
//! pages it was chosen on shows up as a gap between the two.

use std::collections::HashMap;

use entente::article::{set_tuning, Article, Tuning};

use crate::report::{figures, Outcome};
use crate::sets::{read_page, PageSet};

/// The settings tried: "never climb" (the rule off) and a grid around the default.
fn grid() -> Vec<Tuning> {
    let mut grid = vec![Tuning {
        growth: f64::INFINITY,
        ..Tuning::default()
    }];
    for levels in [4, 8] {
        for growth in [1.25, 1.5, 2.0] {
            for prose_share in [0.5, 0.6, 0.7] {
                for max_links in [0.15, 0.2, 0.3] {
                    grid.push(Tuning {
                        growth,
                        prose_share,
                        max_links,
                        levels,
                    });
                }
            }
        }
    }
    grid
}

/// A set's score: F1 when it gives bodies, else snippets kept and removed over all snippets.
fn score(set: &PageSet, outcome: &Outcome) -> f64 {
    let f = figures(set, outcome, &|_| true);
    match f.f1 {
        Some((_, _, f1)) => f1,
        None => {
            let (kept, with, removed, without) = f.snippets;
            (kept + removed) as f64 / (with + without).max(1) as f64
        }
    }
}

fn outcome(pages: &[(String, Vec<u8>)]) -> Outcome {
    let mut outcome = Outcome {
        bodies: HashMap::new(),
        texts: HashMap::new(),
        titles: HashMap::new(),
        seconds: 0.0,
    };
    for (id, html) in pages {
        if let Ok(a) = Article::from_html(html, id, None, None) {
            outcome.bodies.insert(id.clone(), a.body());
            outcome.texts.insert(id.clone(), a.text());
        }
    }
    outcome
}

fn describe(t: &Tuning) -> String {
    if t.growth.is_infinite() {
        "off".to_string()
    } else {
        format!(
            "{}/{}/{}/{}",
            t.growth, t.prose_share, t.max_links, t.levels
        )
    }
}

/// Print the leave-one-source-out table for `sets` (held-out sets excluded by the caller).
pub fn print(sets: &[PageSet]) {
    let pages: Vec<Vec<(String, Vec<u8>)>> = sets
        .iter()
        .map(|s| {
            s.pages
                .iter()
                .map(|p| (p.id.clone(), read_page(&p.path)))
                .collect()
        })
        .collect();
    let grid = grid();
    // scores[setting][set]
    let scores: Vec<Vec<f64>> = grid
        .iter()
        .map(|t| {
            set_tuning(*t);
            sets.iter()
                .zip(&pages)
                .map(|(set, pages)| score(set, &outcome(pages)))
                .collect()
        })
        .collect();
    set_tuning(Tuning::default());
    let default = grid
        .iter()
        .position(|t| *t == Tuning::default())
        .expect("the default is in the grid");
    println!(
        "Settings: growth / prose share / link density of the ancestor taken as the article / \
         levels up (default {}).\n",
        describe(&Tuning::default())
    );
    println!("| source left out | chosen on the others | its score there | default's score there | rule off there |");
    println!("|---|---|---:|---:|---:|");
    for (left, set) in sets.iter().enumerate() {
        let others = |row: &Vec<f64>| {
            let kept: Vec<f64> = row
                .iter()
                .enumerate()
                .filter(|&(k, _)| k != left)
                .map(|(_, &v)| v)
                .collect();
            kept.iter().sum::<f64>() / kept.len().max(1) as f64
        };
        let chosen = (0..grid.len())
            .max_by(|&a, &b| others(&scores[a]).total_cmp(&others(&scores[b])))
            .expect("a setting");
        println!(
            "| {} | {} | {:.3} | {:.3} | {:.3} |",
            set.name,
            describe(&grid[chosen]),
            scores[chosen][left],
            scores[default][left],
            scores[0][left],
        );
    }
}
