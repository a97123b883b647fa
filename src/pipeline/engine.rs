//! The seam between the pipeline and a translation engine ([`Engine`]), and entente's own engine
//! behind it.

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
    /// Whether a sentence's result is the same whatever else shares its batch (entente's engine
    /// on the CPU): the pipeline then fills its batches across documents at no cost to
    /// reproducibility.
    fn batch_invariant(&self) -> bool {
        false
    }
    /// The threads, batch and memory budget the engine runs with, and where each came from,
    /// for `run.json`.
    fn sizing(&self) -> Option<serde_json::Value> {
        None
    }
    /// The document `bytes` of `format` translated whole, formatting kept, its sentences taken
    /// from `known` where the run translated them already; `None` where the engine cannot
    /// translate documents.
    fn translate_document(
        &self,
        _bytes: &[u8],
        _format: crate::document::Format,
        _known: &dyn Fn(&str) -> Option<Translated>,
    ) -> Option<Result<Vec<u8>, String>> {
        None
    }
}

/// entente's own engine: a loaded [`Translator`](crate::translate::Translator) with settled
/// generation settings, batches on its worker threads.
pub struct TranslatorEngine {
    pub translator: crate::translate::Translator,
    pub config: crate::generate::GenerationConfig,
    pub batch_size: usize,
    /// The model's name (and revision) as the user gave it.
    pub model_name: String,
    /// The content digest of the model's files ([`crate::hub::model_digest`]): new weights or
    /// tokenizer files under the same name make a new identity.
    pub model_digest: String,
}

impl Engine for TranslatorEngine {
    fn translate_batches(&self, batches: &[Vec<&str>]) -> Result<Vec<Vec<Translated>>, String> {
        crate::translate::translate_batches(&self.translator, batches, &self.config)
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

    fn translate_document(
        &self,
        bytes: &[u8],
        format: crate::document::Format,
        known: &dyn Fn(&str) -> Option<Translated>,
    ) -> Option<Result<Vec<u8>, String>> {
        let translator = &self.translator;
        let result = crate::document::translate_document(bytes, format, translator, |sources| {
            // Sentences the run translated are reused (their target ids re-encoded from the
            // text: the attention that places markup reads any encoding of it); the rest are
            // translated now.
            let found: Vec<Option<Translated>> = sources.iter().map(|s| known(s)).collect();
            let missing: Vec<&str> = sources
                .iter()
                .zip(&found)
                .filter(|(_, f)| f.is_none())
                .map(|(s, _)| *s)
                .collect();
            let mut fresh = crate::translate::translate_sorted(
                translator,
                &missing,
                &self.config,
                self.batch_size,
                &|_| {},
            )?
            .into_iter();
            Ok(found
                .into_iter()
                .map(|f| match f {
                    Some(t) => crate::translate::Translation {
                        ids: translator.tokenizer.encode_target(&t.text),
                        text: t.text,
                        logprob: t.logprob,
                    },
                    None => fresh.next().unwrap_or(crate::translate::Translation {
                        text: String::new(),
                        ids: Vec::new(),
                        logprob: 0.0,
                    }),
                })
                .collect())
        });
        Some(result.map(|d| d.bytes).map_err(|e| e.to_string()))
    }

    fn sizing(&self) -> Option<serde_json::Value> {
        let plan = self
            .translator
            .plan(&self.config, self.batch_size, usize::MAX);
        Some(serde_json::json!({
            "resources": self.translator.resources(),
            "batch": plan.describe(),
            "batch_plan": plan,
        }))
    }

    fn batch_invariant(&self) -> bool {
        // The host path (CPU, float32 or int8) computes every sentence on its own numbers;
        // the Candle graph (GPUs) does not.
        self.translator.model.host_decoder()
    }

    fn identity(&self) -> String {
        // An explicit, stable serialization (not `Debug` output, which changes with the code):
        // what the files are, how they compute, and every search setting.
        let c = &self.config;
        serde_json::json!({
            "model": self.model_name,
            "files": self.model_digest,
            "precision": self.translator.model.precision().name(),
            "search": {
                "num_beams": c.num_beams,
                "max_length": c.max_length,
                "min_length": c.min_length,
                "min_new_tokens": c.min_new_tokens,
                "length_penalty": c.length_penalty,
                "early_stopping": c.early_stopping,
                "eos_token_id": c.eos_token_id,
                "pad_token_id": c.pad_token_id,
                "decoder_start_token_id": c.decoder_start_token_id,
                "forced_eos_token_id": c.forced_eos_token_id,
                "banned_tokens": c.banned_tokens,
                "renormalize_logits": c.renormalize_logits,
                "repetition_penalty": c.repetition_penalty,
                "no_repeat_ngram_size": c.no_repeat_ngram_size,
            },
        })
        .to_string()
    }
}
