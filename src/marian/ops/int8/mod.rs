//! Int8 matrix products for the host decoder step.
//!
//! Weights are quantized once, per output row and symmetrically (scale = max|w| / 127, the
//! scheme CTranslate2 uses for `int8`); activations are quantized per row at every product the
//! same way. The integer dot products run with AVX-512 VNNI (`vpdpbusd`) where the CPU has it,
//! AVX2 otherwise, chosen at run time; a plain loop serves other CPUs and is the reference the
//! tests hold both kernels to. All three produce the exact integer sums, and one shared epilogue
//! turns them into floats, so the paths give bit-identical results.
//!
//! Layout: the weights are packed in blocks of 16 output rows; in a block, each group of 4
//! consecutive input columns holds 16 × 4 bytes (row j's 4 bytes at offset 4j). One 512-bit load
//! is then one group for 16 outputs, and one broadcast 32-bit activation group feeds all 16: no
//! horizontal sums, and the weights are read once per tile of rows. A decode step has only
//! batch × beams rows, so each block of weights is streamed once per tile of up to 8 rows while
//! it sits in L1, and the first tile of a block prefetches the next from memory; a call with
//! more rows than half the L2 cache holds (found at run time: `layout::Blocking`) takes them a
//! chunk at a time.
//!
//! Files: `quantize` turns floats into int8 rows (weights once, activations at every
//! product); `pack` lays weights out in blocks; `scalar`, `vnni` and `avx2` are the
//! kernels, one per instruction set; `epilogue` is the one conversion from integer sums to
//! floats they all share. Nothing here knows about models or layers: the host step's
//! [`super::matrix`] wraps these products as layers.

#[cfg(target_arch = "x86_64")]
mod avx2;
mod epilogue;
mod kernel;
mod layout;
mod pack;
mod quantize;
mod refine;
mod scalar;
#[cfg(test)]
mod tests;
#[cfg(target_arch = "x86_64")]
mod vnni;

#[cfg(target_arch = "x86_64")]
use super::cache::CacheSizes;
pub use kernel::Int8Kernel;
pub use pack::Int8Matrix;
pub use quantize::{quantize_row, Int8Rows};

impl Int8Matrix {
    /// `x · Wᵀ + bias` for `a`, the quantized rows of x, into `out` (rows × n_out, row-major):
    /// each output is `(sum as f32) × (row scale × weight scale) + bias`, in that order, on
    /// every path (with a residual, both terms and then the bias).
    pub fn matmul(
        &self,
        a: &Int8Rows,
        bias: Option<&[f32]>,
        kernel: Int8Kernel,
        scratch: &mut Vec<i32>,
        out: &mut [f32],
    ) {
        assert_eq!(a.k_pad, self.k_pad, "activation width");
        assert!(out.len() >= a.rows() * self.n_out, "output buffer");
        if let Some(bias) = bias {
            assert!(bias.len() >= self.n_out, "bias length");
        }
        match kernel {
            #[cfg(target_arch = "x86_64")]
            Int8Kernel::Vnni => {
                assert!(
                    kernel.available(),
                    "AVX-512 VNNI is not available on this CPU"
                );
                assert_eq!(a.shifted.len(), a.q.len(), "rows quantized for VNNI");
                // SAFETY: the CPU supports the kernel's features (checked above); the buffers
                // hold what the kernel addresses (checked above and in the kernel).
                unsafe { vnni::matmul(self, a, bias, out, CacheSizes::detected()) }
            }
            #[cfg(target_arch = "x86_64")]
            Int8Kernel::Avx2 => {
                assert!(kernel.available(), "AVX2 is not available on this CPU");
                // SAFETY: as above.
                unsafe { avx2::matmul(self, a, bias, out, CacheSizes::detected()) }
            }
            _ => scalar::matmul(self, a, bias, scratch, out),
        }
    }
}
