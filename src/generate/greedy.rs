//! Greedy search, as transformers' `_sample` without sampling: argmax of the processed scores,
//! finished rows continue with the pad token.

use super::{Candidate, GenerationConfig, Hypothesis, Processing, RowEdits, StepModel, Wanted};

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
    let mut edits: Vec<Option<RowEdits>> = vec![None; batch];
    let (mut logits, mut picks) = (Vec::new(), Vec::with_capacity(batch));
    let processing = Processing::from(config);
    while cur_len < config.max_length && finished.iter().any(|f| !f) {
        for (row, edit) in edits.iter_mut().enumerate() {
            *edit = (!finished[row]).then(|| {
                sequence.clear();
                sequence.push(config.decoder_start_token_id);
                sequence.extend(&hyps[row].ids);
                RowEdits::for_sequence(&sequence, config, vocab)
            });
        }
        let wanted = Wanted::Greedy { edits: &edits };
        model.step_candidates(
            &mut state,
            &tokens,
            wanted,
            processing,
            &mut logits,
            &mut picks,
        )?;
        for (row, pick) in picks.iter().enumerate() {
            if finished[row] {
                tokens[row] = config.pad_token_id;
                continue;
            }
            let Candidate { index, logprob } = *pick;
            hyps[row].ids.push(index);
            hyps[row].logprob += f64::from(logprob);
            tokens[row] = index;
            if index == config.eos_token_id {
                finished[row] = true;
            }
        }
        cur_len += 1;
    }
    Ok(hyps)
}
