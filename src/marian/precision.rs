//! The precision a model computes in, and how a Candle dtype maps to one.

use candle_core::DType;

/// The precision a model computes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// Float32: the exact default, token-identical to transformers.
    F32,
    /// Float16 weights and activations (GPUs).
    F16,
    /// BFloat16 weights and activations (GPUs).
    Bf16,
    /// CPU: int8 products in every linear layer and the output projection (weights per output
    /// row, activations per row); float32 attention, layer norms and softmax.
    Int8,
}

impl Precision {
    pub fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::F16 => "f16",
            Precision::Bf16 => "bf16",
            Precision::Int8 => "int8",
        }
    }
}

impl From<DType> for Precision {
    fn from(dtype: DType) -> Self {
        match dtype {
            DType::F16 => Precision::F16,
            DType::BF16 => Precision::Bf16,
            _ => Precision::F32,
        }
    }
}
