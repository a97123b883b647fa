//! Beam search as transformers' `_beam_search` (v5): per sentence, the top 2·k continuations of
//! the k running beams by accumulated float32 log-probability; the best k that did not finish keep
//! running; those among the top k that finished (EOS or maximum length) compete, with their score
//! divided by length^length_penalty, for the k finished slots; the sentence stops improving once
//! its best running beam cannot beat its worst finished one (the `early_stopping=False`
//! heuristic), and the search ends when no sentence can improve or every candidate finished.

use super::{process, GenerationConfig, Hypothesis, StepModel};
use crate::profile::{self, Span};

/// transformers' stand-in for minus infinity in beam scores.
const NEG_BIG: f32 = -1.0e9;

#[derive(Clone)]
struct Beam {
    /// Generated (token, processed log-probability) pairs.
    tokens: Vec<(u32, f32)>,
    score: f32,
}

#[derive(Clone)]
struct Slot {
    tokens: Vec<(u32, f32)>,
    score: f32,
    finished: bool,
}

struct Sentence {
    running: Vec<Beam>,
    finished: Vec<Slot>,
    improvable: bool,
}

/// The `k` largest values offered so far with their indices, largest first; of equal values the
/// one offered first ranks first.
struct TopK {
    k: usize,
    best: Vec<(usize, f32)>,
}

impl TopK {
    fn new(k: usize) -> Self {
        TopK {
            k,
            best: Vec::with_capacity(k + 1),
        }
    }

    /// The value an offer must beat to enter, once the list is full.
    fn threshold(&self) -> Option<f32> {
        (self.k > 0 && self.best.len() == self.k).then(|| self.best[self.k - 1].1)
    }

    fn offer(&mut self, index: usize, value: f32) {
        if self.threshold().is_some_and(|t| value <= t) {
            return;
        }
        let at = self.best.partition_point(|&(_, w)| w >= value);
        self.best.insert(at, (index, value));
        self.best.truncate(self.k);
    }

    fn indices(self) -> Vec<usize> {
        self.best.into_iter().map(|(i, _)| i).collect()
    }
}

/// Indices of the `k` largest values, largest first; ties keep the lower index first.
fn top_k(values: &[f32], k: usize) -> Vec<usize> {
    let mut top = TopK::new(k);
    for (i, &v) in values.iter().enumerate() {
        top.offer(i, v);
    }
    top.indices()
}

/// [`top_k`] over the accumulated scores `rows[c] + running[c / vocab].score` of the k rows,
/// walked beam by beam (the same order as `c`, so ties resolve alike, without a division per
/// candidate).
fn top_k_of_beams(rows: &[f32], vocab: usize, running: &[Beam], k: usize) -> Vec<usize> {
    const CHUNK: usize = 16;
    let mut top = TopK::new(k);
    for (j, (row, beam)) in rows.chunks(vocab).zip(running).enumerate() {
        for (c, chunk) in row.chunks(CHUNK).enumerate() {
            // Once the list is full, a chunk none of whose values beats its last entry changes
            // nothing: skipped after one vectorizable pass (most of the vocabulary).
            if let Some(threshold) = top.threshold() {
                if chunk
                    .iter()
                    .all(|&logprob| logprob + beam.score <= threshold)
                {
                    continue;
                }
            }
            for (i, &logprob) in chunk.iter().enumerate() {
                top.offer(j * vocab + c * CHUNK + i, logprob + beam.score);
            }
        }
    }
    top.indices()
}

pub(super) fn search<M: StepModel>(
    model: &M,
    ids: &[Vec<u32>],
    mask: &[Vec<u32>],
    config: &GenerationConfig,
) -> Result<Vec<Hypothesis>, M::Error> {
    let k = config.num_beams;
    let vocab = model.vocab_size();
    let batch = ids.len();
    let mut state = model.start(ids, mask, k)?;
    let mut sentences: Vec<Sentence> = (0..batch).map(|_| Sentence::new(k)).collect();
    let mut cur_len = 1;
    let mut tokens = vec![config.decoder_start_token_id; batch * k];
    let mut log_probs = Vec::new();
    loop {
        model.step(&mut state, &tokens, &mut log_probs)?;
        let searching = profile::Timer::start(Span::Search);
        process_rows(&mut log_probs, vocab, &sentences, cur_len, config);
        let step = Step {
            k,
            vocab,
            config,
            reached_max: cur_len + 1 >= config.max_length,
            divisor: length_divisor(config, cur_len),
        };
        let mut all_hit = true;
        let mut parents: Vec<u32> = Vec::with_capacity(batch * k);
        for (b, sentence) in sentences.iter_mut().enumerate() {
            let rows = &log_probs[b * k * vocab..(b + 1) * k * vocab];
            let (next, hit) = sentence.advance(rows, &step);
            all_hit &= hit;
            parents.extend(next.iter().map(|&beam| (b * k + beam) as u32));
        }
        drop(searching);
        model.reorder(&mut state, &parents)?;
        cur_len += 1;
        tokens = sentences
            .iter()
            .flat_map(|s| s.running.iter().map(|b| b.tokens.last().map_or(0, |t| t.0)))
            .collect();
        let divisor = length_divisor(config, cur_len - 1);
        for sentence in &mut sentences {
            sentence.check_improvable(divisor);
        }
        if !keep_searching(&sentences, config, all_hit) {
            break;
        }
    }
    Ok(sentences.iter().map(Sentence::best).collect())
}

/// A finished hypothesis's score divisor at generated length `len`: len^length_penalty.
fn length_divisor(config: &GenerationConfig, len: usize) -> f32 {
    (len as f64).powf(f64::from(config.length_penalty)) as f32
}

/// Each row of `log_probs` (one per running beam) as log-probabilities, then the logits
/// processors over the beam's sequence so far.
fn process_rows(
    log_probs: &mut [f32],
    vocab: usize,
    sentences: &[Sentence],
    cur_len: usize,
    config: &GenerationConfig,
) {
    let mut sequence = Vec::with_capacity(cur_len);
    let beams = sentences.iter().flat_map(|s| &s.running);
    for (row, beam) in log_probs.chunks_mut(vocab).zip(beams) {
        super::log_softmax(row);
        sequence.clear();
        sequence.push(config.decoder_start_token_id);
        sequence.extend(beam.tokens.iter().map(|t| t.0));
        process(row, &sequence, config, true);
    }
}

/// Whether any sentence can still improve, some beam is open, and not every candidate finished.
fn keep_searching(sentences: &[Sentence], config: &GenerationConfig, all_hit: bool) -> bool {
    let improvement_possible = sentences.iter().any(|s| s.improvable);
    let open_beam = !(config.early_stopping
        && sentences
            .iter()
            .all(|s| s.finished.iter().all(|f| f.finished)));
    improvement_possible && open_beam && !all_hit
}

/// What every sentence's step shares.
struct Step<'a> {
    k: usize,
    vocab: usize,
    config: &'a GenerationConfig,
    /// This step's tokens end every hypothesis (the maximum length).
    reached_max: bool,
    /// The length divisor of hypotheses finishing at this step.
    divisor: f32,
}

impl Sentence {
    fn new(k: usize) -> Self {
        Sentence {
            running: (0..k)
                .map(|j| Beam {
                    tokens: Vec::new(),
                    score: if j == 0 { 0.0 } else { NEG_BIG },
                })
                .collect(),
            finished: vec![
                Slot {
                    tokens: Vec::new(),
                    score: NEG_BIG,
                    finished: false,
                };
                k
            ],
            improvable: true,
        }
    }

    /// One step from the processed log-probabilities `rows` of this sentence's beams: the new
    /// running beams and finished slots. Returns the beam each new running beam extends, and
    /// whether every candidate finished.
    fn advance(&mut self, rows: &[f32], step: &Step) -> (Vec<usize>, bool) {
        let (k, vocab, config) = (step.k, step.vocab, step.config);
        // Accumulated scores of every continuation, in float32 (computed on the fly).
        let running = &self.running;
        let accumulated = |c: usize| rows[c] + running[c / vocab].score;
        // max(2, 1 + one EOS token) · k candidates.
        let candidates = top_k_of_beams(rows, vocab, running, 2 * k);
        let hits: Vec<bool> = candidates
            .iter()
            .map(|&c| step.reached_max || (c % vocab) as u32 == config.eos_token_id)
            .collect();
        let all_hit = hits.iter().all(|&h| h);
        let extend = |c: usize| {
            let mut t = running[c / vocab].tokens.clone();
            t.push(((c % vocab) as u32, rows[c]));
            t
        };

        // The beams that keep running.
        let running_scores: Vec<f32> = candidates
            .iter()
            .zip(&hits)
            .map(|(&c, &hit)| accumulated(c) + if hit { NEG_BIG } else { -0.0 })
            .collect();
        let next = top_k(&running_scores, k);
        let new_running: Vec<Beam> = next
            .iter()
            .map(|&n| Beam {
                tokens: extend(candidates[n]),
                score: running_scores[n],
            })
            .collect();
        let parents = next.iter().map(|&n| candidates[n] / vocab).collect();

        // Finished hypotheses compete for the k slots.
        let all_finished = self.finished.iter().all(|s| s.finished);
        let mut merged: Vec<Slot> = self.finished.clone();
        for (rank, (&c, &hit)) in candidates.iter().zip(&hits).enumerate() {
            let just_finished = hit && rank < k;
            let mut score = accumulated(c) / step.divisor;
            if config.early_stopping && all_finished {
                score += NEG_BIG;
            }
            if !self.improvable {
                score += NEG_BIG;
            }
            if !just_finished {
                score += NEG_BIG;
            }
            merged.push(Slot {
                tokens: extend(c),
                score,
                finished: just_finished,
            });
        }
        let merged_scores: Vec<f32> = merged.iter().map(|s| s.score).collect();
        self.finished = top_k(&merged_scores, k)
            .into_iter()
            .map(|i| merged[i].clone())
            .collect();
        self.running = new_running;
        (parents, all_hit)
    }

    /// The early-stopping heuristic (early_stopping=False): the best running score at the
    /// current length against the worst finished one.
    fn check_improvable(&mut self, divisor: f32) {
        let best_possible = self.running[0].score / divisor;
        let min_finished = self
            .finished
            .iter()
            .map(|s| s.score)
            .fold(f32::INFINITY, f32::min);
        let beatable = self.finished.iter().any(|s| {
            let worst = if s.finished { min_finished } else { NEG_BIG };
            best_possible > worst
        });
        self.improvable = self.improvable && beatable;
    }

    /// The best finished hypothesis.
    fn best(&self) -> Hypothesis {
        let best = &self.finished[0];
        Hypothesis {
            ids: best.tokens.iter().map(|t| t.0).collect(),
            logprob: best.tokens.iter().map(|t| f64::from(t.1)).sum::<f64>(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::top_k;

    #[test]
    fn top_k_orders_ties_by_index() {
        assert_eq!(top_k(&[1.0, 3.0, 3.0, 2.0, 3.0], 3), [1, 2, 4]);
        assert_eq!(top_k(&[f32::NEG_INFINITY, 0.0], 2), [1, 0]);
    }
}
