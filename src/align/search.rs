//! The dynamic programme: the best-scoring path of links through a band of cells, and (in the
//! exact pass) the forward sums over every path that the ladder (`super::ladder`) turns into
//! each link's probability. The first pass scores merges by the sums of their sentence pairs (cheap: its
//! path only centres the exact pass); the exact pass scores them from merged features.

use std::cell::RefCell;

use super::band::Band;
use super::config::{AlignConfig, LINK_TYPES, MAX_GROUP, ROUGH_LINK_TYPES};
use super::similarity::{coverage_share, link_score, matched, GroupCache, Weighted};

/// Link scores are rounded to multiples of 1/SCORE_GRID: path sums are then exact, so a path
/// and its mirror image (sides swapped, terms added in another order) tie exactly instead of by
/// rounding noise.
pub(super) const SCORE_GRID: f64 = (1u64 << 30) as f64;

/// log(e^acc + e^x), exact at −∞.
pub(super) fn logsumexp(acc: f64, x: f64) -> f64 {
    if acc == f64::NEG_INFINITY {
        x
    } else if x == f64::NEG_INFINITY {
        acc
    } else {
        acc.max(x) + (-(acc - x).abs()).exp().ln_1p()
    }
}

/// What a [`LinkScorer`] reads, without its caches: shared between threads.
#[derive(Clone, Copy)]
struct ScorerParts<'a> {
    src: &'a [Weighted],
    tgt: &'a [Weighted],
    unit: f64,
    band: &'a Band,
    pair: &'a [f32],
    config: &'a AlignConfig,
    exact: bool,
}

impl<'a> ScorerParts<'a> {
    /// A scorer over these parts with caches of its own.
    fn scorer(self) -> LinkScorer<'a> {
        LinkScorer {
            parts: self,
            src_groups: RefCell::new(GroupCache::default()),
            tgt_groups: RefCell::new(GroupCache::default()),
        }
    }
}

/// Scores the link ending at cell (i, j) with `a` source and `b` target sentences.
pub(super) struct LinkScorer<'a> {
    parts: ScorerParts<'a>,
    // Merged groups: the rows advance through the source, and the band through the target, so
    // each group is merged once and kept only while the band can reach it.
    src_groups: RefCell<GroupCache>,
    tgt_groups: RefCell<GroupCache>,
}

impl<'a> LinkScorer<'a> {
    pub(super) fn new(
        src: &'a [Weighted],
        tgt: &'a [Weighted],
        unit: f64,
        band: &'a Band,
        pair: &'a [f32],
        config: &'a AlignConfig,
        exact: bool,
    ) -> Self {
        ScorerParts {
            src,
            tgt,
            unit,
            band,
            pair,
            config,
            exact,
        }
        .scorer()
    }

    /// The shared weight and coverage of sentences i-a..i and j-b..j: from their merged
    /// features in the exact pass, else from the sums of their pairs in the band.
    fn group(&self, i: usize, j: usize, a: usize, b: usize) -> (f64, f64) {
        let (src, tgt) = (self.parts.src, self.parts.tgt);
        if a == 1 && b == 1 {
            let p = self
                .parts
                .band
                .cell(i, j)
                .map_or(0.0, |c| self.parts.pair[c] as f64);
            return (
                p,
                coverage_share(p, src[i - 1].weight) + coverage_share(p, tgt[j - 1].weight),
            );
        }
        if self.parts.exact {
            let s = self.src_groups.borrow_mut().get(src, i, a);
            let t = self.tgt_groups.borrow_mut().get(tgt, j, b);
            return matched(&src[i - a..i], &s, &tgt[j - b..j], &t);
        }
        self.summed_pairs(i, j, a, b)
    }

    /// The first pass's estimate of a group: the sums of its sentence pairs' weights.
    fn summed_pairs(&self, i: usize, j: usize, a: usize, b: usize) -> (f64, f64) {
        let mut shared = 0.0;
        let mut row_sums = [0.0; MAX_GROUP];
        let mut col_sums = [0.0; MAX_GROUP];
        for (r, x) in (i + 1 - a..=i).enumerate() {
            for (c, y) in (j + 1 - b..=j).enumerate() {
                if let Some(cell) = self.parts.band.cell(x, y) {
                    let p = self.parts.pair[cell] as f64;
                    shared += p;
                    row_sums[r] += p;
                    col_sums[c] += p;
                }
            }
        }
        let coverage = (0..a)
            .map(|r| coverage_share(row_sums[r], self.parts.src[i - a + r].weight))
            .chain((0..b).map(|c| coverage_share(col_sums[c], self.parts.tgt[j - b + c].weight)))
            .sum();
        (shared, coverage)
    }

    /// The link's score, on the grid of [`SCORE_GRID`].
    pub(super) fn score(&self, i: usize, j: usize, a: usize, b: usize) -> f64 {
        let score = if a == 0 || b == 0 {
            self.parts.config.skip_score
        } else {
            let (shared, coverage) = self.group(i, j, a, b);
            link_score(
                &self.parts.src[i - a..i],
                &self.parts.tgt[j - b..j],
                shared,
                coverage,
                self.parts.unit,
                self.parts.config,
            )
        };
        (score * SCORE_GRID).round() / SCORE_GRID
    }
}

/// The scores of the links ending in rows `rows` of the band, of the first `types` shapes of
/// [`LINK_TYPES`] (NaN where the link would start outside the band), computed in runs of rows
/// in parallel: a score depends on its link alone, not on the path, so the forward pass only
/// has to add them up. Each run merges its groups with caches of its own.
fn score_links(scorer: &LinkScorer, rows: std::ops::Range<usize>, types: usize) -> Vec<f64> {
    use rayon::prelude::*;
    let parts = scorer.parts;
    let band = parts.band;
    let cells = band.row_start(rows.end) - band.row_start(rows.start);
    let mut scores = vec![f64::NAN; cells * types];
    let chunks = band.row_chunks_of(rows, &mut scores, types);
    chunks.into_par_iter().for_each(|(rows, out)| {
        let scorer = parts.scorer();
        let base = band.row_start(rows.start);
        for i in rows {
            scorer.src_groups.borrow_mut().forget_before(i);
            scorer.tgt_groups.borrow_mut().forget_before(band.lo[i]);
            for j in band.row(i) {
                let at = band.cell(i, j).expect("inside the band") - base;
                for (k, &(a, b)) in LINK_TYPES[..types].iter().enumerate() {
                    if a <= i && b <= j && (a, b) != (0, 0) && band.cell(i - a, j - b).is_some() {
                        out[at * types + k] = scorer.score(i, j, a, b);
                    }
                }
            }
        }
    });
    scores
}

/// Rows of the band whose first-pass links are scored together (in parallel), then added up.
const ROUGH_WINDOW_ROWS: usize = 4096;

/// What the forward pass leaves, per cell of the band: the best path's last link shape; in
/// the exact pass also the log-sum over every path reaching the cell (scaled by the
/// temperature) and each link's score, kept for the backward half.
pub(super) struct Lattice {
    pub(super) back: Vec<(u8, u8)>,
    pub(super) forward: Vec<f64>,
    /// Cell × [`LINK_TYPES`] index: the score of that link ending there (NaN where none).
    pub(super) scores: Vec<f64>,
    pub(super) temperature: f64,
}

/// The link scores the forward pass reads. The exact pass's are all scored up front (the
/// backward half reads them again); the first pass's a window of rows at a time, in parallel,
/// just ahead of the rows that add them up (a whole band of them would be 600 MB at 100,000
/// sentences a side). Either way in runs of rows over rayon's threads ([`score_links`]).
struct LinkScores<'s, 'a> {
    scorer: &'s LinkScorer<'a>,
    exact: bool,
    /// Shapes scored a cell: every [`LINK_TYPES`] entry, or the first pass's smaller ones.
    types: usize,
    /// The rows scored, and the band's index of their first cell.
    rows: std::ops::Range<usize>,
    first_cell: usize,
    values: Vec<f64>,
}

impl<'s, 'a> LinkScores<'s, 'a> {
    fn new(scorer: &'s LinkScorer<'a>) -> Self {
        let exact = scorer.parts.exact;
        let (rows, types) = if exact {
            (0..scorer.parts.src.len() + 1, LINK_TYPES.len())
        } else {
            (0..0, ROUGH_LINK_TYPES)
        };
        let values = score_links(scorer, rows.clone(), types);
        LinkScores {
            scorer,
            exact,
            types,
            rows,
            first_cell: 0,
            values,
        }
    }

    /// Row `i`'s links scored (the next window's, in the first pass, when `i` is past this one).
    fn ready(&mut self, i: usize) {
        if self.rows.contains(&i) {
            return;
        }
        let rows = i..(i + ROUGH_WINDOW_ROWS).min(self.scorer.parts.src.len() + 1);
        self.values = score_links(self.scorer, rows.clone(), self.types);
        self.first_cell = self.scorer.parts.band.row_start(i);
        self.rows = rows;
    }

    /// The score of shape `k` ending at cell `at`.
    fn get(&self, at: usize, k: usize) -> f64 {
        self.values[(at - self.first_cell) * self.types + k]
    }

    /// No path reaches the link: in the exact pass, it is no link of the lattice.
    fn unreachable(&mut self, at: usize, k: usize) {
        if self.exact {
            self.values[(at - self.first_cell) * self.types + k] = f64::NAN;
        }
    }
}

/// Every cell of the band in order: its best incoming link, and in the exact pass the forward
/// sum over paths.
pub(super) fn forward_pass(scorer: &LinkScorer) -> Lattice {
    let (band, exact, parts) = (scorer.parts.band, scorer.parts.exact, scorer.parts);
    let n = parts.src.len();
    let t = parts.config.temperature.max(1e-9);
    let mut best = vec![f64::NEG_INFINITY; band.cells()];
    let mut back = vec![(0u8, 0u8); band.cells()];
    let mut forward = if exact {
        vec![f64::NEG_INFINITY; band.cells()]
    } else {
        Vec::new()
    };
    let mut scores = LinkScores::new(scorer);
    best[0] = 0.0;
    if exact {
        forward[0] = 0.0;
    }
    // The first pass, which only centres the exact one, tries the smaller shapes.
    let shapes = &LINK_TYPES[..scores.types];
    for i in 0..=n {
        scores.ready(i);
        for j in band.row(i) {
            if i == 0 && j == 0 {
                continue;
            }
            let at = band.cell(i, j).expect("inside the band");
            let mut score = f64::NEG_INFINITY;
            let mut from = (0u8, 0u8);
            let mut sum = f64::NEG_INFINITY;
            for (k, &(a, b)) in shapes.iter().enumerate() {
                if a > i || b > j {
                    continue;
                }
                let Some(prev_at) = band.cell(i - a, j - b) else {
                    continue;
                };
                let prev = best[prev_at];
                if prev == f64::NEG_INFINITY {
                    scores.unreachable(at, k);
                    continue;
                }
                let link = scores.get(at, k);
                if exact {
                    sum = logsumexp(sum, forward[prev_at] + link / t);
                }
                if prev + link > score {
                    score = prev + link;
                    from = (a as u8, b as u8);
                }
            }
            best[at] = score;
            back[at] = from;
            if exact {
                forward[at] = sum;
            }
        }
    }
    Lattice {
        back,
        forward,
        scores: if exact { scores.values } else { Vec::new() },
        temperature: t,
    }
}
