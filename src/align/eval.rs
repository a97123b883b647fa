//! Alignment scoring. A link is a pair of index sets; strict = exact match of a gold link, lax =
//! overlap. Two scorings: [`score`], Bleualign's (precision over proposed links, recall over gold
//! links, links with an empty side left out of both), and [`score_vecalign`], that of Vecalign's
//! `score.py`, behind the published Vecalign and Bertalign figures, whose precision also counts
//! the proposed insertions and deletions.

/// A link as two index lists.
pub type Ladder = Vec<(Vec<usize>, Vec<usize>)>;

/// A gold-links line that is not a link.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct LadderError {
    /// 1-based.
    pub line: usize,
    pub reason: String,
}

/// Parse gold links, one per line: `[6, 7]:[9, 10]`, `[]:[22]`.
pub fn parse_ladder(text: &str) -> Result<Ladder, LadderError> {
    let list = |s: &str, line: usize| -> Result<Vec<usize>, LadderError> {
        let inner = s
            .trim()
            .strip_prefix('[')
            .and_then(|s| s.strip_suffix(']'))
            .ok_or_else(|| LadderError {
                line,
                reason: format!("expected [i, j, …], got {s:?}"),
            })?;
        inner
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| {
                t.parse().map_err(|_| LadderError {
                    line,
                    reason: format!("bad index {t:?}"),
                })
            })
            .collect()
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| {
            let (a, b) = l.split_once("]:[").ok_or_else(|| LadderError {
                line: n + 1,
                reason: "expected [..]:[..]".into(),
            })?;
            Ok((
                list(&format!("{a}]"), n + 1)?,
                list(&format!("[{b}"), n + 1)?,
            ))
        })
        .collect()
}

/// Format links as ladder lines (`[0, 1]:[0]`).
pub fn format_ladder(links: &Ladder) -> String {
    let list = |v: &[usize]| {
        format!(
            "[{}]",
            v.iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    links
        .iter()
        .map(|(s, t)| format!("{}:{}\n", list(s), list(t)))
        .collect()
}

/// Precision, recall and F1, strict and lax.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    pub strict: (f64, f64, f64),
    pub lax: (f64, f64, f64),
}

fn f1(p: f64, r: f64) -> f64 {
    if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    }
}

pub fn score(proposed: &Ladder, gold: &Ladder) -> Scores {
    let both = |l: &&(Vec<usize>, Vec<usize>)| !l.0.is_empty() && !l.1.is_empty();
    let prop: Vec<_> = proposed.iter().filter(both).collect();
    let gold: Vec<_> = gold.iter().filter(both).collect();
    let overlaps = |a: &(Vec<usize>, Vec<usize>), b: &(Vec<usize>, Vec<usize>)| {
        a.0.iter().any(|x| b.0.contains(x)) && a.1.iter().any(|x| b.1.contains(x))
    };
    let strict_hits = prop.iter().filter(|p| gold.contains(p)).count() as f64;
    let lax_p = prop
        .iter()
        .filter(|p| gold.iter().any(|g| overlaps(p, g)))
        .count() as f64;
    let lax_r = gold
        .iter()
        .filter(|g| prop.iter().any(|p| overlaps(p, g)))
        .count() as f64;
    let np = prop.len().max(1) as f64;
    let ng = gold.len().max(1) as f64;
    let (sp, sr) = (strict_hits / np, strict_hits / ng);
    let (lp, lr) = (lax_p / np, lax_r / ng);
    Scores {
        strict: (sp, sr, f1(sp, sr)),
        lax: (lp, lr, f1(lp, lr)),
    }
}

/// Vecalign's `score.py` (`score_multiple` over one document): precision over every proposed
/// link with a non-empty side, recall over gold links with both sides non-empty matched against
/// proposed links with both sides non-empty; duplicate links count once. A link that is not a
/// gold link is lax-right when a gold link from one of its source sentences reaches one of its
/// target sentences (so an empty-sided link is right only where the gold has the same one).
pub fn score_vecalign(proposed: &Ladder, gold: &Ladder) -> Scores {
    let both = |l: &&(Vec<usize>, Vec<usize>)| !l.0.is_empty() && !l.1.is_empty();
    let p = vecalign_precision(gold.iter(), proposed.iter());
    let r = vecalign_precision(proposed.iter().filter(both), gold.iter().filter(both));
    let ratio = |hit: usize, miss: usize| {
        if hit + miss == 0 {
            0.0
        } else {
            hit as f64 / (hit + miss) as f64
        }
    };
    let (sp, lp) = (ratio(p.0, p.1), ratio(p.2, p.3));
    let (sr, lr) = (ratio(r.0, r.1), ratio(r.2, r.3));
    Scores {
        strict: (sp, sr, f1(sp, sr)),
        lax: (lp, lr, f1(lp, lr)),
    }
}

/// `score.py`'s `_precision`: (strict hits, strict misses, lax hits, lax misses) of `test`
/// against `gold`, each as a set without links empty on both sides.
fn vecalign_precision<'a>(
    gold: impl Iterator<Item = &'a (Vec<usize>, Vec<usize>)>,
    test: impl Iterator<Item = &'a (Vec<usize>, Vec<usize>)>,
) -> (usize, usize, usize, usize) {
    use std::collections::{BTreeSet, HashMap, HashSet};
    let nonempty = |l: &&(Vec<usize>, Vec<usize>)| !l.0.is_empty() || !l.1.is_empty();
    let gold: HashSet<&(Vec<usize>, Vec<usize>)> = gold.filter(nonempty).collect();
    let test: HashSet<&(Vec<usize>, Vec<usize>)> = test.filter(nonempty).collect();
    let mut reach: HashMap<usize, BTreeSet<usize>> = HashMap::new();
    for (s, t) in &gold {
        for &i in s {
            reach.entry(i).or_default().extend(t.iter().copied());
        }
    }
    let (mut strict, mut strict_miss, mut lax, mut lax_miss) = (0, 0, 0, 0);
    for link in test {
        if gold.contains(link) {
            strict += 1;
            lax += 1;
        } else {
            strict_miss += 1;
            let overlap = link
                .0
                .iter()
                .filter_map(|i| reach.get(i))
                .any(|targets| link.1.iter().any(|j| targets.contains(j)));
            if overlap {
                lax += 1;
            } else {
                lax_miss += 1;
            }
        }
    }
    (strict, strict_miss, lax, lax_miss)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ladder_round_trip_and_scores() {
        let gold = parse_ladder("[0]:[0]\n[1, 2]:[1]\n[]:[2]\n[3]:[3, 4]\n").unwrap();
        assert_eq!(
            format_ladder(&gold),
            "[0]:[0]\n[1, 2]:[1]\n[]:[2]\n[3]:[3, 4]\n"
        );
        let proposed = parse_ladder("[0]:[0]\n[1]:[1]\n[2]:[2]\n[3]:[3, 4]\n").unwrap();
        let s = score(&proposed, &gold);
        // strict: 2 of 4 proposed are gold links, 2 of 3 gold links (empty side excluded) found
        assert_eq!(s.strict.0, 0.5);
        assert!((s.strict.1 - 2.0 / 3.0).abs() < 1e-12);
        // lax: [2]:[2] overlaps nothing on the source side with a full gold link
        assert_eq!(s.lax.0, 0.75);
        assert_eq!(s.lax.1, 1.0);
        assert!(parse_ladder("[0]-[1]").is_err());
    }
}

#[cfg(test)]
mod vecalign_parity {
    use super::*;

    /// Every case scored by Vecalign's own score.py (scripts/vecalign_score_fixtures.py).
    #[test]
    fn equals_vecalign_score_py() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/align/vecalign_scores.jsonl"
        );
        let to_ladder = |v: &serde_json::Value| -> Ladder {
            serde_json::from_value::<Vec<(Vec<usize>, Vec<usize>)>>(v.clone()).unwrap()
        };
        let text = std::fs::read_to_string(path).unwrap();
        let mut cases = 0;
        for line in text.lines() {
            let case: serde_json::Value = serde_json::from_str(line).unwrap();
            let s = score_vecalign(&to_ladder(&case["test"]), &to_ladder(&case["gold"]));
            let got = [
                ("precision_strict", s.strict.0),
                ("recall_strict", s.strict.1),
                ("f1_strict", s.strict.2),
                ("precision_lax", s.lax.0),
                ("recall_lax", s.lax.1),
                ("f1_lax", s.lax.2),
            ];
            for (name, value) in got {
                let want = case[name].as_f64().unwrap();
                assert!(
                    (value - want).abs() < 1e-12,
                    "{name}: {value} vs {want} in {line}"
                );
            }
            cases += 1;
        }
        assert!(cases > 300);
    }
}
