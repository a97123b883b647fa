//! entente: French→English machine translation and bilingual sentence alignment.
//!
//! The library is organised by domain; the `entente` binary is a thin layer over it.
//! - [`article`]: web pages, WARC crawls, URLs and scraped text as typed articles.
//! - [`document`]: HTML, DOCX, ODF, PPTX and EPUB files translated whole, formatting kept.
//! - [`segment`]: French sentence segmentation of web press text.
//! - [`metrics`]: BLEU, chrF and TER identical to sacreBLEU.
//! - [`tokenizer`]: MarianTokenizer-identical tokenization from the model's own files.
//! - [`align`]: sentence alignment of a document and its translation.
//! - [`hub`]: model files from a local directory, the registry or the Hugging Face Hub cache.
//! - [`marian`]: the Marian encoder-decoder on Candle.
//! - [`generate`]: greedy and beam search with transformers' semantics.
//! - [`translate`]: tokenizer + model + search, batching and long-input splitting.
//! - [`input`]: reading text inputs (UTF-8 checks with byte offsets, line by line for streams).
//! - [`output`]: writing outputs safely (atomic files, symlinks, FIFOs, cleanup on Ctrl-C).
//! - [`formats`]: the corpus writers shared by the commands (TSV, JSONL, Moses, TMX).
//! - [`pipeline`]: articles in, English articles and a parallel corpus out (resumable runs).
//! - [`profile`]: where translation time goes, span by span, when asked.
//! - [`serve`]: the HTTP translation server (LibreTranslate's API and entente's own).
//! - [`testdata`]: where tests find reference data that the repository does not ship.

pub mod align;
pub mod article;
pub mod document;
mod exp;
pub mod formats;
pub mod generate;
pub mod hub;
pub mod input;
pub mod marian;
pub mod metrics;
pub mod output;
pub mod pipeline;
pub mod profile;
pub mod segment;
pub mod serve;
#[doc(hidden)]
pub mod testdata;
pub mod tokenizer;
pub mod translate;
