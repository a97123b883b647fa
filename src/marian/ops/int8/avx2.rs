//! The AVX2 kernel, for CPUs without VNNI: `vpmaddubsw` on |a| and the weights with a's sign
//! (both factors within ±127, so its 16-bit pair sums cannot saturate), then `vpmaddwd` into
//! 32-bit lanes. Tiles of up to 4 rows × one block (two 8-output halves).

// As in the VNNI kernel: register arrays indexed by row and half on purpose.
#![allow(clippy::needless_range_loop)]

use std::arch::x86_64::*;

use super::super::cache::CacheSizes;
use super::epilogue::{for_each_tile, Tile};
use super::layout::{prefetch, BLOCK, GROUP, GROUP_BYTES};
use super::pack::Int8Matrix;
use super::quantize::Int8Rows;

/// Tiles of up to 4 rows × 1 block (two 8-output halves), for every block and row, blocked
/// for `cache`; the first row tile of each block prefetches the next, as the VNNI kernel does
/// (see there why).
#[target_feature(enable = "avx2")]
pub(super) unsafe fn matmul(
    m: &Int8Matrix,
    a: &Int8Rows,
    bias: Option<&[f32]>,
    out: &mut [f32],
    cache: CacheSizes,
) {
    assert!(a.q.len() == a.rows * m.k_pad && out.len() >= a.rows() * m.n_out);
    for_each_tile!(m, a, bias, out, cache, TILE_ROWS, 1, |t, rows, _width| {
        match rows {
            1 => tile::<1>(&t),
            2 => tile::<2>(&t),
            3 => tile::<3>(&t),
            _ => tile::<4>(&t),
        }
    });
}

/// Rows per tile.
const TILE_ROWS: usize = 4;

#[inline]
#[target_feature(enable = "avx2")]
unsafe fn tile<const R: usize>(t: &Tile) {
    let m = t.m;
    let groups = m.k_pad / GROUP;
    let w = m.packed.as_ptr().add(t.block * groups * GROUP_BYTES);
    let x = t.a.q.as_ptr().add(t.row * m.k_pad);
    let ones = _mm256_set1_epi16(1);
    let mut acc = [[_mm256_setzero_si256(); R]; 2];
    let next = w.wrapping_add(groups * GROUP_BYTES);
    for g in 0..groups {
        if t.prefetch_blocks != 0 {
            prefetch(next.wrapping_add(g * GROUP_BYTES), t.prefetch_to_l1);
        }
        let w0 = _mm256_loadu_si256(w.add(g * GROUP_BYTES).cast());
        let w1 = _mm256_loadu_si256(w.add(g * GROUP_BYTES + 32).cast());
        for r in 0..R {
            let xv = x
                .add(r * m.k_pad + g * GROUP)
                .cast::<i32>()
                .read_unaligned();
            let xv = _mm256_set1_epi32(xv);
            // |x| × (w with x's sign): both factors within ±127, so the pairwise 16-bit
            // sums (at most 2 × 127 × 127) never saturate.
            let magnitude = _mm256_sign_epi8(xv, xv);
            let p0 = _mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(w0, xv));
            let p1 = _mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(w1, xv));
            acc[0][r] = _mm256_add_epi32(acc[0][r], _mm256_madd_epi16(p0, ones));
            acc[1][r] = _mm256_add_epi32(acc[1][r], _mm256_madd_epi16(p1, ones));
        }
    }
    let full = (t.block + 1) * BLOCK <= m.n_out;
    let step = if t.a.paired { 2 } else { 1 };
    for r in (0..R).step_by(step) {
        let stored = t.row + r;
        let paired = step == 2;
        if full {
            let first = t.block * BLOCK;
            for (half, acc) in acc.iter().enumerate() {
                let o = first + half * 8;
                let w_scales = _mm256_loadu_ps(m.scales.as_ptr().add(o));
                let term = |sums: __m256i, row_scale: f32| {
                    let scale = _mm256_mul_ps(_mm256_set1_ps(row_scale), w_scales);
                    _mm256_mul_ps(_mm256_cvtepi32_ps(sums), scale)
                };
                let mut y = term(acc[r], t.a.scales[stored]);
                if paired {
                    y = _mm256_add_ps(y, term(acc[r + 1], t.a.scales[stored + 1]));
                }
                if let Some(bias) = t.bias {
                    y = _mm256_add_ps(y, _mm256_loadu_ps(bias.as_ptr().add(o)));
                }
                let row = t.output_row(stored);
                _mm256_storeu_ps(t.out.add(row * m.n_out + o), y);
            }
        } else {
            let mut lanes = [[0i32; BLOCK]; 2];
            for (k, lanes) in lanes
                .iter_mut()
                .enumerate()
                .take(if paired { 2 } else { 1 })
            {
                _mm256_storeu_si256(lanes.as_mut_ptr().cast(), acc[0][r + k]);
                _mm256_storeu_si256(lanes.as_mut_ptr().add(8).cast(), acc[1][r + k]);
            }
            t.finish(stored, t.block, &lanes[0], paired.then_some(&lanes[1]));
        }
    }
}
