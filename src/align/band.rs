//! The cells the search may visit: a band around the length-ratio diagonal, around a coarse
//! path of blocks (long documents), or around the first pass's path (the exact pass). Only the
//! band is stored, so memory is linear in the document length.

use super::config::AlignConfig;
use super::link::Link;
/// Most dynamic-programming cells stored for one alignment (≈14 bytes each: the pair
/// similarity, the best score and the back pointer), unless the minimum band alone needs more.
pub(super) const MAX_BAND_CELLS: usize = 40_000_000;

/// Documents longer than this (sentences, either side) are aligned coarse to fine: first as
/// blocks of sentences, then sentence by sentence inside a band around the block path.
pub(super) const COARSE_ABOVE: usize = 3_000;

/// Most sentences per block. The fine pass's band around the block path is a few blocks wide,
/// so its cells grow as n × block size: blocks growing with the document (n / 3,000) made
/// memory grow as n² (400,000 sentences a side took 2.4 GB). Above this size the coarse pass
/// has more than [`COARSE_ABOVE`] blocks and is itself aligned coarse to fine, one more level.
pub(super) const MAX_BLOCK: usize = 40;

/// The fewest rows of the band filled as one run in parallel ([`Band::row_chunks`]).
pub(super) const MIN_PARALLEL_ROWS: usize = 64;

/// Sentences per block of the coarse pass: blocks number at most [`COARSE_ABOVE`] per side
/// (the coarse pass then searches a diagonal band) while that takes at most [`MAX_BLOCK`]
/// sentences a block.
pub(super) fn block_size(n: usize, m: usize) -> usize {
    n.max(m).div_ceil(COARSE_ABOVE).clamp(2, MAX_BLOCK)
}

/// Half-width of the band of the search for `n` × `m` sentences: `min_band`, widened by the
/// length difference, capped so that the stored cells stay within [`MAX_BAND_CELLS`] while
/// each row's band still overlaps the next one's (the diagonal moves m/n per row).
pub(super) fn band_width(n: usize, m: usize, config: &AlignConfig) -> usize {
    let slope = m.div_ceil(n.max(1));
    config
        .min_band
        .max(n.abs_diff(m) + config.min_band / 2)
        .min((MAX_BAND_CELLS / (2 * (n + 1))).max(config.min_band + slope))
}

/// The cells searched: for each row i (source prefix length, 0..=n) the target prefix lengths
/// `lo[i]..=hi[i]`, stored one row after another.
pub(super) struct Band {
    pub(super) lo: Vec<usize>,
    /// Offset of row i's first cell; `at[n + 1]` is the number of cells.
    at: Vec<usize>,
}

impl Band {
    /// From per-row ranges; the rows are made monotone and overlapping so that a path from
    /// (0, 0) to (n, m) always exists.
    pub(super) fn new(mut lo: Vec<usize>, mut hi: Vec<usize>, m: usize) -> Self {
        let n = lo.len() - 1;
        lo[0] = 0;
        hi[n] = m;
        for i in 1..=n {
            lo[i] = lo[i].max(lo[i - 1]).min(m);
        }
        for i in (0..n).rev() {
            hi[i] = hi[i].min(hi[i + 1]);
        }
        for i in 0..=n {
            hi[i] = hi[i].clamp(lo[i], m);
            // Each row reaches the next row's start: a step (1, 0) or a diagonal joins them.
            if i < n && hi[i] + 1 < lo[i + 1] {
                hi[i] = lo[i + 1] - 1;
            }
        }
        let mut at = Vec::with_capacity(n + 2);
        at.push(0);
        for i in 0..=n {
            at.push(at[i] + hi[i] + 1 - lo[i]);
        }
        Band { lo, at }
    }

    /// Around the diagonal j ≈ i·m/n, `band_width` either side.
    pub(super) fn diagonal(n: usize, m: usize, config: &AlignConfig) -> Self {
        let band = band_width(n, m, config);
        let center = |i: usize| (i as f64 * m as f64 / n as f64).round() as usize;
        let lo = (0..=n).map(|i| center(i).saturating_sub(band)).collect();
        let hi = (0..=n).map(|i| (center(i) + band).min(m)).collect();
        Band::new(lo, hi, m)
    }

    /// Around a path of links between blocks of `k` sentences, `width` either side.
    pub(super) fn around_blocks(
        n: usize,
        m: usize,
        blocks: &[Link],
        k: usize,
        width: usize,
    ) -> Self {
        let mut lo = vec![usize::MAX; n + 1];
        let mut hi = vec![0; n + 1];
        // Where each side stands after the links so far: an empty side sits there.
        let (mut s_at, mut t_at) = (0, 0);
        for link in blocks {
            let s0 = link.src.first().map_or(s_at, |&b| b * k).min(n);
            let s1 = link.src.last().map_or(s0, |&b| ((b + 1) * k).min(n));
            let t0 = link.tgt.first().map_or(t_at, |&b| b * k).min(m);
            let t1 = link.tgt.last().map_or(t0, |&b| ((b + 1) * k).min(m));
            (s_at, t_at) = (s1, t1);
            for i in s0..=s1 {
                lo[i] = lo[i].min(t0.saturating_sub(width));
                hi[i] = hi[i].max((t1 + width).min(m));
            }
        }
        for i in 0..=n {
            if lo[i] == usize::MAX {
                lo[i] = if i > 0 { lo[i - 1] } else { 0 };
                hi[i] = hi[i].max(lo[i]);
            }
        }
        Band::new(lo, hi, m)
    }

    /// Around a sentence-level path, `width` either side.
    pub(super) fn around_links(n: usize, m: usize, links: &[Link], width: usize) -> Self {
        Band::around_blocks(n, m, links, 1, width)
    }

    pub(super) fn cells(&self) -> usize {
        *self.at.last().expect("at least one row")
    }

    pub(super) fn row(&self, i: usize) -> std::ops::RangeInclusive<usize> {
        self.lo[i]..=self.lo[i] + (self.at[i + 1] - self.at[i]) - 1
    }

    /// The band's per-cell values (`per_cell` each) cut into runs of consecutive rows, each
    /// with its rows: for filling rows in parallel. A few runs per thread of rayon's pool, so
    /// that threads that finish early take more (rows differ in cost), of at least
    /// [`MIN_PARALLEL_ROWS`] rows, so that each run's set-up (merging the groups its first rows
    /// need, which a run cannot take from the previous one) stays small.
    pub(super) fn row_chunks<'a, T>(
        &self,
        values: &'a mut [T],
        per_cell: usize,
    ) -> Vec<(std::ops::Range<usize>, &'a mut [T])> {
        self.row_chunks_of(0..self.lo.len(), values, per_cell)
    }

    /// As [`Band::row_chunks`], for the values of rows `rows` only.
    pub(super) fn row_chunks_of<'a, T>(
        &self,
        rows: std::ops::Range<usize>,
        values: &'a mut [T],
        per_cell: usize,
    ) -> Vec<(std::ops::Range<usize>, &'a mut [T])> {
        let step = rows
            .len()
            .div_ceil(4 * rayon::current_num_threads())
            .max(MIN_PARALLEL_ROWS);
        let mut out = Vec::new();
        let mut rest = values;
        for start in rows.clone().step_by(step) {
            let end = (start + step).min(rows.end);
            let (head, tail) = rest.split_at_mut((self.at[end] - self.at[start]) * per_cell);
            out.push((start..end, head));
            rest = tail;
        }
        out
    }

    /// Offset of row i's first cell.
    pub(super) fn row_start(&self, i: usize) -> usize {
        self.at[i]
    }

    pub(super) fn cell(&self, i: usize, j: usize) -> Option<usize> {
        let lo = self.lo[i];
        (j >= lo && self.at[i] + (j - lo) < self.at[i + 1]).then(|| self.at[i] + j - lo)
    }
}
