//! The output projection's best candidates made exact to the residual: the product runs once
//! over the plain int8 activations (one pass of integer work over the 59,514-row matrix), then
//! each row's highest outputs are recomputed with the activations' residual — the same integer
//! sums and the same epilogue as a product over rows stored with their residual, so those
//! outputs get exactly the bits the two-pass product gives them, for a few hundred dot
//! products instead of a second pass over the whole matrix.
//!
//! Why these outputs: the activations' rounding moves every logit a little; what search reads
//! is the chosen tokens' logits and the normalizer, which the highest logits dominate.

use super::epilogue::epilogue_paired;
use super::layout::{BLOCK, GROUP, GROUP_BYTES};
use super::pack::Int8Matrix;
use super::quantize::Int8Rows;

/// Outputs within this many nats of a row's largest are candidates ...
pub(super) const REFINE_MARGIN: f32 = 10.0;
/// ... at most this many, the highest first (ties: the lower index).
pub(super) const REFINE_MOST: usize = 16;

impl Int8Matrix {
    /// The integer sum of output `o`'s weights with `q` (one stored activation row, `k_pad`
    /// long): exact, so equal to what every kernel sums.
    fn output_sum(&self, o: usize, q: &[i8]) -> i32 {
        let groups = self.k_pad / GROUP;
        let base = (o / BLOCK) * groups * GROUP_BYTES + (o % BLOCK) * GROUP;
        let mut sum = 0i32;
        for (g, x) in q.chunks_exact(GROUP).enumerate() {
            let w = &self.packed[base + g * GROUP_BYTES..][..GROUP];
            for c in 0..GROUP {
                sum += i32::from(w[c]) * i32::from(x[c]);
            }
        }
        sum
    }

    /// Recompute `row`'s candidates (see `candidates`) in `out_row` (its n_out outputs, as a
    /// product over the plain rows wrote them) from `a`, the same rows quantized with their
    /// residual.
    pub fn refine_row(
        &self,
        a: &Int8Rows,
        bias: Option<&[f32]>,
        row: usize,
        out_row: &mut [f32],
        candidates_buffer: &mut Vec<(f32, usize)>,
    ) {
        assert!(a.paired, "rows quantized with their residual");
        assert_eq!(a.k_pad, self.k_pad, "activation width");
        assert_eq!(out_row.len(), self.n_out, "one row of outputs");
        candidates(out_row, candidates_buffer);
        let (main, residual) = (2 * row, 2 * row + 1);
        let q = |stored: usize| &a.q[stored * a.k_pad..(stored + 1) * a.k_pad];
        for &(_, o) in candidates_buffer.iter() {
            let sums = (self.output_sum(o, q(main)), self.output_sum(o, q(residual)));
            out_row[o] = epilogue_paired(
                sums,
                (a.scales[main], a.scales[residual]),
                self.scales[o],
                bias.map_or(0.0, |b| b[o]),
            );
        }
    }
}

/// The outputs of `row` within [`REFINE_MARGIN`] of its largest, at most [`REFINE_MOST`], the
/// highest first (ties: the lower index); none when the row's largest is not finite (a NaN
/// row stays as it is). One pass that keeps the best so far and skips, after one
/// vectorizable comparison, every chunk with nothing above the last of them.
pub(super) fn candidates(row: &[f32], found: &mut Vec<(f32, usize)>) {
    const CHUNK: usize = 16;
    found.clear();
    for (c, chunk) in row.chunks(CHUNK).enumerate() {
        if found.len() == REFINE_MOST {
            let threshold = found[REFINE_MOST - 1].0;
            if !chunk.iter().fold(false, |any, &v| any | (v > threshold)) {
                continue;
            }
        }
        for (i, &v) in chunk.iter().enumerate() {
            let full = found.len() == REFINE_MOST;
            if v.is_nan() || (full && v <= found[REFINE_MOST - 1].0) {
                continue;
            }
            // After every equal value: of equal values the lower index ranks first.
            let at = found.partition_point(|&(w, _)| w >= v);
            found.insert(at, (v, c * CHUNK + i));
            found.truncate(REFINE_MOST);
        }
    }
    match found.first() {
        Some(&(max, _)) if max.is_finite() => {
            let floor = max - REFINE_MARGIN;
            found.retain(|&(v, _)| v >= floor);
        }
        _ => found.clear(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_are_the_best_within_the_margin_highest_first() {
        // Values 0..100 scattered (99 at index 27), a tie at the top, NaN and -inf ignored.
        let mut row: Vec<f32> = (0..100).map(|i| ((i * 37) % 100) as f32).collect();
        row.extend([99.0, f32::NAN, f32::NEG_INFINITY]);
        let mut found = Vec::new();
        candidates(&row, &mut found);
        // The reference: sort everything by (value desc, index asc), keep the margin, cap.
        let mut all: Vec<(f32, usize)> = row
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.is_nan())
            .map(|(o, &v)| (v, o))
            .collect();
        all.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let max = all[0].0;
        let want: Vec<(f32, usize)> = all
            .into_iter()
            .filter(|&(v, _)| v >= max - REFINE_MARGIN)
            .take(REFINE_MOST)
            .collect();
        assert_eq!(found, want);
        // 99 (twice: the lower index first) down to 89: the margin, not the cap, ends it.
        assert_eq!(&found[..2], &[(99.0, 27), (99.0, 100)]);
        assert_eq!(found.len(), 12);
        // A narrow row: only what is within the margin.
        let row = [0.0, -11.0, -9.0, 1.0];
        candidates(&row, &mut found);
        assert_eq!(found, [(1.0, 3), (0.0, 0), (-9.0, 2)]);
        // Nothing finite at the top: nothing.
        candidates(&[f32::NAN, f32::INFINITY, 1.0], &mut found);
        assert!(found.is_empty());
    }
}
