//! Beam search as transformers' `_beam_search` (v5): per sentence, the top 2·k continuations of
//! the k running beams by accumulated float32 log-probability; the best k that did not finish keep
//! running; those among the top k that finished (EOS or maximum length) compete, with their score
//! divided by length^length_penalty, for the k finished slots; the sentence stops improving once
//! its best running beam cannot beat its worst finished one (the `early_stopping=False`
//! heuristic), and the search ends when no sentence can improve or every candidate finished.

use super::candidates::TopK;
use super::{Candidate, GenerationConfig, Hypothesis, Processing, RowEdits, StepModel, Wanted};

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

/// Indices of the `k` largest values, largest first; ties keep the lower index first.
fn top_k(values: &[f32], k: usize) -> Vec<usize> {
    let mut top = TopK::new(k);
    for (i, &v) in values.iter().enumerate() {
        top.offer(i, v);
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
    // The sentences whose beams the decoding state holds, in its order (all of them until
    // sentences that cannot improve are dropped).
    let mut live: Vec<usize> = (0..batch).collect();
    let mut cur_len = 1;
    let mut tokens = vec![config.decoder_start_token_id; batch * k];
    let (mut log_probs, mut candidates) = (Vec::new(), Vec::new());
    let processing = Processing::from(config);
    loop {
        let edits = row_edits(live.iter().map(|&s| &sentences[s]), cur_len, config, vocab);
        let scores: Vec<f32> = (live.iter())
            .flat_map(|&s| sentences[s].running.iter().map(|b| b.score))
            .collect();
        let wanted = Wanted::Beam {
            beams: k,
            edits: &edits,
            scores: &scores,
        };
        model.step_candidates(
            &mut state,
            &tokens,
            wanted,
            processing,
            &mut log_probs,
            &mut candidates,
        )?;
        let step = Step {
            k,
            vocab,
            config,
            reached_max: cur_len + 1 >= config.max_length,
            divisor: length_divisor(config, cur_len),
        };
        let mut all_hit = true;
        let mut parents: Vec<u32> = Vec::with_capacity(live.len() * k);
        for (b, &s) in live.iter().enumerate() {
            let offered = &candidates[b * 2 * k..(b + 1) * 2 * k];
            let (next, hit) = sentences[s].advance(offered, &step);
            all_hit &= hit;
            parents.extend(next.iter().map(|&beam| (b * k + beam) as u32));
        }
        cur_len += 1;
        let divisor = length_divisor(config, cur_len - 1);
        for &s in &live {
            sentences[s].check_improvable(divisor);
        }
        drop_settled(model, &sentences, &mut live, &mut parents, k);
        model.reorder(&mut state, &parents)?;
        tokens = (live.iter())
            .flat_map(|&s| sentences[s].running.iter())
            .map(|b| b.tokens.last().map_or(0, |t| t.0))
            .collect();
        if !keep_searching(&sentences, config, all_hit) {
            break;
        }
    }
    Ok(sentences.iter().map(Sentence::best).collect())
}

/// Once the sentences that can no longer improve are half of those in the decoding state or
/// more, and the model can drop rows without changing the others' numbers, their beams leave
/// the state (`parents`, the rows the next step keeps, loses them). Exact: such a sentence has
/// k finished hypotheses with real scores, which its later candidates (pushed down by NEG_BIG)
/// never displace; and "every candidate finished" is only reached at the maximum length, where
/// it holds for every sentence alike (a step offers at most one EOS a beam, k of 2·k).
fn drop_settled<M: StepModel>(
    model: &M,
    sentences: &[Sentence],
    live: &mut Vec<usize>,
    parents: &mut Vec<u32>,
    k: usize,
) {
    let open = live.iter().filter(|&&s| sentences[s].improvable).count();
    if !model.drops_rows() || open == 0 || 2 * open > live.len() {
        return;
    }
    let keep: Vec<usize> = (0..live.len())
        .filter(|&b| sentences[live[b]].improvable)
        .collect();
    *parents = keep
        .iter()
        .flat_map(|&b| parents[b * k..(b + 1) * k].iter().copied())
        .collect();
    *live = keep.iter().map(|&b| live[b]).collect();
}

/// A finished hypothesis's score divisor at generated length `len`: len^length_penalty.
fn length_divisor(config: &GenerationConfig, len: usize) -> f32 {
    (len as f64).powf(f64::from(config.length_penalty)) as f32
}

/// The logits processors' edits of each running beam's row, from the beam's sequence so far.
fn row_edits<'a>(
    sentences: impl Iterator<Item = &'a Sentence>,
    cur_len: usize,
    config: &GenerationConfig,
    vocab: usize,
) -> Vec<RowEdits> {
    let mut sequence = Vec::with_capacity(cur_len);
    let beams = sentences.flat_map(|s| &s.running);
    beams
        .map(|beam| {
            sequence.clear();
            sequence.push(config.decoder_start_token_id);
            sequence.extend(beam.tokens.iter().map(|t| t.0));
            RowEdits::for_sequence(&sequence, config, vocab)
        })
        .collect()
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

    /// One step from this sentence's `offered` continuations (the top max(2, 1 + one EOS
    /// token) · k by accumulated score, best first): the new running beams and finished slots.
    /// Returns the beam each new running beam extends, and whether every candidate finished.
    fn advance(&mut self, offered: &[Candidate], step: &Step) -> (Vec<usize>, bool) {
        let (k, vocab, config) = (step.k, step.vocab, step.config);
        let running = &self.running;
        // Accumulated scores of the continuations, in float32, as the step ranked them.
        let beam_of = |c: Candidate| c.index as usize / vocab;
        let accumulated = |n: usize| offered[n].logprob + running[beam_of(offered[n])].score;
        let hits: Vec<bool> = offered
            .iter()
            .map(|c| step.reached_max || (c.index as usize % vocab) as u32 == config.eos_token_id)
            .collect();
        let all_hit = hits.iter().all(|&h| h);
        let extend = |n: usize| {
            let c = offered[n];
            let mut t = running[beam_of(c)].tokens.clone();
            t.push(((c.index as usize % vocab) as u32, c.logprob));
            t
        };

        // The beams that keep running.
        let running_scores: Vec<f32> = (hits.iter().enumerate())
            .map(|(n, &hit)| accumulated(n) + if hit { NEG_BIG } else { -0.0 })
            .collect();
        let next = top_k(&running_scores, k);
        let new_running: Vec<Beam> = next
            .iter()
            .map(|&n| Beam {
                tokens: extend(n),
                score: running_scores[n],
            })
            .collect();
        let parents = next.iter().map(|&n| beam_of(offered[n])).collect();

        // Finished hypotheses compete for the k slots.
        let all_finished = self.finished.iter().all(|s| s.finished);
        let mut merged: Vec<Slot> = self.finished.clone();
        for (rank, &hit) in hits.iter().enumerate() {
            let just_finished = hit && rank < k;
            let mut score = accumulated(rank) / step.divisor;
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
                tokens: extend(rank),
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
