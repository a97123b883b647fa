//! Errors loading a model; each names the file.

use std::path::PathBuf;

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
    #[error("{0}")]
    Unsupported(String),
}

/// Errors computing with a loaded model (encoding, decoder steps) and building its host
/// layers. Candle's own errors appear only where Candle computed something (the graph path,
/// reading a tensor's values); everything the host path checks itself is a variant here.
#[derive(Debug, thiserror::Error)]
pub enum ComputeError {
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    #[error(transparent)]
    Config(#[from] super::config::ConfigError),
    #[error("token id {id} is outside the vocabulary of {vocab}")]
    TokenOutsideVocabulary { id: u32, vocab: usize },
    #[error("source of {tokens} tokens is longer than the model's {positions} positions")]
    SourceTooLong { tokens: usize, positions: usize },
    #[error("the target is longer than the model's {positions} positions")]
    TargetTooLong { positions: usize },
    #[error("{tokens} tokens for a decoding state of {rows} rows")]
    RowMismatch { tokens: usize, rows: usize },
    #[error("a decoding state from another backend")]
    WrongState,
    #[error("the model has no {0}")]
    Missing(&'static str),
    #[error("the decoder has {layers} layers; there is no layer {layer} to read attention from")]
    NoSuchLayer { layer: usize, layers: usize },
    #[error("this CPU cannot run the {0} int8 kernel")]
    KernelUnavailable(&'static str),
    #[error("{0}")]
    Weights(String),
    #[error("a row's search edits need {need} words and the batch's edits block holds {capacity}")]
    EditsTooLong { need: usize, capacity: usize },
    #[cfg(feature = "cuda-engine")]
    #[error(transparent)]
    Cuda(#[from] super::backend::plan::cuda::CudaEngineError),
}
