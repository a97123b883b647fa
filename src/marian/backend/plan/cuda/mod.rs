//! The plan's CUDA executor (feature `cuda-engine`): the kernels of `kernels.cu` compiled at run
//! time by NVRTC for the card at hand, the products by cuBLAS, every buffer allocated once a
//! batch. Nothing here needs a CUDA toolkit to build: cudarc loads the driver, NVRTC and cuBLAS
//! when first used, so the kernels are compile-checked on any machine with `libnvrtc` (PyPI
//! `nvidia-cuda-nvrtc-cu12`), GPU or not.

pub mod executor;
pub mod self_test;

use cudarc::nvrtc::{CompileOptions, Ptx};

/// The kernels' source.
pub const KERNELS: &str = include_str!("../kernels.cu");

/// The kernels' names, as `kernels.cu` exports them.
pub const KERNEL_NAMES: [&str; 14] = [
    "embed",
    "add_bias",
    "add_bias_f32",
    "store_kv",
    "self_attention",
    "cross_attention",
    "bias_residual_norm",
    "bias_activation",
    "narrow",
    "widen",
    "copy_rows",
    "select_greedy",
    "select_beam_rows",
    "select_beam_merge",
];

/// How activations and weights are stored on the device (sums, softmax, norms and logits are
/// float32 either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// The default on CUDA.
    F16,
    /// For parity with the CPU.
    F32,
}

/// Errors of the CUDA engine, each naming the device and what to do.
#[derive(Debug, thiserror::Error)]
pub enum CudaEngineError {
    #[error(
        "NVRTC (libnvrtc) could not be loaded: install the CUDA toolkit or \
         `pip install nvidia-cuda-nvrtc-cu12` and put its lib directory on LD_LIBRARY_PATH"
    )]
    NvrtcMissing,
    #[error("the plan's CUDA kernels do not compile for {arch}: {log}")]
    Compile { arch: String, log: String },
    #[error("CUDA device {device}: {what}: {reason}; check `nvidia-smi`, or use --device cpu")]
    Device {
        device: usize,
        what: &'static str,
        reason: String,
    },
    #[error(
        "CUDA device {device}: the batch needs {need} bytes of device memory and {free} are \
         free: use a smaller batch or --memory-budget"
    )]
    OutOfMemory {
        device: usize,
        need: usize,
        free: usize,
    },
}

/// Whether one of the shared libraries `names` loads (cudarc panics where none does; this is
/// asked first, so that the user gets an error instead).
pub fn library_present(names: &[&str]) -> bool {
    names.iter().any(|name| {
        // SAFETY: loading a CUDA library runs only its initializers, which are safe to run.
        unsafe { libloading::Library::new(*name) }.is_ok()
    })
}

/// The names the NVRTC library goes by (Linux, then Windows).
pub const NVRTC_NAMES: [&str; 6] = [
    "libnvrtc.so",
    "libnvrtc.so.13",
    "libnvrtc.so.12",
    "libnvrtc.so.11",
    "nvrtc64_130_0.dll",
    "nvrtc64_120_0.dll",
];

/// The names the CUDA driver library goes by (Linux, then Windows).
pub const DRIVER_NAMES: [&str; 3] = ["libcuda.so.1", "libcuda.so", "nvcuda.dll"];

/// Compile the kernels for `arch` (e.g. `compute_90`) with `storage`: the PTX, or the
/// compiler's log. NVRTC needs no GPU.
pub fn compile(storage: Storage, arch: &'static str) -> Result<Ptx, CudaEngineError> {
    let mut options = vec!["--std=c++17".to_string()];
    if storage == Storage::F16 {
        options.push("-DT_HALF".into());
    }
    let opts = CompileOptions {
        arch: Some(arch),
        options,
        name: Some("entente_plan.cu".into()),
        ..Default::default()
    };
    if !library_present(&NVRTC_NAMES) {
        return Err(CudaEngineError::NvrtcMissing);
    }
    // cudarc panics when the library cannot be loaded (checked above; kept as a last guard).
    let compiled = std::panic::catch_unwind(|| cudarc::nvrtc::compile_ptx_with_opts(KERNELS, opts));
    match compiled {
        Err(_) => Err(CudaEngineError::NvrtcMissing),
        Ok(Err(e)) => Err(CudaEngineError::Compile {
            arch: arch.to_string(),
            log: e.to_string(),
        }),
        Ok(Ok(ptx)) => Ok(ptx),
    }
}

#[cfg(test)]
mod tests;
