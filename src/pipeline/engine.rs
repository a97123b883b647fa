//! How sentences go through the translation engine: the seam the pipeline drives
//! ([`Engine`]), entente's own engine behind it, and the choice of batches that keeps runs
//! reproducible (a document's own sentences together; sentences several documents share,
//! translated alone once per run).

use std::collections::{HashMap, HashSet};

use super::document::segment;
use super::keys::digest128;
use super::sources::{read_origin, DocSpec};

/// One translated sentence, as the pipeline keeps it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Translated {
    pub text: String,
    pub logprob: f64,
    /// Target tokens generated (EOS included), for throughput figures.
    pub tokens: usize,
}

/// What the pipeline needs from a translation engine.
pub trait Engine: Sync {
    /// Translate each batch exactly as given (the batches may run in parallel): text and
    /// log-probability per sentence, in input order. A sentence's result must depend only on its
    /// batch, so that the pipeline's choice of batches makes runs reproducible.
    fn translate_batches(&self, batches: &[Vec<&str>]) -> Result<Vec<Vec<Translated>>, String>;
    /// The most sentences one batch should hold.
    fn batch_size(&self) -> usize;
    /// Identifies the model and search settings: part of every document's resume key.
    fn identity(&self) -> String;
}

/// entente's own engine: a loaded [`Translator`](crate::translate::Translator) with settled
/// generation settings, one batch per core.
pub struct TranslatorEngine {
    pub translator: crate::translate::Translator,
    pub config: crate::generate::GenerationConfig,
    pub batch_size: usize,
    pub workers: usize,
    /// The model's name (and revision) as the user gave it.
    pub model_name: String,
}

impl Engine for TranslatorEngine {
    fn translate_batches(&self, batches: &[Vec<&str>]) -> Result<Vec<Vec<Translated>>, String> {
        crate::translate::translate_batches(&self.translator, batches, &self.config, self.workers)
            .map(|all| {
                all.into_iter()
                    .map(|ts| {
                        ts.into_iter()
                            .map(|t| Translated {
                                tokens: t.ids.len(),
                                text: t.text,
                                logprob: t.logprob,
                            })
                            .collect()
                    })
                    .collect()
            })
            .map_err(|e| e.to_string())
    }

    fn batch_size(&self) -> usize {
        self.batch_size
    }

    fn identity(&self) -> String {
        let mut identity = format!(
            "{}|{:?}|{:?}",
            self.model_name,
            self.config,
            self.translator.model.config()
        );
        // Other precisions translate differently; f32 keeps the keys it always had.
        let precision = self.translator.model.precision();
        if precision != crate::marian::Precision::F32 {
            identity.push('|');
            identity.push_str(precision.name());
        }
        identity
    }
}

/// The key of a sentence in the shared set (a 128-bit digest, not the text).
pub fn sentence_key(sentence: &str) -> u128 {
    digest128(&[sentence])
}

/// The sentences that occur in more than one of `docs` (all the corpus's documents, before any
/// sharding: every shard must make the same choice). Documents that cannot be read are left
/// out; memory holds one 16-byte key per distinct sentence.
pub fn shared_sentences(docs: &[DocSpec], lossy: bool) -> HashSet<u128> {
    let mut seen: HashMap<u128, bool> = HashMap::new();
    for doc in docs {
        let Ok(text) = read_origin(&doc.french, lossy) else {
            continue;
        };
        let mut keys: Vec<u128> = segment(&text)
            .iter()
            .map(|(_, _, s)| sentence_key(s))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        for key in keys {
            seen.entry(key)
                .and_modify(|again| *again = true)
                .or_insert(false);
        }
    }
    seen.into_iter()
        .filter(|&(_, again)| again)
        .map(|(k, _)| k)
        .collect()
}
