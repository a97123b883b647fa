//! Search over an encoder-decoder: greedy and beam search with the semantics of transformers'
//! `generate` (v5): logits processors (banned pad token, minimum lengths, forced EOS at the last
//! position, optional renormalization), float32 scores, and beam search's candidate selection,
//! finished-hypothesis bookkeeping, length penalty and early-stopping heuristic.
//!
//! Search never reaches inside the model: it drives a [`StepModel`] through `start`, `step`
//! and `reorder`, so it can be tested with a fake model.

mod beam;
mod config;
mod greedy;

pub use config::GenerationConfig;

/// What search needs from a model: one decoder step over rows of a batch at a time.
pub trait StepModel {
    type State;
    type Error;
    /// Encode padded source rows and start decoding with `rows_per_sentence` rows each.
    fn start(
        &self,
        ids: &[Vec<u32>],
        mask: &[Vec<u32>],
        rows_per_sentence: usize,
    ) -> Result<Self::State, Self::Error>;
    /// Feed one token per row; returns the logits, rows × vocab, row-major.
    fn step(&self, state: &mut Self::State, tokens: &[u32]) -> Result<Vec<f32>, Self::Error>;
    /// Keep rows `rows` of the state, in that order.
    fn reorder(&self, state: &mut Self::State, rows: &[u32]) -> Result<(), Self::Error>;
    fn vocab_size(&self) -> usize;
}

/// One generated sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct Hypothesis {
    /// Generated ids after the decoder start, EOS included when generated.
    pub ids: Vec<u32>,
    /// Sum of the log-probabilities of `ids` as the search scored them (summed in f64).
    pub logprob: f64,
}

/// Translate a batch of padded sources.
pub fn generate<M: StepModel>(
    model: &M,
    ids: &[Vec<u32>],
    mask: &[Vec<u32>],
    config: &GenerationConfig,
) -> Result<Vec<Hypothesis>, M::Error> {
    if config.num_beams <= 1 {
        greedy::search(model, ids, mask, config)
    } else {
        beam::search(model, ids, mask, config)
    }
}

/// `log_softmax` of one row, in f32 as torch computes it (max-shifted, log of the sum of exps).
pub(crate) fn log_softmax(row: &mut [f32]) {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if max == f32::NEG_INFINITY {
        return;
    }
    // The sum of ~60,000 terms is accumulated in f64: a plain f32 sum drifts by ~1e-5, while
    // torch's vectorized sum stays within ~1e-6 of the exact value.
    let sum: f64 = row.iter().map(|&x| f64::from((x - max).exp())).sum();
    let log_sum = sum.ln() as f32;
    for x in row.iter_mut() {
        *x = *x - max - log_sum;
    }
}

/// The logits processors transformers builds from the generation config, applied to one row of
/// scores when `cur_len` tokens (decoder start included) exist: minimum lengths and banned
/// tokens set scores to -inf, the forced EOS keeps only EOS at the last position. With
/// `renormalize_logits` the row is then log-softmaxed; when the row already holds
/// log-probabilities (`row_is_log_probs`, beam search), that renormalization only has to remove
/// the probability of the masked tokens, which is done exactly without a second pass of `exp`.
pub(crate) fn process(
    row: &mut [f32],
    cur_len: usize,
    config: &GenerationConfig,
    row_is_log_probs: bool,
) {
    let new_tokens = cur_len - 1;
    let mut masked = Vec::with_capacity(config.banned_tokens.len() + 1);
    if cur_len < config.min_length || config.min_new_tokens.is_some_and(|m| new_tokens < m) {
        masked.push(config.eos_token_id as usize);
    }
    masked.extend(
        config
            .banned_tokens
            .iter()
            .map(|&b| b as usize)
            .filter(|&b| b < row.len()),
    );
    masked.sort_unstable();
    masked.dedup();
    let forced = config
        .forced_eos_token_id
        .filter(|_| cur_len == config.max_length - 1);
    if let Some(eos) = forced {
        row.fill(f32::NEG_INFINITY);
        row[eos as usize] = 0.0;
        return; // already normalized: a single token with log-probability 0
    }
    if !config.renormalize_logits {
        for &m in &masked {
            row[m] = f32::NEG_INFINITY;
        }
        return;
    }
    if row_is_log_probs {
        let removed: f64 = masked.iter().map(|&m| f64::from(row[m]).exp()).sum();
        for &m in &masked {
            row[m] = f32::NEG_INFINITY;
        }
        if removed > 0.0 {
            let shift = (-removed).ln_1p() as f32;
            for x in row.iter_mut() {
                *x -= shift;
            }
        }
    } else {
        for &m in &masked {
            row[m] = f32::NEG_INFINITY;
        }
        log_softmax(row);
    }
}

#[cfg(test)]
mod tests;
