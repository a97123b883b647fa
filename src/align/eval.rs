//! Alignment scoring as the Bleualign / Vecalign evaluations do it: a link is a pair of index
//! sets; strict = exact match of a gold link, lax = overlap on both sides; precision over
//! proposed links, recall over gold links, links with an empty side left out of both.

/// A link as two index lists.
pub type Ladder = Vec<(Vec<usize>, Vec<usize>)>;

/// Parse gold links, one per line: `[6, 7]:[9, 10]`, `[]:[22]`.
pub fn parse_ladder(text: &str) -> Result<Ladder, String> {
    let list = |s: &str, line: usize| -> Result<Vec<usize>, String> {
        let inner = s
            .trim()
            .strip_prefix('[')
            .and_then(|s| s.strip_suffix(']'))
            .ok_or_else(|| format!("line {line}: expected [i, j, …], got {s:?}"))?;
        inner
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| {
                t.parse()
                    .map_err(|_| format!("line {line}: bad index {t:?}"))
            })
            .collect()
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| {
            let (a, b) = l
                .split_once("]:[")
                .ok_or_else(|| format!("line {}: expected [..]:[..]", n + 1))?;
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
