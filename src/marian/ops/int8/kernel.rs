//! Which integer kernel runs the products: the fastest the CPU has, or the one
//! `ENTENTE_INT8_KERNEL` names.

/// An `ENTENTE_INT8_KERNEL` that cannot be honoured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KernelError {
    #[error("ENTENTE_INT8_KERNEL={0}: expected vnni, avx2 or scalar")]
    Unknown(String),
    #[error(
        "ENTENTE_INT8_KERNEL asks for the {asked} kernel, which this CPU cannot run (its best is \
         {best})"
    )]
    Unavailable {
        asked: &'static str,
        best: &'static str,
    },
}

/// Which integer kernel runs the products.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Int8Kernel {
    /// AVX-512 VNNI: unsigned × signed bytes into 32-bit lanes, 64 products per instruction.
    Vnni,
    /// AVX2: `vpmaddubsw` on |a| and sign-adjusted weights (no 16-bit saturation, since both
    /// factors are within ±127), then `vpmaddwd` into 32-bit lanes.
    Avx2,
    /// Scalar loop, for CPUs without AVX2 and as the reference.
    Scalar,
}

impl Int8Kernel {
    /// The fastest kernel this CPU runs.
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512bw")
                && std::arch::is_x86_feature_detected!("avx512vnni")
            {
                return Int8Kernel::Vnni;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Int8Kernel::Avx2;
            }
        }
        Int8Kernel::Scalar
    }

    /// Whether this CPU can run `self`.
    pub fn available(self) -> bool {
        match self {
            Int8Kernel::Scalar => true,
            Int8Kernel::Avx2 => matches!(Self::detect(), Int8Kernel::Avx2 | Int8Kernel::Vnni),
            Int8Kernel::Vnni => Self::detect() == Int8Kernel::Vnni,
        }
    }

    /// The kernel to run: [`Int8Kernel::detect`]'s, or the one `ENTENTE_INT8_KERNEL` names
    /// (`vnni`, `avx2`, `scalar`: for benchmarks and for ruling a kernel out); an unknown name,
    /// or one this CPU cannot run, is an error that says which it can.
    pub fn chosen() -> Result<Self, KernelError> {
        let Some(name) = std::env::var_os("ENTENTE_INT8_KERNEL") else {
            return Ok(Self::detect());
        };
        let kernel = match name.to_string_lossy().to_ascii_lowercase().as_str() {
            "vnni" => Int8Kernel::Vnni,
            "avx2" => Int8Kernel::Avx2,
            "scalar" => Int8Kernel::Scalar,
            other => return Err(KernelError::Unknown(other.to_string())),
        };
        if kernel.available() {
            Ok(kernel)
        } else {
            Err(KernelError::Unavailable {
                asked: kernel.name(),
                best: Self::detect().name(),
            })
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Int8Kernel::Vnni => "AVX-512 VNNI",
            Int8Kernel::Avx2 => "AVX2",
            Int8Kernel::Scalar => "scalar",
        }
    }
}
