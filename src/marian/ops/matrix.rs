//! The host step's weights: each product's matrix in the precision chosen at load (float32
//! sharing Candle's tensor, or int8 packed for its kernel), biases and layer norms as plain
//! vectors.

use std::borrow::Cow;

use candle_core::{Storage, Tensor};
use candle_nn::{LayerNorm, Linear};

use super::int8::{Int8Kernel, Int8Matrix, Int8Rows};
use super::invariant;
use crate::marian::error::ComputeError;
use crate::profile::{self, Span};

type Result<T> = std::result::Result<T, crate::marian::error::ComputeError>;

/// How the host step computes the matrix products of weights read from the mapped file (the
/// float32 host step shares Candle's tensors instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostProducts {
    /// Int8 weights and activations, with the given kernel.
    Int8(Int8Kernel),
}

/// Run `f` on the data of a contiguous CPU f32 tensor.
pub(in crate::marian) fn with_slice<R>(tensor: &Tensor, f: impl FnOnce(&[f32]) -> R) -> Result<R> {
    let (storage, layout) = tensor.storage_and_layout();
    let Storage::Cpu(cpu) = &*storage else {
        return Err(ComputeError::Weights(
            "the host decoder needs tensors on the CPU".into(),
        ));
    };
    let data = cpu.as_slice::<f32>()?;
    let Some((start, end)) = layout.contiguous_offsets() else {
        return Err(ComputeError::Weights(
            "the host decoder needs contiguous weights".into(),
        ));
    };
    Ok(f(&data[start..end]))
}

/// A weight matrix, n_out × n_in.
pub(in crate::marian) enum Matrix {
    /// Float32, row-major, on the CPU (shared with the Candle graph).
    F32 {
        weight: Tensor,
        n_out: usize,
        n_in: usize,
    },
    Int8 {
        matrix: Int8Matrix,
        kernel: Int8Kernel,
        /// Recompute each row's best outputs with the activations' residual (about 15 bits):
        /// for the output projection, where the activations' rounding is most of the drift.
        residual: bool,
    },
}

/// Buffers a thread reuses across products.
#[derive(Default)]
pub(in crate::marian) struct Scratch {
    int8_rows: Int8Rows,
    int8_sums: Vec<i32>,
    /// The rows again with their residual, for refining the best outputs.
    int8_paired: Int8Rows,
    candidates: Vec<(f32, usize)>,
}

impl Matrix {
    pub(in crate::marian) fn f32(weight: &Tensor) -> Result<Self> {
        let (n_out, n_in) = weight.dims2()?;
        Ok(Matrix::F32 {
            weight: weight.clone(),
            n_out,
            n_in,
        })
    }

    /// The matrix whose row `o` is `row(o)`, in `products`' precision.
    pub(in crate::marian) fn from_rows<'a>(
        n_out: usize,
        n_in: usize,
        products: HostProducts,
        row: impl FnMut(usize) -> Cow<'a, [f32]>,
    ) -> Result<Self> {
        Ok(match products {
            HostProducts::Int8(kernel) => Matrix::Int8 {
                matrix: Int8Matrix::from_rows(n_out, n_in, row),
                kernel,
                residual: false,
            },
        })
    }

    pub(in crate::marian) fn dims(&self) -> (usize, usize) {
        match self {
            Matrix::F32 { n_out, n_in, .. } => (*n_out, *n_in),
            Matrix::Int8 { matrix, .. } => (matrix.n_out(), matrix.n_in()),
        }
    }

    /// `x · Wᵀ + bias` for rows × n_in `x`, into `out`, rows × n_out.
    pub(in crate::marian) fn product(
        &self,
        x: &[f32],
        rows: usize,
        bias: Option<&[f32]>,
        out: &mut [f32],
        scratch: &mut Scratch,
    ) -> Result<()> {
        let (n_out, n_in) = self.dims();
        match self {
            Matrix::F32 { weight, .. } => {
                // Row by row in a fixed order (`invariant`): a row's numbers do not depend on
                // the other rows of the call.
                with_slice(weight, |w| {
                    invariant::product(x, rows, w, n_out, n_in, bias, out)
                })?;
            }
            Matrix::Int8 {
                matrix,
                kernel,
                residual,
            } => {
                profile::time(Span::Quantize, || {
                    scratch.int8_rows.quantize(x, rows, n_in, *kernel);
                    if *residual {
                        // For refining the best outputs after the product (`int8::refine`).
                        scratch.int8_paired.quantize_with_residual(
                            x,
                            rows,
                            n_in,
                            Int8Kernel::Scalar,
                        );
                    }
                });
                matrix.matmul(
                    &scratch.int8_rows,
                    bias,
                    *kernel,
                    &mut scratch.int8_sums,
                    out,
                );
                if *residual {
                    // Only the rows' best outputs with the residual (`int8::refine`).
                    let paired = &scratch.int8_paired;
                    for (r, out_row) in out.chunks_exact_mut(n_out).take(rows).enumerate() {
                        matrix.refine_row(paired, bias, r, out_row, &mut scratch.candidates);
                    }
                }
            }
        }
        Ok(())
    }

    /// This matrix with its activations quantized with their residual (int8 only).
    pub(in crate::marian) fn with_residual(self) -> Self {
        match self {
            Matrix::Int8 { matrix, kernel, .. } => Matrix::Int8 {
                matrix,
                kernel,
                residual: true,
            },
            other => other,
        }
    }

    /// Bytes held by the weights.
    pub(in crate::marian) fn bytes(&self) -> usize {
        match self {
            Matrix::F32 { n_out, n_in, .. } => 4 * n_out * n_in,
            Matrix::Int8 { matrix, .. } => matrix.bytes(),
        }
    }
}

/// A linear layer of the host step.
pub(in crate::marian) struct HostLinear {
    pub(in crate::marian) matrix: Matrix,
    pub(in crate::marian) bias: Option<Vec<f32>>,
}

impl HostLinear {
    /// The float32 layer sharing Candle's weight.
    pub(in crate::marian) fn from_candle(layer: &Linear) -> Result<Self> {
        Ok(HostLinear {
            matrix: Matrix::f32(layer.weight())?,
            bias: layer
                .bias()
                .map(|b| b.flatten_all()?.to_vec1::<f32>())
                .transpose()?,
        })
    }

    /// `x · Wᵀ + b`, rows × n_out.
    pub(in crate::marian) fn forward(
        &self,
        x: &[f32],
        rows: usize,
        scratch: &mut Scratch,
    ) -> Result<Vec<f32>> {
        let mut out = vec![0f32; rows * self.matrix.dims().0];
        self.matrix
            .product(x, rows, self.bias.as_deref(), &mut out, scratch)?;
        Ok(out)
    }
}

/// A layer norm's scale and shift.
pub(in crate::marian) struct HostNorm {
    pub(in crate::marian) alpha: Vec<f32>,
    pub(in crate::marian) beta: Vec<f32>,
}

impl HostNorm {
    pub(in crate::marian) fn from_candle(norm: &LayerNorm) -> Result<Self> {
        let Some(bias) = norm.bias() else {
            return Err(ComputeError::Weights(
                "Marian layer norms have a bias".into(),
            ));
        };
        Ok(HostNorm {
            alpha: norm.weight().flatten_all()?.to_vec1()?,
            beta: bias.flatten_all()?.to_vec1()?,
        })
    }

    /// `norm(x + residual)` in place in `x`, as Candle's fused f32 layer norm computes it.
    pub(in crate::marian) fn add_and_norm(&self, x: &mut [f32], residual: &[f32]) {
        add_and_norm(&self.alpha, &self.beta, x, residual);
    }
}

/// x ← LayerNorm(x + residual) · alpha + beta, row by row (rows of alpha's length), with
/// Marian's epsilon; statistics in f32 as one pass of sum and sum of squares.
pub(in crate::marian) fn add_and_norm(
    alpha: &[f32],
    beta: &[f32],
    x: &mut [f32],
    residual: &[f32],
) {
    const EPS: f32 = 1e-5;
    let d = alpha.len();
    for (row, res) in x.chunks_mut(d).zip(residual.chunks(d)) {
        let (mut sum, mut sum2) = (0f32, 0f32);
        for (v, r) in row.iter_mut().zip(res) {
            *v += r;
            sum += *v;
            sum2 += *v * *v;
        }
        let mean = sum / d as f32;
        let var = sum2 / d as f32 - mean * mean;
        let inv_std = (var + EPS).sqrt().recip();
        for ((v, a), b) in row.iter_mut().zip(alpha).zip(beta) {
            *v = (*v - mean) * inv_std * a + b;
        }
    }
}
