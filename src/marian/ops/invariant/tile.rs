//! The product walked in register tiles of 4 rows × 4 outputs, over chunks of weight rows that
//! stay in the L2 cache while every row of `x` passes over them.

use super::kernel::Kernel;

/// Rows and outputs of a register tile.
const TILE: usize = 4;
/// Bytes of weight rows kept in the L2 cache while the rows of `x` pass over them.
const WEIGHT_CHUNK_BYTES: usize = 256 * 1024;

/// Walk the tiles of the product with kernel `K`.
///
/// # Safety
/// The CPU must have `K`'s instructions.
pub(super) unsafe fn product_with<K: Kernel>(
    x: &[f32],
    rows: usize,
    w: &[f32],
    n_out: usize,
    n_in: usize,
    bias: Option<&[f32]>,
    out: &mut [f32],
) {
    // Weight rows in chunks that stay in the L2 cache while every row tile of `x` (in L1)
    // passes over them: each weight is read from memory once per call.
    let out_chunk = (WEIGHT_CHUNK_BYTES / (4 * n_in.max(1))).max(TILE) / TILE * TILE;
    for chunk in (0..n_out).step_by(out_chunk) {
        let chunk_end = (chunk + out_chunk).min(n_out);
        for r0 in (0..rows).step_by(TILE) {
            let nr = (rows - r0).min(TILE);
            for o0 in (chunk..chunk_end).step_by(TILE) {
                let no = (chunk_end - o0).min(TILE);
                let xr = |i: usize| x.as_ptr().add((r0 + i) * n_in);
                let wr = |j: usize| w.as_ptr().add((o0 + j) * n_in);
                let mut store = |i: usize, j: usize, v: f32| {
                    out[(r0 + i) * n_out + o0 + j] = v + bias.map_or(0.0, |b| b[o0 + j]);
                };
                macro_rules! tile {
                    ($nr:literal, $no:literal) => {{
                        let sums = K::dots::<$nr, $no>(
                            std::array::from_fn(xr),
                            std::array::from_fn(wr),
                            n_in,
                        );
                        for (i, row) in sums.iter().enumerate() {
                            for (j, &v) in row.iter().enumerate() {
                                store(i, j, v);
                            }
                        }
                    }};
                }
                match (nr, no) {
                    (4, 4) => tile!(4, 4),
                    (4, _) => {
                        for j in 0..no {
                            let sums = K::dots::<4, 1>(std::array::from_fn(xr), [wr(j)], n_in);
                            for (i, row) in sums.iter().enumerate() {
                                store(i, j, row[0]);
                            }
                        }
                    }
                    (_, 4) => {
                        for i in 0..nr {
                            let sums = K::dots::<1, 4>([xr(i)], std::array::from_fn(wr), n_in);
                            for (j, &v) in sums[0].iter().enumerate() {
                                store(i, j, v);
                            }
                        }
                    }
                    _ => {
                        for i in 0..nr {
                            for j in 0..no {
                                store(i, j, K::dots::<1, 1>([xr(i)], [wr(j)], n_in)[0][0]);
                            }
                        }
                    }
                }
            }
        }
    }
}
