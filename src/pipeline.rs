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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::align::{self, AlignConfig, Features};
use crate::formats::{self, Pair};
use crate::metrics::{self, Bleu, Chrf, Metric};
use crate::output;
use crate::segment::Segmenter;

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

/// Where a document's text comes from.
#[derive(Debug, Clone)]
pub enum Origin {
    File(PathBuf),
    Inline(String),
    /// Bytes read already (standard input), decoded like a file's.
    Bytes {
        name: String,
        bytes: Vec<u8>,
    },
}

/// A document found by [`discover`].
#[derive(Debug, Clone)]
pub struct DocSpec {
    /// Relative path without extension (and without `.fr`), or the manifest record's `id`.
    pub id: String,
    /// Where it was found, for messages.
    pub source: String,
    pub french: Origin,
    /// The English version, for parallel mode.
    pub english: Option<Origin>,
    /// Metadata carried into every output (`url`, `outlet`, `date`, `title`, …).
    pub meta: Map<String, Value>,
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

/// Quality flags of a pair (kept, not dropped): the output copies the input, a repeated n-gram
/// loop, or a length ratio beyond 3 (either way).
pub fn quality_flags(fr: &str, en: &str) -> Vec<&'static str> {
    let mut flags = Vec::new();
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    if !fr.trim().is_empty() && norm(fr) == norm(en) {
        flags.push("copy");
    }
    if has_loop(en) {
        flags.push("repeat");
    }
    if length_ratio(fr.chars().count(), en.chars().count()) > 3.0 {
        flags.push("length-ratio");
    }
    flags
}

/// How many times the characters of the shorter side the longer side has, given the two sides'
/// character counts (an empty side counts as one character).
fn length_ratio(fr_chars: usize, en_chars: usize) -> f64 {
    let (a, b) = (fr_chars.max(1) as f64, en_chars.max(1) as f64);
    a.max(b) / a.min(b)
}

/// A word repeated four times in a row, or a 2- to 4-word n-gram occurring three times in a row:
/// the loops an NMT model falls into.
fn has_loop(text: &str) -> bool {
    // Words compared without case and surrounding punctuation ("no no no no." loops).
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect();
    for n in 1..=4usize {
        let times = if n == 1 { 4 } else { 3 };
        if words.len() < n * times {
            continue;
        }
        for start in 0..=words.len() - n * times {
            let gram = &words[start..start + n];
            if (1..times).all(|k| &words[start + k * n..start + (k + 1) * n] == gram) {
                return true;
            }
        }
    }
    // Within a "word" too: a short unit repeated (unsegmented output such as "voivoivoivoi").
    text.split_whitespace().any(|w| {
        let chars: Vec<char> = w.chars().collect();
        (1..=4).any(|unit| {
            chars.len() >= unit * 6
                && chars
                    .chunks(unit)
                    .filter(|c| c.len() == unit)
                    .all(|c| c == &chars[..unit])
        })
    })
}

/// Does `name` match `pattern` (`*` any run, `?` one character)?
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// The id and side of a file name relative to its input folder: `a/b.en.txt` is the English
/// side of `a/b`; `a/b.fr.txt` and `a/b.txt` its French side.
fn id_and_side(relative: &Path) -> (String, bool) {
    let text = relative.to_string_lossy().replace('\\', "/");
    let stem = match text.rfind('.') {
        Some(dot) if dot > text.rfind('/').map_or(0, |s| s + 1) => &text[..dot],
        _ => &text[..],
    };
    if let Some(id) = stem.strip_suffix(".en") {
        (id.to_string(), true)
    } else {
        (stem.strip_suffix(".fr").unwrap_or(stem).to_string(), false)
    }
}

/// Find the documents of `inputs` (files, folders, `-`) and of a manifest. Problems with single
/// documents are returned as failures; a missing input or an unreadable manifest fails the run.
pub fn discover(
    inputs: &[String],
    glob: &str,
    manifest: Option<&Path>,
) -> Result<(Vec<DocSpec>, Vec<Failure>), PipelineError> {
    let mut docs: BTreeMap<String, DocSpec> = BTreeMap::new();
    let mut english: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut add = |doc: DocSpec, failures: &mut Vec<Failure>| {
        if let Some(first) = docs.get(&doc.id) {
            failures.push(Failure {
                id: doc.id.clone(),
                source: doc.source.clone(),
                error: format!("duplicate document id (first from {})", first.source),
            });
        } else {
            docs.insert(doc.id.clone(), doc);
        }
    };
    for input in inputs {
        if input == "-" {
            let bytes = crate::input::read_bytes("-").map_err(|e| PipelineError::Input {
                path: "<stdin>".into(),
                reason: e.to_string(),
            })?;
            add(
                DocSpec {
                    id: "stdin".into(),
                    source: "<stdin>".into(),
                    french: Origin::Bytes {
                        name: "<stdin>".into(),
                        bytes,
                    },
                    english: None,
                    meta: Map::new(),
                },
                &mut failures,
            );
            continue;
        }
        let path = Path::new(input);
        let meta = std::fs::metadata(path).map_err(|e| PipelineError::Input {
            path: input.clone(),
            reason: e.to_string(),
        })?;
        let mut files = Vec::new();
        if meta.is_dir() {
            walk(path, path, glob, &mut files, &mut failures);
        } else {
            let name = path.file_name().map(PathBuf::from).unwrap_or_default();
            files.push((path.to_path_buf(), name));
        }
        for (file, relative) in files {
            let (id, is_english) = id_and_side(&relative);
            if is_english {
                english.insert(id, file);
            } else {
                let source = file.display().to_string();
                add(
                    DocSpec {
                        id,
                        source,
                        french: Origin::File(file),
                        english: None,
                        meta: Map::new(),
                    },
                    &mut failures,
                );
            }
        }
    }
    if let Some(manifest) = manifest {
        let text =
            crate::input::read_text(&manifest.display().to_string(), false).map_err(|e| {
                PipelineError::Input {
                    path: manifest.display().to_string(),
                    reason: e.to_string(),
                }
            })?;
        for (n, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let source = format!("{}:{}", manifest.display(), n + 1);
            let record: Map<String, Value> = match serde_json::from_str(line) {
                Ok(Value::Object(map)) => map,
                Ok(_) => {
                    failures.push(Failure {
                        id: format!("line {}", n + 1),
                        source,
                        error: "a manifest record must be a JSON object".into(),
                    });
                    continue;
                }
                Err(e) => {
                    failures.push(Failure {
                        id: format!("line {}", n + 1),
                        source,
                        error: format!("not JSON: {e}"),
                    });
                    continue;
                }
            };
            let id = record.get("id").and_then(Value::as_str).map(str::to_string);
            let text = record
                .get("text")
                .and_then(Value::as_str)
                .map(str::to_string);
            let (Some(id), Some(text)) = (id, text) else {
                failures.push(Failure {
                    id: format!("line {}", n + 1),
                    source,
                    error: "a manifest record needs string fields \"id\" and \"text\"".into(),
                });
                continue;
            };
            let english = record
                .get("en")
                .and_then(Value::as_str)
                .map(|s| Origin::Inline(s.to_string()));
            let meta: Map<String, Value> = record
                .into_iter()
                .filter(|(k, _)| !matches!(k.as_str(), "id" | "text" | "en"))
                .collect();
            add(
                DocSpec {
                    id,
                    source,
                    french: Origin::Inline(text),
                    english,
                    meta,
                },
                &mut failures,
            );
        }
    }
    for (id, file) in english {
        match docs.get_mut(&id) {
            Some(doc) => doc.english = Some(Origin::File(file)),
            None => failures.push(Failure {
                id,
                source: file.display().to_string(),
                error: "an English version without its French article".into(),
            }),
        }
    }
    Ok((docs.into_values().collect(), failures))
}

/// Files under `dir` whose names match `glob`, with their paths relative to `root`, in sorted
/// order; entries that match but are not regular files are failures.
fn walk(
    root: &Path,
    dir: &Path,
    glob: &str,
    out: &mut Vec<(PathBuf, PathBuf)>,
    failures: &mut Vec<Failure>,
) {
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) => {
            failures.push(Failure {
                id: dir.display().to_string(),
                source: dir.display().to_string(),
                error: format!("cannot list the folder: {e}"),
            });
            return;
        }
    };
    entries.sort();
    for path in entries {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let matches = name.as_deref().is_some_and(|n| glob_match(glob, n));
        let relative = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
        match std::fs::metadata(&path) {
            Ok(m) if m.is_file() && matches => out.push((path, relative)),
            Ok(m) if m.is_dir() && !matches => walk(root, &path, glob, out, failures),
            Ok(_) if matches => failures.push(Failure {
                id: id_and_side(&relative).0,
                source: path.display().to_string(),
                error: "not a regular file".into(),
            }),
            Err(e) if matches => failures.push(Failure {
                id: id_and_side(&relative).0,
                source: path.display().to_string(),
                error: e.to_string(),
            }),
            _ => {}
        }
    }
}

/// The text of an origin: UTF-8, not blank.
fn read_origin(origin: &Origin, lossy: bool) -> Result<String, String> {
    let text = match origin {
        Origin::Inline(text) => text.clone(),
        Origin::File(path) => {
            let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
            crate::input::decode_utf8(bytes, &path.display().to_string(), lossy)
                .map_err(|e| e.to_string())?
        }
        Origin::Bytes { name, bytes } => {
            crate::input::decode_utf8(bytes.clone(), name, lossy).map_err(|e| e.to_string())?
        }
    };
    if text.trim().is_empty() {
        return Err("the document is empty".into());
    }
    Ok(text)
}

/// A document read and segmented, waiting for its translations.
struct Prepared {
    spec: DocSpec,
    key: String,
    /// (paragraph, sentence, text) of each French sentence.
    sentences: Vec<(usize, usize, String)>,
    english: Option<Vec<(usize, usize, String)>>,
}

fn segment(text: &str) -> Vec<(usize, usize, String)> {
    Segmenter::default()
        .segment(text)
        .iter()
        .map(|s| {
            let one_line = crate::segment::single_line(s.text(text)).into_owned();
            (s.para, s.sent, one_line)
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Paths of a document's outputs.
fn doc_path(out_dir: &Path, id: &str, suffix: &str) -> PathBuf {
    out_dir.join("docs").join(format!("{id}{suffix}"))
}

/// The first 128 bits (little-endian) of the sha256 of `parts`, each followed by a 0 byte when
/// there are several: a key that is the same on every machine and run.
fn digest128(parts: &[&str]) -> u128 {
    let mut h = Sha256::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            h.update([0]);
        }
        h.update(part.as_bytes());
    }
    let digest = h.finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    u128::from_le_bytes(first)
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

/// Read and segment a document; None when its outputs are already there for the same key.
fn prepare(spec: &DocSpec, identity: &str, options: &Options) -> Result<Option<Prepared>, String> {
    if spec.id.is_empty()
        || spec
            .id
            .split('/')
            .any(|p| p.is_empty() || p == "." || p == "..")
        || spec.id.starts_with('/')
    {
        return Err(format!(
            "document id {:?} cannot name a file under docs/",
            spec.id
        ));
    }
    let french = read_origin(&spec.french, options.lossy)?;
    let english = spec
        .english
        .as_ref()
        .map(|o| read_origin(o, options.lossy).map_err(|e| format!("English version: {e}")))
        .transpose()?;
    let mut hasher = Sha256::new();
    for part in [
        french.as_str(),
        english.as_deref().unwrap_or(""),
        identity,
        &format!("no_mt={} mix={}", options.no_mt, options.mix_documents),
        &serde_json::to_string(&spec.meta).unwrap_or_default(),
        env!("CARGO_PKG_VERSION"),
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    let key = hex(&hasher.finalize());
    if !options.force {
        let report = doc_path(&options.out_dir, &spec.id, ".report.json");
        if let Ok(text) = std::fs::read_to_string(&report) {
            if serde_json::from_str::<Value>(&text)
                .is_ok_and(|v| v["key"] == key.as_str() && v["status"] == "ok")
            {
                return Ok(None);
            }
        }
    }
    let sentences = segment(&french);
    let english = english.as_deref().map(segment);
    Ok(Some(Prepared {
        spec: spec.clone(),
        key,
        sentences,
        english,
    }))
}

/// One pair of a document, as written to `pairs.jsonl`.
fn pair_record(
    spec: &DocSpec,
    para: usize,
    sent: usize,
    fr: &str,
    en: &str,
    score: f64,
    mode: &str,
) -> Value {
    // Four decimals: the digits beyond carry no information, and under --mix-documents a
    // translation's log-probability varies in its last bits with the batch it was computed in.
    let score = (score * 1e4).round() / 1e4;
    let mut record = json!({
        "doc": spec.id, "para": para, "sent": sent, "fr": fr, "en": en, "score": score,
        "mode": mode, "flags": quality_flags(fr, en),
    });
    let map = record.as_object_mut().expect("an object");
    for (k, v) in &spec.meta {
        map.entry(k.clone()).or_insert_with(|| v.clone());
    }
    record
}

/// Produce and write a document's outputs; returns its number of pairs.
fn finish(
    p: Prepared,
    translations: [&HashMap<String, Translated>; 2],
    with_mt: bool,
    options: &Options,
) -> Result<usize, PipelineError> {
    let none = Translated::default();
    let mt = |s: &str| {
        translations
            .iter()
            .find_map(|done| done.get(s))
            .unwrap_or(&none)
    };
    let mut records = Vec::new();
    let mut report = json!({
        "id": p.spec.id, "source": p.spec.source, "key": p.key, "status": "ok",
        "sentences": p.sentences.len(),
    });
    let mut en_article = None;
    match &p.english {
        None => {
            if !with_mt {
                return Err(PipelineError::Engine(
                    "a document without an English version needs translation (drop --no-mt)".into(),
                ));
            }
            report["mode"] = json!("translate");
            let mut article = String::new();
            let mut para = None;
            for (pa, se, fr) in &p.sentences {
                let Translated {
                    text: en, logprob, ..
                } = mt(fr);
                if para == Some(*pa) {
                    article.push(' ');
                } else if para.is_some() {
                    article.push_str("\n\n");
                }
                article.push_str(en);
                para = Some(*pa);
                records.push(pair_record(
                    &p.spec,
                    *pa,
                    *se,
                    fr,
                    en,
                    *logprob,
                    "translate",
                ));
            }
            article.push('\n');
            en_article = Some(article);
        }
        Some(english) => {
            report["mode"] = json!("parallel");
            report["english_sentences"] = json!(english.len());
            let use_mt = with_mt && !options.no_mt;
            let src: Vec<Features> = p
                .sentences
                .iter()
                .map(|(_, _, s)| {
                    if use_mt {
                        Features::translated(&mt(s).text, s)
                    } else {
                        Features::anchors(s)
                    }
                })
                .collect();
            let tgt: Vec<Features> = english
                .iter()
                .map(|(_, _, s)| {
                    if use_mt {
                        Features::lexical(s)
                    } else {
                        Features::anchors(s)
                    }
                })
                .collect();
            let config = if use_mt {
                AlignConfig::with_mt()
            } else {
                AlignConfig::without_mt()
            };
            let links = align::align(&src, &tgt, &config);
            let (mut hyps, mut refs) = (Vec::new(), Vec::new());
            for link in links
                .iter()
                .filter(|l| !l.src.is_empty() && !l.tgt.is_empty())
            {
                let join = |ids: &[usize], side: &[(usize, usize, String)]| {
                    ids.iter()
                        .map(|&i| side[i].2.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                let fr = join(&link.src, &p.sentences);
                let en = join(&link.tgt, english);
                let (para, sent) = (p.sentences[link.src[0]].0, p.sentences[link.src[0]].1);
                records.push(pair_record(
                    &p.spec, para, sent, &fr, &en, link.score, "parallel",
                ));
                if use_mt {
                    let hyp: Vec<&str> = link
                        .src
                        .iter()
                        .map(|&i| mt(&p.sentences[i].2).text.as_str())
                        .collect();
                    hyps.push(hyp.join(" "));
                    refs.push(en);
                }
            }
            if use_mt && !hyps.is_empty() {
                let (bleu, chrf) = metric_stats(&hyps, &refs);
                report["scores"] = scores(&bleu, &chrf);
                // Sufficient statistics: the corpus scores are computed from their sums.
                report["stats"] = json!({"bleu": bleu, "chrf": chrf});
            }
        }
    }
    report["pairs"] = json!(records.len());
    let html = page(&p.spec, &records, report["mode"].as_str().unwrap_or(""));
    let mut pairs = Vec::new();
    for r in &records {
        writeln!(pairs, "{r}").expect("writing to memory");
    }
    let id = &p.spec.id;
    if let Some(parent) = doc_path(&options.out_dir, id, "").parent() {
        std::fs::create_dir_all(parent).map_err(|source| PipelineError::Io {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    if let Some(article) = en_article {
        output::write_file(
            &doc_path(&options.out_dir, id, ".en.txt"),
            article.as_bytes(),
        )?;
    }
    output::write_file(&doc_path(&options.out_dir, id, ".pairs.jsonl"), &pairs)?;
    output::write_file(&doc_path(&options.out_dir, id, ".html"), &html)?;
    // The report last: its presence with this key marks the document done.
    let report = serde_json::to_string_pretty(&report).expect("JSON") + "\n";
    output::write_file(
        &doc_path(&options.out_dir, id, ".report.json"),
        report.as_bytes(),
    )?;
    Ok(records.len())
}

/// The document's bilingual side-by-side page, paragraph by paragraph of the French.
fn page(spec: &DocSpec, records: &[Value], mode: &str) -> Vec<u8> {
    let mut paragraphs: Vec<formats::HtmlParagraph> = Vec::new();
    let mut last_para = None;
    for (n, r) in records.iter().enumerate() {
        let para = r["para"].as_u64();
        if last_para != Some(para) {
            paragraphs.push(formats::HtmlParagraph { pairs: Vec::new() });
            last_para = Some(para);
        }
        let text = |k: &str| r[k].as_str().unwrap_or_default();
        paragraphs
            .last_mut()
            .expect("pushed above")
            .pairs
            .push((n, text("fr"), text("en")));
    }
    let title = spec
        .meta
        .get("title")
        .and_then(Value::as_str)
        .unwrap_or(&spec.id);
    let mut subtitle = format!("{} · {} pairs · {mode} mode", spec.id, records.len());
    for key in ["outlet", "date", "url"] {
        if let Some(v) = spec.meta.get(key).and_then(Value::as_str) {
            subtitle.push_str(" · ");
            subtitle.push_str(v);
        }
    }
    let mut html = Vec::new();
    formats::write_html(&mut html, title, &subtitle, &paragraphs).expect("writing to memory");
    html
}

/// Summed BLEU and chrF statistics of `hyps` against `refs` (integer counts: sums of them
/// across documents give exactly the corpus statistics).
fn metric_stats(hyps: &[String], refs: &[String]) -> (Vec<f64>, Vec<f64>) {
    let refs = vec![refs.to_vec()];
    let (bleu, chrf) = (Bleu::default(), Chrf::default());
    let b = metrics::corpus_stats(&bleu, hyps, &metrics::prepare_refs(&bleu, &refs)).sum();
    let c = metrics::corpus_stats(&chrf, hyps, &metrics::prepare_refs(&chrf, &refs)).sum();
    (b, c)
}

/// BLEU and chrF from summed statistics, with sacreBLEU's signatures.
fn scores(bleu_stats: &[f64], chrf_stats: &[f64]) -> Value {
    let (bleu, chrf) = (Bleu::default(), Chrf::default());
    json!({
        "bleu": bleu.compute(bleu_stats).score, "bleu_signature": bleu.signature(1).format(false),
        "chrf": chrf.compute(chrf_stats).score, "chrf_signature": chrf.signature(1).format(false),
    })
}

fn filters_json(f: &Filters) -> Value {
    json!({"dedup": f.dedup, "min_chars": f.min_chars, "max_chars": f.max_chars,
           "max_length_ratio": f.max_length_ratio})
}

fn filters_from_json(v: &Value) -> Filters {
    let count = |k: &str| v[k].as_u64().map(|n| n as usize);
    Filters {
        dedup: v["dedup"].as_bool().unwrap_or(false),
        min_chars: count("min_chars"),
        max_chars: count("max_chars"),
        max_length_ratio: v["max_length_ratio"].as_f64(),
    }
}

/// The shard (0 ≤ shard < `shards`) a document id belongs to: a hash of the id, the same on
/// every machine and run.
pub fn shard_of(id: &str, shards: usize) -> usize {
    // The digest's first 64 bits, as the shard assignment has always used.
    (digest128(&[id]) as u64 % shards.max(1) as u64) as usize
}

/// Join the output folders of shard runs into `out`: every document's files, and the corpus
/// files assembled exactly as one run over all the documents would have written them (filters
/// and dedup across shards included; they must have been run with the same filters).
pub fn merge(out: &Path, shard_dirs: &[PathBuf]) -> Result<Summary, PipelineError> {
    let mut ids = Vec::new();
    let mut failures = Vec::new();
    let mut filters: Option<Filters> = None;
    for dir in shard_dirs {
        let report_path = dir.join("report.json");
        let report: Value = std::fs::read_to_string(&report_path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
            .map_err(|reason| PipelineError::Input {
                path: report_path.display().to_string(),
                reason: format!("{reason} (not a finished pipeline output folder?)"),
            })?;
        let these = filters_from_json(&report["options"]);
        match &filters {
            Some(f) if *f != these => {
                return Err(PipelineError::Input {
                    path: report_path.display().to_string(),
                    reason: "this shard was run with other filters than the first one".into(),
                })
            }
            _ => filters = Some(these),
        }
        for f in report["failed"].as_array().into_iter().flatten() {
            let text = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            failures.push(Failure {
                id: text("id"),
                source: text("source"),
                error: text("error"),
            });
        }
        for d in report["documents"].as_array().into_iter().flatten() {
            let id = d["id"].as_str().unwrap_or_default().to_string();
            for suffix in [".en.txt", ".pairs.jsonl", ".html", ".report.json"] {
                let from = doc_path(dir, &id, suffix);
                if !from.exists() {
                    continue;
                }
                let to = doc_path(out, &id, suffix);
                if let Some(parent) = to.parent() {
                    std::fs::create_dir_all(parent).map_err(|source| PipelineError::Io {
                        path: parent.to_path_buf(),
                        source,
                    })?;
                }
                let bytes = std::fs::read(&from).map_err(|source| PipelineError::Io {
                    path: from.clone(),
                    source,
                })?;
                output::write_file(&to, &bytes)?;
            }
            ids.push(id);
        }
    }
    ids.sort();
    let before = ids.len();
    ids.dedup();
    if ids.len() != before {
        return Err(PipelineError::Input {
            path: out.display().to_string(),
            reason: "a document appears in two shards: were they run with the same --shard N?"
                .into(),
        });
    }
    let options = Options {
        out_dir: out.to_path_buf(),
        no_mt: false,
        force: false,
        docs_per_batch: 1,
        lossy: false,
        filters: filters.unwrap_or_default(),
        mix_documents: false,
    };
    let mut summary = Summary {
        documents: ids.len() + failures.len(),
        resumed: ids.len(),
        failed: failures.len(),
        ..Summary::default()
    };
    assemble(&ids, &failures, &options, &mut summary)?;
    Ok(summary)
}

/// The stateless corpus filters: the name of the first that removes `r`, if any.
fn filtered_by(r: &Value, filters: &Filters) -> Option<&'static str> {
    let chars = |k: &str| r[k].as_str().unwrap_or_default().chars().count();
    let (fr, en) = (chars("fr"), chars("en"));
    if filters.min_chars.is_some_and(|min| fr < min || en < min) {
        return Some("min_chars");
    }
    if filters.max_chars.is_some_and(|max| fr > max || en > max) {
        return Some("max_chars");
    }
    if filters
        .max_length_ratio
        .is_some_and(|ratio| length_ratio(fr, en) > ratio)
    {
        return Some("max_length_ratio");
    }
    None
}

/// A 128-bit digest of a pair's two sides, for dedup without keeping the texts.
fn pair_key(r: &Value) -> u128 {
    digest128(&[
        r["fr"].as_str().unwrap_or_default(),
        r["en"].as_str().unwrap_or_default(),
    ])
}

/// Each document's pairs, one record at a time, in id order.
fn for_each_pair(
    out: &Path,
    ids: &[String],
    mut each: impl FnMut(Value) -> Result<(), PipelineError>,
) -> Result<(), PipelineError> {
    use std::io::BufRead;
    for id in ids {
        let path = doc_path(out, id, ".pairs.jsonl");
        let io = |source| PipelineError::Io {
            path: path.clone(),
            source,
        };
        let file = std::fs::File::open(&path).map_err(io)?;
        for line in std::io::BufReader::new(file).lines() {
            let line = line.map_err(io)?;
            let record = serde_json::from_str(&line).map_err(|e| PipelineError::Input {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            each(record)?;
        }
    }
    Ok(())
}

/// Corpus files from the finished documents' outputs, streamed in id order (memory holds a
/// 16-byte key per distinct pair when deduplicating, not the corpus): a first pass finds the
/// duplicates and their documents, a second writes every file.
fn assemble(
    ids: &[String],
    failures: &[Failure],
    options: &Options,
    summary: &mut Summary,
) -> Result<(), PipelineError> {
    let out = &options.out_dir;
    let filters = &options.filters;
    let mut removed: BTreeMap<&'static str, usize> = BTreeMap::new();
    // Dedup: the first occurrence of each pair (its position among the pairs that pass the
    // filters) and the other documents it occurs in.
    let mut first: HashMap<u128, (usize, Vec<Value>)> = HashMap::new();
    if filters.dedup {
        let mut position = 0;
        for_each_pair(out, ids, |r| {
            if filtered_by(&r, filters).is_none() {
                let entry = first.entry(pair_key(&r)).or_insert((position, Vec::new()));
                if entry.0 != position {
                    let doc = r["doc"].clone();
                    if !entry.1.contains(&doc) {
                        entry.1.push(doc);
                    }
                }
                position += 1;
            }
            Ok(())
        })?;
    }

    let writer = |name: &str| -> Result<output::OutputWriter, PipelineError> {
        Ok(output::Destination::check(&out.join(name))?.create()?)
    };
    let io = |name: &str| {
        let path = out.join(name);
        move |source| PipelineError::Io { path, source }
    };
    let (mut pairs_out, mut fr_out, mut en_out) = (
        writer("pairs.jsonl")?,
        writer("corpus.fr")?,
        writer("corpus.en")?,
    );
    let header = formats::TmxHeader::default();
    let mut tmx =
        formats::TmxWriter::new(writer("corpus.tmx")?, &header).map_err(io("corpus.tmx"))?;
    let (mut position, mut kept, mut duplicates) = (0usize, 0usize, 0usize);
    for_each_pair(out, ids, |mut r| {
        if let Some(name) = filtered_by(&r, filters) {
            *removed.entry(name).or_default() += 1;
            return Ok(());
        }
        let here = position;
        position += 1;
        if filters.dedup {
            let (at, also) = &first[&pair_key(&r)];
            if *at != here {
                duplicates += 1;
                return Ok(());
            }
            let also: Vec<&Value> = also.iter().filter(|d| **d != r["doc"]).collect();
            if !also.is_empty() {
                r["also_in"] = json!(also);
            }
        }
        kept += 1;
        writeln!(pairs_out, "{r}").map_err(io("pairs.jsonl"))?;
        let text = |k: &str| r[k].as_str().unwrap_or_default();
        writeln!(fr_out, "{}", formats::moses_line(text("fr"))).map_err(io("corpus.fr"))?;
        writeln!(en_out, "{}", formats::moses_line(text("en"))).map_err(io("corpus.en"))?;
        let one = [0usize];
        tmx.pair(&Pair {
            src_ids: &one,
            tgt_ids: &one,
            src: text("fr"),
            tgt: text("en"),
            score: r["score"].as_f64().unwrap_or(0.0),
            doc: r["doc"].as_str(),
            url: r["url"].as_str(),
        })
        .map_err(io("corpus.tmx"))
    })?;
    let (tmx_out, _) = tmx.finish().map_err(io("corpus.tmx"))?;
    summary.pairs = kept;

    // The report: each document's own report (small), the failures, totals, filters, scores.
    let (mut docs_report, mut bleu_sum, mut chrf_sum) =
        (Vec::new(), Vec::<f64>::new(), Vec::<f64>::new());
    for id in ids {
        let path = doc_path(out, id, ".report.json");
        let report: Value = std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
            .map_err(|reason| PipelineError::Input {
                path: path.display().to_string(),
                reason,
            })?;
        for (sum, key) in [(&mut bleu_sum, "bleu"), (&mut chrf_sum, "chrf")] {
            for (i, x) in report["stats"][key]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                if sum.len() <= i {
                    sum.push(0.0);
                }
                sum[i] += x.as_f64().unwrap_or(0.0);
            }
        }
        docs_report.push(report);
    }
    let mut failed: Vec<&Failure> = failures.iter().collect();
    failed.sort_by(|a, b| (&a.id, &a.source).cmp(&(&b.id, &b.source)));
    summary.failures = failed.iter().map(|&f| f.clone()).collect();
    let mut filter_report = Map::new();
    for (name, value) in [
        ("min_chars", filters.min_chars.map(|v| json!(v))),
        ("max_chars", filters.max_chars.map(|v| json!(v))),
        (
            "max_length_ratio",
            filters.max_length_ratio.map(|v| json!(v)),
        ),
    ] {
        if let Some(value) = value {
            filter_report.insert(
                name.into(),
                json!({"value": value, "removed": removed.get(name).copied().unwrap_or(0)}),
            );
        }
    }
    if filters.dedup {
        filter_report.insert("dedup".into(), json!({"removed": duplicates}));
    }
    let mut report = json!({
        "documents": docs_report,
        "failed": failed.iter().map(|f| json!({"id": f.id, "source": f.source, "status": "failed", "error": f.error})).collect::<Vec<_>>(),
        "totals": {
            "documents": summary.documents, "ok": ids.len(), "failed": failed.len(),
            "pairs": kept,
        },
        "filters": Value::Object(filter_report),
        "options": filters_json(filters),
    });
    if !bleu_sum.is_empty() {
        report["scores"] = scores(&bleu_sum, &chrf_sum);
    }
    let mut report_out = writer("report.json")?;
    report_out
        .write_all((serde_json::to_string_pretty(&report).expect("JSON") + "\n").as_bytes())
        .map_err(io("report.json"))?;
    // The corpus files together, all or nothing.
    output::commit_all(vec![pairs_out, fr_out, en_out, tmx_out, report_out])?;
    Ok(())
}

#[cfg(test)]
mod tests {
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
