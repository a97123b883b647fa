//! The one conversion from a kernel's exact integer sums to float outputs, shared by every
//! kernel so that they agree bit for bit: `(sum as f32) × (row scale × weight scale) + bias`
//! (with a residual, both terms and then the bias). The vector kernels apply the same operations
//! in lanes on whole blocks and come here for the last, partial block of a matrix. Also the
//! order every vector kernel walks its tiles in ([`for_each_tile`]).

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

/// Run `$body` for every tile of the product `$a` · `$m`ᵀ + `$bias` into `$out`, for a kernel
/// of up to `$tile_rows` rows × `$tile_blocks` blocks, blocked for `$cache`: the rows a chunk
/// at a time ([`super::layout::Blocking`]); in a chunk, the blocks `$tile_blocks` at a time;
/// for each, the rows a tile at a time, with `$t` the tile, `$rows` its rows and `$width` its
/// blocks. The first row tile of each group of blocks prefetches the next group: the later
/// tiles find it in cache (the VNNI kernel says why).
///
/// A macro, not a function taking a closure or returning an iterator: both were tried and
/// ran the VNNI kernel 30–45% slower (`bench-kernels`), the body then being compiled apart
/// from the kernel's instruction set; expanded here, it is the kernel's own loop.
#[cfg(target_arch = "x86_64")]
macro_rules! for_each_tile {
    ($m:expr, $a:expr, $bias:expr, $out:expr, $cache:expr, $tile_rows:expr, $tile_blocks:expr,
     |$t:ident, $rows:ident, $width:ident| $body:block) => {{
        let (m, a): (&Int8Matrix, &Int8Rows) = ($m, $a);
        let (tile_rows, tile_blocks): (usize, usize) = ($tile_rows, $tile_blocks);
        let out: *mut f32 = $out.as_mut_ptr();
        let blocks = m.blocks();
        let blocking = $crate::marian::ops::int8::layout::Blocking::new(
            $cache,
            m.k_pad,
            tile_rows,
            tile_blocks,
        );
        for first_row in (0..a.rows).step_by(blocking.rows) {
            let end_row = (first_row + blocking.rows).min(a.rows);
            let mut block = 0;
            while block < blocks {
                let $width = (blocks - block).min(tile_blocks);
                let next = (blocks - block - $width).min(tile_blocks);
                let mut row = first_row;
                while row < end_row {
                    let $rows = (end_row - row).min(tile_rows);
                    let $t = Tile {
                        m,
                        a,
                        bias: $bias,
                        row,
                        block,
                        out,
                        prefetch_blocks: if row == first_row { next } else { 0 },
                        prefetch_to_l1: blocking.prefetch_to_l1,
                    };
                    $body
                    row += $rows;
                }
                block += $width;
            }
        }
    }};
}
#[cfg(target_arch = "x86_64")]
pub(super) use for_each_tile;
