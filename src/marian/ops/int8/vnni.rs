//! The AVX-512 VNNI kernel: `vpdpbusd` multiplies unsigned activation bytes (q + 128) by
//! signed weight bytes into 32-bit lanes, 64 products per instruction; the shift is taken back
//! off with each row's precomputed sums. Tiles of up to 8 rows × 2 blocks of 16 outputs keep 16
//! accumulators in registers.

// The tiles index their register arrays by row and block on purpose: the loops are unrolled
// over the const sizes, and iterators would hide the two-dimensional indexing.
#![allow(clippy::needless_range_loop)]

use std::arch::x86_64::*;

use super::super::cache::CacheSizes;
use super::epilogue::{for_each_tile, Tile};
use super::layout::{prefetch, BLOCK, GROUP, GROUP_BYTES, TILE_BLOCKS, TILE_ROWS};
use super::pack::Int8Matrix;
use super::quantize::Int8Rows;

/// Tiles of up to 8 rows × 2 blocks (32 outputs), for every block and row, blocked for
/// `cache`.
///
/// A decode step has few rows (batch × beams), so each pair of blocks is used by a tile or
/// two and then never again in the call: the weights stream from memory at whatever rate the
/// CPU's own prefetchers keep up, and those do not cross 4 KiB pages. So the first row tile of
/// each pair prefetches the next pair as it runs: on the output projection of 16 rows
/// (59,514 × 512) this took the kernel from ~180 to ~400 GMAC/s on the AMD EPYC of the
/// README's table, where more rows already ran at ~400.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
pub(super) unsafe fn matmul(
    m: &Int8Matrix,
    a: &Int8Rows,
    bias: Option<&[f32]>,
    out: &mut [f32],
    cache: CacheSizes,
) {
    assert!(a.shifted.len() == a.rows * m.k_pad && out.len() >= a.rows() * m.n_out);
    for_each_tile!(
        m,
        a,
        bias,
        out,
        cache,
        TILE_ROWS,
        TILE_BLOCKS,
        |t, rows, width| {
            macro_rules! dispatch {
            ($($n:literal)*) => {
                match (rows, width) {
                    $(($n, 2) => tile::<$n, 2>(&t),
                      ($n, 1) => tile::<$n, 1>(&t),)*
                    _ => unreachable!(),
                }
            };
        }
            dispatch!(1 2 3 4 5 6 7 8);
        }
    );
}

#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
unsafe fn tile<const R: usize, const B: usize>(t: &Tile) {
    let m = t.m;
    let groups = m.k_pad / GROUP;
    let block_bytes = groups * GROUP_BYTES;
    let w = m.packed.as_ptr().add(t.block * block_bytes);
    let x = t.a.shifted.as_ptr().add(t.row * m.k_pad);
    let mut acc = [[_mm512_setzero_si512(); R]; B];
    // The next blocks start right after this tile's (the packing is block after block).
    let next = w.wrapping_add(B * block_bytes);
    for g in 0..groups {
        for b in 0..t.prefetch_blocks {
            prefetch(
                next.wrapping_add(b * block_bytes + g * GROUP_BYTES),
                t.prefetch_to_l1,
            );
        }
        let mut wv = [_mm512_setzero_si512(); B];
        for (b, wv) in wv.iter_mut().enumerate() {
            *wv = _mm512_loadu_si512(w.add(b * block_bytes + g * GROUP_BYTES).cast());
        }
        for r in 0..R {
            let xv = x
                .add(r * m.k_pad + g * GROUP)
                .cast::<i32>()
                .read_unaligned();
            let xv = _mm512_set1_epi32(xv);
            for b in 0..B {
                acc[b][r] = _mm512_dpbusd_epi32(acc[b][r], xv, wv[b]);
            }
        }
    }
    let step = if t.a.paired { 2 } else { 1 };
    for (b, acc) in acc.iter().enumerate() {
        let block = t.block + b;
        let shift = _mm512_loadu_si512(m.shift_sums.as_ptr().add(block * BLOCK).cast());
        let w_scales = _mm512_loadu_ps(m.scales.as_ptr().add(block * BLOCK));
        let full = (block + 1) * BLOCK <= m.n_out;
        for r in (0..R).step_by(step) {
            let stored = t.row + r;
            let sums = _mm512_sub_epi32(acc[r], shift);
            let residual = (step == 2).then(|| _mm512_sub_epi32(acc[r + 1], shift));
            if full {
                // The epilogue in 16 lanes: convert, scale (row × weight), add the
                // residual's term, add the bias.
                let term = |sums: __m512i, row_scale: f32| {
                    let scale = _mm512_mul_ps(_mm512_set1_ps(row_scale), w_scales);
                    _mm512_mul_ps(_mm512_cvtepi32_ps(sums), scale)
                };
                let mut y = term(sums, t.a.scales[stored]);
                if let Some(residual) = residual {
                    y = _mm512_add_ps(y, term(residual, t.a.scales[stored + 1]));
                }
                if let Some(bias) = t.bias {
                    y = _mm512_add_ps(y, _mm512_loadu_ps(bias.as_ptr().add(block * BLOCK)));
                }
                let row = t.output_row(stored);
                _mm512_storeu_ps(t.out.add(row * m.n_out + block * BLOCK), y);
            } else {
                let mut lanes = [[0i32; BLOCK]; 2];
                _mm512_storeu_si512(lanes[0].as_mut_ptr().cast(), sums);
                if let Some(residual) = residual {
                    _mm512_storeu_si512(lanes[1].as_mut_ptr().cast(), residual);
                }
                t.finish(stored, block, &lanes[0], residual.map(|_| &lanes[1]));
            }
        }
    }
}
