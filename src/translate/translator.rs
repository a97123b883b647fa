//! The translator: a model's tokenizer, weights and generation settings loaded together, and
//! a batch of sources through them (encode, search, decode), sources too long for the model
//! split and joined back.

use std::path::Path;

use candle_core::Device;

use super::error::{TranslateError, Translation};
use super::memory::{budget_setting, human_bytes, workers_available, DEFAULT_MEMORY_BUDGET};
use super::split::split_to_fit;
use crate::generate::{self, GenerationConfig, Hypothesis, StepModel};
use crate::hub::ModelFiles;
use crate::marian::{self, DecoderState, MarianConfig, MarianError, MarianModel};
use crate::profile::{self, Span};
use crate::tokenizer::MarianTokenizer;

/// A loaded model with its tokenizer and generation defaults.
pub struct Translator {
    pub tokenizer: MarianTokenizer,
    pub model: MarianModel,
    pub generation: GenerationConfig,
    /// What loading adjusted in the model's settings (for the user to see).
    pub notes: Vec<String>,
    /// The most source tokens (`</s>` included) one piece may have.
    pub(super) max_source_tokens: usize,
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
        let encoded = profile::time(Span::Encoder, || self.encode(ids, mask))?;
        profile::time(Span::CrossKeysValues, || {
            MarianModel::start(self, &encoded, per)
        })
    }

    fn step(
        &self,
        state: &mut Self::State,
        tokens: &[u32],
        logits: &mut Vec<f32>,
    ) -> candle_core::Result<()> {
        MarianModel::step(self, state, tokens, logits)
    }

    fn reorder(&self, state: &mut Self::State, rows: &[u32]) -> candle_core::Result<()> {
        profile::time(Span::Reorder, || MarianModel::reorder(self, state, rows))
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

/// The memory translation may use for search state (logits and attention caches): the budget
/// bounds the batch size and refuses beam counts that cannot fit one sentence.
pub fn memory_budget() -> Result<u64, TranslateError> {
    budget_setting().map_err(TranslateError::Settings)
}
