//! How sentences go through the engine: the choice of batches (full batches across documents
//! with a batch-invariant engine; otherwise a document's own sentences together, which keeps
//! runs reproducible), sentences several documents share translated once per run, and a
//! chunk's translation.

use std::collections::{HashMap, HashSet};

use super::articles::{prose_sentences, read_article};
use super::document::Prepared;
use super::engine::{Engine, Translated};
use super::keys::digest128;
use super::options::Options;
use super::origin::DocSpec;
use super::outcome::{PipelineError, Summary};

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
        let Ok(article) = read_article(&doc.french, lossy) else {
            continue;
        };
        let mut keys: Vec<u128> = prose_sentences(&article)
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

/// The batches of a chunk. With a batch-invariant engine (entente's on the CPU: a sentence's
/// translation does not depend on its batch), or with `mix_documents`, one list sorted by
/// length, in full batches across documents. Otherwise batches that keep every translation
/// reproducible whatever the chunking, the shards or the documents already done: a document's
/// own sentences are batched only with each other (sorted by length, then text), and sentences
/// that occur in several documents of the corpus (`shared`: boilerplate) alone. Either way a
/// shared sentence is translated once per run.
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
    across_documents: bool,
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
    if across_documents {
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
    let across_documents = options.mix_documents || engine.batch_invariant();
    let Batches { batches, alone } = plan_batches(
        prepared,
        shared,
        shared_done,
        options,
        across_documents,
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
