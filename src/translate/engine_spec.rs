//! Naming where and in what precision a model computes: `cpu`, `cuda`, `cuda:N`, `metal`, and
//! `f32`, `int8`, `f16`, `bf16`, checked together (int8 is a CPU kernel; f16 and bf16 are for
//! GPUs). The CLI, the server and the Python package all load a model through [`load_named`].

use candle_core::Device;

use super::error::TranslateError;
use super::translator::Translator;
use crate::{hub, marian};

/// The device named by `spec`: `cpu`, `cuda` (the first GPU), `cuda:N` or `metal`.
pub fn parse_device(spec: &str) -> Result<Device, TranslateError> {
    // Candle's own message ("not compiled with cuda support", a driver error) is kept, with
    // what to do about it.
    let unavailable = |e: candle_core::Error| {
        TranslateError::Unsupported(format!(
            "device {spec:?} is not available: {e}; use --device cpu, or a build with the \
             `cuda-engine` (or `cuda`, `metal`) feature on a machine with that device"
        ))
    };
    let device = match spec {
        "cpu" => Device::Cpu,
        "metal" => Device::new_metal(0).map_err(unavailable)?,
        "cuda" => Device::new_cuda(0).map_err(unavailable)?,
        other => match other.strip_prefix("cuda:").map(str::parse::<usize>) {
            Some(Ok(n)) => Device::new_cuda(n).map_err(unavailable)?,
            _ => {
                return Err(TranslateError::Unsupported(format!(
                    "unknown device {other:?}: use cpu, cuda, cuda:N or metal"
                )))
            }
        },
    };
    Ok(device)
}

/// The precision named by `name` (`f32`, `int8`, `f16`, `bf16`) on `device`, refused where it
/// does not run.
pub fn parse_precision(name: &str, device: &Device) -> Result<marian::Precision, TranslateError> {
    let refuse = |why: &str| Err(TranslateError::Unsupported(why.to_string()));
    match (name, device.is_cpu()) {
        ("f32" | "float32", _) => Ok(marian::Precision::F32),
        ("int8", true) => Ok(marian::Precision::Int8),
        ("int8", false) => refuse("int8 runs on the CPU; on a GPU use f16 or bf16"),
        // bf16 on the CPU was built and measured (AVX512_BF16 `vdpbf16ps` kernel): no faster
        // than f32 greedy and slower in beam search on this hardware, so it is not offered.
        ("f16" | "bf16" | "float16" | "bfloat16", true) => {
            refuse("f16/bf16 are for GPUs; on the CPU use f32 (exact) or int8 (about 2× faster)")
        }
        ("f16" | "float16", false) => Ok(marian::Precision::F16),
        ("bf16" | "bfloat16", false) => Ok(marian::Precision::Bf16),
        (other, _) => Err(TranslateError::Unsupported(format!(
            "unknown precision {other:?}: use f32 (exact), int8 (CPU), f16 or bf16 (GPU)"
        ))),
    }
}

/// Load `model` (a local directory, a registry name or a Hub id, at `revision`) onto the
/// device named `device`, computing in the precision named `precision`.
pub fn load_named(
    model: &str,
    revision: Option<&str>,
    device: &str,
    precision: &str,
) -> Result<Translator, TranslateError> {
    #[cfg(feature = "cuda-engine")]
    if let Some(ordinal) = cuda_ordinal(device) {
        return load_on_cuda_engine(model, revision, ordinal, precision);
    }
    let device = parse_device(device)?;
    let precision = parse_precision(precision, &device)?;
    let files = hub::resolve(model, revision, true)?;
    Translator::load(&files, files.tokenizer_dir(), &device, precision)
}

/// The device number of `cuda` / `cuda:N`.
#[cfg(feature = "cuda-engine")]
fn cuda_ordinal(spec: &str) -> Option<usize> {
    match spec {
        "cuda" => Some(0),
        other => other.strip_prefix("cuda:")?.parse().ok(),
    }
}

/// A model whose decoder steps run on the plan engine's CUDA executor: loaded on the CPU in
/// float32 (the encoder runs there), the decoder's weights uploaded to device `ordinal` in f16
/// (`f16`, `bf16`: the engine stores f16 either way) or f32 (`f32`, for parity).
#[cfg(feature = "cuda-engine")]
fn load_on_cuda_engine(
    model: &str,
    revision: Option<&str>,
    ordinal: usize,
    precision: &str,
) -> Result<Translator, TranslateError> {
    use crate::marian::backend::plan::cuda::Storage;
    let storage = match precision {
        "f16" | "float16" | "bf16" | "bfloat16" => Storage::F16,
        "f32" | "float32" => Storage::F32,
        other => {
            return Err(TranslateError::Unsupported(format!(
                "precision {other:?} on cuda:{ordinal}: use f16 (the engine's default) or f32"
            )))
        }
    };
    // Loaded as for the CPU in float32: the encoder runs there, the plan reads its decoder.
    let mut translator = load_named(model, revision, "cpu", "f32")?;
    let longest = translator.generation.max_length;
    translator
        .model
        .use_plan_engine_cuda(longest, ordinal, storage)?;
    // Sized from the device, not the CPU the model loaded on: one worker, a budget from the
    // GPU's free memory.
    if let Some((device, free, total)) = translator.model.plan_device_memory() {
        translator.machine.gpu = Some(super::resources::GpuMemory {
            name: format!("cuda:{device} (plan engine, {storage:?})"),
            free: free as u64,
            total: total as u64,
        });
        translator.resources = super::resources::Resources::default_on(&translator.machine);
    }
    Ok(translator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_precisions_are_checked_together() {
        assert!(parse_device("cpu").unwrap().is_cpu());
        let unknown = parse_device("tpu").unwrap_err().to_string();
        assert!(unknown.contains("cpu, cuda, cuda:N or metal"), "{unknown}");
        assert!(parse_device("cuda:x").is_err());
        let cpu = Device::Cpu;
        assert_eq!(
            parse_precision("f32", &cpu).unwrap(),
            marian::Precision::F32
        );
        assert_eq!(
            parse_precision("int8", &cpu).unwrap(),
            marian::Precision::Int8
        );
        let f16 = parse_precision("f16", &cpu).unwrap_err().to_string();
        assert!(f16.contains("for GPUs"), "{f16}");
        assert!(parse_precision("f64", &cpu).is_err());
    }

    #[test]
    fn a_missing_model_directory_is_an_error_naming_it() {
        let err = load_named("/nonexistent/model-dir", None, "cpu", "f32")
            .err()
            .expect("no such model")
            .to_string();
        assert!(err.contains("/nonexistent/model-dir"), "{err}");
    }
}
