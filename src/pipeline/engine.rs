//! How sentences go through the translation engine: the seam the pipeline drives
//! ([`Engine`]), entente's own engine behind it, and the choice of batches that keeps runs
//! reproducible (a document's own sentences together; sentences several documents share,
//! translated alone once per run).

use std::collections::{HashMap, HashSet};

use super::document::Prepared;
use super::{Options, PipelineError, Summary};

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

/// The batches of a chunk. Batches that make every translation reproducible, whatever the
/// chunking, the shards or the documents already done: a document's own sentences are batched
/// only with each other (sorted by length, then text), and sentences that occur in several
/// documents of the corpus (`shared`: boilerplate) are translated alone, once per run. With
/// `mix_documents`, throughput over reproducibility: one sorted list, full batches.
struct Batches<'a> {
    batches: Vec<Vec<&'a str>>,
    /// The shared sentences among them, sorted.
    alone: Vec<&'a str>,
}

/// Longest first, then by text: similar lengths share a batch, and the order is the same on
/// every run.
fn by_length_then_text(a: &&str, b: &&str) -> std::cmp::Ordering {
    b.len().cmp(&a.len()).then(a.cmp(b))
}

fn plan_batches<'a>(
    prepared: &'a [Prepared],
    shared: &HashSet<u128>,
    shared_done: &HashMap<String, Translated>,
    options: &Options,
    batch_size: usize,
) -> Batches<'a> {
    let mut batches: Vec<Vec<&str>> = Vec::new();
    let mut alone: Vec<&str> = Vec::new();
    for p in prepared {
        if options.no_mt && p.english.is_some() {
            continue;
        }
        let mut own: Vec<&str> = Vec::new();
        for (_, _, s) in &p.sentences {
            if s.trim().is_empty() || shared_done.contains_key(s) {
                continue;
            }
            if shared.contains(&sentence_key(s)) {
                alone.push(s);
            } else {
                own.push(s);
            }
        }
        own.sort_unstable_by(by_length_then_text);
        own.dedup();
        batches.extend(own.chunks(batch_size).map(<[&str]>::to_vec));
    }
    alone.sort_unstable();
    alone.dedup();
    if options.mix_documents {
        let mut all: Vec<&str> = batches
            .drain(..)
            .flatten()
            .chain(alone.iter().copied())
            .collect();
        all.sort_unstable_by(by_length_then_text);
        all.dedup();
        batches = all.chunks(batch_size).map(<[&str]>::to_vec).collect();
    } else {
        batches.extend(alone.iter().map(|s| vec![*s]));
    }
    Batches { batches, alone }
}

/// Translate a chunk's sentences: shared sentences go into `shared_done` (kept for the run),
/// the chunk's own are returned.
pub(super) fn translate_chunk(
    engine: &dyn Engine,
    prepared: &[Prepared],
    shared: &HashSet<u128>,
    shared_done: &mut HashMap<String, Translated>,
    options: &Options,
    summary: &mut Summary,
) -> Result<HashMap<String, Translated>, PipelineError> {
    let Batches { batches, alone } = plan_batches(
        prepared,
        shared,
        shared_done,
        options,
        engine.batch_size().max(1),
    );
    let translated = engine
        .translate_batches(&batches)
        .map_err(PipelineError::Engine)?;
    let mut chunk_done = HashMap::new();
    for (batch, results) in batches.iter().zip(translated) {
        summary.sentences_translated += batch.len();
        summary.tokens_generated += results.iter().map(|t| t.tokens).sum::<usize>();
        for (s, t) in batch.iter().zip(results) {
            let done = if alone.binary_search(s).is_ok() {
                &mut *shared_done
            } else {
                &mut chunk_done
            };
            done.insert(s.to_string(), t);
        }
    }
    Ok(chunk_done)
}
