//! The plan as a decoder backend on the CPU: a batch builds its plan and buffers once
//! (`start`), and every step writes the control block and replays the same kernel list with
//! the CPU twin. Beams reorder by index bookkeeping in the control block's ancestry, as the host
//! step does; nothing is copied.

use super::compact;
use super::cpu::{self, Arena};
#[cfg(feature = "cuda-engine")]
use super::cuda::executor::{CudaBatch, CudaPlanEngine};
#[cfg(feature = "cuda-engine")]
use super::cuda::Storage;
use super::ir::Shape;
use super::select::{self, EditsBlock};
use super::weights::DecoderWeights;
use super::Plan;
use crate::generate::{Candidate, Processing, Wanted};
use crate::marian::backend::host::{source_tokens, HostDecoder};
use crate::marian::backend::{BackendState, DecoderBackend, Encoded};
use crate::marian::error::ComputeError;
use crate::profile::{self, Span};

type Result<T> = std::result::Result<T, ComputeError>;

/// Where the plan's kernels run.
pub enum Executor {
    /// The CPU twin.
    Cpu,
    /// A CUDA device, activations and weights in f16.
    #[cfg(feature = "cuda-engine")]
    CudaF16(Box<CudaPlanEngine<half::f16>>),
    /// A CUDA device in f32 (parity with the CPU).
    #[cfg(feature = "cuda-engine")]
    CudaF32(Box<CudaPlanEngine<f32>>),
}

/// A batch's buffers where the kernels run (the CPU twin's are in the arena).
enum Running {
    Cpu,
    #[cfg(feature = "cuda-engine")]
    CudaF16(CudaBatch<half::f16>),
    #[cfg(feature = "cuda-engine")]
    CudaF32(CudaBatch<f32>),
}

/// The decoder's weights for the plan, where its kernels run, and the longest target a plan is
/// sized for.
pub(in crate::marian) struct PlanDecoder {
    pub(in crate::marian) weights: DecoderWeights,
    executor: Executor,
    max_target: usize,
}

/// One batch: its plan, the control block (and the CPU twin's buffers), and how far it has
/// gone.
pub(in crate::marian) struct PlanState {
    pub(in crate::marian) plan: Plan,
    pub(in crate::marian) arena: Arena,
    running: Running,
    /// Positions decoded so far.
    decoded: usize,
    /// Search's edits of the step, sized at the batch's first pick.
    edits: Option<EditsBlock>,
}

impl PlanDecoder {
    /// The plan engine over a float32 host decoder's weights (copied), for targets of up to
    /// `max_target` positions.
    pub(in crate::marian) fn from_host(host: &HostDecoder, max_target: usize) -> Result<Self> {
        Ok(PlanDecoder {
            weights: DecoderWeights::from_host(host)?,
            executor: Executor::Cpu,
            max_target,
        })
    }

    /// Run the kernels on CUDA device `device`, storing activations and weights as `storage`.
    #[cfg(feature = "cuda-engine")]
    pub(in crate::marian) fn on_cuda(&mut self, device: usize, storage: Storage) -> Result<()> {
        self.executor = match storage {
            Storage::F16 => {
                Executor::CudaF16(Box::new(CudaPlanEngine::new(device, &self.weights)?))
            }
            Storage::F32 => {
                Executor::CudaF32(Box::new(CudaPlanEngine::new(device, &self.weights)?))
            }
        };
        Ok(())
    }

    /// The plan of a batch, its control block filled (and, `with_buffers`, the CPU twin's
    /// buffers allocated), and the source tokens' encoder states.
    fn prepare(
        &self,
        encoded: &Encoded,
        rows_per_sentence: usize,
        with_buffers: bool,
    ) -> Result<(Plan, Arena, Vec<f32>)> {
        let d = self.weights.dims.d;
        let (states, sentence_start) = match encoded {
            Encoded::Host(h) => (h.states.clone(), h.sentence_start.clone()),
            Encoded::Graph(states, mask) => source_tokens(states, mask)?,
        };
        let sentences = sentence_start.len().saturating_sub(1);
        let shape = Shape {
            rows: sentences * rows_per_sentence,
            sentences,
            max_target: self.max_target,
            source_tokens: states.len() / d,
        };
        let plan = Plan::build(&self.weights, shape);
        let mut arena = if with_buffers {
            Arena::new(&plan)
        } else {
            Arena::control_only(&plan)
        };
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
        Ok((plan, arena, states))
    }

    /// Each CUDA kernel against its CPU twin on device `device` (see `cuda::self_test`), over a
    /// plan for `encoded` with `beams` rows a sentence, for `steps` positions.
    #[cfg(feature = "cuda-engine")]
    pub(in crate::marian) fn kernel_check(
        &self,
        encoded: &Encoded,
        beams: usize,
        device: usize,
        storage: Storage,
        steps: usize,
    ) -> Result<Vec<super::cuda::self_test::KernelCheck>> {
        use super::cuda::self_test::kernel_by_kernel;
        let (plan, arena, source) = self.prepare(encoded, beams, false)?;
        let (plan, control) = (&plan, &arena.control);
        Ok(match storage {
            Storage::F16 => {
                let engine = CudaPlanEngine::<half::f16>::new(device, &self.weights)?;
                kernel_by_kernel(&engine, &self.weights, plan, &source, control, steps, 2e-3)?
            }
            Storage::F32 => {
                let engine = CudaPlanEngine::<f32>::new(device, &self.weights)?;
                kernel_by_kernel(&engine, &self.weights, plan, &source, control, steps, 1e-5)?
            }
        })
    }

    /// How the CUDA engine launched its steps (graphs), None on the CPU twin.
    #[cfg(feature = "cuda-engine")]
    pub(in crate::marian) fn graph_report(&self) -> Option<String> {
        match &self.executor {
            Executor::Cpu => None,
            Executor::CudaF16(engine) => Some(engine.graph_report()),
            Executor::CudaF32(engine) => Some(engine.graph_report()),
        }
    }

    /// The CUDA device the kernels run on, with its free and total memory (after the weights).
    #[cfg(feature = "cuda-engine")]
    pub(in crate::marian) fn device_memory(&self) -> Option<(usize, usize, usize)> {
        let (device, memory) = match &self.executor {
            Executor::Cpu => return None,
            Executor::CudaF16(engine) => (engine.device, engine.memory()),
            Executor::CudaF32(engine) => (engine.device, engine.memory()),
        };
        memory.ok().map(|(free, total)| (device, free, total))
    }

    /// The batch's buffers where the kernels run; the start kernels run.
    fn start_running(&self, plan: &Plan, arena: &mut Arena, source: &[f32]) -> Result<Running> {
        Ok(match &self.executor {
            Executor::Cpu => {
                arena.buffer_mut(plan.source).copy_from_slice(source);
                cpu::run(plan, &plan.start, &self.weights, arena)?;
                Running::Cpu
            }
            #[cfg(feature = "cuda-engine")]
            Executor::CudaF16(engine) => {
                Running::CudaF16(CudaBatch::start(engine, plan, source, &arena.control)?)
            }
            #[cfg(feature = "cuda-engine")]
            Executor::CudaF32(engine) => {
                Running::CudaF32(CudaBatch::start(engine, plan, source, &arena.control)?)
            }
        })
    }
    /// The batch planned again for rows `rows` (fewer than it has; see `super::compact`).
    fn compact(&self, state: &mut PlanState, rows: &[u32]) -> Result<()> {
        let control = &state.arena.control;
        let c = compact::compaction(&self.weights, &state.plan, control, rows, state.decoded);
        // The CPU twin's buffers are in the arena; a device's, in the batch (the arena then
        // holds the control block alone).
        state.arena = if matches!(self.executor, Executor::Cpu) {
            compact::arena(&mut state.arena, &c)
        } else {
            Arena::from_parts(Vec::new(), c.control.clone())
        };
        let running = std::mem::replace(&mut state.running, Running::Cpu);
        state.running = match (&self.executor, running) {
            (Executor::Cpu, Running::Cpu) => Running::Cpu,
            #[cfg(feature = "cuda-engine")]
            (Executor::CudaF16(engine), Running::CudaF16(batch)) => {
                Running::CudaF16(batch.compact(engine, &c.plan, &c.control, &c.gather)?)
            }
            #[cfg(feature = "cuda-engine")]
            (Executor::CudaF32(engine), Running::CudaF32(batch)) => {
                Running::CudaF32(batch.compact(engine, &c.plan, &c.control, &c.gather)?)
            }
            #[allow(unreachable_patterns)] // with `cuda-engine`
            _ => return Err(ComputeError::WrongState),
        };
        state.plan = c.plan;
        // The edits block is sized for the rows: sized again at the next pick.
        state.edits = None;
        Ok(())
    }

    /// Check a step's tokens, write the control block and run the step's kernels where they
    /// run; the logits stay there.
    fn run_step<'s>(
        &self,
        state: &'s mut BackendState,
        position: usize,
        tokens: &[u32],
    ) -> Result<&'s mut PlanState> {
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
        let (plan, arena) = (&state.plan, &mut state.arena);
        match (&self.executor, &mut state.running) {
            (Executor::Cpu, Running::Cpu) => cpu::run(plan, &plan.step, &self.weights, arena)?,
            #[cfg(feature = "cuda-engine")]
            (Executor::CudaF16(engine), Running::CudaF16(batch)) => {
                batch.run_step(engine, plan, &arena.control)?
            }
            #[cfg(feature = "cuda-engine")]
            (Executor::CudaF32(engine), Running::CudaF32(batch)) => {
                batch.run_step(engine, plan, &arena.control)?
            }
            #[allow(unreachable_patterns)] // with `cuda-engine`
            _ => return Err(ComputeError::WrongState),
        }
        Ok(state)
    }
}

impl DecoderBackend for PlanDecoder {
    fn start(&self, encoded: &Encoded, rows_per_sentence: usize) -> Result<BackendState> {
        let on_cpu = matches!(self.executor, Executor::Cpu);
        let (plan, mut arena, states) = self.prepare(encoded, rows_per_sentence, on_cpu)?;
        let running = self.start_running(&plan, &mut arena, &states)?;
        Ok(BackendState::Plan(Box::new(PlanState {
            plan,
            arena,
            running,
            decoded: 0,
            edits: None,
        })))
    }

    fn step(
        &self,
        state: &mut BackendState,
        position: usize,
        tokens: &[u32],
        logits: &mut Vec<f32>,
    ) -> Result<()> {
        let state = self.run_step(state, position, tokens)?;
        let (plan, arena) = (&state.plan, &state.arena);
        let rows = plan.shape.rows;
        match (&self.executor, &mut state.running) {
            (Executor::Cpu, Running::Cpu) => {
                logits.clear();
                logits.extend_from_slice(&arena.buffer(plan.logits)[..rows * plan.dims.vocab]);
            }
            #[cfg(feature = "cuda-engine")]
            (Executor::CudaF16(engine), Running::CudaF16(batch)) => {
                batch.read_logits(engine, plan, rows, logits)?
            }
            #[cfg(feature = "cuda-engine")]
            (Executor::CudaF32(engine), Running::CudaF32(batch)) => {
                batch.read_logits(engine, plan, rows, logits)?
            }
            #[allow(unreachable_patterns)] // with `cuda-engine`
            _ => return Err(ComputeError::WrongState),
        }
        Ok(())
    }

    /// The step's kernels, then the pick where the logits are: the CPU twin of the selection
    /// kernels, or the kernels themselves on the device (only the candidates come back;
    /// `scratch` takes the dense logits only where the device cannot pick).
    #[cfg_attr(not(feature = "cuda-engine"), allow(unused_variables))] // `scratch`
    fn step_candidates(
        &self,
        state: &mut BackendState,
        position: usize,
        tokens: &[u32],
        wanted: Wanted,
        processing: Processing,
        scratch: &mut Vec<f32>,
        out: &mut Vec<Candidate>,
    ) -> Result<()> {
        let state = self.run_step(state, position, tokens)?;
        let rows = state.plan.shape.rows;
        let edits = (state.edits)
            .get_or_insert_with(|| EditsBlock::for_batch(rows, self.max_target, &wanted));
        edits.pack(&wanted)?;
        let _searching = profile::Timer::start(Span::Search);
        let (plan, arena) = (&state.plan, &mut state.arena);
        match (&self.executor, &mut state.running) {
            (Executor::Cpu, Running::Cpu) => {
                let vocab = plan.dims.vocab;
                let logits = &mut arena.buffer_mut(plan.logits)[..rows * vocab];
                select::select(logits, vocab, edits, processing, out);
            }
            #[cfg(feature = "cuda-engine")]
            (Executor::CudaF16(engine), Running::CudaF16(batch)) => {
                batch.pick(engine, plan, edits, processing, (wanted, scratch), out)?
            }
            #[cfg(feature = "cuda-engine")]
            (Executor::CudaF32(engine), Running::CudaF32(batch)) => {
                batch.pick(engine, plan, edits, processing, (wanted, scratch), out)?
            }
            #[allow(unreachable_patterns)] // with `cuda-engine`
            _ => return Err(ComputeError::WrongState),
        }
        Ok(())
    }

    /// Every row is computed from its own history (the twin's products are batch-invariant):
    /// a batch that drops rows is planned again for the rows it keeps.
    fn drops_rows(&self) -> bool {
        true
    }

    fn reorder(&self, state: &mut BackendState, rows: &[u32]) -> Result<()> {
        let BackendState::Plan(state) = state else {
            return Err(ComputeError::WrongState);
        };
        let capacity = state.plan.shape.rows;
        if rows.is_empty() || rows.len() > capacity || rows.iter().any(|&r| r as usize >= capacity)
        {
            return Err(ComputeError::RowMismatch {
                tokens: rows.len(),
                rows: capacity,
            });
        }
        if rows.len() < capacity {
            return self.compact(state, rows);
        }
        let layout = state.plan.control;
        let mut reordered = vec![0u32; capacity];
        // Each decoded position's ancestry, and each row's sentence (a row may move to
        // another sentence's place), follow the rows.
        let lines = (0..state.decoded).map(|t| layout.ancestry + t * capacity);
        for start in lines.chain([layout.sentence]) {
            let line = &mut state.arena.control[start..][..capacity];
            for (new, &r) in reordered.iter_mut().zip(rows) {
                *new = line[r as usize];
            }
            line.copy_from_slice(&reordered);
        }
        Ok(())
    }
}
