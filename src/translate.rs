//! Translation end to end: MarianTokenizer encoding, the Marian model on Candle, search, and
//! decoding, with batching and the splitting of sources longer than the model accepts.

use std::path::Path;

use candle_core::{DType, Device};

use crate::generate::{self, GenerationConfig, Hypothesis, StepModel};
use crate::hub::ModelFiles;
use crate::marian::{self, DecoderState, MarianConfig, MarianError, MarianModel};
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
    let batches: Vec<&[&str]> = sources.chunks(batch_size.max(1)).collect();
    let workers = workers.clamp(1, batches.len().max(1));
    let done = std::sync::atomic::AtomicUsize::new(0);
    type Done = Vec<(usize, Vec<Translation>)>;
    let results: Vec<Result<Done, TranslateError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let (batches, done) = (&batches, &done);
                scope.spawn(move || {
                    let mut out = Vec::new();
                    for (i, batch) in batches.iter().enumerate().filter(|(i, _)| i % workers == w) {
                        out.push((i, translator.translate_batch(batch, config)?));
                        let n = done.fetch_add(batch.len(), std::sync::atomic::Ordering::Relaxed);
                        progress(n + batch.len());
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
    let mut by_batch: Vec<Option<Vec<Translation>>> = vec![None; batches.len()];
    for r in results {
        for (i, t) in r? {
            by_batch[i] = Some(t);
        }
    }
    Ok(by_batch.into_iter().flatten().flatten().collect())
}

/// A loaded model with its tokenizer and generation defaults.
pub struct Translator {
    pub tokenizer: MarianTokenizer,
    pub model: MarianModel,
    pub generation: GenerationConfig,
    /// The most source tokens (`</s>` included) one piece may have.
    max_source_tokens: usize,
}

/// The model seen by search: the decoder state, plus the output bias on the host.
impl StepModel for MarianModel {
    type State = (DecoderState, Vec<f32>);
    type Error = candle_core::Error;

    fn start(
        &self,
        ids: &[Vec<u32>],
        mask: &[Vec<u32>],
        per: usize,
    ) -> candle_core::Result<Self::State> {
        let (encoded, mask) = self.encode(ids, mask)?;
        Ok((
            MarianModel::start(self, &encoded, &mask, per)?,
            self.final_logits_bias()?,
        ))
    }

    fn step(&self, state: &mut Self::State, tokens: &[u32]) -> candle_core::Result<Vec<f32>> {
        let data = MarianModel::step(self, &mut state.0, tokens)?;
        // (vocab, rows) → (rows, vocab), adding the bias, in cache-friendly blocks.
        let rows = tokens.len();
        let bias = &state.1;
        let vocab = bias.len();
        let mut logits = vec![0f32; rows * vocab];
        const BLOCK: usize = 256;
        for v0 in (0..vocab).step_by(BLOCK) {
            let v1 = (v0 + BLOCK).min(vocab);
            for r in 0..rows {
                let out = &mut logits[r * vocab + v0..r * vocab + v1];
                for (o, v) in out.iter_mut().zip(v0..v1) {
                    *o = data[v * rows + r] + bias[v];
                }
            }
        }
        Ok(logits)
    }

    fn reorder(&self, state: &mut Self::State, rows: &[u32]) -> candle_core::Result<()> {
        MarianModel::reorder(self, &mut state.0, rows)
    }

    fn vocab_size(&self) -> usize {
        self.target_vocab_size()
    }
}

impl Translator {
    /// Load a model from resolved files (weights included) onto `device` in `dtype`.
    pub fn load(
        files: &ModelFiles,
        tokenizer_dir: &Path,
        device: &Device,
        dtype: DType,
    ) -> Result<Self, TranslateError> {
        let config: MarianConfig = marian::read_config(&files.config)?;
        let weights = files.weights.as_ref().ok_or(TranslateError::NoWeights)?;
        let model = marian::load_model(&config, weights, device, dtype)?;
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
        let generation = GenerationConfig::from_json(generation_json.as_deref(), &model_json)
            .map_err(|reason| TranslateError::GenerationConfig {
                path: files
                    .generation_config
                    .as_ref()
                    .unwrap_or(&files.config)
                    .display()
                    .to_string(),
                reason,
            })?;
        let max_source_tokens = config
            .max_position_embeddings
            .min(tokenizer.model_max_length());
        Ok(Translator {
            tokenizer,
            model,
            generation,
            max_source_tokens,
        })
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
        let batch = self.tokenizer.encode_batch(&pieces);
        let hyps: Vec<Hypothesis> =
            generate::generate(&self.model, &batch.ids, &batch.attention_mask, config)?;
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

    /// Split a source whose encoding exceeds the model's positions at clause boundaries (then
    /// at spaces, then anywhere), so that nothing is truncated.
    pub fn split_long(&self, source: &str) -> Vec<String> {
        if self.tokenizer.encode(source).len() <= self.max_source_tokens {
            return vec![source.to_string()];
        }
        let mut pieces = Vec::new();
        let mut rest = source.trim();
        while !rest.is_empty() {
            if self.tokenizer.encode(rest).len() <= self.max_source_tokens {
                pieces.push(rest.to_string());
                break;
            }
            // The longest prefix that fits, ending after a clause mark, else at a space.
            let fits =
                |end: usize| self.tokenizer.encode(&rest[..end]).len() <= self.max_source_tokens;
            let boundaries: Vec<usize> = rest
                .char_indices()
                .filter(|&(_, c)| matches!(c, ',' | ';' | ':' | '.' | '!' | '?' | '…' | ')' | '»'))
                .map(|(i, c)| i + c.len_utf8())
                .collect();
            let spaces: Vec<usize> = rest
                .char_indices()
                .filter(|&(_, c)| c == ' ')
                .map(|(i, _)| i)
                .collect();
            let end = boundaries
                .iter()
                .rev()
                .find(|&&e| e < rest.len() && fits(e))
                .or_else(|| spaces.iter().rev().find(|&&e| e > 0 && fits(e)))
                .copied()
                .unwrap_or_else(|| {
                    // No boundary fits: cut at the longest prefix of characters that fits.
                    let mut end = rest.len();
                    while end > 0 && !fits(end) {
                        end = rest[..end].char_indices().next_back().map_or(0, |(i, _)| i);
                    }
                    end.max(rest.chars().next().map_or(1, char::len_utf8))
                });
            pieces.push(rest[..end].trim().to_string());
            rest = rest[end..].trim_start();
        }
        pieces
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_sources_split_at_clause_marks_within_the_limit() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let tokenizer =
            MarianTokenizer::from_dir(&root.join("../shared/models/opus-mt-fr-en")).unwrap();
        let config =
            marian::read_config(&root.join("models/test/tiny-fr-en-swish/config.json")).unwrap();
        let files = crate::hub::ModelFiles {
            dir: root.join("models/test/tiny-fr-en-swish"),
            config: root.join("models/test/tiny-fr-en-swish/config.json"),
            generation_config: None,
            weights: Some(root.join("models/test/tiny-fr-en-swish/model.safetensors")),
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
}
