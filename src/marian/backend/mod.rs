//! How a decoder step is computed. The model ([`super::model`]) owns the configuration, the
//! encoder and the weights as loaded; each backend here owns one way of running the decoder,
//! behind the interface search already drives (`start`, `step`, `reorder`):
//!
//! - `graph`: the Candle graph, any device and dtype (CUDA, Metal, f16, bf16);
//! - `host`: a one-token step on plain slices for the CPU, with its matrix products in
//!   float32 (the exact default) or int8, from [`super::ops`].
//!
//! The backends read the model's layers (`super::layers`) and the operations below them
//! ([`super::ops`]); neither of those may import a backend.

pub(super) mod graph;
pub(super) mod host;

use candle_core::Tensor;

type Result<T> = candle_core::Result<T>;

/// A backend's decoding state for one batch.
pub(super) enum BackendState {
    Graph(graph::GraphState),
    Host(host::HostState),
}

/// One way of computing decoder steps.
pub(super) trait DecoderBackend: Send + Sync {
    /// Start decoding from the encoder output (b, s, d) and its additive mask (b, 1, 1, s),
    /// each sentence repeated `rows_per_sentence` times (the beams).
    fn start(
        &self,
        encoded: &Tensor,
        mask: &Tensor,
        rows_per_sentence: usize,
    ) -> Result<BackendState>;

    /// Feed one token per row at target `position`; returns the logits (`final_logits_bias`
    /// added in the output projection), rows × vocab, row-major, in f32.
    fn step(&self, state: &mut BackendState, position: usize, tokens: &[u32]) -> Result<Vec<f32>>;

    /// Keep rows `rows` of the state, in that order.
    fn reorder(&self, state: &mut BackendState, rows: &[u32]) -> Result<()>;
}

fn wrong_state() -> candle_core::Error {
    candle_core::Error::Msg("a decoding state from another backend".into())
}
