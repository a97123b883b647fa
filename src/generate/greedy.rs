//! Greedy search, as transformers' `_sample` without sampling: argmax of the processed scores,
//! finished rows continue with the pad token.

use super::{process, GenerationConfig, Hypothesis, StepModel};
use crate::profile::{self, Span};

pub(super) fn search<M: StepModel>(
    model: &M,
    ids: &[Vec<u32>],
    mask: &[Vec<u32>],
    config: &GenerationConfig,
) -> Result<Vec<Hypothesis>, M::Error> {
    let batch = ids.len();
    let vocab = model.vocab_size();
    let mut state = model.start(ids, mask, 1)?;
    let mut hyps = vec![
        Hypothesis {
            ids: Vec::new(),
            logprob: 0.0
        };
        batch
    ];
    let mut finished = vec![false; batch];
    let mut tokens = vec![config.decoder_start_token_id; batch];
    let mut cur_len = 1;
    let mut sequence = Vec::with_capacity(config.max_length);
    let mut logits = Vec::new();
    while cur_len < config.max_length && finished.iter().any(|f| !f) {
        model.step(&mut state, &tokens, &mut logits)?;
        let _searching = profile::Timer::start(Span::Search);
        for (row, scores) in logits.chunks_mut(vocab).enumerate() {
            if finished[row] {
                tokens[row] = config.pad_token_id;
                continue;
            }
            sequence.clear();
            sequence.push(config.decoder_start_token_id);
            sequence.extend(&hyps[row].ids);
            process(scores, &sequence, config, false);
            // argmax, first index on ties (torch.argmax)
            let mut best = 0;
            for (i, &x) in scores.iter().enumerate() {
                if x > scores[best] {
                    best = i;
                }
            }
            // The log-probability of the choice under the processed scores (already
            // log-probabilities when the config renormalizes).
            // (Only the chosen value is needed: the normalizer, not a pass writing the row.)
            let logprob = if config.renormalize_logits {
                scores[best]
            } else {
                super::log_normalizer(scores)
                    .map_or(scores[best], |(max, log_sum)| scores[best] - max - log_sum)
            };
            hyps[row].ids.push(best as u32);
            hyps[row].logprob += f64::from(logprob);
            tokens[row] = best as u32;
            if best as u32 == config.eos_token_id {
                finished[row] = true;
            }
        }
        cur_len += 1;
    }
    Ok(hyps)
}
