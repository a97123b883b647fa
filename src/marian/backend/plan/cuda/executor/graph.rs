//! A batch's step as one captured CUDA graph: the step's kernel launches (and cuBLAS products)
//! recorded once and replayed every step with a single launch, instead of ~13 launches a layer
//! from the host. What makes it possible is the plan's rule: every buffer is allocated once a
//! batch and no launch argument depends on the step (the position, tokens and ancestry are read
//! from the control block, copied in before each replay).
//!
//! The first step of a batch runs kernel by kernel (cuBLAS chooses its algorithms and workspace
//! outside any capture), then the step is captured. A capture that fails leaves the batch
//! running kernel by kernel, with the reason kept for the engine's report; `ENTENTE_CUDA_GRAPHS=0`
//! turns capture off. Never run on a GPU yet.

use std::sync::Mutex;

use cudarc::cublas::{CudaBlas, Gemm};
use cudarc::driver::{sys, CudaGraph};

use super::{CudaBatch, CudaPlanEngine, Element, Result};
use crate::marian::backend::plan::{Kernel, Plan};

/// How a batch's steps are launched.
pub(super) enum Replay {
    /// The next step runs kernel by kernel, then is captured.
    Warming,
    /// The step as one graph.
    Captured(Graph),
    /// Kernel by kernel, every step.
    Eager,
}

/// A captured graph, used by the one thread that runs its batch at a time.
pub(super) struct Graph(CudaGraph);

// SAFETY: a CUDA graph may be used from any thread as long as no two use it at once (CUDA's
// graph thread-safety rules); it is owned by one batch, which `&mut` methods drive.
unsafe impl Send for Graph {}

/// What the engine's batches did about graphs, for its report.
#[derive(Debug, Default)]
pub(super) struct GraphTally {
    captured: usize,
    failed: usize,
    /// The first failure's reason.
    first_failure: Option<String>,
}

/// Whether steps are captured as graphs (`ENTENTE_CUDA_GRAPHS=0` turns it off).
pub(super) fn graphs_wanted() -> bool {
    std::env::var("ENTENTE_CUDA_GRAPHS").map_or(true, |v| v.trim() != "0")
}

/// The engine's report line on graphs.
pub(super) fn report(tally: &Mutex<GraphTally>) -> String {
    let tally = tally.lock().unwrap_or_else(|e| e.into_inner());
    if !graphs_wanted() {
        return "CUDA graphs off (ENTENTE_CUDA_GRAPHS=0): every step launched kernel by kernel"
            .into();
    }
    let mut line = format!(
        "CUDA graphs: {} batches captured, {} ran kernel by kernel",
        tally.captured, tally.failed
    );
    if let Some(reason) = &tally.first_failure {
        line.push_str(&format!(" (first capture failure: {reason})"));
    }
    line
}

impl<T: Element> CudaBatch<T>
where
    CudaBlas: Gemm<T>,
{
    /// The step's kernels, as the batch replays them: kernel by kernel on its first step (then
    /// captured), as one graph after.
    pub(super) fn launch_step(&mut self, engine: &CudaPlanEngine<T>, plan: &Plan) -> Result<()> {
        match &self.replay {
            Replay::Captured(Graph(graph)) => graph.launch().map_err(|e| {
                super::device_error(engine.device, "replaying the step's graph")(e.to_string())
            }),
            Replay::Eager => self.launch(engine, plan, &plan.step),
            Replay::Warming => {
                self.launch(engine, plan, &plan.step)?;
                self.replay = self.capture(engine, plan);
                Ok(())
            }
        }
    }

    /// `kernels` of `plan`, launched one by one.
    pub(super) fn launch(
        &mut self,
        engine: &CudaPlanEngine<T>,
        plan: &Plan,
        kernels: &[Kernel],
    ) -> Result<()> {
        for kernel in kernels {
            self.run(engine, plan, kernel)?;
        }
        Ok(())
    }

    /// Record the step's launches into a graph (nothing runs while recording).
    fn capture(&mut self, engine: &CudaPlanEngine<T>, plan: &Plan) -> Replay {
        let stream = &engine.stream;
        let mode = sys::CUstreamCaptureMode::CU_STREAM_CAPTURE_MODE_THREAD_LOCAL;
        let outcome = match stream.begin_capture(mode) {
            Err(e) => Err(e.to_string()),
            Ok(()) => {
                let recorded = self.launch(engine, plan, &plan.step);
                // Ended whatever happened, so that the stream leaves capture mode.
                let ended = stream.end_capture(sys::CUgraphInstantiate_flags(0));
                match (recorded, ended) {
                    (Err(e), _) => Err(e.to_string()),
                    (Ok(()), Err(e)) => Err(e.to_string()),
                    (Ok(()), Ok(None)) => Err("the capture recorded nothing".into()),
                    (Ok(()), Ok(Some(graph))) => Ok(graph),
                }
            }
        };
        let mut tally = engine.graphs.lock().unwrap_or_else(|e| e.into_inner());
        match outcome {
            Ok(graph) => {
                tally.captured += 1;
                Replay::Captured(Graph(graph))
            }
            Err(reason) => {
                tally.failed += 1;
                tally.first_failure.get_or_insert(reason);
                Replay::Eager
            }
        }
    }
}
