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
//! The files follow the data: `sources` (where documents come from), `document` (one
//! document's outputs, with `quality` flags on its pairs), `batches` (how sentences are
//! batched through the `engine` seam), `corpus` (the corpus files and report), `merge`
//! (shards joined), `keys` (digests, shards and paths); `options` and `outcome` are the
//! types they share. This file holds the run: [`run`] as a list of those steps. Nothing here
//! reaches inside the model: translation goes through [`Engine`].

mod articles;
mod batches;
mod corpus;
mod document;
mod engine;
mod keys;
mod merge;
mod options;
mod origin;
mod outcome;
mod quality;
mod sources;

pub use batches::{sentence_key, shared_sentences};
pub use engine::{Engine, Translated, TranslatorEngine};
pub use keys::shard_of;
pub use merge::merge;
pub use options::{Filters, Options};
pub use origin::{DocSpec, Origin};
pub use outcome::{Failure, PipelineError, Summary};
pub use quality::{flagged_pairs, quality_flags, FlaggedPair};
pub use sources::{discover, glob_match, DEFAULT_GLOB};

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde_json::json;

use crate::output;
use batches::translate_chunk;
use corpus::assemble;
use document::{finish, prepare};

/// Run the pipeline over `docs` (failures of discovery included in the report).
pub fn run(
    docs: Vec<DocSpec>,
    failures: Vec<Failure>,
    engine: Option<&dyn Engine>,
    shared: &HashSet<u128>,
    options: &Options,
    progress: &dyn Fn(&Summary),
) -> Result<Summary, PipelineError> {
    let run_start = std::time::Instant::now();
    open_docs_dir(options)?;
    // What decides the translations: the engine, and the batching where the engine is not
    // batch-invariant (on the CPU `--mix-documents` changes nothing, and a rerun with it redoes
    // nothing).
    let identity = engine.map_or_else(
        || "no-mt".to_string(),
        |e| {
            let mixed = options.mix_documents && !e.batch_invariant();
            format!("{}{}", e.identity(), if mixed { "|mix" } else { "" })
        },
    );
    let mut run = RunState {
        summary: Summary {
            documents: docs.len() + failures.len(),
            ..Summary::default()
        },
        failures,
        ..RunState::default()
    };
    for chunk in docs.chunks(options.docs_per_batch.max(1)) {
        let chunk_start = std::time::Instant::now();
        let prepared = run.prepare_chunk(chunk, &identity, options);
        let chunk_done = match engine {
            Some(engine) => translate_chunk(
                engine,
                &prepared,
                shared,
                &mut run.shared_done,
                options,
                &mut run.summary,
            )?,
            None => HashMap::new(),
        };
        let finished = run.finish_chunk(prepared, &chunk_done, engine, options);
        run.record_seconds(&finished, chunk_start.elapsed().as_secs_f64());
        run.summary.failed = run.failures.len();
        progress(&run.summary);
    }
    let RunState {
        mut summary,
        failures,
        mut done_ids,
        seconds,
        ..
    } = run;
    summary.failed = failures.len();
    done_ids.sort();
    assemble(&done_ids, &failures, options, &mut summary)?;
    write_timings(
        engine.and_then(|e| e.sizing()),
        options,
        &summary,
        run_start.elapsed().as_secs_f64(),
        &seconds,
    )?;
    Ok(summary)
}

/// What a run accumulates while its chunks go through.
#[derive(Default)]
struct RunState {
    summary: Summary,
    failures: Vec<Failure>,
    /// Documents done, by this run or an earlier one.
    done_ids: Vec<String>,
    /// Translations of shared sentences, reused by later chunks for the whole run (those of a
    /// chunk's own sentences are dropped with the chunk).
    shared_done: HashMap<String, Translated>,
    /// Seconds per processed document: its share (by sentences) of its chunk's time.
    seconds: BTreeMap<String, f64>,
}

impl RunState {
    /// Read and segment a chunk's documents; those already done are counted as resumed, those
    /// that cannot be read as failures.
    fn prepare_chunk(
        &mut self,
        chunk: &[DocSpec],
        identity: &str,
        options: &Options,
    ) -> Vec<document::Prepared> {
        let mut prepared = Vec::new();
        for spec in chunk {
            match prepare(spec, identity, options) {
                Ok(Some(p)) => prepared.push(p),
                Ok(None) => {
                    self.summary.resumed += 1;
                    self.done_ids.push(spec.id.clone());
                }
                Err(error) => self.failures.push(Failure {
                    id: spec.id.clone(),
                    source: spec.source.clone(),
                    error,
                }),
            }
        }
        prepared
    }

    /// Write each prepared document's outputs; returns the ids done and their sentence counts.
    fn finish_chunk(
        &mut self,
        prepared: Vec<document::Prepared>,
        chunk_done: &HashMap<String, Translated>,
        engine: Option<&dyn Engine>,
        options: &Options,
    ) -> Vec<(String, usize)> {
        let mut finished = Vec::new();
        for p in prepared {
            let (id, source, sentences) =
                (p.spec.id.clone(), p.spec.source.clone(), p.sentences.len());
            match finish(p, [chunk_done, &self.shared_done], engine, options) {
                Ok(pairs) => {
                    self.summary.processed += 1;
                    self.summary.pairs += pairs;
                    finished.push((id.clone(), sentences.max(1)));
                    self.done_ids.push(id);
                }
                Err(e) => self.failures.push(Failure {
                    id,
                    source,
                    error: e.to_string(),
                }),
            }
        }
        finished
    }

    /// Share a chunk's `elapsed` seconds among its documents by their sentences.
    fn record_seconds(&mut self, finished: &[(String, usize)], elapsed: f64) {
        let total: usize = finished.iter().map(|d| d.1).sum();
        for (id, n) in finished {
            self.seconds
                .insert(id.clone(), elapsed * *n as f64 / total.max(1) as f64);
        }
    }
}

/// Create `docs/` under the output folder and clear what a killed run left in it.
fn open_docs_dir(options: &Options) -> Result<(), PipelineError> {
    let docs_dir = options.out_dir.join("docs");
    std::fs::create_dir_all(&docs_dir).map_err(|source| PipelineError::Io {
        path: docs_dir.clone(),
        source,
    })?;
    remove_stale_temporaries(&docs_dir);
    Ok(())
}

/// `run.json`: this run's timings, kept out of the corpus files, which must not depend on the
/// run.
fn write_timings(
    sizing: Option<serde_json::Value>,
    options: &Options,
    summary: &Summary,
    total: f64,
    seconds: &BTreeMap<String, f64>,
) -> Result<(), PipelineError> {
    let timings = json!({
        "seconds": total,
        "processed": summary.processed, "resumed": summary.resumed, "failed": summary.failed,
        "sentences_translated": summary.sentences_translated,
        "sentences_per_second": summary.sentences_translated as f64 / total.max(1e-9),
        "tokens_generated": summary.tokens_generated,
        "tokens_per_second": summary.tokens_generated as f64 / total.max(1e-9),
        "document_seconds": seconds,
        "engine": sizing,
    });
    output::write_file(
        &options.out_dir.join("run.json"),
        (serde_json::to_string_pretty(&timings).expect("JSON") + "\n").as_bytes(),
    )?;
    Ok(())
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
