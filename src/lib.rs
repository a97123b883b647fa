//! entente: French→English machine translation and bilingual sentence alignment.
//!
//! The library is organised by domain; the `entente` binary is a thin layer over it.
//! - [`segment`]: French sentence segmentation of web press text.
//! - [`metrics`]: BLEU, chrF and TER identical to sacreBLEU.
//! - [`tokenizer`]: MarianTokenizer-identical tokenization from the model's own files.
//! - [`align`]: sentence alignment of a document and its translation.
//! - [`hub`]: model files from a local directory, the registry or the Hugging Face Hub cache.
//! - [`marian`]: the Marian encoder-decoder on Candle.
//! - [`generate`]: greedy and beam search with transformers' semantics.
//! - [`translate`]: tokenizer + model + search, batching and long-input splitting.
//! - [`input`]: reading text inputs (UTF-8 checks with byte offsets) and writing outputs atomically.

pub mod align;
pub mod generate;
pub mod hub;
pub mod input;
pub mod marian;
pub mod metrics;
pub mod segment;
pub mod tokenizer;
pub mod translate;
