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
//! it sits in L1.
//!
//! Files: [`quantize`] turns floats into int8 rows (weights once, activations at every
//! product); [`pack`] lays weights out in blocks; [`scalar`], [`vnni`] and [`avx2`] are the
//! kernels, one per instruction set; [`epilogue`] is the one conversion from integer sums to
//! floats they all share. Nothing here knows about models or layers: the host step's
//! [`super::matrix`] wraps these products as layers.

#[cfg(target_arch = "x86_64")]
mod avx2;
mod epilogue;
mod pack;
mod quantize;
mod scalar;
#[cfg(test)]
mod tests;
#[cfg(target_arch = "x86_64")]
mod vnni;

pub use pack::Int8Matrix;
pub use quantize::{quantize_row, Int8Rows};

/// Which integer kernel runs the products.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Int8Kernel {
    /// AVX-512 VNNI: unsigned × signed bytes into 32-bit lanes, 64 products per instruction.
    Vnni,
    /// AVX2: `vpmaddubsw` on |a| and sign-adjusted weights (no 16-bit saturation, since both
    /// factors are within ±127), then `vpmaddwd` into 32-bit lanes.
    Avx2,
    /// Scalar loop, for CPUs without AVX2 and as the reference.
    Scalar,
}

impl Int8Kernel {
    /// The fastest kernel this CPU runs.
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512bw")
                && std::arch::is_x86_feature_detected!("avx512vnni")
            {
                return Int8Kernel::Vnni;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Int8Kernel::Avx2;
            }
        }
        Int8Kernel::Scalar
    }

    /// Whether this CPU can run `self`.
    pub fn available(self) -> bool {
        match self {
            Int8Kernel::Scalar => true,
            Int8Kernel::Avx2 => matches!(Self::detect(), Int8Kernel::Avx2 | Int8Kernel::Vnni),
            Int8Kernel::Vnni => Self::detect() == Int8Kernel::Vnni,
        }
    }

    /// The kernel to run: [`Int8Kernel::detect`]'s, or the one `ENTENTE_INT8_KERNEL` names
    /// (`vnni`, `avx2`, `scalar`: for benchmarks and for ruling a kernel out); an unknown name,
    /// or one this CPU cannot run, is an error that says which it can.
    pub fn chosen() -> Result<Self, String> {
        let Some(name) = std::env::var_os("ENTENTE_INT8_KERNEL") else {
            return Ok(Self::detect());
        };
        let kernel = match name.to_string_lossy().to_ascii_lowercase().as_str() {
            "vnni" => Int8Kernel::Vnni,
            "avx2" => Int8Kernel::Avx2,
            "scalar" => Int8Kernel::Scalar,
            other => {
                return Err(format!(
                    "ENTENTE_INT8_KERNEL={other}: expected vnni, avx2 or scalar"
                ))
            }
        };
        if kernel.available() {
            Ok(kernel)
        } else {
            Err(format!(
                "ENTENTE_INT8_KERNEL asks for the {} kernel, which this CPU cannot run (its best \
                 is {})",
                kernel.name(),
                Self::detect().name()
            ))
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Int8Kernel::Vnni => "AVX-512 VNNI",
            Int8Kernel::Avx2 => "AVX2",
            Int8Kernel::Scalar => "scalar",
        }
    }
}

/// Outputs per packed block.
const BLOCK: usize = 16;
/// Input columns per group (one 32-bit lane).
const GROUP: usize = 4;
/// Bytes of one group of one block.
const GROUP_BYTES: usize = BLOCK * GROUP;
/// Rows and blocks per AVX-512 tile: 8 rows × 2 blocks = 16 of the 32 registers as
/// accumulators. (6 × 4, with fewer loads per product, measured no faster: the weights of a
/// wider tile crowd the activations out of L1.)
const TILE_ROWS: usize = 8;
const TILE_BLOCKS: usize = 2;

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
                unsafe { vnni::matmul(self, a, bias, out) }
            }
            #[cfg(target_arch = "x86_64")]
            Int8Kernel::Avx2 => {
                assert!(kernel.available(), "AVX2 is not available on this CPU");
                // SAFETY: as above.
                unsafe { avx2::matmul(self, a, bias, out) }
            }
            _ => scalar::matmul(self, a, bias, scratch, out),
        }
    }
}
