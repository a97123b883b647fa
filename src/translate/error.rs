//! What translation gives (a [`Translation`] per segment) and its errors.

use super::resources::{ResourceError, MEMORY_BUDGET_VAR};
use crate::hub::HubError;
use crate::marian::MarianError;
use crate::tokenizer::TokenizerError;

/// Errors of translation; loading errors name the file.
#[derive(Debug, thiserror::Error)]
pub enum TranslateError {
    #[error(transparent)]
    Model(#[from] MarianError),
    #[error(transparent)]
    Tokenizer(#[from] TokenizerError),
    /// Boxed: the hub's errors carry paths and names, and would make every `Result` large.
    #[error(transparent)]
    Hub(Box<HubError>),
    #[error("{path}: {reason}")]
    GenerationConfig { path: String, reason: String },
    #[error("the model has no weights file")]
    NoWeights,
    #[error("{path}: {reason}")]
    Mismatch { path: String, reason: String },
    /// A device or precision that does not exist or does not run here.
    #[error("{0}")]
    Unsupported(String),
    #[error("invalid generation settings: {0}")]
    Settings(#[from] crate::generate::SettingsError),
    #[error(
        "{beams} beams need about {need} for one sentence of the model's longest source, more \
         than the memory budget of {budget} ({from}): use fewer beams, or raise the budget \
         (--memory-budget, memory_budget= in Python, or {MEMORY_BUDGET_VAR}; bytes or K/M/G)"
    )]
    OverBudget {
        beams: usize,
        need: String,
        budget: String,
        from: String,
    },
    #[error(transparent)]
    Resources(#[from] ResourceError),
    #[error("starting {threads} worker threads: {reason}")]
    Threads { threads: usize, reason: String },
    /// Not a `source`: the message already holds it, and a chain would print it twice.
    #[error("computation failed: {0}")]
    Compute(crate::marian::ComputeError),
}

impl From<crate::marian::ComputeError> for TranslateError {
    fn from(error: crate::marian::ComputeError) -> Self {
        TranslateError::Compute(error)
    }
}

impl From<HubError> for TranslateError {
    fn from(error: HubError) -> Self {
        TranslateError::Hub(Box::new(error))
    }
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
