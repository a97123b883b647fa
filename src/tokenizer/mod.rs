//! Tokenization for opus-mt Marian models, identical to transformers' `MarianTokenizer`, read
//! straight from the model's own files: `.spm` SentencePiece models (parsed from their protobuf,
//! no pre-converted `tokenizer.json`), `vocab.json` and `tokenizer_config.json`.
//!
//! - [`spm`]: the `.spm` reader and SentencePiece's unigram encoder and decoder.
//! - [`marian`]: MarianTokenizer's mapping of pieces to model ids, special tokens, language codes,
//!   batching with padding, and decoding.

pub mod marian;
pub mod spm;

use std::path::PathBuf;

pub use marian::{Batch, MarianTokenizer};
pub use spm::SentencePiece;

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
