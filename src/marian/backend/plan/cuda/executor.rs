//! Running a [`Plan`] on a CUDA device: the weights uploaded once (narrowed to the storage
//! type on the host), a batch's buffers allocated once from the plan's sizes, and each step a
//! copy of the control block in, the plan's kernels launched in order on one stream, and the
//! logits out. Products go to cuBLAS (f16 inputs with f32 accumulation; the output projection
//! writes f32 logits directly); everything else is a kernel of `kernels.cu`.
//!
//! Never run on a GPU yet (none was lent while it was written): it is compile-checked, its
//! kernels through NVRTC; `scripts/gpu_check.sh` is the first run that will test it, kernel by
//! kernel against the CPU twin.

mod compact;
mod graph;
mod launch;
mod pick;

use std::sync::Arc;

use cudarc::cublas::{sys as cublas_sys, CudaBlas, Gemm};
use cudarc::driver::{
    CudaContext, CudaFunction, CudaSlice, CudaStream, DeviceRepr, ValidAsZeroBits,
};

use super::{compile, CudaEngineError, Storage, KERNEL_NAMES};
use crate::marian::backend::plan::ir::{Buffer, Weight};
use crate::marian::backend::plan::weights::DecoderWeights;
use crate::marian::backend::plan::Plan;

type Result<T> = std::result::Result<T, CudaEngineError>;

/// A storage type of the device buffers.
pub trait Element: DeviceRepr + ValidAsZeroBits + Copy + Unpin + Send + Sync + 'static {
    const STORAGE: Storage;
    const CUDA_TYPE: cublas_sys::cudaDataType;
    fn from_f32(x: f32) -> Self;
    fn to_f32(self) -> f32;
}

impl Element for f32 {
    const STORAGE: Storage = Storage::F32;
    const CUDA_TYPE: cublas_sys::cudaDataType = cublas_sys::cudaDataType::CUDA_R_32F;
    fn from_f32(x: f32) -> Self {
        x
    }
    fn to_f32(self) -> f32 {
        self
    }
}

impl Element for half::f16 {
    const STORAGE: Storage = Storage::F16;
    const CUDA_TYPE: cublas_sys::cudaDataType = cublas_sys::cudaDataType::CUDA_R_16F;
    fn from_f32(x: f32) -> Self {
        half::f16::from_f32(x)
    }
    fn to_f32(self) -> f32 {
        half::f16::to_f32(self)
    }
}

/// The control block's layout as the kernels take it (`struct Layout` of `kernels.cu`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub(super) struct KernelLayout {
    rows: u32,
    tokens: u32,
    sentence: u32,
    ancestry: u32,
    source_start: u32,
}

// SAFETY: a plain `repr(C)` struct of u32s, as the kernels declare it.
unsafe impl DeviceRepr for KernelLayout {}

/// A weight on the device: in the storage type, or float32 where the kernels read float32
/// (positions, LayerNorm scales and shifts, the logits' bias).
enum DeviceWeight<T> {
    Stored(CudaSlice<T>),
    F32(CudaSlice<f32>),
}

/// The weights read in float32 whatever the storage.
fn kept_in_f32(name: &str) -> bool {
    name == "positions"
        || name == "final_logits_bias"
        || name.ends_with(".gamma")
        || name.ends_with(".beta")
}

/// One device with the compiled kernels and the decoder's weights.
pub struct CudaPlanEngine<T: Element> {
    pub device: usize,
    stream: Arc<CudaStream>,
    blas: CudaBlas,
    functions: Vec<CudaFunction>,
    weights: Vec<DeviceWeight<T>>,
    /// What the batches did about CUDA graphs.
    graphs: std::sync::Mutex<graph::GraphTally>,
}

fn device_error(device: usize, what: &'static str) -> impl Fn(String) -> CudaEngineError {
    move |reason| CudaEngineError::Device {
        device,
        what,
        reason,
    }
}

/// The NVRTC architecture of a card with compute capability `major.minor`.
fn architecture(major: i32, minor: i32) -> &'static str {
    match (major, minor) {
        (7, _) => "compute_70",
        (8, 0) => "compute_80",
        (8, 6) => "compute_86",
        (8, _) => "compute_89",
        (9, _) => "compute_90",
        (10, _) => "compute_100",
        (12, _) => "compute_120",
        _ => "compute_80",
    }
}

impl<T: Element> CudaPlanEngine<T> {
    /// Open device `device`, compile the kernels for it and upload `weights`.
    pub fn new(device: usize, weights: &DecoderWeights) -> Result<Self> {
        let fail = |what| device_error(device, what);
        if !super::library_present(&super::DRIVER_NAMES) {
            return Err(fail("opening")(
                "the CUDA driver (libcuda) could not be loaded: is there an NVIDIA GPU and driver?"
                    .into(),
            ));
        }
        // cudarc panics when the driver library cannot be loaded: that becomes an error.
        let context = std::panic::catch_unwind(|| CudaContext::new(device))
            .map_err(|_| fail("opening")("the CUDA driver (libcuda) could not be loaded".into()))?
            .map_err(|e| fail("opening")(e.to_string()))?;
        use cudarc::driver::sys::CUdevice_attribute as A;
        let capability = |a| {
            context
                .attribute(a)
                .map_err(|e| fail("reading")(e.to_string()))
        };
        let major = capability(A::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)?;
        let minor = capability(A::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR)?;
        let ptx = compile(T::STORAGE, architecture(major, minor))?;
        let module = context
            .load_module(ptx)
            .map_err(|e| fail("loading the kernels")(e.to_string()))?;
        let functions = KERNEL_NAMES
            .iter()
            .map(|name| module.load_function(name))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| fail("loading the kernels")(e.to_string()))?;
        let stream = context.default_stream();
        let blas =
            CudaBlas::new(stream.clone()).map_err(|e| fail("starting cuBLAS")(e.to_string()))?;
        let upload = |name: &str, values: &[f32]| -> Result<DeviceWeight<T>> {
            let up = |e: cudarc::driver::DriverError| fail("uploading the weights")(e.to_string());
            Ok(if kept_in_f32(name) {
                DeviceWeight::F32(stream.clone_htod(values).map_err(up)?)
            } else {
                let narrowed: Vec<T> = values.iter().map(|&x| T::from_f32(x)).collect();
                DeviceWeight::Stored(stream.clone_htod(&narrowed).map_err(up)?)
            })
        };
        let weights = weights
            .arrays
            .iter()
            .map(|(name, values)| upload(name, values))
            .collect::<Result<Vec<_>>>()?;
        Ok(CudaPlanEngine {
            device,
            stream,
            blas,
            functions,
            weights,
            graphs: Default::default(),
        })
    }

    /// How the batches' steps were launched (CUDA graphs captured, or why not).
    pub fn graph_report(&self) -> String {
        graph::report(&self.graphs)
    }

    /// Bytes free on the device.
    pub fn free_memory(&self) -> Result<usize> {
        Ok(self.memory()?.0)
    }

    /// Bytes free and in all on the device.
    pub fn memory(&self) -> Result<(usize, usize)> {
        self.stream
            .context()
            .mem_get_info()
            .map_err(|e| device_error(self.device, "reading its memory")(e.to_string()))
    }

    fn function(&self, name: &str) -> &CudaFunction {
        let at = KERNEL_NAMES.iter().position(|n| *n == name);
        &self.functions[at.expect("a kernel of kernels.cu")]
    }

    fn stored(&self, w: Weight) -> &CudaSlice<T> {
        match &self.weights[w.0] {
            DeviceWeight::Stored(s) => s,
            DeviceWeight::F32(_) => unreachable!("weight {} is float32", w.0),
        }
    }

    fn float(&self, w: Weight) -> &CudaSlice<f32> {
        match &self.weights[w.0] {
            DeviceWeight::F32(s) => s,
            DeviceWeight::Stored(_) => unreachable!("weight {} is stored", w.0),
        }
    }
}

/// One batch on the device: the plan's buffers (the logits in float32) and the control block.
pub struct CudaBatch<T: Element> {
    buffers: Vec<Option<CudaSlice<T>>>,
    logits: CudaSlice<f32>,
    control: CudaSlice<u32>,
    /// The most source tokens of one sentence (the cross-attention's shared memory).
    longest_source: usize,
    /// The selection's buffers, allocated at the batch's first pick.
    picking: Option<pick::Picking>,
    /// How the step's kernels are launched (one captured graph after the first step).
    replay: graph::Replay,
}

impl<T: Element> CudaBatch<T>
where
    CudaBlas: Gemm<T>,
{
    /// Allocate `plan`'s buffers (refused, with the sizes, when they do not fit), write the
    /// source states and the control block, and run the plan's start kernels.
    pub fn start(
        engine: &CudaPlanEngine<T>,
        plan: &Plan,
        source: &[f32],
        control: &[u32],
    ) -> Result<Self> {
        let mut batch = Self::allocate(engine, plan, control, &[])?;
        batch.upload(engine, plan.source, source)?;
        batch.launch(engine, plan, &plan.start)?;
        Ok(batch)
    }

    /// `plan`'s buffers allocated, but those in `moved_in` (left empty: a compacted batch moves
    /// its own in), and the control block written; refused, with the sizes, when they do not
    /// fit.
    fn allocate(
        engine: &CudaPlanEngine<T>,
        plan: &Plan,
        control: &[u32],
        moved_in: &[Buffer],
    ) -> Result<Self> {
        let fail = device_error(engine.device, "allocating the batch");
        let allocated = |i: usize| !moved_in.contains(&Buffer(i)) && i != plan.logits.0;
        let values: usize = (plan.buffers.iter().enumerate())
            .filter(|(i, _)| allocated(*i))
            .map(|(_, b)| b.len)
            .sum();
        let logits_len = plan.buffers[plan.logits.0].len.max(1);
        let need = values * std::mem::size_of::<T>() + logits_len * 4 + control.len() * 4;
        let free = engine.free_memory()?;
        if need > free {
            return Err(CudaEngineError::OutOfMemory {
                device: engine.device,
                need,
                free,
            });
        }
        let stream = &engine.stream;
        let mut buffers = Vec::with_capacity(plan.buffers.len());
        for (i, spec) in plan.buffers.iter().enumerate() {
            buffers.push(if allocated(i) {
                let slice = stream.alloc_zeros::<T>(spec.len.max(1));
                Some(slice.map_err(|e| fail(e.to_string()))?)
            } else {
                None
            });
        }
        // The logits are float32 whatever the storage (a placeholder keeps the index).
        buffers[plan.logits.0] = Some(
            stream
                .alloc_zeros::<T>(1)
                .map_err(|e| fail(e.to_string()))?,
        );
        let logits = stream
            .alloc_zeros::<f32>(logits_len)
            .map_err(|e| fail(e.to_string()))?;
        let starts = &control[plan.control.source_start..][..plan.shape.sentences + 1];
        let longest_source = starts
            .windows(2)
            .map(|w| (w[1] - w[0]) as usize)
            .max()
            .unwrap_or(0);
        let control = stream
            .clone_htod(control)
            .map_err(|e| fail(e.to_string()))?;
        Ok(CudaBatch {
            buffers,
            logits,
            control,
            longest_source,
            picking: None,
            replay: if graph::graphs_wanted() {
                graph::Replay::Warming
            } else {
                graph::Replay::Eager
            },
        })
    }

    /// One step's kernels: the control block in, the step's kernels; the logits stay on the
    /// device (for [`CudaBatch::pick`], or [`CudaBatch::read_logits`]).
    pub fn run_step(
        &mut self,
        engine: &CudaPlanEngine<T>,
        plan: &Plan,
        control: &[u32],
    ) -> Result<()> {
        engine
            .stream
            .memcpy_htod(control, &mut self.control)
            .map_err(|e| device_error(engine.device, "running a step")(e.to_string()))?;
        self.launch_step(engine, plan)
    }

    /// The first `rows` rows' logits, copied to the host (the dense path: what search reads
    /// when the device cannot pick, and what tests compare).
    pub fn read_logits(
        &mut self,
        engine: &CudaPlanEngine<T>,
        plan: &Plan,
        rows: usize,
        logits: &mut Vec<f32>,
    ) -> Result<()> {
        logits.resize(rows * plan.dims.vocab, 0.0);
        let view = self.logits.slice(..rows * plan.dims.vocab);
        engine
            .stream
            .memcpy_dtoh(&view, logits.as_mut_slice())
            .map_err(|e| device_error(engine.device, "reading the logits")(e.to_string()))
    }

    /// Write the control block (a step does it itself).
    pub fn write_control(&mut self, engine: &CudaPlanEngine<T>, control: &[u32]) -> Result<()> {
        engine
            .stream
            .memcpy_htod(control, &mut self.control)
            .map_err(|e| device_error(engine.device, "writing the control block")(e.to_string()))
    }

    /// A buffer's values, widened to f32 (the self-test compares them with the CPU twin's).
    pub fn download(&self, engine: &CudaPlanEngine<T>, plan: &Plan, b: Buffer) -> Result<Vec<f32>> {
        let fail = device_error(engine.device, "reading a buffer");
        if b == plan.logits {
            return engine
                .stream
                .clone_dtoh(&self.logits)
                .map_err(|e| fail(e.to_string()));
        }
        let slice = self.buffers[b.0]
            .as_ref()
            .expect("every buffer is in place between kernels");
        let values = engine
            .stream
            .clone_dtoh(slice)
            .map_err(|e| fail(e.to_string()))?;
        Ok(values.into_iter().map(T::to_f32).collect())
    }

    /// Write the logits (the self-test gives the selection kernels the twin's).
    pub fn write_logits(&mut self, engine: &CudaPlanEngine<T>, values: &[f32]) -> Result<()> {
        let mut view = self.logits.slice_mut(..values.len());
        engine
            .stream
            .memcpy_htod(values, &mut view)
            .map_err(|e| device_error(engine.device, "writing the logits")(e.to_string()))
    }

    /// Write a buffer from f32 values (narrowed on the host).
    pub fn upload(&mut self, engine: &CudaPlanEngine<T>, b: Buffer, values: &[f32]) -> Result<()> {
        let fail = device_error(engine.device, "writing a buffer");
        let narrowed: Vec<T> = values.iter().map(|&x| T::from_f32(x)).collect();
        let slice = self.buffers[b.0]
            .as_mut()
            .expect("every buffer is in place between kernels");
        let mut view = slice.slice_mut(..narrowed.len());
        engine
            .stream
            .memcpy_htod(&narrowed, &mut view)
            .map_err(|e| fail(e.to_string()))
    }
}
