//! The best ladder of a band: the dynamic programme ([`super::search`]) run, then its lattice
//! read back into links: the backward half of forward–backward
//! (each link's probability: the share of the paths' weight that goes through it) and the
//! backtrack from the corner along the best path, never losing a sentence.

use super::band::Band;
use super::config::{AlignConfig, Decoding, LINK_TYPES};
use super::link::Link;
use super::search::{forward_pass, logsumexp, Lattice, LinkScorer};
use super::similarity::Weighted;

/// The best path through `band`. With `exact`, a link of several sentences scores the shared
/// weight of their merged features; without, the sum of its sentence pairs' shared weights (an
/// overestimate for merges, cheap: the first pass, whose path only centres the exact pass).
pub(super) fn best_ladder(
    src: &[Weighted],
    tgt: &[Weighted],
    unit: f64,
    band: &Band,
    pair: &[f32],
    config: &AlignConfig,
    exact: bool,
) -> Vec<Link> {
    let scorer = LinkScorer::new(src, tgt, unit, band, pair, config, exact);
    let lattice = forward_pass(&scorer);
    let (n, m) = (src.len(), tgt.len());
    if exact {
        let posterior = Posterior::new(band, &lattice, n, m);
        let back = match config.decoding {
            Decoding::BestPath => None,
            Decoding::ExpectedAccuracy {
                link_cost,
                null_cost,
                min_merge,
            } => Some(posterior.expected_accuracy_path(
                band,
                &lattice,
                [link_cost, null_cost, min_merge],
            )),
        };
        backtrack(
            band,
            back.as_ref().unwrap_or(&lattice.back),
            n,
            m,
            |i, j, a, b| posterior.probability(band, &lattice, i, j, a, b),
        )
    } else {
        backtrack(band, &lattice.back, n, m, |i, j, a, b| {
            scorer.score(i, j, a, b)
        })
    }
}

/// The backward sums over paths from each cell to the corner, and the total over all paths.
pub(super) struct Posterior {
    backward: Vec<f64>,
    total: f64,
}

impl Posterior {
    /// The backward half over the exact pass's `lattice`.
    pub(super) fn new(band: &Band, lattice: &Lattice, n: usize, m: usize) -> Self {
        let (types, t) = (LINK_TYPES.len(), lattice.temperature);
        let mut backward = vec![f64::NEG_INFINITY; band.cells()];
        if let Some(c) = band.cell(n, m) {
            backward[c] = 0.0;
        }
        for i in (0..=n).rev() {
            for j in band.row(i).rev() {
                if i == n && j == m {
                    continue;
                }
                let mut acc = f64::NEG_INFINITY;
                for (k, &(a, b)) in LINK_TYPES.iter().enumerate() {
                    if i + a > n || j + b > m {
                        continue;
                    }
                    if let Some(c) = band.cell(i + a, j + b) {
                        let link = lattice.scores[c * types + k];
                        if !link.is_nan() {
                            acc = logsumexp(acc, backward[c] + link / t);
                        }
                    }
                }
                backward[band.cell(i, j).expect("inside the band")] = acc;
            }
        }
        let total = band
            .cell(n, m)
            .map_or(f64::NEG_INFINITY, |c| lattice.forward[c]);
        Posterior { backward, total }
    }

    /// Back pointers of the path whose links' probabilities minus their costs (`link_cost`
    /// for a link with both sides, `null_cost` for one with a side empty) sum highest, links of
    /// several sentences a side taken only with a probability of `min_merge` or more:
    /// [`Decoding::ExpectedAccuracy`]. The same lattice, links and band as the best path.
    pub(super) fn expected_accuracy_path(
        &self,
        band: &Band,
        lattice: &Lattice,
        [link_cost, null_cost, min_merge]: [f64; 3],
    ) -> Vec<(u8, u8)> {
        let types = LINK_TYPES.len();
        let mut gain = vec![f64::NEG_INFINITY; band.cells()];
        let mut back = vec![(0u8, 0u8); band.cells()];
        gain[0] = 0.0;
        for i in 0..band.lo.len() {
            for j in band.row(i) {
                let at = band.cell(i, j).expect("inside the band");
                for (k, &(a, b)) in LINK_TYPES.iter().enumerate() {
                    if a > i || b > j || lattice.scores[at * types + k].is_nan() {
                        continue;
                    }
                    let Some(from) = band.cell(i - a, j - b) else {
                        continue;
                    };
                    if gain[from] == f64::NEG_INFINITY {
                        continue;
                    }
                    let cost = if a == 0 || b == 0 {
                        null_cost
                    } else {
                        link_cost
                    };
                    let p = self.probability(band, lattice, i, j, a, b);
                    if (a > 1 || b > 1) && p < min_merge {
                        continue;
                    }
                    let value = gain[from] + p - cost;
                    // Ties keep the earlier shape, as the best path does.
                    if value > gain[at] {
                        gain[at] = value;
                        back[at] = (a as u8, b as u8);
                    }
                }
            }
        }
        back
    }

    /// The probability of the link ending at (i, j) with `a` × `b` sentences.
    pub(super) fn probability(
        &self,
        band: &Band,
        lattice: &Lattice,
        i: usize,
        j: usize,
        a: usize,
        b: usize,
    ) -> f64 {
        let types = LINK_TYPES.len();
        match (band.cell(i - a, j - b), band.cell(i, j)) {
            (Some(from), Some(to)) if self.total.is_finite() => {
                // The exact pass kept the link's score at its end cell: no group to merge again.
                let k = LINK_TYPES
                    .iter()
                    .position(|&shape| shape == (a, b))
                    .expect("a searched shape");
                (lattice.forward[from]
                    + lattice.scores[to * types + k] / lattice.temperature
                    + self.backward[to]
                    - self.total)
                    .exp()
                    .clamp(0.0, 1.0)
            }
            _ => 0.0,
        }
    }
}

/// The links of the best path, from the back pointers `back`, each scored by `score_of`.
pub(super) fn backtrack(
    band: &Band,
    back: &[(u8, u8)],
    n: usize,
    m: usize,
    score_of: impl Fn(usize, usize, usize, usize) -> f64,
) -> Vec<Link> {
    let mut links = Vec::new();
    let (mut i, mut j) = (n, m);
    while i > 0 || j > 0 {
        let (a, b) = band.cell(i, j).map_or((0, 0), |c| back[c]);
        let (a, b) = (a as usize, b as usize);
        if a == 0 && b == 0 {
            break; // unreachable corner (outside the band): should not happen
        }
        links.push(Link {
            src: (i - a..i).collect(),
            tgt: (j - b..j).collect(),
            score: score_of(i, j, a, b),
        });
        i -= a;
        j -= b;
    }
    // Never lose a sentence, even if the band could not reach the origin.
    links.extend((0..j).rev().map(|j| Link {
        src: vec![],
        tgt: vec![j],
        score: 0.0,
    }));
    links.extend((0..i).rev().map(|i| Link {
        src: vec![i],
        tgt: vec![],
        score: 0.0,
    }));
    links.reverse();
    links
}
