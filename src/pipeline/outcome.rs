//! What a run reports: the documents that failed, the totals, and the errors that stop a run
//! as a whole.

use std::path::PathBuf;

use crate::output;

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
