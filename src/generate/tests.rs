//! Search tested on a fake model whose scores are known, so the expected outputs are worked
//! out by hand from the search rules rather than taken from the code.

use super::*;

/// A fake model over a vocabulary of 4 tokens: 0 = EOS, 1 = pad/start, 2 and 3 = words.
/// Its logits depend only on the previous token of the row: a table of log-probabilities.
struct Table {
    next: fn(u32) -> [f32; 4],
}

impl StepModel for Table {
    type State = Vec<u32>;
    type Error = ();
    fn start(&self, ids: &[Vec<u32>], _mask: &[Vec<u32>], per: usize) -> Result<Vec<u32>, ()> {
        Ok(vec![1; ids.len() * per])
    }
    fn step(&self, state: &mut Vec<u32>, tokens: &[u32]) -> Result<Vec<f32>, ()> {
        *state = tokens.to_vec();
        Ok(tokens
            .iter()
            .flat_map(|&t| (self.next)(t).map(f32::ln))
            .collect())
    }
    fn reorder(&self, _state: &mut Vec<u32>, _rows: &[u32]) -> Result<(), ()> {
        Ok(())
    }
    fn vocab_size(&self) -> usize {
        4
    }
}

fn config(beams: usize, max_new: usize) -> GenerationConfig {
    GenerationConfig {
        num_beams: beams,
        max_length: max_new + 1,
        min_length: 0,
        min_new_tokens: None,
        length_penalty: 1.0,
        early_stopping: false,
        eos_token_id: 0,
        pad_token_id: 1,
        decoder_start_token_id: 1,
        forced_eos_token_id: Some(0),
        banned_tokens: vec![1],
        renormalize_logits: true,
    }
}

/// After the start: word 2 (0.6) or word 3 (0.4); after 2: EOS 0.3, 2 again 0.7;
/// after 3: EOS 0.9. Greedy follows 2, 2, 2…; the best complete sentence is "3 EOS" (0.36)
/// against "2 EOS" (0.18).
fn garden_path(prev: u32) -> [f32; 4] {
    match prev {
        1 => [1e-9, 1e-9, 0.6, 0.4],
        2 => [0.3, 1e-9, 0.7, 1e-9],
        _ => [0.9, 1e-9, 1e-9, 0.1],
    }
}

#[test]
fn greedy_follows_the_local_best_and_is_forced_to_stop() {
    let model = Table { next: garden_path };
    let out = generate(&model, &[vec![5]], &[vec![1]], &config(1, 4)).unwrap();
    // 2, 2, 2, then EOS forced at the last position.
    assert_eq!(out[0].ids, vec![2, 2, 2, 0]);
}

#[test]
fn beam_search_finds_the_better_complete_sentence() {
    // Without length normalization or a free forced EOS, "3 EOS" (log 0.36) beats every
    // continuation of "2 …" (log 0.6 + n·log 0.7 + …).
    let model = Table { next: garden_path };
    let mut cfg = config(2, 4);
    cfg.length_penalty = 0.0;
    cfg.forced_eos_token_id = None;
    let out = generate(&model, &[vec![5]], &[vec![1]], &cfg).unwrap();
    assert_eq!(out[0].ids, vec![3, 0]);
    // log(0.4) + log(0.9), renormalized over the allowed tokens
    let expected = (0.4f64 / (1.0 - 1e-9)).ln() + (0.9f64 / (1.0 - 1e-9)).ln();
    assert!(
        (out[0].logprob - expected).abs() < 1e-4,
        "{}",
        out[0].logprob
    );
}

#[test]
fn length_normalization_and_forced_eos_favour_the_long_hypothesis() {
    // transformers' semantics: the EOS forced at the last position costs nothing, and scores
    // are divided by the length, so "2 2 2 EOS" (log(0.6·0.7·0.7)/4 ≈ -0.31) beats "3 EOS"
    // (log 0.36 / 2 ≈ -0.51).
    let model = Table { next: garden_path };
    let out = generate(&model, &[vec![5]], &[vec![1]], &config(2, 4)).unwrap();
    assert_eq!(out[0].ids, vec![2, 2, 2, 0]);
}

#[test]
fn batched_sentences_are_independent() {
    let model = Table { next: garden_path };
    let out = generate(
        &model,
        &[vec![5], vec![6]],
        &[vec![1], vec![1]],
        &config(2, 4),
    )
    .unwrap();
    assert_eq!(out[0], out[1]);
}

#[test]
fn min_new_tokens_delays_eos() {
    let model = Table { next: garden_path };
    let mut cfg = config(2, 6);
    cfg.min_new_tokens = Some(3);
    let out = generate(&model, &[vec![5]], &[vec![1]], &cfg).unwrap();
    assert!(out[0].ids.len() >= 4, "{:?}", out[0].ids);
    assert_eq!(out[0].ids.last(), Some(&0));
}
