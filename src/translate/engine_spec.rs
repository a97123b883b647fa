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
             `cuda` (or `metal`) feature on a machine with that device"
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
    let device = parse_device(device)?;
    let precision = parse_precision(precision, &device)?;
    let files = hub::resolve(model, revision, true)?;
    Translator::load(&files, files.tokenizer_dir(), &device, precision)
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
