//! The selection's twin against search's reference ([`from_dense`]): the same candidates, bit
//! for bit, on logits full of ties, under every kind of edit and both processing settings.

use super::*;
use crate::generate::candidates::from_dense;

/// A small deterministic generator.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// Logits of a few distinct levels (ties everywhere), some rows entirely −∞ but one token.
fn logits(rows: usize, vocab: usize, g: &mut Lcg) -> Vec<f32> {
    (0..rows * vocab)
        .map(|_| match g.next(9) {
            0 => f32::NEG_INFINITY,
            level => level as f32 * 0.5 - 2.0,
        })
        .collect()
}

fn edits(vocab: usize, g: &mut Lcg) -> RowEdits {
    let mut pick = |n| {
        let mut tokens: Vec<u32> = (0..g.next(n))
            .map(|_| g.next(vocab as u64) as u32)
            .collect();
        tokens.sort_unstable();
        tokens.dedup();
        tokens
    };
    let penalized = pick(6);
    let banned = pick(4);
    let forced = (g.next(7) == 0).then(|| g.next(vocab as u64) as u32);
    RowEdits {
        penalized,
        banned,
        forced,
    }
}

fn same(a: &[Candidate], b: &[Candidate]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.index == y.index && x.logprob.to_bits() == y.logprob.to_bits())
}

const SETTINGS: [Processing; 4] = [
    Processing {
        repetition_penalty: 1.0,
        renormalize: false,
    },
    Processing {
        repetition_penalty: 1.0,
        renormalize: true,
    },
    Processing {
        repetition_penalty: 1.3,
        renormalize: false,
    },
    Processing {
        repetition_penalty: 1.3,
        renormalize: true,
    },
];

/// The reference's candidates of `dense` and the twin's (the edits packed into a block sized
/// for 8 positions).
fn both(
    dense: Vec<f32>,
    vocab: usize,
    wanted: Wanted,
    processing: Processing,
) -> (Vec<Candidate>, Vec<Candidate>) {
    let rows = dense.len() / vocab;
    let (mut a, mut b) = (dense.clone(), dense);
    let (mut want, mut got) = (Vec::new(), Vec::new());
    from_dense(&mut a, vocab, wanted, processing, &mut want);
    let mut block = EditsBlock::for_batch(rows, 8, &wanted);
    block.pack(&wanted).unwrap();
    select(&mut b, vocab, &block, processing, &mut got);
    (want, got)
}

#[test]
fn greedy_picks_equal_the_reference_finished_rows_included() {
    let mut g = Lcg(7);
    for case in 0..200 {
        let (rows, vocab) = (1 + g.next(6) as usize, 1 + g.next(40) as usize);
        let row_edits: Vec<Option<RowEdits>> = (0..rows)
            .map(|_| (g.next(5) != 0).then(|| edits(vocab, &mut g)))
            .collect();
        let wanted = Wanted::Greedy { edits: &row_edits };
        let dense = logits(rows, vocab, &mut g);
        let (want, got) = both(dense, vocab, wanted, SETTINGS[case % 4]);
        assert!(same(&want, &got), "case {case}: {want:?} vs {got:?}");
    }
}

#[test]
fn beam_candidates_equal_the_reference_ties_and_edits_included() {
    let mut g = Lcg(11);
    let mut undefined = 0;
    for case in 0..300 {
        let beams = 1 + g.next(4) as usize;
        let sentences = 1 + g.next(3) as usize;
        let rows = beams * sentences;
        let vocab = 2 + g.next(30) as usize;
        let row_edits: Vec<RowEdits> = (0..rows).map(|_| edits(vocab, &mut g)).collect();
        // Running scores with ties across beams too.
        let scores: Vec<f32> = (0..rows).map(|_| -(g.next(3) as f32) * 0.5).collect();
        let wanted = Wanted::Beam {
            beams,
            edits: &row_edits,
            scores: &scores,
        };
        let dense = logits(rows, vocab, &mut g);
        let (want, got) = both(dense, vocab, wanted, SETTINGS[case % 4]);
        assert_eq!(want.len(), sentences * 2 * beams);
        if want.iter().any(|c| c.logprob.is_nan()) {
            // Every token of a row banned under renormalization: the reference's shift is
            // ln(1 − 1) and its scores NaN, ranked by no order at all. Not a real model's case.
            undefined += 1;
            continue;
        }
        assert!(same(&want, &got), "case {case}: {want:?} vs {got:?}");
    }
    assert!(undefined < 30, "{undefined} of 300 cases had NaN scores");
}

#[test]
fn the_block_reads_back_what_was_packed_and_refuses_rows_it_cannot_hold() {
    let edit = RowEdits {
        penalized: vec![3, 9],
        banned: vec![0, 1, 4],
        forced: Some(0),
    };
    let row_edits = [None, Some(edit.clone())];
    let wanted = Wanted::Greedy { edits: &row_edits };
    let mut block = EditsBlock::for_batch(2, 4, &wanted);
    // Header, 5 positions of sequence, 6 banned (4 positions + EOS + the first step's 3).
    assert_eq!(block.stride, (HEADER + 5 + 9).next_multiple_of(4));
    block.pack(&wanted).unwrap();
    assert_eq!(block.row(0).0, None);
    assert_eq!(block.row(1).0, Some(edit));
    // A later step whose edits outgrow the stride is an error, not a write past the row.
    let long = RowEdits {
        penalized: (0..40).collect(),
        ..RowEdits::default()
    };
    let row_edits = [None, Some(long)];
    let err = block
        .pack(&Wanted::Greedy { edits: &row_edits })
        .unwrap_err();
    assert!(
        matches!(err, ComputeError::EditsTooLong { need: 45, .. }),
        "{err}"
    );
    // A beam step on a greedy batch is refused.
    let beam = Wanted::Beam {
        beams: 1,
        edits: &[RowEdits::default(), RowEdits::default()],
        scores: &[0.0, 0.0],
    };
    assert!(matches!(block.pack(&beam), Err(ComputeError::WrongState)));
}
