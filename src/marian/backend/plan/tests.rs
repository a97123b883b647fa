//! The plan engine against the host step it must equal: the same logits, bit for bit, at every
//! step of greedy and beam decoding on the tiny checkpoints, one plan replayed for every step
//! with only the control block written.

use candle_core::Device;

use crate::marian::{load_model, read_config, DecoderState, MarianModel, Precision};

fn model(name: &str) -> MarianModel {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("models/test")
        .join(name);
    let config = read_config(&dir.join("config.json")).unwrap();
    load_model(
        &config,
        &dir.join("model.safetensors"),
        &Device::Cpu,
        Precision::F32,
    )
    .unwrap()
}

/// Two sentences of different lengths, padded as the tokenizer pads.
fn batch() -> (Vec<Vec<u32>>, Vec<Vec<u32>>) {
    let ids = vec![vec![37, 1204, 9, 3021, 0], vec![5, 88, 0, 59513, 59513]];
    let mask = vec![vec![1, 1, 1, 1, 1], vec![1, 1, 1, 0, 0]];
    (ids, mask)
}

/// Decode `steps` steps on both models feeding each row its argmax (beam j of a sentence: the
/// j-th token after it), reordering beams by a fixed rotation after every step; every step's
/// logits must be the same bits.
fn compare(name: &str, beams: usize, steps: usize) {
    let host = model(name);
    let mut planned = model(name);
    planned.use_plan_engine(steps + 1).unwrap();
    let (ids, mask) = batch();
    let start = |m: &MarianModel| -> DecoderState {
        let encoded = m.encode(&ids, &mask).unwrap();
        m.start(&encoded, beams).unwrap()
    };
    let (mut a, mut b) = (start(&host), start(&planned));
    assert!(a.plan_state().is_none() && b.plan_state().is_some());
    let rows = ids.len() * beams;
    let vocab = host.target_vocab_size();
    let mut tokens = vec![host.config().decoder_start_token_id; rows];
    let (mut la, mut lb) = (Vec::new(), Vec::new());
    for step in 0..steps {
        host.step(&mut a, &tokens, &mut la).unwrap();
        planned.step(&mut b, &tokens, &mut lb).unwrap();
        assert_eq!(la.len(), lb.len());
        let differ = la
            .iter()
            .zip(&lb)
            .filter(|(x, y)| x.to_bits() != y.to_bits())
            .count();
        assert_eq!(
            differ, 0,
            "{name}, beams {beams}, step {step}: {differ} logits differ"
        );
        for (row, scores) in la.chunks(vocab).enumerate() {
            let best = (0..vocab).fold(0, |b, i| if scores[i] > scores[b] { i } else { b });
            // Beams of a sentence fed different tokens, so that their histories differ and a
            // wrong reorder shows.
            tokens[row] = ((best + row % beams) % vocab) as u32;
        }
        if beams > 1 {
            // Each sentence's beams rotated: row j of a sentence continues row j+1.
            let order: Vec<u32> = (0..rows)
                .map(|r| ((r / beams) * beams + (r % beams + 1) % beams) as u32)
                .collect();
            host.reorder(&mut a, &order).unwrap();
            planned.reorder(&mut b, &order).unwrap();
            tokens = order.iter().map(|&r| tokens[r as usize]).collect();
        }
    }
}

#[test]
fn the_plan_gives_the_host_steps_logits_bit_for_bit() {
    for name in [
        "tiny-fr-en-swish",
        "tiny-fr-en-varied",
        "tiny-fr-en-gelu-separate",
        "tiny-tc-big-relu",
    ] {
        compare(name, 1, 6);
        compare(name, 3, 6);
    }
}

#[test]
fn one_plan_is_replayed_for_every_step_and_only_the_control_block_changes() {
    let mut planned = model("tiny-fr-en-swish");
    planned.use_plan_engine(8).unwrap();
    let (ids, mask) = batch();
    let encoded = planned.encode(&ids, &mask).unwrap();
    let mut state = planned.start(&encoded, 2).unwrap();
    let (plan, buffers) = {
        let s = state.plan_state().unwrap();
        let pointers: Vec<*const f32> = s.arena.buffers.iter().map(|b| b.as_ptr()).collect();
        (s.plan.clone(), pointers)
    };
    let mut logits = Vec::new();
    for step in 0..8u32 {
        let tokens = vec![(step * 7 + 3) % 100; 4];
        planned.step(&mut state, &tokens, &mut logits).unwrap();
        planned.reorder(&mut state, &[1, 0, 3, 2]).unwrap();
        let s = state.plan_state().unwrap();
        // The same kernels and sizes, and the same buffers: nothing allocated, nothing resized.
        assert_eq!(s.plan, plan);
        let now: Vec<*const f32> = s.arena.buffers.iter().map(|b| b.as_ptr()).collect();
        assert_eq!(now, buffers, "step {step} moved a buffer");
    }
    // Past the plan's target length: refused, not written out of bounds.
    let err = planned.step(&mut state, &[3; 4], &mut logits).unwrap_err();
    assert!(err.to_string().contains("longer than"), "{err}");
}

#[test]
fn a_layer_is_thirteen_kernels_and_the_output_projection_one() {
    let mut planned = model("tiny-fr-en-varied");
    planned.use_plan_engine(4).unwrap();
    let (ids, mask) = batch();
    let encoded = planned.encode(&ids, &mask).unwrap();
    let state = planned.start(&encoded, 1).unwrap();
    let plan = &state.plan_state().unwrap().plan;
    let layers = planned.config().decoder_layers;
    assert_eq!(plan.step.len(), 1 + 13 * layers + 1);
    assert_eq!(plan.start.len(), layers);
}

/// Rows dropped part-way (search dropping finished sentences): the plan is built again for
/// the rows kept, and every kept row's logits stay the bits it had in the full batch, on the
/// plan and on the host, with beams reordered before and after.
#[test]
fn dropping_rows_keeps_every_other_rows_bits() {
    for name in ["tiny-fr-en-swish", "tiny-fr-en-varied"] {
        let host = model(name);
        let mut planned = model(name);
        planned.use_plan_engine(8).unwrap();
        assert!(host.drops_rows() && planned.drops_rows());
        let (ids, mask) = batch();
        let vocab = host.target_vocab_size();
        let start = |m: &MarianModel| m.start(&m.encode(&ids, &mask).unwrap(), 2).unwrap();
        let (mut full, mut h, mut p) = (start(&host), start(&host), start(&planned));
        let (mut lf, mut lh, mut lp) = (Vec::new(), Vec::new(), Vec::new());
        // Rows 0-1 are sentence 0's beams, 2-3 sentence 1's.
        let mut kept: Vec<usize> = (0..4).collect();
        for step in 0..6u32 {
            let tokens: Vec<u32> = (0..4).map(|r| (step * 11 + r * 5 + 3) % 90).collect();
            let fed: Vec<u32> = kept.iter().map(|&r| tokens[r]).collect();
            host.step(&mut full, &tokens, &mut lf).unwrap();
            host.step(&mut h, &fed, &mut lh).unwrap();
            planned.step(&mut p, &fed, &mut lp).unwrap();
            for (i, &r) in kept.iter().enumerate() {
                let want = &lf[r * vocab..][..vocab];
                assert!(
                    want.iter()
                        .zip(&lh[i * vocab..])
                        .all(|(a, b)| a.to_bits() == b.to_bits()),
                    "{name} step {step}: host row {r} changed"
                );
                assert!(
                    want.iter()
                        .zip(&lp[i * vocab..])
                        .all(|(a, b)| a.to_bits() == b.to_bits()),
                    "{name} step {step}: plan row {r} changed"
                );
            }
            // The full batch's beams swapped, the others' rows reversed at every step (their
            // histories move: the caches are read through the ancestry); after step 2 two of
            // their four rows kept, after step 4 one of two.
            host.reorder(&mut full, &[1, 0, 3, 2]).unwrap();
            kept = kept.iter().map(|&r| [1, 0, 3, 2][r]).collect();
            let reversed: Vec<u32> = (0..kept.len() as u32).rev().collect();
            let order = match step {
                2 => vec![reversed[0], reversed[3]],
                4 => vec![reversed[1]],
                _ => reversed,
            };
            kept = order.iter().map(|&i| kept[i as usize]).collect();
            host.reorder(&mut h, &order).unwrap();
            planned.reorder(&mut p, &order).unwrap();
            assert_eq!(p.plan_state().unwrap().plan.shape.rows, kept.len());
        }
    }
}
