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
