//! The portable kernel: the reference every vector path matches bit for bit.

use super::kernel::{reduce, tail, Kernel, LANES};

/// The portable kernel: the lanes in arrays, one fused multiply-add each.
pub(super) struct Portable;

impl Kernel for Portable {
    unsafe fn dots<const NR: usize, const NO: usize>(
        x: [*const f32; NR],
        w: [*const f32; NO],
        n_in: usize,
    ) -> [[f32; NO]; NR] {
        let full = n_in / LANES * LANES;
        let mut sums = [[0f32; NO]; NR];
        for i in 0..NR {
            for j in 0..NO {
                let mut acc = [0f32; LANES];
                for k in (0..full).step_by(LANES) {
                    for (l, a) in acc.iter_mut().enumerate() {
                        *a = (*x[i].add(k + l)).mul_add(*w[j].add(k + l), *a);
                    }
                }
                if full < n_in {
                    let (xt, wt) = (tail(x[i], full, n_in), tail(w[j], full, n_in));
                    for l in 0..LANES {
                        acc[l] = xt[l].mul_add(wt[l], acc[l]);
                    }
                }
                sums[i][j] = reduce(acc);
            }
        }
        sums
    }
}
