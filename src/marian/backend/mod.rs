//! How a decoder step is computed. The model ([`super::model`]) owns the configuration, the
//! encoder and the weights as loaded; each backend here owns one way of running the decoder,
//! behind the interface search already drives (`start`, `step`, `reorder`):
//!
//! - `graph`: the Candle graph, any device and dtype (CUDA, Metal, f16, bf16);
//! - `host`: a one-token step on plain slices for the CPU, with its matrix products in
//!   float32 (the exact default) or int8, from [`super::ops`];
//! - `host_encoder`: the encoder on plain slices for the CPU, each sentence's tokens only;
//! - `host_layers`: what the two host pieces share (attention arithmetic, feed-forward,
//!   embedding tables);
//! - `plan`: the decoder step as a fixed plan of kernel calls over buffers it owns, replayed
//!   every step (what a captured CUDA graph needs), with a CPU twin of every kernel.
//!
//! The host path is batch-invariant: every number of a sentence is computed from that sentence
//! alone, in a fixed order, so its translation is the same bits whatever shares its batch.
//!
//! The backends read the model's layers (`super::layers`) and the operations below them
//! ([`super::ops`]); neither of those may import a backend.

pub(super) mod graph;
pub(super) mod host;
pub mod host_encoder;
pub(super) mod host_layers;
pub mod plan;

use candle_core::Tensor;

use crate::generate::{candidates, Candidate, Processing, Wanted};
use crate::profile::{self, Span};

type Result<T> = std::result::Result<T, crate::marian::error::ComputeError>;

/// The encoder's output, in the form the backend reading it takes.
pub enum Encoded {
    /// The Candle graph's: (b, s, d) states and the additive mask (b, 1, 1, s).
    Graph(Tensor, Tensor),
    /// The host encoder's: the source tokens' states, padding left out.
    Host(host_encoder::HostEncoded),
}

impl Encoded {
    /// Number of sentences.
    pub fn sentences(&self) -> Result<usize> {
        match self {
            Encoded::Graph(states, _) => Ok(states.dim(0)?),
            Encoded::Host(h) => Ok(h.sentence_start.len().saturating_sub(1)),
        }
    }
}

/// What word alignment reads from a decoder step: one layer's cross-attention weights, the mean
/// of its heads, kept at every step while `layer` is set (search never sets it).
#[derive(Default)]
pub(super) struct AttentionProbe {
    pub(super) layer: Option<usize>,
    /// Per row, one weight per source token of the row's sentence (padding left out).
    pub(super) weights: Vec<Vec<f32>>,
}

/// The mean over heads of attention weights laid out head after head (`heads` × `n`).
pub(super) fn mean_over_heads(weights: &[f32], heads: usize, n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| (0..heads).map(|h| weights[h * n + i]).sum::<f32>() / heads as f32)
        .collect()
}

/// A backend's decoding state for one batch.
pub(super) enum BackendState {
    Graph(graph::GraphState),
    Host(host::HostState),
    Plan(Box<plan::decoder::PlanState>),
}

impl BackendState {
    /// The probe of a state that has one (the plan engine keeps no attention weights).
    pub(super) fn probe(&mut self) -> Option<&mut AttentionProbe> {
        match self {
            BackendState::Graph(state) => Some(&mut state.probe),
            BackendState::Host(state) => Some(&mut state.probe),
            BackendState::Plan(_) => None,
        }
    }
}

/// One way of computing decoder steps.
pub(super) trait DecoderBackend: Send + Sync {
    /// Start decoding from the encoder output, each sentence repeated `rows_per_sentence`
    /// times (the beams).
    fn start(&self, encoded: &Encoded, rows_per_sentence: usize) -> Result<BackendState>;

    /// Feed one token per row at target `position`; `logits` is replaced by the logits
    /// (`final_logits_bias` added in the output projection), rows × vocab, row-major, in f32.
    fn step(
        &self,
        state: &mut BackendState,
        position: usize,
        tokens: &[u32],
        logits: &mut Vec<f32>,
    ) -> Result<()>;

    /// As [`DecoderBackend::step`], answering what search `wanted` of the step (see
    /// [`crate::generate::candidates`]) into `out`. The default picks on the host from the dense
    /// logits (computed into `scratch`); a backend that can pick where it computed them
    /// overrides it with the same candidates.
    #[allow(clippy::too_many_arguments)] // `step`'s arguments and what search asks of it
    fn step_candidates(
        &self,
        state: &mut BackendState,
        position: usize,
        tokens: &[u32],
        wanted: Wanted,
        processing: Processing,
        scratch: &mut Vec<f32>,
        out: &mut Vec<Candidate>,
    ) -> Result<()> {
        self.step(state, position, tokens, scratch)?;
        let vocab = scratch.len() / tokens.len().max(1);
        let _searching = profile::Timer::start(Span::Search);
        candidates::from_dense(scratch, vocab, wanted, processing, out);
        Ok(())
    }

    /// Keep rows `rows` of the state, in that order.
    fn reorder(&self, state: &mut BackendState, rows: &[u32]) -> Result<()>;

    /// Whether `reorder` may keep fewer rows than the state has (dropping finished ones)
    /// without changing any other row's numbers.
    fn drops_rows(&self) -> bool {
        false
    }
}
