//! The product's main job: French press articles in; English articles and a parallel corpus out.
//!
//! Owns the run: finding documents (files, folders, standard input, JSONL manifests), choosing
//! each document's mode (translate alone, or align with an English version beside it), sending
//! many documents through the engine together in batches chosen so that every translation is
//! reproducible (each distinct French sentence translated once per run), writing each document's outputs atomically under `docs/` keyed by a
//! hash of its content, the engine and the options (so a rerun, or a run after `kill -9`, skips
//! what is done), and assembling the corpus files in document-id order, so that two runs give
//! byte-identical corpora. A document that cannot be read is reported and skipped; the rest
//! finish. The writers of [`crate::formats`] do the escaping.
//!
//! The files follow the data: [`sources`] (where documents come from), [`engine`] (how
//! sentences are batched through the translation engine), [`document`] (one document's outputs),
//! [`quality`] (the flags of a pair), [`corpus`] (the corpus files and report), [`merge`]
//! (shards joined), [`keys`] (digests, shards and paths). This file holds the run: the options,
//! the summary, and [`run`] as a list of those steps.

mod corpus;
mod document;
mod engine;
mod keys;
mod merge;
mod quality;
mod sources;

pub use engine::{sentence_key, shared_sentences, Engine, Translated, TranslatorEngine};
pub use keys::shard_of;
pub use merge::merge;
pub use quality::quality_flags;
pub use sources::{discover, glob_match, DocSpec, Origin};

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::output;
use corpus::assemble;
use document::{finish, prepare};

/// Errors of the run as a whole (a single document's problems are reported, not raised).
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("{path}: {reason}")]
    Input { path: String, reason: String },
    #[error(transparent)]
    Output(#[from] output::OutputError),
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("translation failed: {0}")]
    Engine(String),
}

/// A document that could not be processed.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub id: String,
    pub source: String,
    pub error: String,
}

/// Options of a run.
#[derive(Debug, Clone)]
pub struct Options {
    pub out_dir: PathBuf,
    /// Align parallel documents without translating them.
    pub no_mt: bool,
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

/// What a run did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Summary {
    pub documents: usize,
    pub processed: usize,
    pub resumed: usize,
    pub failed: usize,
    pub sentences_translated: usize,
    pub tokens_generated: usize,
    pub pairs: usize,
    /// The documents that failed, in report order.
    pub failures: Vec<Failure>,
}

/// Run the pipeline over `docs` (failures of discovery included in the report).
pub fn run(
    docs: Vec<DocSpec>,
    mut failures: Vec<Failure>,
    engine: Option<&dyn Engine>,
    shared: &HashSet<u128>,
    options: &Options,
    progress: &dyn Fn(&Summary),
) -> Result<Summary, PipelineError> {
    let docs_dir = options.out_dir.join("docs");
    std::fs::create_dir_all(&docs_dir).map_err(|source| PipelineError::Io {
        path: docs_dir.clone(),
        source,
    })?;
    remove_stale_temporaries(&docs_dir);
    let identity = engine.map_or_else(|| "no-mt".to_string(), Engine::identity);
    let mut summary = Summary {
        documents: docs.len() + failures.len(),
        ..Summary::default()
    };
    // Translations of shared sentences, reused by later documents for the whole run; those of a
    // chunk's own sentences, dropped with the chunk.
    let mut shared_done: HashMap<String, Translated> = HashMap::new();
    let mut done_ids: Vec<String> = Vec::new();
    let run_start = std::time::Instant::now();
    // Seconds per processed document: its share (by sentences) of its chunk's time.
    let mut seconds: BTreeMap<String, f64> = BTreeMap::new();
    for chunk in docs.chunks(options.docs_per_batch.max(1)) {
        let chunk_start = std::time::Instant::now();
        let mut chunk_docs: Vec<(String, usize)> = Vec::new();
        let mut prepared = Vec::new();
        for spec in chunk {
            match prepare(spec, &identity, options) {
                Ok(Some(p)) => prepared.push(p),
                Ok(None) => {
                    summary.resumed += 1;
                    done_ids.push(spec.id.clone());
                }
                Err(error) => failures.push(Failure {
                    id: spec.id.clone(),
                    source: spec.source.clone(),
                    error,
                }),
            }
        }
        // Batches that make every translation reproducible, whatever the chunking, the shards
        // or the documents already done: a document's own sentences are batched only with each
        // other (sorted by length, then text), and sentences that occur in several documents of
        // the corpus (`shared`: boilerplate) are translated alone, once per run.
        let mut chunk_done: HashMap<String, Translated> = HashMap::new();
        if let Some(engine) = engine {
            let mut batches: Vec<Vec<&str>> = Vec::new();
            let mut alone: Vec<&str> = Vec::new();
            for p in &prepared {
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
                own.sort_unstable_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
                own.dedup();
                batches.extend(own.chunks(engine.batch_size().max(1)).map(<[&str]>::to_vec));
            }
            alone.sort_unstable();
            alone.dedup();
            if options.mix_documents {
                // Throughput over reproducibility: one sorted list, full batches.
                let mut all: Vec<&str> = batches
                    .drain(..)
                    .flatten()
                    .chain(alone.iter().copied())
                    .collect();
                all.sort_unstable_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
                all.dedup();
                batches = all
                    .chunks(engine.batch_size().max(1))
                    .map(<[&str]>::to_vec)
                    .collect();
            } else {
                batches.extend(alone.iter().map(|s| vec![*s]));
            }
            let translated = engine
                .translate_batches(&batches)
                .map_err(PipelineError::Engine)?;
            for (batch, results) in batches.iter().zip(translated) {
                summary.sentences_translated += batch.len();
                summary.tokens_generated += results.iter().map(|t| t.tokens).sum::<usize>();
                for (s, t) in batch.iter().zip(results) {
                    let done = if alone.binary_search(s).is_ok() {
                        &mut shared_done
                    } else {
                        &mut chunk_done
                    };
                    done.insert(s.to_string(), t);
                }
            }
        }
        for p in prepared {
            let (id, source, sentences) =
                (p.spec.id.clone(), p.spec.source.clone(), p.sentences.len());
            match finish(p, [&chunk_done, &shared_done], engine.is_some(), options) {
                Ok(pairs) => {
                    summary.processed += 1;
                    summary.pairs += pairs;
                    chunk_docs.push((id.clone(), sentences.max(1)));
                    done_ids.push(id);
                }
                Err(e) => failures.push(Failure {
                    id,
                    source,
                    error: e.to_string(),
                }),
            }
        }
        let total: usize = chunk_docs.iter().map(|d| d.1).sum();
        let elapsed = chunk_start.elapsed().as_secs_f64();
        for (id, n) in chunk_docs {
            seconds.insert(id, elapsed * n as f64 / total.max(1) as f64);
        }
        summary.failed = failures.len();
        progress(&summary);
    }
    summary.failed = failures.len();
    done_ids.sort();
    assemble(&done_ids, &failures, options, &mut summary)?;
    // This run's timings: not part of the corpus files, which must not depend on the run.
    let total = run_start.elapsed().as_secs_f64();
    let timings = json!({
        "seconds": total,
        "processed": summary.processed, "resumed": summary.resumed, "failed": summary.failed,
        "sentences_translated": summary.sentences_translated,
        "sentences_per_second": summary.sentences_translated as f64 / total.max(1e-9),
        "tokens_generated": summary.tokens_generated,
        "tokens_per_second": summary.tokens_generated as f64 / total.max(1e-9),
        "document_seconds": seconds,
    });
    output::write_file(
        &options.out_dir.join("run.json"),
        (serde_json::to_string_pretty(&timings).expect("JSON") + "\n").as_bytes(),
    )?;
    Ok(summary)
}

/// Remove the hidden temporary files a killed run left under `docs/` (`.NAME.PID.N.tmp`).
fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            remove_stale_temporaries(&path);
        } else if name.starts_with('.') && name.ends_with(".tmp") {
            let _ = std::fs::remove_file(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sources::id_and_side;
    use super::*;

    #[test]
    fn globs_and_ids() {
        assert!(glob_match("*.txt", "a.txt"));
        assert!(glob_match("*.txt", ".txt"));
        assert!(!glob_match("*.txt", "a.txt.bak"));
        assert!(glob_match("art-??.*", "art-01.fr.txt"));
        assert!(!glob_match("art-??.*", "art-1.txt"));
        assert_eq!(id_and_side(Path::new("a/b.txt")), ("a/b".into(), false));
        assert_eq!(id_and_side(Path::new("a/b.fr.txt")), ("a/b".into(), false));
        assert_eq!(id_and_side(Path::new("a/b.en.txt")), ("a/b".into(), true));
        assert_eq!(id_and_side(Path::new("x.y/b")), ("x.y/b".into(), false));
    }

    #[test]
    fn quality_flags_mark_copies_loops_and_ratios() {
        assert_eq!(
            quality_flags("Le chat dort.", "The cat sleeps."),
            Vec::<&str>::new()
        );
        assert_eq!(quality_flags("Paris  Match", "paris match"), ["copy"]);
        assert!(quality_flags("Il dit non.", "He says no no no no.").contains(&"repeat"));
        assert!(quality_flags("Il dit.", "of the war of the war of the war").contains(&"repeat"));
        assert!(quality_flags("x", "voivoivoivoivoivoi").contains(&"repeat"));
        assert!(
            quality_flags("Oui.", "Yes, and a very long English sentence here.")
                .contains(&"length-ratio")
        );
        assert_eq!(shard_of("a/b", 1), 0);
        assert!((0..100).all(|i| shard_of(&format!("doc{i}"), 3) < 3));
    }
}
