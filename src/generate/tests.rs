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
    fn step(&self, state: &mut Vec<u32>, tokens: &[u32], logits: &mut Vec<f32>) -> Result<(), ()> {
        *state = tokens.to_vec();
        *logits = tokens
            .iter()
            .flat_map(|&t| (self.next)(t).map(f32::ln))
            .collect();
        Ok(())
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
        repetition_penalty: 1.0,
        no_repeat_ngram_size: 0,
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

const MODEL_JSON: &str =
    r#"{"eos_token_id": 0, "pad_token_id": 5, "decoder_start_token_id": 5, "max_length": 512}"#;

#[test]
fn unsupported_generation_options_are_refused_by_name() {
    for (json, name) in [
        (r#"{"do_sample": true}"#, "do_sample"),
        (
            r#"{"num_beam_groups": 2, "diversity_penalty": 0.5}"#,
            "num_beam_groups",
        ),
        (r#"{"num_return_sequences": 3}"#, "num_return_sequences"),
        (r#"{"suppress_tokens": [4]}"#, "suppress_tokens"),
        (
            r#"{"encoder_no_repeat_ngram_size": 3}"#,
            "encoder_no_repeat_ngram_size",
        ),
    ] {
        let err = GenerationConfig::from_json(Some(json), MODEL_JSON).unwrap_err();
        assert!(err.to_string().contains(name), "{json}: {err}");
    }
    // Left off, the same options are accepted; sampling-only knobs without do_sample are inert
    // in transformers too.
    let off = r#"{"do_sample": false, "num_beam_groups": 1, "suppress_tokens": null, "top_k": 50}"#;
    GenerationConfig::from_json(Some(off), MODEL_JSON).unwrap();
    // config.json is checked as well (older checkpoints keep generation settings there).
    let err = GenerationConfig::from_json(
        None,
        r#"{"eos_token_id": 0, "pad_token_id": 5, "do_sample": true}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("do_sample"), "{err}");
}

#[test]
fn repetition_options_are_read() {
    let c = GenerationConfig::from_json(
        Some(r#"{"no_repeat_ngram_size": 3, "repetition_penalty": 1.2}"#),
        MODEL_JSON,
    )
    .unwrap();
    assert_eq!((c.no_repeat_ngram_size, c.repetition_penalty), (3, 1.2));
}

#[test]
fn ids_out_of_range_and_empty_lengths_are_refused() {
    let base = GenerationConfig::from_json(None, MODEL_JSON).unwrap();
    for (field, edit) in [
        (
            "eos_token_id",
            (|c: &mut GenerationConfig| c.eos_token_id = 6) as fn(&mut GenerationConfig),
        ),
        ("pad_token_id", |c| c.pad_token_id = 60),
        ("decoder_start_token_id", |c| {
            c.decoder_start_token_id = u32::MAX
        }),
        ("forced_eos_token_id", |c| c.forced_eos_token_id = Some(6)),
        ("bad_words_ids", |c| c.banned_tokens = vec![9]),
        ("num_beams", |c| c.num_beams = 0),
        ("num_beams", |c| c.num_beams = 7),
        ("max_length", |c| c.max_length = 1),
        ("max_length", |c| c.max_length = 0),
        ("length_penalty", |c| c.length_penalty = f32::NAN),
        ("repetition_penalty", |c| c.repetition_penalty = 0.0),
        ("repetition_penalty", |c| {
            c.repetition_penalty = f32::INFINITY
        }),
    ] {
        let mut c = base.clone();
        edit(&mut c);
        let err = c.validate(6, 128).unwrap_err();
        assert!(err.to_string().contains(field), "{field}: {err}");
        // The typed error names the field it refuses.
        match &err {
            SettingsError::Invalid { field: f, .. } => assert_eq!(*f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    // An id of 2^40 in the JSON is not silently truncated to 32 bits.
    let err = GenerationConfig::from_json(
        Some(r#"{"eos_token_id": 1099511627776}"#),
        r#"{"pad_token_id": 5}"#,
    )
    .unwrap_err();
    assert_eq!(err, SettingsError::Missing("eos_token_id"));
}

#[test]
fn max_length_beyond_the_positions_is_clamped_with_a_note() {
    let mut c = GenerationConfig::from_json(None, MODEL_JSON).unwrap();
    assert_eq!(c.max_length, 512);
    let notes = c.validate(6, 128).unwrap();
    assert_eq!(c.max_length, 129);
    assert!(notes[0].contains("128 positions"), "{notes:?}");
    let mut c = GenerationConfig::from_json(None, MODEL_JSON).unwrap();
    c.set_max_new_tokens(20);
    assert!(c.validate(6, 128).unwrap().is_empty());
    assert_eq!(c.max_length, 21);
}

/// A model whose scores favour repeating token 2 forever (EOS is token 0, never likely).
struct Looping;

impl StepModel for Looping {
    type State = ();
    type Error = ();
    fn start(&self, ids: &[Vec<u32>], _: &[Vec<u32>], per: usize) -> Result<(), ()> {
        assert_eq!(ids.len() * per, per);
        Ok(())
    }
    fn step(&self, _: &mut (), tokens: &[u32], logits: &mut Vec<f32>) -> Result<(), ()> {
        *logits = tokens
            .iter()
            .flat_map(|_| [-5.0, -9.0, 3.0, 2.0, 1.0, -9.0])
            .collect();
        Ok(())
    }
    fn reorder(&self, _: &mut (), _: &[u32]) -> Result<(), ()> {
        Ok(())
    }
    fn vocab_size(&self) -> usize {
        6
    }
}

#[test]
fn no_repeat_ngram_and_repetition_penalty_change_a_loop() {
    let mut c = GenerationConfig::from_json(None, MODEL_JSON).unwrap();
    c.set_max_new_tokens(6);
    c.banned_tokens = vec![5];
    c.forced_eos_token_id = None;
    let run = |c: &GenerationConfig| {
        super::generate(&Looping, &[vec![1, 0]], &[vec![1, 1]], c).unwrap()[0]
            .ids
            .clone()
    };
    assert_eq!(run(&c), [2, 2, 2, 2, 2, 2]);
    c.no_repeat_ngram_size = 1; // no token twice: 2, 3, 4, then only EOS (0) and 1 remain
    assert_eq!(run(&c), [2, 3, 4, 0]);
    c.no_repeat_ngram_size = 2; // no bigram twice
    assert_eq!(run(&c), [2, 2, 3, 2, 4, 2]);
    c.no_repeat_ngram_size = 0;
    // Seen tokens' positive scores are divided by 4, once each however often they occur:
    // 2 → 0.75 loses to 3 (2.0), then to 4 (1.0), then wins again over 3 (0.5) and 4 (0.25).
    c.repetition_penalty = 4.0;
    assert_eq!(run(&c), [2, 3, 4, 2, 2, 2]);
}

/// A fake model whose row for source `[k]` says word 2 for k steps, then EOS; it records how
/// many rows each step computed, and can drop rows when `drops` is set.
struct Counting {
    drops: bool,
    rows_per_step: std::cell::RefCell<Vec<usize>>,
}

impl StepModel for Counting {
    /// Per row: (its source's k, steps it has taken).
    type State = Vec<(u32, u32)>;
    type Error = ();
    fn start(&self, ids: &[Vec<u32>], _: &[Vec<u32>], per: usize) -> Result<Self::State, ()> {
        let rows = ids.iter().flat_map(|s| std::iter::repeat_n((s[0], 0), per));
        Ok(rows.collect())
    }
    fn step(
        &self,
        state: &mut Self::State,
        tokens: &[u32],
        logits: &mut Vec<f32>,
    ) -> Result<(), ()> {
        assert_eq!(tokens.len(), state.len(), "one token a row of the state");
        self.rows_per_step.borrow_mut().push(state.len());
        logits.clear();
        for (k, taken) in state.iter_mut() {
            let word = if *taken < *k {
                [0.1, 1e-9, 0.8, 0.1]
            } else {
                [0.8, 1e-9, 0.1, 0.1]
            };
            logits.extend(word.map(f32::ln));
            *taken += 1;
        }
        Ok(())
    }
    fn reorder(&self, state: &mut Self::State, rows: &[u32]) -> Result<(), ()> {
        *state = rows.iter().map(|&r| state[r as usize]).collect();
        Ok(())
    }
    fn drops_rows(&self) -> bool {
        self.drops
    }
    fn vocab_size(&self) -> usize {
        4
    }
}

#[test]
fn greedy_drops_finished_rows_once_they_are_half_the_state_and_nothing_else_changes() {
    // Sources asking 1, 5, 2 and 3 words: EOS at steps 2, 6, 3 and 4. After step 3 two rows
    // of four are live (dropped to 2), after step 4 one of two (dropped to 1).
    let sources = [vec![1], vec![5], vec![2], vec![3]];
    let mask = vec![vec![1]; 4];
    let run = |drops| {
        let model = Counting {
            drops,
            rows_per_step: Default::default(),
        };
        let out = generate(&model, &sources, &mask, &config(1, 8)).unwrap();
        let rows = model.rows_per_step.into_inner();
        (out, rows)
    };
    let (kept, all_rows) = run(false);
    let (dropped, fewer_rows) = run(true);
    assert_eq!(all_rows, [4, 4, 4, 4, 4, 4]);
    assert_eq!(fewer_rows, [4, 4, 4, 2, 1, 1]);
    assert_eq!(kept, dropped);
    let words: Vec<Vec<u32>> = dropped.iter().map(|h| h.ids.clone()).collect();
    assert_eq!(
        words,
        [
            vec![2, 0],
            vec![2, 2, 2, 2, 2, 0],
            vec![2, 2, 0],
            vec![2, 2, 2, 0]
        ]
    );
}

#[test]
fn beam_search_drops_sentences_that_cannot_improve_and_nothing_else_changes() {
    // Sentences asking 1, 6, 2 and 1 words, 3 beams each: the short ones settle early.
    let sources = [vec![1], vec![6], vec![2], vec![1]];
    let mask = vec![vec![1]; 4];
    let run = |drops| {
        let model = Counting {
            drops,
            rows_per_step: Default::default(),
        };
        let mut cfg = config(3, 9);
        cfg.forced_eos_token_id = None;
        let out = generate(&model, &sources, &mask, &cfg).unwrap();
        (out, model.rows_per_step.into_inner())
    };
    let (kept, all_rows) = run(false);
    let (dropped, fewer_rows) = run(true);
    assert_eq!(kept, dropped);
    assert!(all_rows.iter().all(|&r| r == 12), "{all_rows:?}");
    // Whole sentences leave (3 rows each), never to come back, and the search does not run
    // longer for it.
    assert!(fewer_rows
        .windows(2)
        .all(|w| w[1] <= w[0] && (w[0] - w[1]) % 3 == 0));
    assert!(fewer_rows.last() < Some(&12), "{fewer_rows:?}");
    assert_eq!(fewer_rows.len(), all_rows.len());
    assert_eq!(dropped[1].ids, [2, 2, 2, 2, 2, 2, 0]);
}
