//! Beam search as transformers' `_beam_search` (v5): per sentence, the top 2·k continuations of
//! the k running beams by accumulated float32 log-probability; the best k that did not finish keep
//! running; those among the top k that finished (EOS or maximum length) compete, with their score
//! divided by length^length_penalty, for the k finished slots; the sentence stops improving once
//! its best running beam cannot beat its worst finished one (the `early_stopping=False`
//! heuristic), and the search ends when no sentence can improve or every candidate finished.

use super::{process, GenerationConfig, Hypothesis, StepModel};

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
    let keep = 2 * k; // max(2, 1 + one EOS token) · k
    let vocab = model.vocab_size();
    let batch = ids.len();
    let mut state = model.start(ids, mask, k)?;
    let mut sentences: Vec<Sentence> = (0..batch)
        .map(|_| Sentence {
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
        })
        .collect();
    let length_divisor = |len: usize| (len as f64).powf(f64::from(config.length_penalty)) as f32;
    let mut cur_len = 1;
    let mut tokens = vec![config.decoder_start_token_id; batch * k];
    loop {
        let mut log_probs = model.step(&mut state, &tokens)?;
        let mut sequence = Vec::with_capacity(cur_len);
        let beams = sentences.iter().flat_map(|s| &s.running);
        for (row, beam) in log_probs.chunks_mut(vocab).zip(beams) {
            super::log_softmax(row);
            sequence.clear();
            sequence.push(config.decoder_start_token_id);
            sequence.extend(beam.tokens.iter().map(|t| t.0));
            process(row, &sequence, config, true);
        }
        let reached_max = cur_len + 1 >= config.max_length;
        let mut all_hit = true;
        let mut parents: Vec<u32> = Vec::with_capacity(batch * k);
        for (b, sentence) in sentences.iter_mut().enumerate() {
            let rows = &log_probs[b * k * vocab..(b + 1) * k * vocab];
            // Accumulated scores of every continuation, in float32 (computed on the fly).
            let running = &sentence.running;
            let accumulated = |c: usize| rows[c] + running[c / vocab].score;
            let candidates = top_k_of_beams(rows, vocab, running, keep);
            let hits: Vec<bool> = candidates
                .iter()
                .map(|&c| reached_max || (c % vocab) as u32 == config.eos_token_id)
                .collect();
            all_hit &= hits.iter().all(|&h| h);
            let extend = |c: usize| {
                let beam = &sentence.running[c / vocab];
                let mut t = beam.tokens.clone();
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
            parents.extend(next.iter().map(|&n| (b * k + candidates[n] / vocab) as u32));

            // Finished hypotheses compete for the k slots.
            let all_finished = sentence.finished.iter().all(|s| s.finished);
            let divisor = length_divisor(cur_len + 1 - 1);
            let mut merged: Vec<Slot> = sentence.finished.clone();
            for (rank, (&c, &hit)) in candidates.iter().zip(&hits).enumerate() {
                let just_finished = hit && rank < k;
                let mut score = accumulated(c) / divisor;
                if config.early_stopping && all_finished {
                    score += NEG_BIG;
                }
                if !sentence.improvable {
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
            sentence.finished = top_k(&merged_scores, k)
                .into_iter()
                .map(|i| merged[i].clone())
                .collect();
            sentence.running = new_running;
        }
        model.reorder(&mut state, &parents)?;
        cur_len += 1;
        tokens = sentences
            .iter()
            .flat_map(|s| s.running.iter().map(|b| b.tokens.last().map_or(0, |t| t.0)))
            .collect();

        // The early-stopping heuristic (early_stopping=False): the best running score at the
        // current length against the worst finished one.
        let divisor = length_divisor(cur_len - 1);
        for sentence in &mut sentences {
            let best_possible = sentence.running[0].score / divisor;
            let min_finished = sentence
                .finished
                .iter()
                .map(|s| s.score)
                .fold(f32::INFINITY, f32::min);
            let beatable = sentence.finished.iter().any(|s| {
                let worst = if s.finished { min_finished } else { NEG_BIG };
                best_possible > worst
            });
            sentence.improvable = sentence.improvable && beatable;
        }
        let improvement_possible = sentences.iter().any(|s| s.improvable);
        let open_beam = !(config.early_stopping
            && sentences
                .iter()
                .all(|s| s.finished.iter().all(|f| f.finished)));
        if !(improvement_possible && open_beam && !all_hit) {
            break;
        }
    }
    Ok(sentences
        .into_iter()
        .map(|s| {
            let best = &s.finished[0];
            Hypothesis {
                ids: best.tokens.iter().map(|t| t.0).collect(),
                logprob: best.tokens.iter().map(|t| f64::from(t.1)).sum::<f64>(),
            }
        })
        .collect())
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
