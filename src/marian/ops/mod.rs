//! The operations the model's layers and the decoder backends are built from, below both:
//! matrix products on plain slices in float32 or int8 ([`matrix`], [`int8`]), the feed-forward
//! activation on tensors, per-thread product buffers, the CPU's cache sizes the products are
//! blocked for ([`cache`]), and the `loader` that reads a checkpoint's tensors into a chosen
//! precision.
//!
//! May not touch: layers, backends or the model (they depend on this module, never the
//! reverse), nor search.

pub mod cache;
#[cfg(test)]
pub(crate) mod cpu_flags;
pub mod int8;
pub mod invariant;
pub(super) mod loader;
pub mod matrix;

use std::cell::RefCell;

use candle_core::{DType, Tensor};

use super::config::Activation;
use matrix::Scratch;

type Result<T> = candle_core::Result<T>;

/// The feed-forward activation on a tensor.
pub(super) fn activate(h: &Tensor, activation: Activation) -> Result<Tensor> {
    match activation {
        Activation::Relu => h.relu(),
        Activation::Swish => h.silu(),
        // Through f64: candle's f32 erf is an approximation that shifts log-probabilities by
        // ~1e-5 per token against torch; the f64 one is accurate.
        Activation::Gelu => h.to_dtype(DType::F64)?.gelu_erf()?.to_dtype(h.dtype()),
        Activation::GeluTanh => h.gelu(),
    }
}

thread_local! {
    /// Product buffers, one set per decoding thread.
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Run `f` with this thread's product buffers.
pub(super) fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH.with(|scratch| f(&mut scratch.borrow_mut()))
}
