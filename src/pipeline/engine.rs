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
}

/// entente's own engine: a loaded [`Translator`](crate::translate::Translator) with settled
/// generation settings, batches on its worker threads.
pub struct TranslatorEngine {
    pub translator: crate::translate::Translator,
    pub config: crate::generate::GenerationConfig,
    pub batch_size: usize,
    /// The model's name (and revision) as the user gave it.
    pub model_name: String,
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
