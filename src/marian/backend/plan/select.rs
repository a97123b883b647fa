//! Search's pick made where the logits are: a step's candidates (greedy's one token a row, beam
//! search's top 2·k a sentence, see [`crate::generate::candidates`]) computed from the plan's
//! logits buffer and an edits block, so that on a device the dense logits never leave it. This
//! module owns the edits block's layout (search's sparse [`RowEdits`] and beam search's running
//! scores, a fixed stride a row, sized once a batch: the buffer never moves), the CPU twin of the
//! selection kernels of `kernels.cu` (`select_greedy`, `select_beam_rows`, `select_beam_merge`),
//! and the reading of their output.
//!
//! The twin runs search's own arithmetic on each row ([`greedy_pick`], [`process_beam_row`]) and
//! picks in the device's two stages — each row's best k, then each sentence's best k of its
//! rows' lists — under one total order (accumulated score descending, flat index ascending on
//! equal scores), so its candidates are exactly [`from_dense`]'s (tested below).
//!
//! [`from_dense`]: crate::generate::candidates::from_dense

use crate::generate::candidates::{greedy_pick, process_beam_row, TopK};
use crate::generate::{Candidate, Processing, RowEdits, Wanted};
use crate::marian::error::ComputeError;

/// Words at the head of each row's edits: whether the row is searched (greedy's finished rows
/// are not), how many penalized and banned tokens follow, the forced token ([`NO_TOKEN`] for
/// none), the running score's bits (beam search). Then the penalized tokens, then the banned.
pub const HEADER: usize = 5;
const LIVE: usize = 0;
const PENALIZED: usize = 1;
const BANNED: usize = 2;
const FORCED: usize = 3;
const SCORE: usize = 4;
/// "No token" in the edits and in the kernels' output.
pub const NO_TOKEN: u32 = u32::MAX;
/// The most candidates a row the device kernels keep in registers (2·beams: 16 beams); beam
/// searches wider than that pick on the host from the dense logits.
pub const MAX_DEVICE_K: usize = 32;

/// What a batch's selections are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Greedy,
    /// Beam search over sentences of `beams` consecutive rows.
    Beam {
        beams: usize,
    },
}

impl Mode {
    pub fn of(wanted: &Wanted) -> Self {
        match *wanted {
            Wanted::Greedy { .. } => Mode::Greedy,
            Wanted::Beam { beams, .. } => Mode::Beam { beams },
        }
    }

    /// Candidates kept a row and a sentence: 1 (greedy), 2·beams (beam search).
    pub fn k(self) -> usize {
        match self {
            Mode::Greedy => 1,
            Mode::Beam { beams } => 2 * beams,
        }
    }
}

/// One step's edits, packed for the kernels: `stride` words a row.
#[derive(Debug, Clone, PartialEq)]
pub struct EditsBlock {
    pub mode: Mode,
    pub rows: usize,
    /// Words a row, fixed for the batch.
    pub stride: usize,
    pub words: Vec<u32>,
}

/// The most words a row's edits take: the penalized tokens are the sequence's distinct tokens
/// (at most `max_target` + 1 with the decoder start); the banned are the no-repeat n-grams'
/// (at most one a position), EOS, and the tokens banned at the first step (the configuration's).
fn stride_for(max_target: usize, first: &Wanted) -> usize {
    let banned_at_start = match *first {
        Wanted::Greedy { edits } => edits.iter().flatten().map(|e| e.banned.len()).max(),
        Wanted::Beam { edits, .. } => edits.iter().map(|e| e.banned.len()).max(),
    };
    let words = HEADER + (max_target + 1) + (max_target + 2 + banned_at_start.unwrap_or(0));
    words.next_multiple_of(4)
}

impl EditsBlock {
    /// The block of a batch of `rows` rows decoding at most `max_target` positions, sized at
    /// its first step (`first`) for every later one.
    pub fn for_batch(rows: usize, max_target: usize, first: &Wanted) -> Self {
        let stride = stride_for(max_target, first);
        EditsBlock {
            mode: Mode::of(first),
            rows,
            stride,
            words: vec![0; rows * stride],
        }
    }

    /// Write a step's `wanted` in (the mode must be the batch's).
    pub fn pack(&mut self, wanted: &Wanted) -> Result<(), ComputeError> {
        let mismatch = |n: usize| ComputeError::RowMismatch {
            tokens: n,
            rows: self.rows,
        };
        if Mode::of(wanted) != self.mode {
            return Err(ComputeError::WrongState);
        }
        match *wanted {
            Wanted::Greedy { edits } => {
                if edits.len() != self.rows {
                    return Err(mismatch(edits.len()));
                }
                for (r, edit) in edits.iter().enumerate() {
                    self.write_row(r, edit.as_ref(), 0.0)?;
                }
            }
            Wanted::Beam { edits, scores, .. } => {
                if edits.len() != self.rows || scores.len() != self.rows {
                    return Err(mismatch(edits.len().min(scores.len())));
                }
                for (r, (edit, &score)) in edits.iter().zip(scores).enumerate() {
                    self.write_row(r, Some(edit), score)?;
                }
            }
        }
        Ok(())
    }

    fn write_row(
        &mut self,
        r: usize,
        edit: Option<&RowEdits>,
        score: f32,
    ) -> Result<(), ComputeError> {
        let row = &mut self.words[r * self.stride..][..self.stride];
        let Some(edit) = edit else {
            row[LIVE] = 0;
            return Ok(());
        };
        let need = HEADER + edit.penalized.len() + edit.banned.len();
        if need > self.stride {
            return Err(ComputeError::EditsTooLong {
                need,
                capacity: self.stride,
            });
        }
        row[LIVE] = 1;
        row[PENALIZED] = edit.penalized.len() as u32;
        row[BANNED] = edit.banned.len() as u32;
        row[FORCED] = edit.forced.unwrap_or(NO_TOKEN);
        row[SCORE] = score.to_bits();
        let (penalized, rest) = row[HEADER..].split_at_mut(edit.penalized.len());
        penalized.copy_from_slice(&edit.penalized);
        rest[..edit.banned.len()].copy_from_slice(&edit.banned);
        Ok(())
    }

    /// Row `r`'s edits read back (None: not searched) and its running score.
    pub fn row(&self, r: usize) -> (Option<RowEdits>, f32) {
        let row = &self.words[r * self.stride..][..self.stride];
        let score = f32::from_bits(row[SCORE]);
        if row[LIVE] == 0 {
            return (None, score);
        }
        let penalized = row[PENALIZED] as usize;
        let banned = row[BANNED] as usize;
        let tokens = &row[HEADER..];
        let edits = RowEdits {
            penalized: tokens[..penalized].to_vec(),
            banned: tokens[penalized..penalized + banned].to_vec(),
            forced: (row[FORCED] != NO_TOKEN).then_some(row[FORCED]),
        };
        (Some(edits), score)
    }
}

/// A row's candidate in the first stage: its flat index within the sentence, its accumulated
/// score, its token's processed log-probability.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranked {
    pub index: u32,
    pub value: f32,
    pub logprob: f32,
}

/// Whether `a` ranks before `b`: a higher score, or an equal one at a lower flat index.
fn before(a: &Ranked, b: &Ranked) -> bool {
    a.value > b.value || (a.value == b.value && a.index < b.index)
}

/// The twin of the selection kernels: the candidates of `logits` (rows × `vocab`, overwritten
/// with the processed scores) under `edits`.
pub fn select(
    logits: &mut [f32],
    vocab: usize,
    edits: &EditsBlock,
    processing: Processing,
    out: &mut Vec<Candidate>,
) {
    out.clear();
    let rows = logits.chunks_mut(vocab).take(edits.rows).enumerate();
    match edits.mode {
        Mode::Greedy => {
            for (r, row) in rows {
                out.push(match edits.row(r).0 {
                    Some(edit) => greedy_pick(row, &edit, processing),
                    None => Candidate::NONE,
                });
            }
        }
        Mode::Beam { beams } => {
            let k = 2 * beams;
            let mut sentence = Vec::with_capacity(beams * k);
            for (r, row) in rows {
                let (edit, score) = edits.row(r);
                process_beam_row(row, &edit.unwrap_or_default(), processing);
                sentence.extend(row_best(row, r % beams, score, k));
                if r % beams == beams - 1 {
                    out.extend(merge(&sentence, k));
                    sentence.clear();
                }
            }
        }
    }
}

/// Stage one (`select_beam_rows`): the `k` best of beam `beam`'s processed row by accumulated
/// score, best first.
pub fn row_best(row: &[f32], beam: usize, score: f32, k: usize) -> Vec<Ranked> {
    let mut top = TopK::new(k);
    for (i, &logprob) in row.iter().enumerate() {
        top.offer(i, logprob + score);
    }
    let base = beam * row.len();
    top.entries()
        .into_iter()
        .map(|(i, value)| Ranked {
            index: (base + i) as u32,
            value,
            logprob: row[i],
        })
        .collect()
}

/// Stage two (`select_beam_merge`): a sentence's `k` best of its rows' lists.
pub fn merge(lists: &[Ranked], k: usize) -> impl Iterator<Item = Candidate> {
    let mut all = lists.to_vec();
    all.sort_by(|a, b| {
        if before(a, b) {
            std::cmp::Ordering::Less
        } else if before(b, a) {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        }
    });
    all.truncate(k);
    all.into_iter().map(|c| Candidate {
        index: c.index,
        logprob: c.logprob,
    })
}

/// The candidates the device wrote: (index, log-probability bits) pairs.
pub fn read_picked(words: &[u32], out: &mut Vec<Candidate>) {
    out.clear();
    out.extend(words.chunks_exact(2).map(|pair| Candidate {
        index: pair[0],
        logprob: f32::from_bits(pair[1]),
    }));
}

#[cfg(test)]
mod tests;
