//! Batch-invariant float32 products: `out = x · Wᵀ + bias`, where every output number is
//! computed in one fixed order that depends only on its own row of `x` and row of `W`, never on
//! how many other rows share the call, where the row sits in the batch, or the CPU's vector
//! width.
//!
//! Why: a general GEMM (the `gemm` crate, MKL) chooses its blocking and kernels from the matrix
//! shapes, so a sentence's numbers change in their last bits with the batch it is computed in,
//! and greedy or beam search can then take another token. Here each dot product is 16 lanes, lane
//! `j` accumulating `x[k]·w[k]` for `k ≡ j (mod 16)` in increasing `k` with fused multiply-adds,
//! then the lanes summed in a fixed tree (8 pairs, 4, 2, 1), then the bias added. The AVX-512
//! path holds the 16 lanes in one register, the AVX2 path in two, the portable path in an array
//! with `f32::mul_add`: the same operations in the same order, so the same bits everywhere.
//!
//! Register tiles keep the accumulators: 8 rows × 3 outputs (24 of the 32 registers) with
//! AVX-512, 4 × 4 elsewhere, rows left over in tiles of 4 × 4 and 1 × 4. The weights and the rows
//! of `x` are taken in chunks sized from the L2 cache found at run time (`super::cache`), and
//! rows over 512 values in blocks of `k` (the lanes stored and reloaded between blocks: the same
//! bits). None of this changes the order of any sum, so every tile and cache gives the same
//! bits.
//!
//! Files: `kernel` holds what every instruction set shares (the lanes, the reduction tree, the
//! zero-padded tail); `tile` walks the product in register tiles and cache chunks; `portable`,
//! `avx2` and `avx512` are the kernels, one per instruction set.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod kernel;
mod portable;
#[cfg(test)]
mod tests;
mod tile;

use super::cache::CacheSizes;
use portable::Portable;
use tile::product_with;

/// `out` (rows × n_out, row-major) = `x` (rows × n_in) · `w`ᵀ (`w`: n_out × n_in, row-major)
/// + `bias`.
pub fn product(
    x: &[f32],
    rows: usize,
    w: &[f32],
    n_out: usize,
    n_in: usize,
    bias: Option<&[f32]>,
    out: &mut [f32],
) {
    assert!(x.len() >= rows * n_in && w.len() >= n_out * n_in && out.len() >= rows * n_out);
    if let Some(b) = bias {
        assert!(b.len() >= n_out);
    }
    let cache = CacheSizes::detected();
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F, checked just above.
            unsafe { product_with::<avx512::Avx512>(x, rows, w, n_out, n_in, bias, out, cache) };
            return;
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU has AVX2 and FMA, checked just above.
            unsafe { product_with::<avx2::Avx2>(x, rows, w, n_out, n_in, bias, out, cache) };
            return;
        }
    }
    // SAFETY: the portable kernel has no requirement.
    unsafe { product_with::<Portable>(x, rows, w, n_out, n_in, bias, out, cache) };
}
