//! The product walked in register tiles (the kernel's rows × outputs, [`Kernel::ROWS`] ×
//! [`Kernel::OUTS`]; rows left over in tiles of 4 × 4, then 1 × 4), over chunks of weight rows
//! and of rows of `x` sized from the L2 cache found at run time ([`rows_per_chunk`]); long rows
//! (the FFN's 2,048 inputs) also in blocks of `k`, so that a row tile's block of `x` stays in L1
//! while the chunk's weight rows pass (whole rows of 4 × 8 KB each would push each other out).

use std::ops::Range;

use super::super::cache::CacheSizes;
use super::kernel::{Kernel, Lanes, LANES};

/// Rows and outputs of the tile every kernel has (for the rows its own tile leaves over).
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
    match (K::ROWS, K::OUTS) {
        (8, 3) => walk::<K, 8, 3>(x, rows, w, n_out, n_in, bias, out, cache),
        (3, 2) => walk::<K, 3, 2>(x, rows, w, n_out, n_in, bias, out, cache),
        (TILE, TILE) => walk::<K, TILE, TILE>(x, rows, w, n_out, n_in, bias, out, cache),
        other => unreachable!("no walk is instantiated for tiles of {other:?}"),
    }
}

/// [`product_with`] in tiles of `R` rows × `O` outputs, the rows left over in tiles of 4 × 4,
/// then 1 × 4.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn walk<K: Kernel, const R: usize, const O: usize>(
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
    let chunk = rows_per_chunk(cache, n_in, R, O);
    let mut lanes = Vec::new();
    for rows_chunk in (0..rows).step_by(chunk) {
        let rows_end = (rows_chunk + chunk).min(rows);
        for first_out in (0..n_out).step_by(chunk) {
            let outs = first_out..(first_out + chunk).min(n_out);
            let mut tiles = Tiles {
                x,
                w,
                n_out,
                n_in,
                bias,
                outs,
                lanes: &mut lanes,
                out: &mut *out,
            };
            let mut r0 = rows_chunk;
            while r0 + R <= rows_end {
                tiles.rows::<K, R, O>(r0);
                r0 += R;
            }
            while R > TILE && r0 + TILE <= rows_end {
                tiles.rows::<K, TILE, TILE>(r0);
                r0 += TILE;
            }
            while r0 < rows_end {
                tiles.rows::<K, 1, TILE>(r0);
                r0 += 1;
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
/// 1,920 rows of the FFN's products, no change up to 480.) A whole number of row tiles (`r`
/// rows) and of output tiles.
fn rows_per_chunk(cache: CacheSizes, n_in: usize, r: usize, o: usize) -> usize {
    let unit = lcm(lcm(r, o), TILE);
    (cache.l2 / 4 / (4 * n_in.max(1))).max(unit) / unit * unit
}

fn lcm(a: usize, b: usize) -> usize {
    let gcd = |mut a: usize, mut b: usize| {
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    };
    a / gcd(a, b) * b
}

/// One chunk of weight rows (`outs`) and what every row tile against it needs.
struct Tiles<'a> {
    x: &'a [f32],
    w: &'a [f32],
    n_out: usize,
    n_in: usize,
    bias: Option<&'a [f32]>,
    outs: Range<usize>,
    lanes: &'a mut Vec<Lanes>,
    out: &'a mut [f32],
}

impl Tiles<'_> {
    /// Rows `r0..r0 + NR` against the chunk's weight rows.
    unsafe fn rows<K: Kernel, const NR: usize, const O: usize>(&mut self, r0: usize) {
        let (n_in, n_out, bias) = (self.n_in, self.n_out, self.bias);
        let x: [*const f32; NR] = std::array::from_fn(|i| self.x.as_ptr().add((r0 + i) * n_in));
        let out = &mut *self.out;
        let mut store = |i: usize, o: usize, v: f32| {
            out[(r0 + i) * n_out + o] = v + bias.map_or(0.0, |b| b[o]);
        };
        if n_in <= K_BLOCK {
            whole_rows::<K, NR, O>(x, self.w.as_ptr(), n_in, self.outs.clone(), &mut store);
        } else {
            blocked::<K, NR, O>(
                x,
                self.w.as_ptr(),
                n_in,
                self.outs.clone(),
                self.lanes,
                &mut store,
            );
        }
    }
}

/// `NR` rows against the weight rows `outs`, each dot product whole.
unsafe fn whole_rows<K: Kernel, const NR: usize, const O: usize>(
    x: [*const f32; NR],
    w: *const f32,
    n_in: usize,
    outs: Range<usize>,
    store: &mut impl FnMut(usize, usize, f32),
) {
    for o0 in outs.clone().step_by(O) {
        let no = (outs.end - o0).min(O);
        let wr = |j: usize| w.add((o0 + j) * n_in);
        if no == O {
            let sums = K::dots::<NR, O>(x, std::array::from_fn(wr), n_in);
            for (i, row) in sums.iter().enumerate() {
                for (j, &v) in row.iter().enumerate() {
                    store(i, o0 + j, v);
                }
            }
        } else {
            for j in 0..no {
                let sums = K::dots::<NR, 1>(x, [wr(j)], n_in);
                for (i, row) in sums.iter().enumerate() {
                    store(i, o0 + j, row[0]);
                }
            }
        }
    }
}

/// `NR` rows against the weight rows `outs` in blocks of `k`: every tile's lanes kept in
/// `lanes` between blocks (4 KB per tile of 4 × 4), then the tails and the reduction.
unsafe fn blocked<K: Kernel, const NR: usize, const O: usize>(
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
    let whole = n / O * O;
    let wr = |o: usize| w.add((outs.start + o) * n_in);
    let base = lanes.as_mut_ptr();
    for k0 in (0..full).step_by(K_BLOCK) {
        let k1 = (k0 + K_BLOCK).min(full);
        for t in (0..whole).step_by(O) {
            let acc = &mut *(base.add(t * NR) as *mut [[Lanes; O]; NR]);
            K::accumulate::<NR, O>(x, std::array::from_fn(|j| wr(t + j)), k0, k1, n_in, acc);
        }
        for t in whole..n {
            let acc = &mut *(base.add(t * NR) as *mut [[Lanes; 1]; NR]);
            K::accumulate::<NR, 1>(x, [wr(t)], k0, k1, n_in, acc);
        }
    }
    for t in (0..whole).step_by(O) {
        let acc = &*(base.add(t * NR) as *const [[Lanes; O]; NR]);
        let sums = K::finish::<NR, O>(x, std::array::from_fn(|j| wr(t + j)), n_in, acc);
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
