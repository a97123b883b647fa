//! Weights packed for the kernels: quantized per output row, then laid out in blocks of 16
//! output rows where each group of 4 input columns holds 16 × 4 bytes (row j's at offset 4j), so
//! that one 512-bit load is one group for a whole block.

use super::layout::{BLOCK, GROUP, GROUP_BYTES};
use super::quantize::quantize_row;

/// A weight matrix (n_out × n_in, as `Linear` stores it) quantized to int8 and packed.
pub struct Int8Matrix {
    pub(super) n_out: usize,
    pub(super) n_in: usize,
    /// n_in rounded up to a multiple of [`GROUP`] (padding columns are zero).
    pub(super) k_pad: usize,
    pub(super) packed: Vec<i8>,
    /// Per output row: max|w| / 127.
    pub(super) scales: Vec<f32>,
    /// Per output row (padded to whole blocks): `128 × Σ_k q[o][k]`. The VNNI kernel multiplies
    /// unsigned bytes, so it feeds activations as q + 128 and takes this back off.
    pub(super) shift_sums: Vec<i32>,
}

impl Int8Matrix {
    /// Quantize `w` (n_out × n_in, row-major) per output row and pack it.
    pub fn quantize(w: &[f32], n_out: usize, n_in: usize) -> Self {
        assert_eq!(w.len(), n_out * n_in, "weight shape");
        Self::from_rows(n_out, n_in, |o| {
            std::borrow::Cow::Borrowed(&w[o * n_in..(o + 1) * n_in])
        })
    }

    /// Quantize and pack the rows `row(0..n_out)` (each n_in long), read one at a time so that a
    /// large matrix never needs a float copy.
    pub fn from_rows<'a>(
        n_out: usize,
        n_in: usize,
        mut row: impl FnMut(usize) -> std::borrow::Cow<'a, [f32]>,
    ) -> Self {
        let k_pad = n_in.div_ceil(GROUP) * GROUP;
        let blocks = n_out.div_ceil(BLOCK);
        let groups = k_pad / GROUP;
        let mut packed = vec![0i8; blocks * BLOCK * k_pad];
        let mut scales = vec![0f32; blocks * BLOCK];
        let mut shift_sums = vec![0i32; blocks * BLOCK];
        let mut quantized = vec![0i8; n_in];
        for o in 0..n_out {
            let values = row(o);
            assert_eq!(values.len(), n_in, "row length");
            scales[o] = quantize_row(&values, &mut quantized);
            shift_sums[o] = 128 * quantized.iter().map(|&q| i32::from(q)).sum::<i32>();
            let (block, j) = (o / BLOCK, o % BLOCK);
            let base = block * groups * GROUP_BYTES + j * GROUP;
            for (k, &q) in quantized.iter().enumerate() {
                packed[base + (k / GROUP) * GROUP_BYTES + k % GROUP] = q;
            }
        }
        Int8Matrix {
            n_out,
            n_in,
            k_pad,
            packed,
            scales,
            shift_sums,
        }
    }

    pub fn n_out(&self) -> usize {
        self.n_out
    }

    pub fn n_in(&self) -> usize {
        self.n_in
    }

    /// Bytes held (weights, scales, sums).
    pub fn bytes(&self) -> usize {
        self.packed.len() + 4 * (self.scales.len() + self.shift_sums.len())
    }

    /// The quantized weight at (o, k).
    pub fn weight(&self, o: usize, k: usize) -> i8 {
        let groups = self.k_pad / GROUP;
        self.packed[(o / BLOCK) * groups * GROUP_BYTES
            + (k / GROUP) * GROUP_BYTES
            + (o % BLOCK) * GROUP
            + k % GROUP]
    }

    pub fn scale(&self, o: usize) -> f32 {
        self.scales[o]
    }

    pub(super) fn blocks(&self) -> usize {
        self.n_out.div_ceil(BLOCK)
    }
}
