//! Translation end to end: MarianTokenizer encoding, the Marian model on Candle, search, and
//! decoding, with batching and the splitting of sources longer than the model accepts.

use std::path::Path;

use candle_core::Device;

use crate::generate::{self, GenerationConfig, Hypothesis, StepModel};
use crate::hub::ModelFiles;
use crate::marian::{self, DecoderState, MarianConfig, MarianError, MarianModel};
use crate::segment::Sentence;
use crate::tokenizer::{MarianTokenizer, TokenizerError};

/// Errors of translation; loading errors name the file.
#[derive(Debug, thiserror::Error)]
pub enum TranslateError {
    #[error(transparent)]
    Model(#[from] MarianError),
    #[error(transparent)]
    Tokenizer(#[from] TokenizerError),
    #[error("{path}: {reason}")]
    GenerationConfig { path: String, reason: String },
    #[error("the model has no weights file")]
    NoWeights,
    #[error("{path}: {reason}")]
    Mismatch { path: String, reason: String },
    #[error("invalid generation settings: {0}")]
    Settings(String),
    #[error(
        "{beams} beams need about {need} for one sentence, more than the memory budget of \
         {budget}: use fewer beams, or raise {MEMORY_BUDGET_VAR} (bytes, or with K/M/G)"
    )]
    OverBudget {
        beams: usize,
        need: String,
        budget: String,
    },
    #[error("computation failed: {0}")]
    Compute(#[from] candle_core::Error),
}

/// One translated segment.
#[derive(Debug, Clone, PartialEq)]
pub struct Translation {
    pub text: String,
    /// Generated target ids after the decoder start, EOS included.
    pub ids: Vec<u32>,
    /// Sum of the log-probabilities of `ids`.
    pub logprob: f64,
}

/// Translate many segments in batches of `batch_size`, `workers` batches at a time on separate
/// threads: a decoding step is a chain of small operations that one batch alone cannot spread
/// over the cores (run with Candle's own threads at 1, `RAYON_NUM_THREADS=1`, for the best
/// throughput). `progress` is called with the number of segments done. Results are in input
/// order and equal to batch-by-batch translation.
pub fn translate_parallel(
    translator: &Translator,
    sources: &[&str],
    config: &GenerationConfig,
    batch_size: usize,
    workers: usize,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<Translation>, TranslateError> {
    let batch_size = batch_size
        .clamp(1, translator.max_batch_size(config, workers))
        .min(sources.len().max(1));
    let batches: Vec<&[&str]> = sources.chunks(batch_size).collect();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let report = |n: usize| {
        let before = done.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        progress(before + n);
    };
    Ok(run_batches(translator, &batches, config, workers, &report)?
        .into_iter()
        .flatten()
        .collect())
}

/// Translate `batches` as given, `workers` at a time on separate threads, telling `done` the
/// size of each finished batch; results per batch, in order.
fn run_batches<'s, B: AsRef<[&'s str]> + Sync>(
    translator: &Translator,
    batches: &[B],
    config: &GenerationConfig,
    workers: usize,
    done: &(dyn Fn(usize) + Sync),
) -> Result<Vec<Vec<Translation>>, TranslateError> {
    let workers = workers.clamp(1, batches.len().max(1));
    type Done = Vec<(usize, Vec<Translation>)>;
    let results: Vec<Result<Done, TranslateError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                scope.spawn(move || {
                    let mut out = Vec::new();
                    for (i, batch) in batches.iter().enumerate().filter(|(i, _)| i % workers == w) {
                        let batch = batch.as_ref();
                        out.push((i, translator.translate_batch(batch, config)?));
                        done(batch.len());
                    }
                    Ok(out)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a translation thread panicked"))
            .collect()
    });
    let mut by_batch: Vec<Vec<Translation>> = vec![Vec::new(); batches.len()];
    for r in results {
        for (i, t) in r? {
            by_batch[i] = t;
        }
    }
    Ok(by_batch)
}

/// Variable holding the memory budget of translation, in bytes (suffixes K, M, G allowed).
pub const MEMORY_BUDGET_VAR: &str = "ENTENTE_MEMORY_BUDGET";
const DEFAULT_MEMORY_BUDGET: u64 = 4 << 30;

/// The memory translation may use for search state (logits and attention caches): the budget
/// bounds the batch size and refuses beam counts that cannot fit one sentence.
pub fn memory_budget() -> Result<u64, TranslateError> {
    let Ok(text) = std::env::var(MEMORY_BUDGET_VAR) else {
        return Ok(DEFAULT_MEMORY_BUDGET);
    };
    let t = text.trim();
    let (digits, scale) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        None => (t, 1u64),
        Some((i, _)) => {
            let unit = t[i..]
                .trim()
                .trim_end_matches(['b', 'B'])
                .trim_end_matches(['i']);
            let scale = match unit.to_ascii_uppercase().as_str() {
                "" => 1,
                "K" => 1 << 10,
                "M" => 1 << 20,
                "G" => 1 << 30,
                "T" => 1 << 40,
                _ => 0,
            };
            (&t[..i], scale)
        }
    };
    match digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
    {
        Some(n) if n > 0 => Ok(n),
        _ => Err(TranslateError::Settings(format!(
            "{MEMORY_BUDGET_VAR}={text:?} is not a size: use bytes or a number with K, M or G"
        ))),
    }
}

/// Human size of a byte count.
pub fn human_bytes(n: u64) -> String {
    if n >= 1 << 30 {
        format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64)
    } else {
        format!("{:.0} MiB", (n as f64 / (1u64 << 20) as f64).ceil())
    }
}

/// Translate each of `batches` exactly as given, `workers` batches at a time on separate
/// threads; results per batch, in order.
pub fn translate_batches(
    translator: &Translator,
    batches: &[Vec<&str>],
    config: &GenerationConfig,
    workers: usize,
) -> Result<Vec<Vec<Translation>>, TranslateError> {
    run_batches(translator, batches, config, workers, &|_| {})
}

/// [`translate_parallel`] over segments in any order: blank segments are skipped (empty
/// translations), the rest are sorted longest first so that batches carry little padding, and
/// the results come back in input order.
pub fn translate_sorted(
    translator: &Translator,
    segments: &[&str],
    config: &GenerationConfig,
    batch_size: usize,
    workers: usize,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<Translation>, TranslateError> {
    let mut order: Vec<usize> = (0..segments.len())
        .filter(|&i| !segments[i].trim().is_empty())
        .collect();
    order.sort_by_key(|&i| std::cmp::Reverse(segments[i].len()));
    let sorted: Vec<&str> = order.iter().map(|&i| segments[i]).collect();
    let translated =
        translate_parallel(translator, &sorted, config, batch_size, workers, progress)?;
    let mut results = vec![
        Translation {
            text: String::new(),
            ids: Vec::new(),
            logprob: 0.0,
        };
        segments.len()
    ];
    for (&i, t) in order.iter().zip(translated) {
        results[i] = t;
    }
    Ok(results)
}

/// An article's translation laid out as its source: the sentences of a paragraph joined by a
/// space, and around and between paragraphs the source's own line breaks (blank lines and
/// single newlines alike; other whitespace there is dropped). `sentences` are the segmenter's
/// spans of `source`, `translations` their English, one each.
pub fn join_article(source: &str, sentences: &[Sentence], translations: &[&str]) -> String {
    let mut out = String::new();
    let mut last: Option<&Sentence> = None;
    for (s, t) in sentences.iter().zip(translations) {
        match last {
            Some(prev) if prev.para == s.para => out.push(' '),
            Some(prev) => push_newlines(&mut out, &source[prev.end..s.start], 1),
            None => push_newlines(&mut out, &source[..s.start], 0),
        }
        out.push_str(t);
        last = Some(s);
    }
    match last {
        Some(prev) => push_newlines(&mut out, &source[prev.end..], 0),
        None => push_newlines(&mut out, source, 0),
    }
    out
}

/// The newlines of `gap`, at least `at_least` of them.
fn push_newlines(out: &mut String, gap: &str, at_least: usize) {
    let n = gap.matches('\n').count().max(at_least);
    out.extend(std::iter::repeat_n('\n', n));
}

/// A loaded model with its tokenizer and generation defaults.
pub struct Translator {
    pub tokenizer: MarianTokenizer,
    pub model: MarianModel,
    pub generation: GenerationConfig,
    /// What loading adjusted in the model's settings (for the user to see).
    pub notes: Vec<String>,
    /// The most source tokens (`</s>` included) one piece may have.
    max_source_tokens: usize,
}

/// The model seen by search.
impl StepModel for MarianModel {
    type State = DecoderState;
    type Error = candle_core::Error;

    fn start(
        &self,
        ids: &[Vec<u32>],
        mask: &[Vec<u32>],
        per: usize,
    ) -> candle_core::Result<Self::State> {
        let (encoded, mask) = self.encode(ids, mask)?;
        MarianModel::start(self, &encoded, &mask, per)
    }

    fn step(&self, state: &mut Self::State, tokens: &[u32]) -> candle_core::Result<Vec<f32>> {
        MarianModel::step(self, state, tokens)
    }

    fn reorder(&self, state: &mut Self::State, rows: &[u32]) -> candle_core::Result<()> {
        MarianModel::reorder(self, state, rows)
    }

    fn vocab_size(&self) -> usize {
        self.target_vocab_size()
    }
}

impl Translator {
    /// Load a model from resolved files (weights included) onto `device`, computing in
    /// `precision` (a Candle `DType`, or [`marian::Precision`] for int8).
    pub fn load(
        files: &ModelFiles,
        tokenizer_dir: &Path,
        device: &Device,
        precision: impl Into<marian::Precision>,
    ) -> Result<Self, TranslateError> {
        let config: MarianConfig = marian::read_config(&files.config)?;
        let weights = files.weights.as_ref().ok_or(TranslateError::NoWeights)?;
        let model = marian::load_model(&config, weights, device, precision)?;
        let tokenizer = MarianTokenizer::from_dir(tokenizer_dir)?;
        let model_json =
            std::fs::read_to_string(&files.config).map_err(|source| MarianError::Io {
                path: files.config.clone(),
                source,
            })?;
        let generation_json = match &files.generation_config {
            Some(path) => {
                Some(
                    std::fs::read_to_string(path).map_err(|source| MarianError::Io {
                        path: path.clone(),
                        source,
                    })?,
                )
            }
            None => None,
        };
        // Where the generation settings come from, for errors.
        let generation_path = files
            .generation_config
            .as_ref()
            .unwrap_or(&files.config)
            .display()
            .to_string();
        let generation = GenerationConfig::from_json(generation_json.as_deref(), &model_json)
            .map_err(|reason| TranslateError::GenerationConfig {
                path: generation_path.clone(),
                reason,
            })?;
        let max_source_tokens = config
            .max_position_embeddings
            .min(tokenizer.model_max_length())
            .max(2);
        let vocab_dir = tokenizer_dir.join("vocab.json").display().to_string();
        if tokenizer.max_source_id() as usize >= config.vocab_size {
            return Err(TranslateError::Mismatch {
                path: vocab_dir,
                reason: format!(
                    "holds id {} but the model's vocabulary has {} tokens: the tokenizer files \
                     and the weights come from different models",
                    tokenizer.max_source_id(),
                    config.vocab_size
                ),
            });
        }
        let mut translator = Translator {
            tokenizer,
            model,
            generation,
            notes: Vec::new(),
            max_source_tokens,
        };
        let mut generation = translator.generation.clone();
        translator.notes = translator.configure(&mut generation).map_err(|e| match e {
            TranslateError::Settings(reason) => TranslateError::GenerationConfig {
                path: generation_path,
                reason,
            },
            other => other,
        })?;
        translator.generation = generation;
        Ok(translator)
    }

    /// Check generation settings (the model's, or the user's overrides) against this model and
    /// the memory budget, lowering `max_length` to the model's positions where needed; returns
    /// notes on what was adjusted.
    pub fn configure(&self, config: &mut GenerationConfig) -> Result<Vec<String>, TranslateError> {
        let notes = config
            .validate(
                self.model.target_vocab_size(),
                self.model.config().max_position_embeddings,
            )
            .map_err(TranslateError::Settings)?;
        let budget = memory_budget()?;
        let need = self.bytes_per_sentence(config);
        if need > budget {
            return Err(TranslateError::OverBudget {
                beams: config.num_beams,
                need: human_bytes(need),
                budget: human_bytes(budget),
            });
        }
        Ok(notes)
    }

    /// A generous estimate of the memory one sentence (one row of a batch) needs at its peak, at
    /// the longest lengths allowed: while it is encoded, the attention scores (with their
    /// softmax and mask copies) and the feed-forward activations; while it is searched, per beam,
    /// the logits (and their processed copy) and the self- and cross-attention caches. The two
    /// phases do not overlap, so the larger counts.
    fn bytes_per_sentence(&self, config: &GenerationConfig) -> u64 {
        let c = self.model.config();
        let d = c.d_model as u64;
        let source = self.max_source_tokens as u64;
        let encoding = 3 * c.encoder_attention_heads as u64 * source * source
            + 2 * source * (3 * d + c.encoder_ffn_dim as u64);
        let layers = c.decoder_layers as u64;
        let per_beam = 2 * self.model.target_vocab_size() as u64
            + layers * 2 * d * config.max_length as u64
            + layers * 2 * d * source;
        4 * encoding.max(per_beam * config.num_beams.max(1) as u64)
    }

    /// The largest batch (in sentences) that keeps `workers` concurrent batches within the memory
    /// budget; at least 1.
    pub fn max_batch_size(&self, config: &GenerationConfig, workers: usize) -> usize {
        let budget = memory_budget().unwrap_or(DEFAULT_MEMORY_BUDGET) / workers.max(1) as u64;
        (budget / self.bytes_per_sentence(config).max(1)).max(1) as usize
    }

    /// Translate sentences as one padded batch (each split first if it is too long).
    pub fn translate_batch(
        &self,
        sources: &[&str],
        config: &GenerationConfig,
    ) -> Result<Vec<Translation>, TranslateError> {
        // Pieces of every source, flattened, with the source each came from.
        let mut pieces: Vec<String> = Vec::new();
        let mut owner: Vec<usize> = Vec::new();
        for (i, source) in sources.iter().enumerate() {
            for piece in self.split_long(source) {
                pieces.push(piece);
                owner.push(i);
            }
        }
        // A source split into many pieces (a 50 MB line) must not make one batch of them all:
        // pieces go through search at most as many rows at a time as the memory budget allows
        // (a batch of whole sentences, already within it, stays one batch).
        let rows = self
            .max_batch_size(config, workers_available())
            .max(sources.len());
        let mut hyps: Vec<Hypothesis> = Vec::with_capacity(pieces.len());
        for chunk in pieces.chunks(rows.max(1)) {
            let batch = self.tokenizer.encode_batch(chunk);
            hyps.extend(generate::generate(
                &self.model,
                &batch.ids,
                &batch.attention_mask,
                config,
            )?);
        }
        let mut out: Vec<Translation> = sources
            .iter()
            .map(|_| Translation {
                text: String::new(),
                ids: Vec::new(),
                logprob: 0.0,
            })
            .collect();
        for (hyp, &i) in hyps.iter().zip(&owner) {
            let text = self.tokenizer.decode(&hyp.ids);
            let t = &mut out[i];
            if !t.text.is_empty() && !text.is_empty() {
                t.text.push(' ');
            }
            t.text.push_str(&text);
            t.ids.extend(&hyp.ids);
            t.logprob += hyp.logprob;
        }
        Ok(out)
    }

    /// Teacher forcing of `targets` (generated ids, EOS optional) for `sources`, as one padded
    /// batch: per source, each target token's log-probability and the model's top choice at
    /// that step. Used to measure how far a quantized model drifts from float32.
    pub fn teacher_force(
        &self,
        sources: &[&str],
        targets: &[Vec<u32>],
        config: &GenerationConfig,
    ) -> Result<Vec<Vec<generate::ForcedStep>>, TranslateError> {
        let batch = self.tokenizer.encode_batch(sources);
        Ok(generate::teacher_force(
            &self.model,
            &batch.ids,
            &batch.attention_mask,
            targets,
            config.decoder_start_token_id,
            config.pad_token_id,
        )?)
    }

    /// Split a source whose encoding exceeds the model's positions at clause boundaries (then
    /// at spaces, then anywhere), so that nothing is truncated. Each piece is the longest prefix
    /// that fits, found by binary search inside a window that grows geometrically, so the work
    /// is O(n log n) in the length of the source however long its lines or words are.
    pub fn split_long(&self, source: &str) -> Vec<String> {
        split_to_fit(source, self.max_source_tokens, |s| {
            self.tokenizer.encode(s).len()
        })
    }
}

/// [`Translator::split_long`] with the token count given by `count`.
fn split_to_fit(source: &str, limit: usize, count: impl Fn(&str) -> usize) -> Vec<String> {
    let fits = |s: &str| count(s) <= limit;
    if fits(source) {
        return vec![source.to_string()];
    }
    let mut pieces = Vec::new();
    let mut rest = source.trim();
    while !rest.is_empty() {
        // The smallest window (doubling from a few characters per allowed token) whose text
        // no longer fits, or the whole rest.
        let mut window = char_floor(rest, limit.saturating_mul(8).max(64));
        while window < rest.len() && fits(&rest[..window]) {
            window = char_floor(rest, window.saturating_mul(2));
        }
        if window >= rest.len() && fits(rest) {
            pieces.push(rest.to_string());
            break;
        }
        let scope = &rest[..window.min(rest.len())];
        let clause_ends: Vec<usize> = scope
            .char_indices()
            .filter(|&(_, c)| matches!(c, ',' | ';' | ':' | '.' | '!' | '?' | '…' | ')' | '»'))
            .map(|(i, c)| i + c.len_utf8())
            .filter(|&e| e < rest.len())
            .collect();
        let spaces: Vec<usize> = scope
            .char_indices()
            .filter(|&(i, c)| c == ' ' && i > 0)
            .map(|(i, _)| i)
            .collect();
        let char_ends: Vec<usize> = scope
            .char_indices()
            .map(|(i, c)| i + c.len_utf8())
            .collect();
        let fits_at = |end: usize| fits(&rest[..end]);
        let end = longest_fitting(&clause_ends, fits_at)
            .or_else(|| longest_fitting(&spaces, fits_at))
            .or_else(|| longest_fitting(&char_ends, fits_at))
            // Not even one character fits: it goes alone (the model sees it whole).
            .unwrap_or_else(|| rest.chars().next().map_or(1, char::len_utf8));
        pieces.push(rest[..end].trim().to_string());
        rest = rest[end..].trim_start();
    }
    pieces
}

/// The cores available: translation runs one batch per core.
fn workers_available() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The largest char boundary of `s` at or below `at` (at least the first character's end).
fn char_floor(s: &str, at: usize) -> usize {
    if at >= s.len() {
        return s.len();
    }
    let mut i = at;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    if i == 0 {
        s.chars().next().map_or(0, char::len_utf8)
    } else {
        i
    }
}

/// The last of the increasing `candidates` for which `fits` holds, by binary search (prefix
/// token counts grow with the prefix, up to rare merges; the result is always checked).
fn longest_fitting(candidates: &[usize], fits: impl Fn(usize) -> bool) -> Option<usize> {
    let (mut lo, mut hi) = (0, candidates.len());
    let mut best = None;
    while lo < hi {
        let mid = (lo + hi) / 2;
        if fits(candidates[mid]) {
            best = Some(candidates[mid]);
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    #[test]
    fn articles_keep_their_own_line_breaks() {
        use crate::segment::Segmenter;
        let source = "\nTitre\n\nUne phrase. Une autre.\nFin\n\n";
        let sentences = Segmenter::default().segment(source);
        let upper: Vec<String> = sentences
            .iter()
            .map(|s| s.text(source).to_uppercase())
            .collect();
        let refs: Vec<&str> = upper.iter().map(String::as_str).collect();
        assert_eq!(
            super::join_article(source, &sentences, &refs),
            "\nTITRE\n\nUNE PHRASE. UNE AUTRE.\nFIN\n\n"
        );
        // Paragraphs split by a single newline stay apart even with nothing between them.
        assert_eq!(super::join_article("", &[], &[]), "");
        assert_eq!(super::join_article("  \n ", &[], &[]), "\n");
    }

    use super::*;
    use candle_core::DType;

    #[test]
    fn long_sources_split_at_clause_marks_within_the_limit() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = root.join("models/test/tiny-selfcontained");
        let tokenizer = MarianTokenizer::from_dir(&dir).unwrap();
        let config = marian::read_config(&dir.join("config.json")).unwrap();
        let files = crate::hub::ModelFiles {
            dir: dir.clone(),
            config: dir.join("config.json"),
            generation_config: None,
            weights: Some(dir.join("model.safetensors")),
        };
        let model = marian::load_model(
            &config,
            files.weights.as_ref().unwrap(),
            &Device::Cpu,
            DType::F32,
        )
        .unwrap();
        let translator = Translator {
            tokenizer,
            model,
            generation: GenerationConfig::from_json(
                None,
                &std::fs::read_to_string(&files.config).unwrap(),
            )
            .unwrap(),
            notes: Vec::new(),
            max_source_tokens: 40,
        };
        let source = "Le chat dort sur le canapé, le chien aboie dans le jardin. ".repeat(12);
        let pieces = translator.split_long(&source);
        assert!(pieces.len() > 1);
        for p in &pieces {
            assert!(translator.tokenizer.encode(p).len() <= 40, "{p}");
            assert!(
                p.ends_with(',') || p.ends_with('.'),
                "not cut at a clause mark: {p:?}"
            );
        }
        // Nothing lost: the words of the pieces are the words of the source.
        let words = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        assert_eq!(words(&pieces.join(" ")), words(&source));
    }

    /// Splitting must stay near-linear: the text handed to the tokenizer in total is bounded by
    /// a small multiple of n·log n (the old prefix-by-prefix search encoded O(n²)–O(n³) bytes:
    /// a 50 KB line took over a minute, a 100,000-character word never finished).
    #[test]
    fn splitting_long_lines_and_words_is_near_linear() {
        use std::cell::Cell;
        for (name, source) in [
            (
                "clauses",
                "Le chat dort, le chien aboie; la pluie tombe. ".repeat(4000),
            ),
            ("spaces", "mot ".repeat(50_000)),
            ("one word", "a".repeat(100_000)),
            ("accents", "é".repeat(60_000)),
        ] {
            let encoded = Cell::new(0usize);
            let count = |s: &str| {
                encoded.set(encoded.get() + s.len());
                s.chars().count() / 3 + 1 // about three characters a token, plus </s>
            };
            let pieces = split_to_fit(&source, 100, count);
            let n = source.len();
            let bound = 40 * n * (usize::BITS - n.leading_zeros()) as usize;
            assert!(
                encoded.get() <= bound,
                "{name}: encoded {} bytes for {n}",
                encoded.get()
            );
            for p in &pieces {
                assert!(p.chars().count() / 3 < 100, "{name}: piece too long");
                assert!(!p.is_empty());
            }
            let squeeze = |s: &str| s.split_whitespace().collect::<String>();
            assert_eq!(
                squeeze(&pieces.concat()),
                squeeze(&source),
                "{name}: text lost"
            );
        }
    }
}
