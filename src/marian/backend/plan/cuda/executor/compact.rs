//! A batch on the device that keeps fewer rows (see `plan::compact`): the new plan's buffers
//! allocated, the source and cross K|V moved over as they are, each self-attention cache
//! gathered by `copy_rows` into the new layout. The old buffers are freed when the old batch
//! drops; the new batch captures its own graph (a new rows bucket).

use cudarc::cublas::{CudaBlas, Gemm};
use cudarc::driver::{LaunchConfig, PushKernelArg};

use super::{device_error, CudaBatch, CudaPlanEngine, Element, Result};
use crate::marian::backend::plan::Plan;

impl<T: Element> CudaBatch<T>
where
    CudaBlas: Gemm<T>,
{
    /// This batch planned again as `plan` with `control`; `gather[k]` is the old cache row that
    /// row k of each new cache takes (position-major, see `plan::compact`).
    pub fn compact(
        mut self,
        engine: &CudaPlanEngine<T>,
        plan: &Plan,
        control: &[u32],
        gather: &[u32],
    ) -> Result<Self> {
        let kept = plan.batch_buffers();
        let mut batch = Self::allocate(engine, plan, control, &kept)?;
        for b in &kept {
            batch.buffers[b.0] = self.buffers[b.0].take();
        }
        if gather.is_empty() {
            return Ok(batch);
        }
        let fail = |what| device_error(engine.device, what);
        let index = (engine.stream.clone_htod(gather))
            .map_err(|e| fail("writing the compaction's rows")(e.to_string()))?;
        let d = plan.dims.d as u32;
        let config = LaunchConfig {
            grid_dim: (gather.len() as u32, 1, 1),
            block_dim: (256, 1, 1),
            shared_mem_bytes: 0,
        };
        for b in plan.self_caches() {
            let from = self.buffers[b.0].as_ref().expect("a cache of the batch");
            let to = batch.buffers[b.0]
                .as_mut()
                .expect("allocated for the new plan");
            let mut launch = engine.stream.launch_builder(engine.function("copy_rows"));
            launch.arg(from).arg(&index).arg(&d).arg(to);
            // SAFETY: `copy_rows`'s arguments; every gathered row is inside the old cache and
            // the new cache holds `gather.len()` rows of d values.
            unsafe { launch.launch(config) }
                .map_err(|e| fail("gathering the caches")(e.to_string()))?;
        }
        Ok(batch)
    }
}
