//! Search over an encoder-decoder: greedy and beam search with the semantics of transformers'
//! `generate` (v5): logits processors (repetition penalty, no-repeat n-grams, banned pad token,
//! minimum lengths, forced EOS at the last position, optional renormalization), float32 scores,
//! and beam search's candidate selection, finished-hypothesis bookkeeping, length penalty and
//! early-stopping heuristic.
//!
//! Search never reaches inside the model: it drives a [`StepModel`] through `start`,
//! `step_candidates` and `reorder`, so it can be tested with a fake model. A step answers with
//! candidates (greedy's pick, beam search's top 2·k), the logits processors passed to it as
//! sparse per-row edits ([`candidates`]), so that a GPU can keep the logits on the device.

mod beam;
pub mod candidates;
mod config;
mod greedy;
mod softmax;

pub use candidates::{Candidate, Processing, RowEdits, Wanted};
pub use config::{GenerationConfig, SearchOverrides, SettingsError};
use softmax::log_softmax;

use crate::profile::{self, Span};

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
    /// Feed one token per row; `logits` is replaced by the logits, rows × vocab, row-major.
    /// (The caller keeps one buffer for the whole search: a fresh one per step means fresh
    /// pages — megabytes the kernel zeroes at every step.)
    fn step(
        &self,
        state: &mut Self::State,
        tokens: &[u32],
        logits: &mut Vec<f32>,
    ) -> Result<(), Self::Error>;
    /// Feed one token per row and answer what search `wanted` of this step (see
    /// [`candidates`]); `out` is replaced by the candidates. The default computes the dense
    /// logits with [`StepModel::step`] into `scratch` and picks on the host
    /// ([`candidates::from_dense`], the reference); a backend that can pick where it computed
    /// the logits answers on its own, with the same candidates.
    fn step_candidates(
        &self,
        state: &mut Self::State,
        tokens: &[u32],
        wanted: Wanted,
        processing: Processing,
        scratch: &mut Vec<f32>,
        out: &mut Vec<Candidate>,
    ) -> Result<(), Self::Error> {
        self.step(state, tokens, scratch)?;
        let _searching = profile::Timer::start(Span::Search);
        candidates::from_dense(scratch, self.vocab_size(), wanted, processing, out);
        Ok(())
    }
    /// Keep rows `rows` of the state, in that order.
    fn reorder(&self, state: &mut Self::State, rows: &[u32]) -> Result<(), Self::Error>;
    /// Whether `reorder` may keep fewer rows than the state has, dropping finished ones, with
    /// every other row's numbers unchanged: greedy search then stops computing finished rows.
    fn drops_rows(&self) -> bool {
        false
    }
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

/// One step of a forced target (see [`teacher_force`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ForcedStep {
    /// Log-probability of the target token (plain log-softmax of the logits, no processors).
    pub logprob: f32,
    /// The model's own best token at this step (first index on ties).
    pub top: u32,
}

/// Teacher forcing: feed each row the decoder start and then its `targets`, and report for
/// every target token its log-probability and the model's own top choice at that step. Rows
/// whose target is shorter are fed `pad` once it ends (nothing is reported for them).
pub fn teacher_force<M: StepModel>(
    model: &M,
    ids: &[Vec<u32>],
    mask: &[Vec<u32>],
    targets: &[Vec<u32>],
    decoder_start: u32,
    pad: u32,
) -> Result<Vec<Vec<ForcedStep>>, M::Error> {
    let mut out: Vec<Vec<ForcedStep>> = targets
        .iter()
        .map(|t| Vec::with_capacity(t.len()))
        .collect();
    teacher_force_each(
        model,
        ids,
        mask,
        targets,
        decoder_start,
        pad,
        &mut |row, step, scores| {
            let mut top = 0;
            for (i, &x) in scores.iter().enumerate() {
                if x > scores[top] {
                    top = i;
                }
            }
            let target = targets[row][step];
            out[row].push(ForcedStep {
                logprob: scores.get(target as usize).copied().unwrap_or(f32::NAN),
                top: top as u32,
            });
        },
    )?;
    Ok(out)
}

/// Teacher forcing as [`teacher_force`], handing `each(row, step, log_probs)` the whole
/// vocabulary's log-probabilities (plain log-softmax of the logits, no processors) at every
/// target position: what the teacher-forced parity tests compare with transformers.
pub fn teacher_force_each<M: StepModel>(
    model: &M,
    ids: &[Vec<u32>],
    mask: &[Vec<u32>],
    targets: &[Vec<u32>],
    decoder_start: u32,
    pad: u32,
    each: &mut dyn FnMut(usize, usize, &[f32]),
) -> Result<(), M::Error> {
    let vocab = model.vocab_size();
    let mut state = model.start(ids, mask, 1)?;
    let steps = targets.iter().map(Vec::len).max().unwrap_or(0);
    let mut tokens = vec![decoder_start; targets.len()];
    let mut logits = Vec::new();
    for step in 0..steps {
        model.step(&mut state, &tokens, &mut logits)?;
        for (row, scores) in logits.chunks_mut(vocab).enumerate() {
            let Some(&target) = targets[row].get(step) else {
                tokens[row] = pad;
                continue;
            };
            log_softmax(scores);
            each(row, step, scores);
            tokens[row] = target;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
