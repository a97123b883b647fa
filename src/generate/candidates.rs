//! What a decoder step hands search: candidates, not the dense logits. Search derives from each
//! row's sequence the sparse edits transformers' logits processors make ([`RowEdits`]: tokens
//! penalized for repetition, tokens banned, a forced token) and asks the step for greedy's one
//! pick a row, or beam search's top 2·k continuations a sentence, in `generate`'s own order. A
//! device that computes the logits can then pick on the device and send back a few numbers a
//! row instead of the whole vocabulary.
//!
//! [`from_dense`] is the reference: the same arithmetic, in the same order, that search did on
//! the dense logits before this interface existed (every parity fixture holds through it); a
//! backend answering on its own must give the same candidates.

use super::config::GenerationConfig;
use super::softmax::{log_normalizer, log_softmax};

/// What the logits processors do to one row, derived on the host from the row's sequence.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RowEdits {
    /// Distinct tokens of the sequence, ascending: scaled by the repetition penalty.
    pub penalized: Vec<u32>,
    /// Tokens set to −∞, ascending and distinct: repeated n-grams' next tokens, EOS before the
    /// minimum length, the banned tokens (the pad token).
    pub banned: Vec<u32>,
    /// The only token allowed at this step (the forced EOS at the last position).
    pub forced: Option<u32>,
}

impl RowEdits {
    /// The edits transformers' processors make to a row of `vocab` scores after `sequence`
    /// (decoder start included): repetition penalty, no-repeat n-grams, banned tokens,
    /// minimum lengths, forced EOS.
    pub fn for_sequence(sequence: &[u32], config: &GenerationConfig, vocab: usize) -> Self {
        let cur_len = sequence.len();
        let new_tokens = cur_len - 1;
        let mut penalized = Vec::new();
        if config.repetition_penalty != 1.0 {
            // Every distinct token of the sequence once, as torch's gather/scatter does.
            penalized = sequence.to_vec();
            penalized.retain(|&t| (t as usize) < vocab);
            penalized.sort_unstable();
            penalized.dedup();
        }
        let mut banned = Vec::with_capacity(config.banned_tokens.len() + 1);
        let n = config.no_repeat_ngram_size;
        if n > 0 && cur_len >= n {
            // Every earlier n-gram whose first n-1 tokens equal the last n-1 bans its last token.
            let prefix = &sequence[cur_len + 1 - n..];
            for start in 0..=cur_len - n {
                if sequence[start..start + n - 1] == *prefix {
                    banned.push(sequence[start + n - 1]);
                }
            }
        }
        if cur_len < config.min_length || config.min_new_tokens.is_some_and(|m| new_tokens < m) {
            banned.push(config.eos_token_id);
        }
        banned.extend(&config.banned_tokens);
        banned.retain(|&m| (m as usize) < vocab);
        banned.sort_unstable();
        banned.dedup();
        let forced = config
            .forced_eos_token_id
            .filter(|_| cur_len == config.max_length - 1);
        RowEdits {
            penalized,
            banned,
            forced,
        }
    }

    /// Apply the edits to `row` as transformers' processors do, then renormalize when
    /// `renormalize`. When the row already holds log-probabilities (`row_is_log_probs`, beam
    /// search) and only masking happened, that renormalization only has to remove the
    /// probability of the masked tokens, which is done exactly without a second pass of `exp`.
    pub fn apply(&self, row: &mut [f32], edit: &Processing, row_is_log_probs: bool) {
        let rescaled = edit.repetition_penalty != 1.0;
        if rescaled {
            let penalty = edit.repetition_penalty;
            for &t in &self.penalized {
                let s = row[t as usize];
                row[t as usize] = if s < 0.0 { s * penalty } else { s / penalty };
            }
        }
        if let Some(token) = self.forced {
            row.fill(f32::NEG_INFINITY);
            row[token as usize] = 0.0;
            return; // already normalized: a single token with log-probability 0
        }
        if !edit.renormalize {
            for &m in &self.banned {
                row[m as usize] = f32::NEG_INFINITY;
            }
            return;
        }
        if row_is_log_probs && !rescaled {
            let removed: f64 = self
                .banned
                .iter()
                .map(|&m| f64::from(row[m as usize]).exp())
                .sum();
            for &m in &self.banned {
                row[m as usize] = f32::NEG_INFINITY;
            }
            if removed > 0.0 {
                let shift = (-removed).ln_1p() as f32;
                for x in row.iter_mut() {
                    *x -= shift;
                }
            }
        } else {
            for &m in &self.banned {
                row[m as usize] = f32::NEG_INFINITY;
            }
            log_softmax(row);
        }
    }
}

/// The settings every row's edits share.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Processing {
    pub repetition_penalty: f32,
    pub renormalize: bool,
}

impl From<&GenerationConfig> for Processing {
    fn from(config: &GenerationConfig) -> Self {
        Processing {
            repetition_penalty: config.repetition_penalty,
            renormalize: config.renormalize_logits,
        }
    }
}

/// What one step is asked for.
#[derive(Debug, Clone, Copy)]
pub enum Wanted<'a> {
    /// Greedy: per row, the processed argmax (first index on ties) and its log-probability.
    /// Rows whose edits are `None` (finished) get [`Candidate::NONE`].
    Greedy { edits: &'a [Option<RowEdits>] },
    /// Beam search over sentences of `beams` consecutive rows: per sentence, the `2·beams`
    /// best continuations by accumulated score (the row's processed log-probability plus its
    /// running `scores[row]`, in f32), best first, lower flat index first on ties; the flat
    /// index is `beam · vocab + token` within the sentence.
    Beam {
        beams: usize,
        edits: &'a [RowEdits],
        scores: &'a [f32],
    },
}

/// One candidate: a token (greedy) or a flat index within the sentence (beam), with the
/// processed log-probability of its token (not the accumulated score).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    pub index: u32,
    pub logprob: f32,
}

impl Candidate {
    /// The entry of a row that picks nothing (finished in greedy search).
    pub const NONE: Candidate = Candidate {
        index: u32::MAX,
        logprob: f32::NAN,
    };
}

/// The candidates of one step from the dense `logits` (rows × `vocab`; overwritten with the
/// processed scores): the reference every backend's own candidates must equal.
pub fn from_dense(
    logits: &mut [f32],
    vocab: usize,
    wanted: Wanted,
    processing: Processing,
    out: &mut Vec<Candidate>,
) {
    out.clear();
    match wanted {
        Wanted::Greedy { edits } => {
            for (scores, edit) in logits.chunks_mut(vocab).zip(edits) {
                out.push(match edit {
                    Some(edit) => greedy_pick(scores, edit, processing),
                    None => Candidate::NONE,
                });
            }
        }
        Wanted::Beam {
            beams,
            edits,
            scores,
        } => {
            for (row, edit) in logits.chunks_mut(vocab).zip(edits) {
                process_beam_row(row, edit, processing);
            }
            for (sentence, running) in logits.chunks(beams * vocab).zip(scores.chunks(beams)) {
                out.extend(top_k_of_beams(sentence, vocab, running, 2 * beams));
            }
        }
    }
}

/// A beam row's logits become its processed log-probabilities: log-softmax, then the edits
/// (beam search's arithmetic; the plan engine's selection runs the same per row).
pub(crate) fn process_beam_row(row: &mut [f32], edit: &RowEdits, processing: Processing) {
    log_softmax(row);
    edit.apply(row, &processing, true);
}

/// Greedy's pick from one row of logits: argmax of the processed scores (first index on ties,
/// as torch.argmax) and its log-probability under them.
pub(crate) fn greedy_pick(
    scores: &mut [f32],
    edit: &RowEdits,
    processing: Processing,
) -> Candidate {
    edit.apply(scores, &processing, false);
    let mut best = 0;
    for (i, &x) in scores.iter().enumerate() {
        if x > scores[best] {
            best = i;
        }
    }
    // Already log-probabilities when the config renormalizes; else only the chosen value is
    // needed: the normalizer, not a pass writing the row.
    let logprob = if processing.renormalize {
        scores[best]
    } else {
        log_normalizer(scores).map_or(scores[best], |(max, log_sum)| scores[best] - max - log_sum)
    };
    Candidate {
        index: best as u32,
        logprob,
    }
}

/// The `k` largest values offered so far with their indices, largest first; of equal values the
/// one offered first ranks first.
pub(crate) struct TopK {
    k: usize,
    best: Vec<(usize, f32)>,
}

impl TopK {
    pub(crate) fn new(k: usize) -> Self {
        TopK {
            k,
            best: Vec::with_capacity(k + 1),
        }
    }

    /// The value an offer must beat to enter, once the list is full.
    fn threshold(&self) -> Option<f32> {
        (self.k > 0 && self.best.len() == self.k).then(|| self.best[self.k - 1].1)
    }

    pub(crate) fn offer(&mut self, index: usize, value: f32) {
        if self.threshold().is_some_and(|t| value <= t) {
            return;
        }
        let at = self.best.partition_point(|&(_, w)| w >= value);
        self.best.insert(at, (index, value));
        self.best.truncate(self.k);
    }

    pub(crate) fn indices(self) -> Vec<usize> {
        self.best.into_iter().map(|(i, _)| i).collect()
    }

    /// The entries kept, best first: (index, value).
    pub(crate) fn entries(self) -> Vec<(usize, f32)> {
        self.best
    }
}

/// The `k` best continuations of a sentence's beams by accumulated score
/// `rows[c] + running[c / vocab]`, walked beam by beam (the same order as `c`, so ties resolve
/// alike, without a division per candidate).
fn top_k_of_beams<'a>(
    rows: &'a [f32],
    vocab: usize,
    running: &[f32],
    k: usize,
) -> impl Iterator<Item = Candidate> + 'a {
    const CHUNK: usize = 16;
    let mut top = TopK::new(k);
    for (j, (row, &score)) in rows.chunks(vocab).zip(running).enumerate() {
        for (c, chunk) in row.chunks(CHUNK).enumerate() {
            // Once the list is full, a chunk none of whose values beats its last entry changes
            // nothing: skipped after one vectorizable pass (most of the vocabulary).
            if let Some(threshold) = top.threshold() {
                if chunk.iter().all(|&logprob| logprob + score <= threshold) {
                    continue;
                }
            }
            for (i, &logprob) in chunk.iter().enumerate() {
                top.offer(j * vocab + c * CHUNK + i, logprob + score);
            }
        }
    }
    top.indices().into_iter().map(move |c| Candidate {
        index: c as u32,
        logprob: rows[c],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> GenerationConfig {
        GenerationConfig {
            num_beams: 2,
            max_length: 5,
            min_length: 0,
            min_new_tokens: Some(4),
            length_penalty: 1.0,
            early_stopping: false,
            eos_token_id: 0,
            pad_token_id: 1,
            decoder_start_token_id: 1,
            forced_eos_token_id: Some(0),
            banned_tokens: vec![1],
            renormalize_logits: false,
            repetition_penalty: 1.25,
            no_repeat_ngram_size: 2,
        }
    }

    #[test]
    fn the_edits_are_what_each_processor_asks_for() {
        // Start, 5, 6, 5: the bigram "5 6" was seen, so after "5" the token 6 is banned; three
        // new tokens are fewer than the four asked, so EOS is banned; pad is always banned;
        // the tokens seen are penalized; position 4 of at most 5 is the last: EOS is forced.
        let edits = RowEdits::for_sequence(&[1, 5, 6, 5], &config(), 9);
        assert_eq!(edits.penalized, [1, 5, 6]);
        assert_eq!(edits.banned, [0, 1, 6]);
        assert_eq!(edits.forced, Some(0));
        // Tokens outside the vocabulary are neither penalized nor banned.
        let edits = RowEdits::for_sequence(&[1, 5, 6], &config(), 6);
        assert_eq!(edits.penalized, [1, 5]);
        assert_eq!(edits.banned, [0, 1]);
        assert_eq!(edits.forced, None);
    }

    #[test]
    fn greedy_picks_the_first_best_of_the_processed_row_and_skips_finished_rows() {
        let processing = Processing {
            repetition_penalty: 2.0,
            renormalize: false,
        };
        // Row 0: token 2 (4.0) is penalized to 2.0 and token 1 (5.0) banned, leaving 3.0 at
        // tokens 0 and 3: the first index wins.
        let edits = [
            Some(RowEdits {
                penalized: vec![2],
                banned: vec![1],
                forced: None,
            }),
            None,
        ];
        let mut logits = vec![
            3.0, 5.0, 4.0, 3.0, /* finished row */ 9.0, 9.0, 9.0, 9.0,
        ];
        let mut out = Vec::new();
        from_dense(
            &mut logits,
            4,
            Wanted::Greedy { edits: &edits },
            processing,
            &mut out,
        );
        assert_eq!(out[0].index, 0);
        // log-probability of 3.0 among {3.0, -inf, 2.0, 3.0}
        let expected = 3.0 - (2.0f64.mul_add(3f64.exp(), 2f64.exp())).ln();
        assert!((f64::from(out[0].logprob) - expected).abs() < 1e-6);
        assert_eq!(out[1].index, Candidate::NONE.index);
    }

    #[test]
    fn beam_candidates_rank_by_accumulated_score_ties_by_flat_index() {
        let processing = Processing {
            repetition_penalty: 1.0,
            renormalize: false,
        };
        let none = RowEdits::default();
        let edits = [none.clone(), none];
        // Two beams of one sentence, vocabulary 3, uniform rows: every token −ln 3. Beam 1's
        // running score is lower, so beam 0's three tokens come first, in index order.
        let mut logits = vec![0.0; 6];
        let scores = [0.0, -1.0];
        let wanted = Wanted::Beam {
            beams: 2,
            edits: &edits,
            scores: &scores,
        };
        let mut out = Vec::new();
        from_dense(&mut logits, 3, wanted, processing, &mut out);
        let indices: Vec<u32> = out.iter().map(|c| c.index).collect();
        assert_eq!(indices, [0, 1, 2, 3]);
        // The token's own log-probability, not the accumulated score.
        let third = -(3f32.ln());
        assert!(
            out.iter().all(|c| (c.logprob - third).abs() < 1e-6),
            "{out:?}"
        );
    }
}
