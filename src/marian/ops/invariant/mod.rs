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
//! AVX-512, 3 × 2 with AVX2 (12 of its 16: a 4 × 4 tile, 32 registers' worth, spilled and ran
//! 1.2–1.6× slower), 4 × 4 in the portable code; rows left over in tiles of 4 × 4 and 1 × 4. The weights and the rows
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

/// An instruction-set path of the product. Every path gives the same bits; [`Path::best`] is
/// the one [`product`] takes, the others are there to measure (`bench-kernels`) and test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    /// 16 lanes in one 512-bit register; tiles of 8 rows × 3 outputs.
    Avx512,
    /// 16 lanes in two 256-bit registers; tiles of 3 rows × 2 outputs (16 registers only).
    Avx2,
    /// Plain Rust with `f32::mul_add`; tiles of 4 × 4.
    Portable,
}

impl Path {
    /// Every path, from the plainest to the fastest.
    pub const ALL: [Path; 3] = [Path::Portable, Path::Avx2, Path::Avx512];

    /// The fastest path this CPU runs.
    pub fn best() -> Path {
        Path::ALL
            .into_iter()
            .rev()
            .find(|p| p.available())
            .unwrap_or(Path::Portable)
    }

    /// The instruction set's name, as tables print it.
    pub fn name(self) -> &'static str {
        match self {
            Path::Avx512 => "AVX-512",
            Path::Avx2 => "AVX2",
            Path::Portable => "portable",
        }
    }

    /// Whether this CPU runs the path.
    pub fn available(self) -> bool {
        match self {
            #[cfg(target_arch = "x86_64")]
            Path::Avx512 => std::arch::is_x86_feature_detected!("avx512f"),
            #[cfg(target_arch = "x86_64")]
            Path::Avx2 => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(not(target_arch = "x86_64"))]
            Path::Avx512 | Path::Avx2 => false,
            Path::Portable => true,
        }
    }
}

/// `out` (rows × n_out, row-major) = `x` (rows × n_in) · `w`ᵀ (`w`: n_out × n_in, row-major)
/// + `bias`, on the fastest path this CPU runs.
pub fn product(
    x: &[f32],
    rows: usize,
    w: &[f32],
    n_out: usize,
    n_in: usize,
    bias: Option<&[f32]>,
    out: &mut [f32],
) {
    product_on(Path::best(), x, rows, w, n_out, n_in, bias, out);
}

/// [`product`] on the given path.
///
/// # Panics
/// If this CPU cannot run `path` ([`Path::available`]), or a slice is shorter than the shapes
/// say.
#[allow(clippy::too_many_arguments)]
pub fn product_on(
    path: Path,
    x: &[f32],
    rows: usize,
    w: &[f32],
    n_out: usize,
    n_in: usize,
    bias: Option<&[f32]>,
    out: &mut [f32],
) {
    product_blocked(
        path,
        x,
        rows,
        w,
        n_out,
        n_in,
        bias,
        out,
        CacheSizes::detected(),
    );
}

/// [`product_on`] blocked for `cache` (the tests give it caches of every size).
///
/// # Panics
/// As [`product_on`]: every precondition of the unsafe kernels is checked here.
#[allow(clippy::too_many_arguments)]
fn product_blocked(
    path: Path,
    x: &[f32],
    rows: usize,
    w: &[f32],
    n_out: usize,
    n_in: usize,
    bias: Option<&[f32]>,
    out: &mut [f32],
    cache: CacheSizes,
) {
    assert!(x.len() >= rows * n_in && w.len() >= n_out * n_in && out.len() >= rows * n_out);
    if let Some(b) = bias {
        assert!(b.len() >= n_out);
    }
    assert!(path.available(), "this CPU cannot run the {path:?} product");
    match path {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the CPU has AVX-512F, checked just above.
        Path::Avx512 => unsafe {
            product_with::<avx512::Avx512>(x, rows, w, n_out, n_in, bias, out, cache)
        },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the CPU has AVX2 and FMA, checked just above.
        Path::Avx2 => unsafe {
            product_with::<avx2::Avx2>(x, rows, w, n_out, n_in, bias, out, cache)
        },
        // SAFETY: the portable kernel has no requirement.
        _ => unsafe { product_with::<Portable>(x, rows, w, n_out, n_in, bias, out, cache) },
    }
}
