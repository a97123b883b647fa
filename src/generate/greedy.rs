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
    // The hypothesis each row of the decoding state carries (all of them, until finished rows
    // are dropped).
    let mut slots: Vec<usize> = (0..batch).collect();
    let mut tokens = vec![config.decoder_start_token_id; batch];
    let mut cur_len = 1;
    let mut sequence = Vec::with_capacity(config.max_length);
    let mut edits: Vec<Option<RowEdits>> = vec![None; batch];
    let (mut logits, mut picks) = (Vec::new(), Vec::with_capacity(batch));
    let processing = Processing::from(config);
    while cur_len < config.max_length && finished.iter().any(|f| !f) {
        for (edit, &row) in edits.iter_mut().zip(&slots) {
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
        for ((pick, &row), token) in picks.iter().zip(&slots).zip(tokens.iter_mut()) {
            if finished[row] {
                *token = config.pad_token_id;
                continue;
            }
            let Candidate { index, logprob } = *pick;
            hyps[row].ids.push(index);
            hyps[row].logprob += f64::from(logprob);
            *token = index;
            if index == config.eos_token_id {
                finished[row] = true;
            }
        }
        cur_len += 1;
        drop_finished(
            model,
            &mut state,
            &finished,
            &mut slots,
            &mut tokens,
            &mut edits,
        )?;
    }
    Ok(hyps)
}

/// Once finished rows are half the decoding state or more, and the model can drop rows
/// without changing the others' numbers, the state keeps only the live ones: a batch's steps
/// then cost what its unfinished sentences need (transformers computes finished rows to the
/// end, on pad tokens whose results are thrown away; so do models that cannot drop rows).
fn drop_finished<M: StepModel>(
    model: &M,
    state: &mut M::State,
    finished: &[bool],
    slots: &mut Vec<usize>,
    tokens: &mut Vec<u32>,
    edits: &mut Vec<Option<RowEdits>>,
) -> Result<(), M::Error> {
    let live: Vec<u32> = (0..slots.len())
        .filter(|&s| !finished[slots[s]])
        .map(|s| s as u32)
        .collect();
    if !model.drops_rows() || live.is_empty() || 2 * live.len() > slots.len() {
        return Ok(());
    }
    model.reorder(state, &live)?;
    *slots = live.iter().map(|&s| slots[s as usize]).collect();
    *tokens = live.iter().map(|&s| tokens[s as usize]).collect();
    edits.truncate(live.len());
    Ok(())
}
