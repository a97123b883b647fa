//! The tokenizer's errors: each names the file it is about.

use std::path::PathBuf;

/// Errors loading tokenizer files; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum TokenizerError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a usable SentencePiece model: {reason}")]
    BadSpm { path: PathBuf, reason: String },
    #[error("{path} is not a usable vocabulary: {reason}")]
    BadVocab { path: PathBuf, reason: String },
    #[error("{path}: invalid tokenizer configuration: {reason}")]
    BadConfig { path: PathBuf, reason: String },
    #[error("{path} has no {token:?} token, which MarianTokenizer requires")]
    MissingToken { path: PathBuf, token: String },
}
