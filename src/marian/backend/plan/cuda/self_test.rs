//! Each CUDA kernel against its CPU twin, on the device at hand: a plan is run kernel by
//! kernel on both, every buffer a kernel writes is compared, and the CPU's values are written
//! back to the device before the next kernel, so that each kernel is judged on the same inputs
//! (errors do not accumulate). What `scripts/gpu_check.sh` runs first.

use cudarc::cublas::{CudaBlas, Gemm};

use super::executor::{CudaBatch, CudaPlanEngine, Element};

use crate::marian::backend::plan::cpu::{self, Arena};
use crate::marian::backend::plan::weights::DecoderWeights;
use crate::marian::backend::plan::Kernel;
use crate::marian::backend::plan::Plan;
use crate::marian::error::ComputeError;

/// One kernel's comparison.
#[derive(Debug, Clone)]
pub struct KernelCheck {
    /// Position in the start list, then the step list.
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
    let mut checks = Vec::new();
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
