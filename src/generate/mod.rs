//! Search over an encoder-decoder: greedy and beam search with the semantics of transformers'
//! `generate` (v5): logits processors (repetition penalty, no-repeat n-grams, banned pad token,
//! minimum lengths, forced EOS at the last position, optional renormalization), float32 scores,
//! and beam search's candidate selection, finished-hypothesis bookkeeping, length penalty and
//! early-stopping heuristic.
//!
//! Search never reaches inside the model: it drives a [`StepModel`] through `start`, `step`
//! and `reorder`, so it can be tested with a fake model.

mod beam;
mod config;
mod greedy;
mod softmax;

pub use config::{GenerationConfig, SearchOverrides, SettingsError};
use softmax::{log_normalizer, log_softmax};

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

/// The logits processors transformers builds from the generation config, applied in its order
/// to one row of scores, given the row's `sequence` so far (decoder start included):
/// repetition penalty, no-repeat n-grams, banned tokens, minimum lengths, forced EOS at the last
/// position. Penalized tokens are scaled, banned ones set to -inf. With `renormalize_logits` the
/// row is then log-softmaxed; when the row already holds log-probabilities (`row_is_log_probs`,
/// beam search) and only masking happened, that renormalization only has to remove the
/// probability of the masked tokens, which is done exactly without a second pass of `exp`.
pub(crate) fn process(
    row: &mut [f32],
    sequence: &[u32],
    config: &GenerationConfig,
    row_is_log_probs: bool,
) {
    let cur_len = sequence.len();
    let new_tokens = cur_len - 1;
    let mut rescaled = false;
    if config.repetition_penalty != 1.0 {
        // Every distinct token of the sequence once, as torch's gather/scatter does.
        let mut seen: Vec<u32> = sequence.to_vec();
        seen.sort_unstable();
        seen.dedup();
        let penalty = config.repetition_penalty;
        let width = row.len();
        for t in seen.into_iter().map(|t| t as usize).filter(|&t| t < width) {
            let s = row[t];
            row[t] = if s < 0.0 { s * penalty } else { s / penalty };
        }
        rescaled = true;
    }
    let mut masked = Vec::with_capacity(config.banned_tokens.len() + 1);
    let n = config.no_repeat_ngram_size;
    if n > 0 && cur_len >= n {
        // Every earlier n-gram whose first n-1 tokens equal the last n-1 bans its last token.
        let prefix = &sequence[cur_len + 1 - n..];
        for start in 0..=cur_len - n {
            if sequence[start..start + n - 1] == *prefix {
                masked.push(sequence[start + n - 1] as usize);
            }
        }
    }
    if cur_len < config.min_length || config.min_new_tokens.is_some_and(|m| new_tokens < m) {
        masked.push(config.eos_token_id as usize);
    }
    masked.extend(config.banned_tokens.iter().map(|&b| b as usize));
    masked.retain(|&m| m < row.len());
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
    if row_is_log_probs && !rescaled {
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
