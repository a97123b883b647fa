//! Search on the device: the step's edits block in, the selection kernels of `kernels.cu`
//! (`select_greedy`; `select_beam_rows` then `select_beam_merge`) over the float32 logits, and
//! only the candidates out — 8 bytes a row (greedy) or a candidate (beam), where the dense path
//! copied 4 × vocab bytes a row. The buffers are allocated at the batch's first pick and reused
//! for every step (a batch searches one way); every launch argument comes from the plan or the
//! batch's edits stride.

use cudarc::cublas::{CudaBlas, Gemm};
use cudarc::driver::{CudaSlice, LaunchConfig, PushKernelArg};

use super::{device_error, CudaBatch, CudaPlanEngine, Element, Result};
use crate::generate::candidates::from_dense;
use crate::generate::{Candidate, Processing, Wanted};
use crate::marian::backend::plan::select::{read_picked, EditsBlock, Mode, MAX_DEVICE_K};
use crate::marian::backend::plan::Plan;

/// The selection's device buffers for one batch.
pub(super) struct Picking {
    /// The edits block (rows × stride words).
    edits: CudaSlice<u32>,
    /// Beam search's per-row lists (rows × k triples).
    row_top: CudaSlice<u32>,
    /// The candidates (pairs): rows (greedy) or sentences × k (beam).
    picked: CudaSlice<u32>,
    /// Words of `picked` a step fills.
    picked_words: usize,
    /// What the buffers were sized for.
    mode: Mode,
    edits_words: usize,
}

impl Picking {
    /// The buffers of a batch of `plan`'s shape picking as `edits` asks.
    fn new<T: Element>(
        engine: &CudaPlanEngine<T>,
        plan: &Plan,
        edits: &EditsBlock,
    ) -> Result<Self> {
        let alloc = |n: usize| {
            engine
                .stream
                .alloc_zeros::<u32>(n.max(1))
                .map_err(|e| device_error(engine.device, "allocating the selection")(e.to_string()))
        };
        let (rows, k) = (plan.shape.rows, edits.mode.k());
        let picked_words = match edits.mode {
            Mode::Greedy => 2 * rows,
            Mode::Beam { .. } => 2 * plan.shape.sentences * k,
        };
        Ok(Picking {
            edits: alloc(edits.words.len())?,
            row_top: alloc(3 * rows * k)?,
            picked: alloc(picked_words)?,
            picked_words,
            mode: edits.mode,
            edits_words: edits.words.len(),
        })
    }
}

impl<T: Element> CudaBatch<T>
where
    CudaBlas: Gemm<T>,
{
    /// The candidates of the step just run (see [`crate::generate::candidates`]), picked on the
    /// device under `edits`. A beam search wider than the kernels hold (2·beams above
    /// [`MAX_DEVICE_K`]) reads the dense logits into `scratch` and picks on the host instead.
    pub fn pick(
        &mut self,
        engine: &CudaPlanEngine<T>,
        plan: &Plan,
        edits: &EditsBlock,
        processing: Processing,
        (wanted, scratch): (Wanted, &mut Vec<f32>),
        out: &mut Vec<Candidate>,
    ) -> Result<()> {
        let rows = plan.shape.rows;
        let k = edits.mode.k();
        if k > MAX_DEVICE_K {
            self.read_logits(engine, plan, rows, scratch)?;
            from_dense(scratch, plan.dims.vocab, wanted, processing, out);
            return Ok(());
        }
        let fail = |what| device_error(engine.device, what);
        let stream = &engine.stream;
        let sized = |p: &Picking| p.mode == edits.mode && p.edits_words == edits.words.len();
        if !self.picking.as_ref().is_some_and(sized) {
            self.picking = Some(Picking::new(engine, plan, edits)?);
        }
        let picking = self.picking.as_mut().expect("allocated above");
        stream
            .memcpy_htod(&edits.words, &mut picking.edits)
            .map_err(|e| fail("writing the search edits")(e.to_string()))?;
        let launched =
            |e: cudarc::driver::DriverError| fail("launching a selection")(e.to_string());
        let (stride, vocab) = (edits.stride as u32, plan.dims.vocab as u32);
        let penalty = processing.repetition_penalty;
        let renormalize = u32::from(processing.renormalize);
        let block = |grid: usize, threads: u32| LaunchConfig {
            grid_dim: (grid as u32, 1, 1),
            block_dim: (threads, 1, 1),
            shared_mem_bytes: 0,
        };
        match edits.mode {
            Mode::Greedy => {
                let mut b = stream.launch_builder(engine.function("select_greedy"));
                b.arg(&mut self.logits).arg(&picking.edits).arg(&stride);
                b.arg(&vocab).arg(&penalty).arg(&renormalize);
                b.arg(&mut picking.picked);
                // SAFETY: `select_greedy`'s arguments; the edits block holds rows × stride words.
                unsafe { b.launch(block(rows, 256)) }.map_err(launched)?;
            }
            Mode::Beam { beams } => {
                let (beams32, k32) = (beams as u32, k as u32);
                let sentences = plan.shape.sentences as u32;
                let mut b = stream.launch_builder(engine.function("select_beam_rows"));
                b.arg(&mut self.logits).arg(&picking.edits).arg(&stride);
                b.arg(&vocab).arg(&penalty).arg(&renormalize);
                b.arg(&beams32).arg(&k32).arg(&mut picking.row_top);
                // SAFETY: `select_beam_rows`'s arguments; k ≤ MAX_K (checked above).
                unsafe { b.launch(block(rows, 256)) }.map_err(launched)?;
                let mut b = stream.launch_builder(engine.function("select_beam_merge"));
                b.arg(&picking.row_top)
                    .arg(&sentences)
                    .arg(&beams32)
                    .arg(&k32);
                b.arg(&mut picking.picked);
                // SAFETY: `select_beam_merge`'s arguments.
                unsafe { b.launch(block(plan.shape.sentences.div_ceil(32), 32)) }
                    .map_err(launched)?;
            }
        }
        let words = stream
            .clone_dtoh(&picking.picked.slice(..picking.picked_words))
            .map_err(|e| fail("reading the candidates")(e.to_string()))?;
        read_picked(&words, out);
        Ok(())
    }
}
