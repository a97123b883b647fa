//! The one conversion from a kernel's exact integer sums to float outputs, shared by every
//! kernel so that they agree bit for bit: `(sum as f32) × (row scale × weight scale) + bias`
//! (with a residual, both terms and then the bias). The vector kernels apply the same operations
//! in lanes on whole blocks and come here for the last, partial block of a matrix.

use super::layout::BLOCK;
use super::pack::Int8Matrix;
use super::quantize::Int8Rows;

/// One output from its integer sum: the same operations, in the same order, on every path
/// (separate multiply and add: a fused multiply-add would round differently).
#[inline(always)]
pub(super) fn epilogue(sum: i32, row_scale: f32, w_scale: f32, bias: f32) -> f32 {
    sum as f32 * (row_scale * w_scale) + bias
}

/// [`epilogue`] for a row stored with its residual: both terms, then the bias.
#[inline(always)]
pub(super) fn epilogue_paired(
    sums: (i32, i32),
    row_scales: (f32, f32),
    w_scale: f32,
    bias: f32,
) -> f32 {
    sums.0 as f32 * (row_scales.0 * w_scale) + sums.1 as f32 * (row_scales.1 * w_scale) + bias
}

/// What one tile reads and writes: its first weight block, its first activation row, its
/// first output, and the matrix-wide strides.
pub(super) struct Tile<'a> {
    pub(super) m: &'a Int8Matrix,
    pub(super) a: &'a Int8Rows,
    pub(super) bias: Option<&'a [f32]>,
    /// First output row and first block of the tile.
    pub(super) row: usize,
    pub(super) block: usize,
    pub(super) out: *mut f32,
    /// Blocks after the tile's to prefetch as it runs (0 for none), and where to.
    pub(super) prefetch_blocks: usize,
    pub(super) prefetch_to_l1: bool,
}

impl Tile<'_> {
    /// The output row of stored row `stored` (two stored rows per output with a residual).
    #[inline(always)]
    pub(super) fn output_row(&self, stored: usize) -> usize {
        if self.a.paired {
            stored / 2
        } else {
            stored
        }
    }

    /// Write the 16 outputs of `block` for stored row `stored` from their integer sums
    /// (and its residual's), through the shared scalar epilogue: for the last, partial
    /// block.
    #[inline(always)]
    pub(super) unsafe fn finish(
        &self,
        stored: usize,
        block: usize,
        sums: &[i32; BLOCK],
        residual: Option<&[i32; BLOCK]>,
    ) {
        let n_out = self.m.n_out;
        let first = block * BLOCK;
        let out = self.out.add(self.output_row(stored) * n_out);
        for j in 0..BLOCK.min(n_out.saturating_sub(first)) {
            let o = first + j;
            let bias = self.bias.map_or(0.0, |b| b[o]);
            let w_scale = self.m.scales[o];
            *out.add(o) = match residual {
                Some(residual) => epilogue_paired(
                    (sums[j], residual[j]),
                    (self.a.scales[stored], self.a.scales[stored + 1]),
                    w_scale,
                    bias,
                ),
                None => epilogue(sums[j], self.a.scales[stored], w_scale, bias),
            };
        }
    }
}
