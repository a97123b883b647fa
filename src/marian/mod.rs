//! Marian (opus-mt) translation models on Candle: the configuration read from `config.json`, the
//! encoder-decoder itself, and loading weights from `model.safetensors` or `pytorch_model.bin`.
//! Search lives in [`crate::generate`]; this module exposes `encode`, one decoder `step` with an
//! explicit state, and `reorder` of that state.

pub mod config;
mod host;
pub mod model;

use std::path::{Path, PathBuf};

use candle_core::{DType, Device};
use candle_nn::VarBuilder;

pub use config::{Activation, MarianConfig};
pub use model::{DecoderState, MarianModel};

/// Errors loading a model; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum MarianError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {reason}")]
    Config { path: PathBuf, reason: String },
    #[error("{path}: cannot load the weights: {reason}")]
    Weights { path: PathBuf, reason: String },
}

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
    config.check().map_err(|reason| MarianError::Config {
        path: path.to_path_buf(),
        reason,
    })?;
    Ok(config)
}

/// Load weights (`.safetensors`, memory-mapped, or a PyTorch `.bin`) into a model.
pub fn load_model(
    config: &MarianConfig,
    weights: &Path,
    device: &Device,
    dtype: DType,
) -> Result<MarianModel, MarianError> {
    let err = |e: candle_core::Error| MarianError::Weights {
        path: weights.to_path_buf(),
        reason: e.to_string(),
    };
    let is_safetensors = weights.extension().is_some_and(|e| e == "safetensors");
    let vb = if is_safetensors {
        // SAFETY: the file is memory-mapped read-only; entente never writes model files, and a
        // file changed by another process while mapped is outside what any loader can guard.
        unsafe { VarBuilder::from_mmaped_safetensors(&[weights], dtype, device) }.map_err(err)?
    } else {
        VarBuilder::from_pth(weights, dtype, device).map_err(err)?
    };
    MarianModel::new(config, vb).map_err(err)
}
