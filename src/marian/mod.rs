//! Marian (opus-mt) translation models on Candle: the configuration read from `config.json`, the
//! encoder-decoder itself, and loading weights from `model.safetensors` or `pytorch_model.bin`.
//! Search lives in [`crate::generate`]; this module exposes `encode`, one decoder `step` with an
//! explicit state, and `reorder` of that state. The model ([`model`]) owns the weights; the
//! backends ([`backend`]) own how a decoder step is computed.

pub mod backend;
pub mod config;
mod error;
mod layers;
pub mod model;
pub mod ops;
mod precision;
pub mod weights;

use std::path::Path;

use candle_core::{DType, Device};
use candle_nn::VarBuilder;

pub use backend::Encoded;
pub use config::{Activation, ConfigError, MarianConfig};
pub use error::{ComputeError, MarianError};
pub use model::{DecoderState, MarianModel};
pub use ops::int8::Int8Kernel;
pub use precision::Precision;

/// Read and check `config.json`.
pub fn read_config(path: &Path) -> Result<MarianConfig, MarianError> {
    let text = std::fs::read_to_string(path).map_err(|source| MarianError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let config: MarianConfig = serde_json::from_str(&text).map_err(|e| MarianError::Config {
        path: path.to_path_buf(),
        reason: format!("not a Marian configuration: {e}"),
    })?;
    config.check().map_err(|e| MarianError::Config {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    Ok(config)
}

/// Load weights (`.safetensors`, memory-mapped, or a PyTorch `.bin`) into a model computing in
/// `precision` (a Candle `DType` converts into one).
pub fn load_model(
    config: &MarianConfig,
    weights: &Path,
    device: &Device,
    precision: impl Into<Precision>,
) -> Result<MarianModel, MarianError> {
    let err = |e: ComputeError| MarianError::Weights {
        path: weights.to_path_buf(),
        reason: e.to_string(),
    };
    let is_safetensors = weights.extension().is_some_and(|e| e == "safetensors");
    let dtype = match precision.into() {
        Precision::F32 => DType::F32,
        Precision::F16 => DType::F16,
        Precision::Bf16 => DType::BF16,
        Precision::Int8 => {
            if !device.is_cpu() {
                return Err(MarianError::Unsupported(
                    "int8 runs on the CPU; on a GPU use --dtype f16 or bf16".into(),
                ));
            }
            if !is_safetensors {
                return Err(MarianError::Unsupported(format!(
                    "int8 reads model.safetensors, and {} is a PyTorch checkpoint; convert it \
                     once (transformers: model.save_pretrained(dir, safe_serialization=True)) \
                     or use --dtype f32",
                    weights.display()
                )));
            }
            let kernel =
                Int8Kernel::chosen().map_err(|e| MarianError::Unsupported(e.to_string()))?;
            let file = weights::MappedSafetensors::open(weights)?;
            return MarianModel::new_int8(config, file, kernel).map_err(err);
        }
    };
    let vb = if is_safetensors {
        // Mapped, each tensor's pages released once copied (Candle's own mapped loader keeps
        // the whole file resident until the model is built).
        let file = weights::MappedSafetensors::open(weights)?;
        VarBuilder::from_backend(
            Box::new(weights::ReleasingBackend(file)),
            dtype,
            device.clone(),
        )
    } else {
        VarBuilder::from_pth(weights, dtype, device).map_err(|e| err(e.into()))?
    };
    MarianModel::new(config, vb).map_err(err)
}
