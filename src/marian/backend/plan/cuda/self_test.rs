//! Each CUDA kernel against its CPU twin, on the device at hand: a plan is run kernel by
//! kernel on both, every buffer a kernel writes is compared, and the CPU's values are written
//! back to the device before the next kernel, so that each kernel is judged on the same inputs
//! (errors do not accumulate); after each step, the selection kernels (search on the device)
//! on the twin's logits. What `scripts/gpu_check.sh` runs first.

use cudarc::cublas::{CudaBlas, Gemm};

use super::executor::{CudaBatch, CudaPlanEngine, Element};

use crate::generate::{Candidate, Processing, RowEdits, Wanted};
use crate::marian::backend::plan::cpu::{self, Arena};
use crate::marian::backend::plan::select::{self, EditsBlock};
use crate::marian::backend::plan::weights::DecoderWeights;
use crate::marian::backend::plan::Kernel;
use crate::marian::backend::plan::Plan;
use crate::marian::error::ComputeError;

/// One kernel's comparison.
#[derive(Debug, Clone)]
pub struct KernelCheck {
    /// Position in the start list, then the step list, then the selections (greedy, beam).
    pub index: usize,
    /// The target position the step kernels ran at.
    pub position: usize,
    pub kernel: &'static str,
    /// Largest |device − twin| over the buffers written, relative to the twin's largest value.
    pub relative_error: f32,
    pub within: bool,
}

/// Run `plan`'s start kernels, then its step kernels for `steps` positions (each row fed token
/// `(7 · position + row) mod vocab`), on both, with the same `source` states and `control`
/// block; `tolerance` is the largest relative error allowed (f32: 1e-5, f16: 2e-3).
pub fn kernel_by_kernel<T: Element>(
    engine: &CudaPlanEngine<T>,
    weights: &DecoderWeights,
    plan: &Plan,
    source: &[f32],
    control: &[u32],
    steps: usize,
    tolerance: f32,
) -> Result<Vec<KernelCheck>, ComputeError>
where
    CudaBlas: Gemm<T>,
{
    let mut arena = Arena::new(plan);
    arena.control.copy_from_slice(control);
    arena.buffer_mut(plan.source).copy_from_slice(source);
    let mut device = CudaBatch::start(engine, plan, source, control)?;
    cpu::run(plan, &plan.start, weights, &mut arena)?;
    let (mut checks, mut picks) = (Vec::new(), Vec::new());
    let mut check = |index, position, kernel: &Kernel, arena: &Arena, device: &mut CudaBatch<T>| {
        let worst = worst_error(engine, plan, kernel, arena, device)?;
        checks.push(KernelCheck {
            index,
            position,
            kernel: kernel.name(),
            relative_error: worst,
            within: worst <= tolerance,
        });
        Ok::<_, ComputeError>(())
    };
    // The start kernels ran once, in `start`: judged once.
    for (index, kernel) in plan.start.iter().enumerate() {
        check(index, 0, kernel, &arena, &mut device)?;
    }
    let c = plan.control;
    for position in 0..steps.min(plan.shape.max_target) {
        arena.control[c.position] = position as u32;
        for r in 0..plan.shape.rows {
            arena.control[c.tokens + r] = ((7 * position + r) % plan.dims.vocab) as u32;
        }
        device.write_control(engine, &arena.control)?;
        for (i, kernel) in plan.step.iter().enumerate() {
            cpu::run(plan, std::slice::from_ref(kernel), weights, &mut arena)?;
            device.run(engine, plan, kernel)?;
            check(plan.start.len() + i, position, kernel, &arena, &mut device)?;
        }
        picks.extend(selections(engine, plan, &arena, &mut device, position)?);
    }
    checks.extend(picks);
    Ok(checks)
}

/// Largest relative difference of the selection's log-probabilities allowed: both read the same
/// float32 logits; only the exponentials and logarithms differ (the device's against the host's).
const SELECT_TOLERANCE: f32 = 1e-5;

/// The selection kernels against their twin (`select::select`) on the twin's logits of this
/// step: greedy (a finished row in three) and beam search (the plan's rows a sentence as beams,
/// running scores apart), under a penalty, a banned token a row and some forced rows,
/// renormalizing at odd positions. The same tokens, in the same order, are required, and
/// log-probabilities within [`SELECT_TOLERANCE`].
fn selections<T: Element>(
    engine: &CudaPlanEngine<T>,
    plan: &Plan,
    arena: &Arena,
    device: &mut CudaBatch<T>,
    position: usize,
) -> Result<Vec<KernelCheck>, ComputeError>
where
    CudaBlas: Gemm<T>,
{
    let (rows, vocab) = (plan.shape.rows, plan.dims.vocab);
    let beams = rows / plan.shape.sentences.max(1);
    let logits = &arena.buffer(plan.logits)[..rows * vocab];
    let edit = |r: usize| RowEdits {
        penalized: vec![arena.control[plan.control.tokens + r]],
        banned: vec![((13 * r + position) % vocab) as u32],
        forced: (r % 5 == 4 && position % 2 == 1).then_some(0),
    };
    let processing = Processing {
        repetition_penalty: 1.2,
        renormalize: position % 2 == 1,
    };
    let greedy: Vec<Option<RowEdits>> = (0..rows).map(|r| (r % 3 != 2).then(|| edit(r))).collect();
    let beam: Vec<RowEdits> = (0..rows).map(edit).collect();
    let scores: Vec<f32> = (0..rows).map(|r| -0.25 * (r % beams) as f32).collect();
    let asked = [
        ("select_greedy", Wanted::Greedy { edits: &greedy }),
        (
            "select_beam",
            Wanted::Beam {
                beams,
                edits: &beam,
                scores: &scores,
            },
        ),
    ];
    let mut checks = Vec::new();
    for (i, (name, wanted)) in asked.into_iter().enumerate() {
        let mut block = EditsBlock::for_batch(rows, plan.shape.max_target, &wanted);
        block.pack(&wanted)?;
        let (mut want, mut got, mut scratch) = (Vec::new(), Vec::new(), Vec::new());
        select::select(&mut logits.to_vec(), vocab, &block, processing, &mut want);
        device.write_logits(engine, logits)?;
        device.pick(
            engine,
            plan,
            &block,
            processing,
            (wanted, &mut scratch),
            &mut got,
        )?;
        let agree = |a: &Candidate, b: &Candidate| {
            a.index == b.index
                && (a.logprob.is_finite() || a.logprob.to_bits() == b.logprob.to_bits())
        };
        let same = want.len() == got.len() && want.iter().zip(&got).all(|(a, b)| agree(a, b));
        let error = want
            .iter()
            .zip(&got)
            .filter(|(a, _)| a.logprob.is_finite())
            .map(|(a, b)| (a.logprob - b.logprob).abs() / a.logprob.abs().max(1.0))
            .fold(0f32, |m, e| {
                if e.is_nan() || m.is_nan() {
                    f32::NAN
                } else {
                    m.max(e)
                }
            });
        let relative_error = if same { error } else { f32::INFINITY };
        checks.push(KernelCheck {
            index: plan.start.len() + plan.step.len() + i,
            position,
            kernel: name,
            relative_error,
            within: relative_error <= SELECT_TOLERANCE,
        });
    }
    Ok(checks)
}

/// Largest |device − twin| over the buffers `kernel` wrote, relative to the twin's largest
/// value (a NaN anywhere makes it NaN: a failure); the twin's values are then written back to
/// the device.
fn worst_error<T: Element>(
    engine: &CudaPlanEngine<T>,
    plan: &Plan,
    kernel: &Kernel,
    arena: &Arena,
    device: &mut CudaBatch<T>,
) -> Result<f32, ComputeError>
where
    CudaBlas: Gemm<T>,
{
    let mut worst = 0f32;
    for b in kernel.writes() {
        let twin = arena.buffer(b);
        let got = device.download(engine, plan, b)?;
        let scale = twin.iter().fold(0f32, |m, x| m.max(x.abs())).max(1e-6);
        let error = twin
            .iter()
            .zip(&got)
            .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
        let relative = error / scale;
        // Once NaN, NaN: `f32::max` would otherwise drop it for the next buffer's number.
        worst = if relative.is_nan() || worst.is_nan() {
            f32::NAN
        } else {
            worst.max(relative)
        };
        if b != plan.logits {
            device.upload(engine, b, twin)?;
        }
    }
    Ok(worst)
}
