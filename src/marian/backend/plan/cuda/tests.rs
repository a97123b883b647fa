//! The CUDA kernels compile-checked through NVRTC, without a GPU: both storage types, for the
//! cards the engine targets (Ampere, Hopper). Skipped, and said so, where `libnvrtc` cannot
//! be loaded; required where the test data is (CI installs it).

use super::{compile, CudaEngineError, Storage, KERNEL_NAMES};

#[test]
fn the_kernels_compile_for_every_storage_and_card() {
    for storage in [Storage::F16, Storage::F32] {
        for arch in ["compute_80", "compute_90"] {
            match compile(storage, arch) {
                Ok(ptx) => {
                    let text = ptx.to_src();
                    for name in KERNEL_NAMES {
                        assert!(
                            text.contains(&format!(".entry {name}(")),
                            "{storage:?} {arch}: no entry point {name}"
                        );
                    }
                }
                Err(CudaEngineError::NvrtcMissing) => {
                    assert!(
                        !crate::testdata::required(),
                        "libnvrtc is required here (CI): {}",
                        CudaEngineError::NvrtcMissing
                    );
                    crate::testdata::say_skipped("cuda kernels compile", "no libnvrtc");
                    return;
                }
                Err(e) => panic!("{storage:?} {arch}: {e}"),
            }
        }
    }
}
