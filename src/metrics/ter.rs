//! TER (Snover et al., 2006) exactly as sacreBLEU computes it: tercom's greedy shift search (shift
//! size ≤ 10, distance ≤ 50, at most 1000 candidates per segment) over a beam edit distance that
//! stays near the length-scaled diagonal, with sacreBLEU's tie-breaking between candidates.

use rustc_hash::FxHashMap;

use super::metric::{Metric, Score};
use super::pytext;
use super::real::Real;
use super::signature::Signature;
use super::tokenizers::Tercom;

const MAX_SHIFT_SIZE: usize = 10;
const MAX_SHIFT_DIST: usize = 50;
const BEAM_WIDTH: usize = 25;
const MAX_SHIFT_CANDIDATES: usize = 1000;
const INFINITY: i64 = 10_000_000_000_000_000;

/// TER configuration; defaults are sacreBLEU's (case-insensitive, no normalization).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ter {
    pub tokenizer: Tercom,
}

/// One segment's references, tokenized into words.
pub struct TerRefs {
    refs: Vec<Vec<String>>,
}

impl Metric for Ter {
    type Prepared = TerRefs;

    fn num_stats(&self) -> usize {
        2
    }

    fn prepare(&self, refs: &[&str]) -> TerRefs {
        TerRefs {
            refs: refs
                .iter()
                .map(|r| {
                    // sacreBLEU preprocesses references twice (once when caching them, once
                    // more in `_extract_reference_info`); with normalization the second pass
                    // changes the tokens, and the scores depend on it.
                    let once = self.tokenizer.tokenize(pytext::rstrip(r));
                    pytext::split(&self.tokenizer.tokenize(pytext::rstrip(&once)))
                        .map(str::to_string)
                        .collect()
                })
                .collect(),
        }
    }

    fn segment_stats(&self, hyp: &str, refs: &TerRefs, out: &mut Vec<f64>) {
        let hyp = self.tokenizer.tokenize(pytext::rstrip(hyp));
        let hyp_words: Vec<&str> = pytext::split(&hyp).collect();
        let mut ref_lengths = 0.0;
        let mut best_edits = i64::MAX;
        for reference in &refs.refs {
            let ref_words: Vec<&str> = reference.iter().map(String::as_str).collect();
            let (edits, ref_len) = translation_edit_rate(&hyp_words, &ref_words);
            ref_lengths += ref_len as f64;
            best_edits = best_edits.min(edits);
        }
        out.push(best_edits as f64);
        out.push(ref_lengths / refs.refs.len() as f64);
    }

    fn score_of<R: Real>(&self, stats: &[R]) -> R {
        let (edits, ref_len) = (stats[0], stats[1]);
        let rate = if ref_len.value() > 0.0 {
            edits / ref_len
        } else if edits.value() > 0.0 {
            R::lit(1.0) // empty reference(s) and a non-empty hypothesis
        } else {
            R::lit(0.0)
        };
        R::lit(100.0) * rate
    }

    fn compute(&self, stats: &[f64]) -> Score {
        Score {
            name: "TER".into(),
            score: self.score_of(stats),
            verbose: None,
        }
    }

    fn signature(&self, nrefs: usize) -> Signature {
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        let mut sig = Signature::new(nrefs);
        sig.set(
            "case",
            "c",
            if self.tokenizer.case_sensitive {
                "mixed"
            } else {
                "lc"
            },
        );
        sig.set("tok", "t", "tercom");
        sig.set("norm", "nr", yes_no(self.tokenizer.normalized));
        sig.set("punct", "pn", yes_no(!self.tokenizer.no_punct));
        sig.set("asian", "as", "no");
        sig
    }
}

/// Number of edits (shifts included) turning `hyp` into `reference`, and the reference length.
pub fn translation_edit_rate(hyp: &[&str], reference: &[&str]) -> (i64, usize) {
    if reference.is_empty() {
        return (hyp.len() as i64, 0);
    }
    // Words become integers so that comparisons in the inner loops are cheap.
    let mut vocab: FxHashMap<&str, u32> = FxHashMap::default();
    let mut id = |w| {
        let next = vocab.len() as u32;
        *vocab.entry(w).or_insert(next)
    };
    let ref_ids: Vec<u32> = reference.iter().map(|w| id(w)).collect();
    let mut words: Vec<u32> = hyp.iter().map(|w| id(w)).collect();

    let mut ed = BeamEditDistance::new(&ref_ids, words.len());
    let mut shifts = 0;
    let mut checked = 0;
    loop {
        let (delta, shifted, now_checked) = best_shift(&words, &ref_ids, &mut ed, checked);
        checked = now_checked;
        if checked >= MAX_SHIFT_CANDIDATES || delta <= 0 {
            break;
        }
        shifts += 1;
        words = shifted;
    }
    let distance = ed.distance(&words);
    (shifts + distance, reference.len())
}

/// Edit operations, as in tercom's traces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Nop,
    Sub,
    Ins,
    Del,
    Undefined,
}

#[derive(Debug, Clone, Copy)]
struct Cell {
    cost: i64,
    op: Op,
}

const EMPTY: Cell = Cell {
    cost: INFINITY,
    op: Op::Undefined,
};

/// sacreBLEU's `BeamEditDistance` for hypotheses of one fixed length (shifts keep the length, so
/// the beam is the same for every candidate). Rows of the last full computation are kept so that
/// a candidate sharing a prefix with it restarts after that prefix, as sacreBLEU's cache does.
///
/// Only the cells inside the beam are stored (row 0 and the last row in full, as they are
/// computed): memory is O(hyp_len · beam + ref_len) instead of the full matrix, which for one
/// long line (a 20 MB segment) would be terabytes. Cells outside the beam read as unreachable,
/// exactly as in the full matrix.
struct BeamEditDistance<'r> {
    reference: &'r [u32],
    hyp_len: usize,
    /// First stored column of each row.
    row_lo: Vec<usize>,
    /// Offset of each row in the flat buffers, and the end (`row_at[hyp_len + 1]`).
    row_at: Vec<usize>,
    /// The stored cells of the base hypothesis's matrix.
    base: Vec<Cell>,
    /// Scratch matrix for candidates.
    scratch: Vec<Cell>,
}

impl<'r> BeamEditDistance<'r> {
    fn new(reference: &'r [u32], hyp_len: usize) -> Self {
        let length_ratio = if hyp_len > 0 {
            reference.len() as f64 / hyp_len as f64
        } else {
            1.0
        };
        let beam_width = if (BEAM_WIDTH as f64) < length_ratio / 2.0 {
            (length_ratio / 2.0 + BEAM_WIDTH as f64).ceil() as usize
        } else {
            BEAM_WIDTH
        };
        let n_ref = reference.len();
        // The columns computed in each row, as sacreBLEU's loops bound them.
        let (mut row_lo, mut row_at) = (vec![0], vec![0, n_ref + 1]);
        for i in 1..=hyp_len {
            let pseudo_diag = (i as f64 * length_ratio).floor() as i64;
            let min_j = (pseudo_diag - beam_width as i64).max(0) as usize;
            let mut max_j = ((pseudo_diag + beam_width as i64).max(0) as usize).min(n_ref + 1);
            if i == hyp_len {
                max_j = n_ref + 1;
            }
            let (lo, hi) = (min_j.min(n_ref + 1), max_j.max(min_j.min(n_ref + 1)));
            row_lo.push(lo);
            row_at.push(row_at[i] + (hi - lo));
        }
        let mut base = vec![EMPTY; row_at[hyp_len + 1]];
        for (j, cell) in base[..n_ref + 1].iter_mut().enumerate() {
            *cell = Cell {
                cost: j as i64,
                op: Op::Ins,
            };
        }
        let scratch = base.clone();
        BeamEditDistance {
            reference,
            hyp_len,
            row_lo,
            row_at,
            base,
            scratch,
        }
    }

    /// Cell (i, j) of `dist`, unreachable outside the stored band.
    fn get(&self, dist: &[Cell], i: usize, j: usize) -> Cell {
        let lo = self.row_lo[i];
        let width = self.row_at[i + 1] - self.row_at[i];
        if j >= lo && j - lo < width {
            dist[self.row_at[i] + j - lo]
        } else {
            EMPTY
        }
    }

    /// Fill rows `from + 1 ..= hyp_len` of `dist` for `hyp`; rows `0..=from` must be valid.
    fn fill(&self, hyp: &[u32], dist: &mut [Cell], from: usize) {
        dist[self.row_at[from + 1]..].fill(EMPTY);
        for i in from + 1..=self.hyp_len {
            let (lo, at) = (self.row_lo[i], self.row_at[i]);
            let width = self.row_at[i + 1] - at;
            for j in lo..lo + width {
                let current = at + j - lo;
                if j == 0 {
                    dist[current] = Cell {
                        cost: self.get(dist, i - 1, 0).cost + 1,
                        op: Op::Del,
                    };
                    continue;
                }
                let (sub_cost, sub_op) = if hyp[i - 1] == self.reference[j - 1] {
                    (0, Op::Nop)
                } else {
                    (1, Op::Sub)
                };
                let left = if j > lo {
                    dist[current - 1].cost
                } else {
                    INFINITY
                };
                let candidates = [
                    (self.get(dist, i - 1, j - 1).cost + sub_cost, sub_op),
                    (self.get(dist, i - 1, j).cost + 1, Op::Del),
                    (left + 1, Op::Ins),
                ];
                for (cost, op) in candidates {
                    if dist[current].cost > cost {
                        dist[current] = Cell { cost, op };
                    }
                }
            }
        }
    }

    /// Distance of a full computation for `hyp`, which becomes the new base.
    fn distance(&mut self, hyp: &[u32]) -> i64 {
        let mut base = std::mem::take(&mut self.base);
        self.fill(hyp, &mut base, 0);
        self.base = base;
        self.base[self.base.len() - 1].cost
    }

    /// Distance of a candidate equal to the base hypothesis on its first `prefix` words.
    fn candidate_distance(&mut self, hyp: &[u32], prefix: usize) -> i64 {
        let mut scratch = std::mem::take(&mut self.scratch);
        let kept = self.row_at[prefix + 1];
        scratch[..kept].copy_from_slice(&self.base[..kept]);
        self.fill(hyp, &mut scratch, prefix);
        let cost = scratch[scratch.len() - 1].cost;
        self.scratch = scratch;
        cost
    }

    /// The trace of the base matrix, hypothesis-to-reference (`Del` consumes a hypothesis word).
    fn base_trace(&self) -> Vec<Op> {
        let (mut i, mut j) = (self.hyp_len, self.reference.len());
        let mut trace = Vec::with_capacity(i + j);
        while i > 0 || j > 0 {
            let op = self.get(&self.base, i, j).op;
            trace.push(op);
            match op {
                Op::Sub | Op::Nop => {
                    i -= 1;
                    j -= 1;
                }
                Op::Ins => j -= 1,
                Op::Del => i -= 1,
                // Outside the beam: sacreBLEU raises here; stop rather than loop forever.
                Op::Undefined => break,
            }
        }
        trace.reverse();
        trace
    }
}

/// Alignment from a flipped trace: reference position → hypothesis position, and error flags.
fn trace_to_alignment(trace: &[Op], ref_len: usize) -> (Vec<i64>, Vec<bool>, Vec<bool>) {
    let (mut pos_hyp, mut pos_ref) = (-1i64, -1i64);
    let mut align = vec![-1i64; ref_len];
    let (mut ref_err, mut hyp_err) = (Vec::new(), Vec::new());
    // The trace is flipped (insertions and deletions swapped) before use, as sacreBLEU does:
    // in the flipped trace, `Ins` consumes a hypothesis word and `Del` a reference word.
    for &op in trace {
        let flipped = match op {
            Op::Ins => Op::Del,
            Op::Del => Op::Ins,
            other => other,
        };
        match flipped {
            Op::Nop | Op::Sub => {
                pos_hyp += 1;
                pos_ref += 1;
                align[pos_ref as usize] = pos_hyp;
                let err = flipped == Op::Sub;
                hyp_err.push(err);
                ref_err.push(err);
            }
            Op::Ins => {
                pos_hyp += 1;
                hyp_err.push(true);
            }
            Op::Del => {
                pos_ref += 1;
                align[pos_ref as usize] = pos_hyp;
                ref_err.push(true);
            }
            Op::Undefined => {}
        }
    }
    (align, ref_err, hyp_err)
}

/// Python's `words[a:b]` with clamping.
fn slice(words: &[u32], a: usize, b: usize) -> &[u32] {
    let n = words.len();
    let (a, b) = (a.min(n), b.min(n));
    if a >= b {
        &[]
    } else {
        &words[a..b]
    }
}

/// sacreBLEU's `_perform_shift`, including its slicing in the overlapping case.
fn perform_shift(words: &[u32], start: usize, length: usize, target: usize) -> Vec<u32> {
    let parts: [&[u32]; 4] = if target < start {
        [
            slice(words, 0, target),
            slice(words, start, start + length),
            slice(words, target, start),
            slice(words, start + length, usize::MAX),
        ]
    } else if target > start + length {
        [
            slice(words, 0, start),
            slice(words, start + length, target),
            slice(words, start, start + length),
            slice(words, target, usize::MAX),
        ]
    } else {
        [
            slice(words, 0, start),
            slice(words, start + length, length + target),
            slice(words, start, start + length),
            slice(words, length + target, usize::MAX),
        ]
    };
    parts.concat()
}

/// The best shift of `words` (sacreBLEU's `_shift`): returns the gain in edit distance, the
/// shifted words and the updated count of evaluated candidates.
fn best_shift(
    words: &[u32],
    reference: &[u32],
    ed: &mut BeamEditDistance<'_>,
    mut checked: usize,
) -> (i64, Vec<u32>, usize) {
    let pre_score = ed.distance(words);
    let trace = ed.base_trace();
    let (align, ref_err, hyp_err) = trace_to_alignment(&trace, reference.len());
    let any_error =
        |flags: &[bool], a: usize, len: usize| flags.iter().skip(a).take(len).any(|&e| e);

    // Candidates rank by (gain, length, -start_h, -idx) as a tuple; the first best is kept.
    type Rank = (i64, usize, i64, i64);
    let mut best: Option<(Rank, Vec<u32>)> = None;
    let (n_h, n_r) = (words.len(), reference.len());
    'pairs: for start_h in 0..n_h {
        // Only references starts within MAX_SHIFT_DIST can match (the same pairs, in the same
        // order, as scanning every start and skipping the far ones, without O(n_h · n_r) work).
        let near = start_h.saturating_sub(MAX_SHIFT_DIST)..(start_h + MAX_SHIFT_DIST + 1).min(n_r);
        for start_r in near {
            let mut length = 0;
            while length < MAX_SHIFT_SIZE && words[start_h + length] == reference[start_r + length]
            {
                length += 1;
                // A matching pair (start_h, start_r, length).
                if any_error(&hyp_err, start_h, length)
                    && any_error(&ref_err, start_r, length)
                    && !(start_h as i64 <= align[start_r]
                        && align[start_r] < (start_h + length) as i64)
                {
                    let mut prev_idx = -1i64;
                    for offset in -1i64..length as i64 {
                        let pos = start_r as i64 + offset;
                        let idx = if pos == -1 {
                            0
                        } else {
                            align[pos as usize] + 1
                        };
                        if idx == prev_idx {
                            continue;
                        }
                        prev_idx = idx;
                        let target = idx as usize;
                        let shifted = perform_shift(words, start_h, length, target);
                        let prefix = start_h.min(target).min(n_h);
                        let gain = pre_score - ed.candidate_distance(&shifted, prefix);
                        let key = (gain, length, -(start_h as i64), -idx);
                        checked += 1;
                        if best.as_ref().is_none_or(|(b, _)| key > *b) {
                            best = Some((key, shifted));
                        }
                    }
                    if checked >= MAX_SHIFT_CANDIDATES {
                        break 'pairs;
                    }
                }
                if n_h == start_h + length || n_r == start_r + length {
                    break;
                }
            }
        }
    }
    match best {
        Some(((gain, ..), shifted)) => (gain, shifted, checked),
        None => (0, words.to_vec(), checked),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_stays_within_the_beam_on_long_segments() {
        // 200,000 words on each side: the full matrix would be 4·10^10 cells (640 GB).
        let n = 200_000;
        let reference: Vec<u32> = (0..n as u32).collect();
        let ed = BeamEditDistance::new(&reference, n);
        let band = 2 * BEAM_WIDTH + 1;
        assert!(
            ed.base.len() <= n * band + 2 * (n + 1),
            "{} cells stored",
            ed.base.len()
        );
        // And a long, shuffled line is scored (by the same rules) in bounded memory and time.
        let words: Vec<String> = (0..20_000).map(|i| format!("w{}", i % 997)).collect();
        let hyp: Vec<&str> = words.iter().map(String::as_str).collect();
        let mut shuffled = hyp.clone();
        shuffled.reverse();
        let (edits, len) = translation_edit_rate(&shuffled, &hyp);
        assert_eq!(len, 20_000);
        assert!(edits > 0 && edits <= 20_000 + 1000, "{edits}");
    }

    #[test]
    fn shifts_count_as_one_edit() {
        let hyp = ["b", "c", "a"];
        let reference = ["a", "b", "c"];
        assert_eq!(translation_edit_rate(&hyp, &reference), (1, 3));
        assert_eq!(translation_edit_rate(&[], &reference), (3, 3));
        assert_eq!(translation_edit_rate(&hyp, &[]), (3, 0));
    }
}
