//! The portable kernel: the reference every vector path matches bit for bit.

use super::kernel::{reduce, tail, Kernel, Lanes, LANES};

/// The portable kernel: the lanes in arrays, one fused multiply-add each.
pub(super) struct Portable;

impl Kernel for Portable {
    const ROWS: usize = 4;
    const OUTS: usize = 4;

    unsafe fn dots<const NR: usize, const NO: usize>(
        x: [*const f32; NR],
        w: [*const f32; NO],
        n_in: usize,
    ) -> [[f32; NO]; NR] {
        let mut acc = [[[0f32; LANES]; NO]; NR];
        Self::accumulate(x, w, 0, n_in / LANES * LANES, n_in, &mut acc);
        Self::finish(x, w, n_in, &acc)
    }

    unsafe fn accumulate<const NR: usize, const NO: usize>(
        x: [*const f32; NR],
        w: [*const f32; NO],
        k0: usize,
        k1: usize,
        _stride: usize,
        acc: &mut [[Lanes; NO]; NR],
    ) {
        for i in 0..NR {
            for j in 0..NO {
                for k in (k0..k1).step_by(LANES) {
                    for (l, a) in acc[i][j].iter_mut().enumerate() {
                        *a = (*x[i].add(k + l)).mul_add(*w[j].add(k + l), *a);
                    }
                }
            }
        }
    }

    unsafe fn finish<const NR: usize, const NO: usize>(
        x: [*const f32; NR],
        w: [*const f32; NO],
        n_in: usize,
        acc: &[[Lanes; NO]; NR],
    ) -> [[f32; NO]; NR] {
        let full = n_in / LANES * LANES;
        let mut sums = [[0f32; NO]; NR];
        for i in 0..NR {
            for j in 0..NO {
                let mut lanes = acc[i][j];
                if full < n_in {
                    let (xt, wt) = (tail(x[i], full, n_in), tail(w[j], full, n_in));
                    for l in 0..LANES {
                        lanes[l] = xt[l].mul_add(wt[l], lanes[l]);
                    }
                }
                sums[i][j] = reduce(lanes);
            }
        }
        sums
    }
}
