//! What a run is asked to do: its options and the corpus filters.

use std::path::PathBuf;

/// Options of a run.
#[derive(Debug, Clone)]
pub struct Options {
    pub out_dir: PathBuf,
    /// Align parallel documents without translating them.
    pub no_mt: bool,
    /// A bilingual dictionary as alignment evidence for parallel documents (its content is
    /// part of every document's resume key).
    pub lexicon: Option<std::sync::Arc<crate::align::Lexicon>>,
    /// Redo documents whose outputs are already there.
    pub force: bool,
    /// Documents sent through the engine together.
    pub docs_per_batch: usize,
    /// Replace invalid UTF-8 instead of failing the document.
    pub lossy: bool,
    /// Corpus filters (the per-document files keep every pair).
    pub filters: Filters,
    /// Batch sentences across documents for throughput (full batches even for short
    /// documents); the log-probabilities, and in rare near-ties the words, may then differ in
    /// their last digits between runs that chunk or shard the corpus differently.
    pub mix_documents: bool,
}

/// Corpus hygiene applied when the corpus files are assembled; each is counted in the report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    /// Keep identical (fr, en) pairs once; the kept pair lists the other documents in `also_in`.
    pub dedup: bool,
    /// Drop pairs with a side shorter than this many characters.
    pub min_chars: Option<usize>,
    /// Drop pairs with a side longer than this many characters.
    pub max_chars: Option<usize>,
    /// Drop pairs whose longer side has more than this many times the characters of the other.
    pub max_length_ratio: Option<f64>,
}
