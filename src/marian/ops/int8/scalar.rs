//! The scalar kernel: a plain loop over the packed weights, for CPUs without AVX2 and as the
//! reference the tests hold the vector kernels to.

use super::epilogue::{epilogue, epilogue_paired};
use super::layout::{BLOCK, GROUP, GROUP_BYTES};
use super::pack::Int8Matrix;
use super::quantize::Int8Rows;

impl Int8Matrix {
    /// Exact integer products `Σ_k a[r][k] · q[o][k]` into `acc` (stored rows × n_out, row-major),
    /// with the scalar reference loop (the fast kernels fuse these sums into [`Self::matmul`]).
    pub fn integer_products(&self, a: &Int8Rows, acc: &mut Vec<i32>) {
        assert_eq!(a.k_pad, self.k_pad, "activation width");
        acc.clear();
        let groups = self.k_pad / GROUP;
        for r in 0..a.rows {
            let x = &a.q[r * self.k_pad..(r + 1) * self.k_pad];
            for o in 0..self.n_out {
                let base = (o / BLOCK) * groups * GROUP_BYTES + (o % BLOCK) * GROUP;
                let mut sum = 0i32;
                for g in 0..groups {
                    let w = &self.packed[base + g * GROUP_BYTES..][..GROUP];
                    for t in 0..GROUP {
                        sum += i32::from(x[g * GROUP + t]) * i32::from(w[t]);
                    }
                }
                acc.push(sum);
            }
        }
    }
}

/// `x · Wᵀ + bias` through [`Int8Matrix::integer_products`] and the shared epilogue.
pub(super) fn matmul(
    m: &Int8Matrix,
    a: &Int8Rows,
    bias: Option<&[f32]>,
    scratch: &mut Vec<i32>,
    out: &mut [f32],
) {
    m.integer_products(a, scratch);
    let n = m.n_out;
    for r in 0..a.rows() {
        let out = &mut out[r * n..(r + 1) * n];
        for (o, &w_scale) in m.scales[..n].iter().enumerate() {
            let bias = bias.map_or(0.0, |b| b[o]);
            out[o] = if a.paired {
                epilogue_paired(
                    (scratch[2 * r * n + o], scratch[(2 * r + 1) * n + o]),
                    (a.scales[2 * r], a.scales[2 * r + 1]),
                    w_scale,
                    bias,
                )
            } else {
                epilogue(scratch[r * n + o], a.scales[r], w_scale, bias)
            };
        }
    }
}
