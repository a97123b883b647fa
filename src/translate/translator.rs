//! The translator: a model's tokenizer, weights and generation settings loaded together, and
//! a batch of sources through them (encode, search, decode), sources too long for the model
//! split and joined back.

use std::path::Path;

use candle_core::Device;

use super::error::{TranslateError, Translation};
use super::resources::{human_bytes, Machine, ResourceError, ResourceSettings, Resources};
use super::sizing::{BatchPlan, SentenceCost};
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
    /// What the machine offered when the model loaded (a GPU's free memory after the weights):
    /// detected once, and every setting is resolved against it.
    pub(super) machine: Machine,
    /// Threads and memory budget (the machine's, until [`Translator::apply_settings`]).
    pub(super) resources: Resources,
    /// The worker threads, started at first use with `resources.threads`.
    pub(super) pool: std::sync::OnceLock<rayon::ThreadPool>,
}

/// The model seen by search.
impl StepModel for MarianModel {
    type State = DecoderState;
    type Error = marian::ComputeError;

    fn start(
        &self,
        ids: &[Vec<u32>],
        mask: &[Vec<u32>],
        per: usize,
    ) -> Result<Self::State, marian::ComputeError> {
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
    ) -> Result<(), marian::ComputeError> {
        MarianModel::step(self, state, tokens, logits)
    }

    fn step_candidates(
        &self,
        state: &mut Self::State,
        tokens: &[u32],
        wanted: generate::Wanted,
        processing: generate::Processing,
        scratch: &mut Vec<f32>,
        out: &mut Vec<generate::Candidate>,
    ) -> Result<(), marian::ComputeError> {
        MarianModel::step_candidates(self, state, tokens, wanted, processing, scratch, out)
    }

    fn reorder(&self, state: &mut Self::State, rows: &[u32]) -> Result<(), marian::ComputeError> {
        profile::time(Span::Reorder, || MarianModel::reorder(self, state, rows))
    }

    fn drops_rows(&self) -> bool {
        MarianModel::drops_rows(self)
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
            .map_err(|e| TranslateError::GenerationConfig {
                path: generation_path.clone(),
                reason: e.to_string(),
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
        let machine = Machine::detect(device);
        let mut translator = Translator {
            tokenizer,
            model,
            generation,
            notes: Vec::new(),
            max_source_tokens,
            resources: Resources::default_on(&machine),
            machine,
            pool: std::sync::OnceLock::new(),
        };
        let mut generation = translator.generation.clone();
        translator.notes = translator.configure(&mut generation).map_err(|e| match e {
            TranslateError::Settings(e) => TranslateError::GenerationConfig {
                path: generation_path,
                reason: e.to_string(),
            },
            other => other,
        })?;
        translator.generation = generation;
        Ok(translator)
    }

    /// Check generation settings (the model's, or the user's overrides) against this model and
    /// the memory budget, lowering `max_length` to the model's positions where needed; returns
    /// notes on what was adjusted. One sentence of the model's longest source must fit the
    /// whole budget (longer sources are split to that length).
    pub fn configure(&self, config: &mut GenerationConfig) -> Result<Vec<String>, TranslateError> {
        let notes = config.validate(
            self.model.target_vocab_size(),
            self.model.config().max_position_embeddings,
        )?;
        let budget = self.resources.memory_budget;
        let need = self.cost().under(config, self.max_source_tokens);
        if need > budget {
            return Err(TranslateError::OverBudget {
                beams: config.num_beams,
                need: human_bytes(need),
                budget: human_bytes(budget),
                from: self.resources.memory_budget_from.clone(),
            });
        }
        Ok(notes)
    }

    /// The threads and memory budget translation runs with.
    pub fn resources(&self) -> &Resources {
        &self.resources
    }

    /// The machine as detected when the model loaded.
    pub fn machine(&self) -> &Machine {
        &self.machine
    }

    /// Run with the user's `settings`, resolved on [`Translator::machine`], instead of the
    /// machine's defaults; what was chosen.
    pub fn apply_settings(
        &mut self,
        settings: &ResourceSettings,
    ) -> Result<&Resources, ResourceError> {
        let resources = Resources::resolve(settings, &self.machine)?;
        if resources.threads != self.resources.threads {
            self.pool = std::sync::OnceLock::new();
        }
        self.resources = resources;
        Ok(&self.resources)
    }

    /// The pool of `resources().threads` worker threads that batches run on. Candle's parallel
    /// CPU operations (its matrix products read their thread count from `RAYON_NUM_THREADS`)
    /// run inside the pool that calls them, so they too stay within these threads; entente's
    /// own CPU step (f32 and int8) uses none.
    pub fn pool(&self) -> Result<&rayon::ThreadPool, TranslateError> {
        if let Some(pool) = self.pool.get() {
            return Ok(pool);
        }
        let threads = self.resources.threads.max(1);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("entente-worker-{i}"))
            .build()
            .map_err(|e| TranslateError::Threads {
                threads,
                reason: e.to_string(),
            })?;
        Ok(self.pool.get_or_init(|| pool))
    }

    /// What a sentence costs in search memory on this model.
    pub fn cost(&self) -> SentenceCost {
        SentenceCost::of(
            self.model.config(),
            self.model.target_vocab_size(),
            self.max_source_tokens,
        )
    }

    /// The batches of a job of `batches` batches of `asked` rows (`usize::MAX` when the number
    /// is not known, as in a server) under `config`.
    pub fn plan(&self, config: &GenerationConfig, asked: usize, batches: usize) -> BatchPlan {
        self.cost().plan(config, &self.resources, asked, batches)
    }

    /// Translate sentences as one padded batch (each split first if it is too long), within the
    /// budget's share of one thread (every thread may be running a batch).
    pub fn translate_batch(
        &self,
        sources: &[&str],
        config: &GenerationConfig,
    ) -> Result<Vec<Translation>, TranslateError> {
        self.translate_batch_within(sources, config, self.resources.share(usize::MAX))
    }

    /// [`Translator::translate_batch`] within `share` bytes of search memory: rows go through
    /// search in groups that `share` holds at the group's longest source.
    pub fn translate_batch_within(
        &self,
        sources: &[&str],
        config: &GenerationConfig,
        share: u64,
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
        // A source split into many pieces (a 50 MB line) must not make one batch of them all,
        // and a batch of long sources may not fit where short ones do: pieces go through search
        // in groups that the share holds at their longest.
        let mut hyps: Vec<Hypothesis> = Vec::with_capacity(pieces.len());
        for group in self.groups_within(&pieces, config, share) {
            let batch = self.tokenizer.encode_batch(&pieces[group]);
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

    /// Consecutive ranges of `pieces`, each as many rows as `share` holds at the range's longest
    /// piece. Where a whole group of the model's longest sources fits, no piece is measured.
    fn groups_within(
        &self,
        pieces: &[String],
        config: &GenerationConfig,
        share: u64,
    ) -> Vec<std::ops::Range<usize>> {
        let cost = self.cost();
        let worst = super::sizing::rows_within(share, cost.under(config, usize::MAX), usize::MAX);
        let mut groups = Vec::new();
        if worst >= pieces.len() {
            groups.push(0..pieces.len());
            return groups;
        }
        let (mut start, mut longest) = (0, 0);
        for (i, piece) in pieces.iter().enumerate() {
            let tokens = self.tokenizer.encode(piece).len();
            let with = longest.max(tokens);
            if i > start && (i + 1 - start) as u64 * cost.under(config, with) > share {
                groups.push(start..i);
                (start, longest) = (i, tokens);
            } else {
                longest = with;
            }
        }
        groups.push(start..pieces.len());
        groups
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

    /// Teacher forcing of `targets` for `sources` as one padded batch, handing `each(row, step,
    /// log_probs)` the whole vocabulary's log-probabilities at every target position.
    pub fn teacher_force_each(
        &self,
        sources: &[&str],
        targets: &[Vec<u32>],
        config: &GenerationConfig,
        each: &mut dyn FnMut(usize, usize, &[f32]),
    ) -> Result<(), TranslateError> {
        let batch = self.tokenizer.encode_batch(sources);
        Ok(generate::teacher_force_each(
            &self.model,
            &batch.ids,
            &batch.attention_mask,
            targets,
            config.decoder_start_token_id,
            config.pad_token_id,
            each,
        )?)
    }

    /// Teacher-forced cross-attention of decoder layer `layer` (mean of its heads) for
    /// `sources` and their `targets` (generated ids) as one padded batch: per source, per
    /// target token, one weight per source token (`</s>` included). What word alignment reads.
    pub fn cross_attention(
        &self,
        sources: &[&str],
        targets: &[Vec<u32>],
        layer: usize,
    ) -> Result<Vec<Vec<Vec<f32>>>, TranslateError> {
        let batch = self.tokenizer.encode_batch(sources);
        let start = (
            self.generation.decoder_start_token_id,
            self.generation.pad_token_id,
        );
        Ok(self
            .model
            .cross_attention(&batch.ids, &batch.attention_mask, targets, start, layer)?)
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
