//! Tokenization for opus-mt Marian models, identical to transformers' `MarianTokenizer`, read
//! straight from the model's own files: `.spm` SentencePiece models (parsed from their protobuf,
//! no pre-converted `tokenizer.json`), `vocab.json` and `tokenizer_config.json`.
//!
//! - [`spm`]: the `.spm` reader and SentencePiece's unigram encoder and decoder.
//! - [`marian`]: MarianTokenizer's mapping of pieces to model ids, special tokens, language codes,
//!   batching with padding, and decoding.

mod error;
pub mod marian;
pub mod spm;

pub use error::TokenizerError;
pub use marian::{Batch, MarianTokenizer};
pub use spm::SentencePiece;
