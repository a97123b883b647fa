//! The product walked in register tiles of 4 rows × 4 outputs, over chunks of weight rows and
//! of rows of `x` sized from the L2 cache found at run time ([`rows_per_chunk`]); long rows (the FFN's 2,048
//! inputs) also in blocks of `k`, so that a row tile's block of `x` stays in L1 while the chunk's
//! weight rows pass (whole rows of 4 × 8 KB each would push each other out).

use std::ops::Range;

use super::super::cache::CacheSizes;
use super::kernel::{Kernel, Lanes, LANES};

/// Rows and outputs of a register tile.
const TILE: usize = 4;
/// Values of `k` per block, for rows longer than this. The choice depends on the row length
/// only, never on the number of rows, and blocking does not change a bit (the lanes are stored
/// and reloaded as they are): the product stays batch-invariant.
const K_BLOCK: usize = 512;

/// Walk the tiles of the product with kernel `K`, blocked for `cache`.
///
/// # Safety
/// The CPU must have `K`'s instructions.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn product_with<K: Kernel>(
    x: &[f32],
    rows: usize,
    w: &[f32],
    n_out: usize,
    n_in: usize,
    bias: Option<&[f32]>,
    out: &mut [f32],
    cache: CacheSizes,
) {
    // Rows of `x` and of `W` are the same length, so one chunk size serves both.
    let chunk = rows_per_chunk(cache, n_in);
    let mut lanes = Vec::new();
    for rows_chunk in (0..rows).step_by(chunk) {
        let rows_end = (rows_chunk + chunk).min(rows);
        for first_out in (0..n_out).step_by(chunk) {
            let outs = first_out..(first_out + chunk).min(n_out);
            for r0 in (rows_chunk..rows_end).step_by(TILE) {
                let nr = (rows_end - r0).min(TILE);
                tile_rows::<K>(
                    x,
                    r0,
                    nr,
                    w,
                    n_out,
                    n_in,
                    bias,
                    outs.clone(),
                    &mut lanes,
                    out,
                );
            }
        }
    }
}

/// How the product is cut for the caches (found at run time): chunks of this many weight
/// rows stay in the L2 cache while chunks of this many rows of `x` pass over them, and those
/// rows stay there while the next chunk of weight rows comes in. Without the row chunks, a call
/// with more rows than the L2 holds (an encoder batch of long sentences) read every row from
/// memory again for each chunk of weights.
///
/// A quarter of the L2 each: the two chunks, with room for the lanes, the outputs and what the
/// other rows' tiles bring in. (On a 1 MiB L2 this is the 256 KiB chunk of weights the product
/// used before its blocking came from the caches; rows in chunks measured 14–20% faster on
/// 1,920 rows of the FFN's products, no change up to 480.)
fn rows_per_chunk(cache: CacheSizes, n_in: usize) -> usize {
    (cache.l2 / 4 / (4 * n_in.max(1))).max(TILE) / TILE * TILE
}

/// Rows `r0..r0 + nr` (at most a tile) against the weight rows `outs`.
#[allow(clippy::too_many_arguments)]
unsafe fn tile_rows<K: Kernel>(
    x: &[f32],
    r0: usize,
    nr: usize,
    w: &[f32],
    n_out: usize,
    n_in: usize,
    bias: Option<&[f32]>,
    outs: Range<usize>,
    lanes: &mut Vec<Lanes>,
    out: &mut [f32],
) {
    let xr = |i: usize| x.as_ptr().add((r0 + i) * n_in);
    let mut store = |i: usize, o: usize, v: f32| {
        out[(r0 + i) * n_out + o] = v + bias.map_or(0.0, |b| b[o]);
    };
    if n_in <= K_BLOCK {
        whole_rows::<K>(xr, nr, w.as_ptr(), n_in, outs, &mut store);
    } else if nr == TILE {
        let x4 = std::array::from_fn(xr);
        blocked::<K, TILE>(x4, w.as_ptr(), n_in, outs, lanes, &mut store);
    } else {
        for i in 0..nr {
            let mut row = |_: usize, o: usize, v: f32| store(i, o, v);
            blocked::<K, 1>([xr(i)], w.as_ptr(), n_in, outs.clone(), lanes, &mut row);
        }
    }
}

/// One row tile (`nr` rows from `xr`) against the weight rows `outs`, each dot product whole.
unsafe fn whole_rows<K: Kernel>(
    xr: impl Fn(usize) -> *const f32,
    nr: usize,
    w: *const f32,
    n_in: usize,
    outs: Range<usize>,
    store: &mut impl FnMut(usize, usize, f32),
) {
    for o0 in outs.clone().step_by(TILE) {
        let no = (outs.end - o0).min(TILE);
        let wr = |j: usize| w.add((o0 + j) * n_in);
        match (nr, no) {
            (4, 4) => {
                let sums = K::dots::<4, 4>(std::array::from_fn(&xr), std::array::from_fn(wr), n_in);
                for (i, row) in sums.iter().enumerate() {
                    for (j, &v) in row.iter().enumerate() {
                        store(i, o0 + j, v);
                    }
                }
            }
            (4, _) => {
                for j in 0..no {
                    let sums = K::dots::<4, 1>(std::array::from_fn(&xr), [wr(j)], n_in);
                    for (i, row) in sums.iter().enumerate() {
                        store(i, o0 + j, row[0]);
                    }
                }
            }
            (_, 4) => {
                for i in 0..nr {
                    let sums = K::dots::<1, 4>([xr(i)], std::array::from_fn(wr), n_in);
                    for (j, &v) in sums[0].iter().enumerate() {
                        store(i, o0 + j, v);
                    }
                }
            }
            _ => {
                for i in 0..nr {
                    for j in 0..no {
                        store(i, o0 + j, K::dots::<1, 1>([xr(i)], [wr(j)], n_in)[0][0]);
                    }
                }
            }
        }
    }
}

/// `NR` rows against the weight rows `outs` in blocks of `k`: every tile's lanes kept in
/// `lanes` between blocks (4 KB per tile of 4 × 4), then the tails and the reduction.
unsafe fn blocked<K: Kernel, const NR: usize>(
    x: [*const f32; NR],
    w: *const f32,
    n_in: usize,
    outs: Range<usize>,
    lanes: &mut Vec<Lanes>,
    store: &mut impl FnMut(usize, usize, f32),
) {
    let full = n_in / LANES * LANES;
    let n = outs.len();
    lanes.clear();
    lanes.resize(n * NR, [0.0; LANES]);
    // Tile `t` (outputs t..t+4, or t alone past the whole tiles) keeps its lanes at t · NR.
    let whole = n / TILE * TILE;
    let wr = |o: usize| w.add((outs.start + o) * n_in);
    let base = lanes.as_mut_ptr();
    for k0 in (0..full).step_by(K_BLOCK) {
        let k1 = (k0 + K_BLOCK).min(full);
        for t in (0..whole).step_by(TILE) {
            let acc = &mut *(base.add(t * NR) as *mut [[Lanes; TILE]; NR]);
            K::accumulate::<NR, TILE>(x, std::array::from_fn(|j| wr(t + j)), k0, k1, n_in, acc);
        }
        for t in whole..n {
            let acc = &mut *(base.add(t * NR) as *mut [[Lanes; 1]; NR]);
            K::accumulate::<NR, 1>(x, [wr(t)], k0, k1, n_in, acc);
        }
    }
    for t in (0..whole).step_by(TILE) {
        let acc = &*(base.add(t * NR) as *const [[Lanes; TILE]; NR]);
        let sums = K::finish::<NR, TILE>(x, std::array::from_fn(|j| wr(t + j)), n_in, acc);
        for (i, row) in sums.iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                store(i, outs.start + t + j, v);
            }
        }
    }
    for t in whole..n {
        let acc = &*(base.add(t * NR) as *const [[Lanes; 1]; NR]);
        let sums = K::finish::<NR, 1>(x, [wr(t)], n_in, acc);
        for (i, row) in sums.iter().enumerate() {
            store(i, outs.start + t, row[0]);
        }
    }
}
