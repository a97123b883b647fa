//! The plan as a decoder backend on the CPU: a batch builds its plan and buffers once
//! (`start`), and every step writes the control block and replays the same kernel list with
//! the CPU twin. Beams reorder by index bookkeeping in the control block's ancestry, as the host
//! step does; nothing is copied.

use super::cpu::{self, Arena};
use super::ir::Shape;
use super::weights::DecoderWeights;
use super::Plan;
use crate::marian::backend::host::{source_tokens, HostDecoder};
use crate::marian::backend::{BackendState, DecoderBackend, Encoded};
use crate::marian::error::ComputeError;

type Result<T> = std::result::Result<T, ComputeError>;

/// The decoder's weights for the plan, and the longest target a plan is sized for.
pub(in crate::marian) struct PlanDecoder {
    pub(in crate::marian) weights: DecoderWeights,
    max_target: usize,
}

/// One batch: its plan, the buffers and control block, and how far it has gone.
pub(in crate::marian) struct PlanState {
    pub(in crate::marian) plan: Plan,
    pub(in crate::marian) arena: Arena,
    /// Positions decoded so far.
    decoded: usize,
}

impl PlanDecoder {
    /// The plan engine over a float32 host decoder's weights (copied), for targets of up to
    /// `max_target` positions.
    pub(in crate::marian) fn from_host(host: &HostDecoder, max_target: usize) -> Result<Self> {
        Ok(PlanDecoder {
            weights: DecoderWeights::from_host(host)?,
            max_target,
        })
    }
}

impl DecoderBackend for PlanDecoder {
    fn start(&self, encoded: &Encoded, rows_per_sentence: usize) -> Result<BackendState> {
        let d = self.weights.dims.d;
        let graph_tokens;
        let (states, sentence_start) = match encoded {
            Encoded::Host(h) => (&h.states, h.sentence_start.clone()),
            Encoded::Graph(states, mask) => {
                graph_tokens = source_tokens(states, mask)?;
                (&graph_tokens.0, graph_tokens.1.clone())
            }
        };
        let sentences = sentence_start.len().saturating_sub(1);
        let shape = Shape {
            rows: sentences * rows_per_sentence,
            sentences,
            max_target: self.max_target,
            source_tokens: states.len() / d,
        };
        let plan = Plan::build(&self.weights, shape);
        let mut arena = Arena::new(&plan);
        arena.buffer_mut(plan.source).copy_from_slice(states);
        let layout = plan.control;
        for r in 0..shape.rows {
            arena.control[layout.sentence + r] = (r / rows_per_sentence) as u32;
            for t in 0..shape.max_target {
                arena.control[layout.ancestry + t * shape.rows + r] = r as u32;
            }
        }
        for (s, &start) in sentence_start.iter().enumerate() {
            arena.control[layout.source_start + s] = start as u32;
        }
        cpu::run(&plan, &plan.start, &self.weights, &mut arena)?;
        Ok(BackendState::Plan(Box::new(PlanState {
            plan,
            arena,
            decoded: 0,
        })))
    }

    fn step(
        &self,
        state: &mut BackendState,
        position: usize,
        tokens: &[u32],
        logits: &mut Vec<f32>,
    ) -> Result<()> {
        let BackendState::Plan(state) = state else {
            return Err(ComputeError::WrongState);
        };
        let layout = state.plan.control;
        let capacity = state.plan.shape.rows;
        if position >= self.max_target {
            return Err(ComputeError::TargetTooLong {
                positions: self.max_target,
            });
        }
        if tokens.len() != capacity {
            return Err(ComputeError::RowMismatch {
                tokens: tokens.len(),
                rows: capacity,
            });
        }
        let table_rows = self.weights.get(self.weights.embed).len() / self.weights.dims.d;
        if let Some(&bad) = tokens.iter().find(|&&t| t as usize >= table_rows) {
            return Err(ComputeError::TokenOutsideVocabulary {
                id: bad,
                vocab: table_rows,
            });
        }
        // The control block is all that changes between steps.
        let control = &mut state.arena.control;
        control[layout.position] = position as u32;
        control[layout.tokens..layout.tokens + capacity].copy_from_slice(tokens);
        let line = layout.ancestry + position * capacity;
        for (r, a) in control[line..line + capacity].iter_mut().enumerate() {
            *a = r as u32;
        }
        state.decoded = position + 1;
        cpu::run(
            &state.plan,
            &state.plan.step,
            &self.weights,
            &mut state.arena,
        )?;
        let vocab = state.plan.dims.vocab;
        logits.clear();
        logits.extend_from_slice(&state.arena.buffer(state.plan.logits)[..capacity * vocab]);
        Ok(())
    }

    fn reorder(&self, state: &mut BackendState, rows: &[u32]) -> Result<()> {
        let BackendState::Plan(state) = state else {
            return Err(ComputeError::WrongState);
        };
        let capacity = state.plan.shape.rows;
        if rows.len() != capacity || rows.iter().any(|&r| r as usize >= capacity) {
            return Err(ComputeError::RowMismatch {
                tokens: rows.len(),
                rows: capacity,
            });
        }
        let layout = state.plan.control;
        let mut reordered = vec![0u32; capacity];
        for t in 0..state.decoded {
            let line = &mut state.arena.control[layout.ancestry + t * capacity..][..capacity];
            for (new, &r) in reordered.iter_mut().zip(rows) {
                *new = line[r as usize];
            }
            line.copy_from_slice(&reordered);
        }
        Ok(())
    }
}
