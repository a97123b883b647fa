//! How large translation runs on this machine: the worker threads, the search memory budget,
//! and how that budget is shared among the batches that run at once. Sizes come from the
//! hardware (the cores available, the memory available under the process's cgroup limits, a
//! GPU's free memory) unless set. The CLI and the Python binding fill [`ResourceSettings`]
//! (their options first, then the environment defaults [`THREADS_VAR`] and
//! [`MEMORY_BUDGET_VAR`]); the library itself reads no environment variable.

use candle_core::Device;

/// Environment default of the memory budget (bytes, or a number with K, M, G or T), read by
/// the CLI and the Python binding when no option sets it.
pub const MEMORY_BUDGET_VAR: &str = "ENTENTE_MEMORY_BUDGET";
/// Environment default of the number of worker threads, read like [`MEMORY_BUDGET_VAR`].
pub const THREADS_VAR: &str = "ENTENTE_THREADS";

/// The share of the machine's available memory that the default budget takes on a CPU: the
/// model's weights, the tokenizer and the caller's own data need the rest.
pub const CPU_MEMORY_SHARE_PERCENT: u64 = 50;
/// The share of a GPU's free memory (measured after the model is loaded) the default budget
/// takes: the rest absorbs the allocator's rounding and other users of the device.
pub const GPU_MEMORY_SHARE_PERCENT: u64 = 80;
/// The budget where the machine's memory cannot be read (not Linux, no `/proc`).
pub const FALLBACK_MEMORY_BUDGET: u64 = 4 << 30;

/// A value chosen by the user, and where it was set (`--threads`, `ENTENTE_THREADS`,
/// `threads=`…), which the start line repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting<T> {
    pub value: T,
    pub from: String,
}

impl<T> Setting<T> {
    pub fn new(value: T, from: impl Into<String>) -> Self {
        Setting {
            value,
            from: from.into(),
        }
    }
}

/// What the user asked for; `None` leaves the choice to the machine.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceSettings {
    pub threads: Option<Setting<usize>>,
    pub memory_budget: Option<Setting<u64>>,
}

impl ResourceSettings {
    /// Fill what these settings leave unset from the environment defaults [`THREADS_VAR`] and
    /// [`MEMORY_BUDGET_VAR`], as `lookup` gives them (the caller's environment, e.g.
    /// `std::env::var(name).ok()`: the library reads no variable itself). Blank values count
    /// as unset; others must parse.
    pub fn or_defaults_from(
        mut self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ResourceError> {
        let set = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        if self.threads.is_none() {
            if let Some(text) = set(THREADS_VAR) {
                self.threads = Some(Setting::new(
                    parse_threads(&text, THREADS_VAR)?,
                    THREADS_VAR,
                ));
            }
        }
        if self.memory_budget.is_none() {
            if let Some(text) = set(MEMORY_BUDGET_VAR) {
                let bytes = parse_size(&text, MEMORY_BUDGET_VAR)?;
                self.memory_budget = Some(Setting::new(bytes, MEMORY_BUDGET_VAR));
            }
        }
        Ok(self)
    }
}

/// What the machine offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    /// Cores this process may run on (affinity and cgroup CPU limits respected).
    pub cores: usize,
    /// Memory available to this process: the kernel's `MemAvailable`, lowered to the room left
    /// under the cgroup's limit; `None` where it cannot be read.
    pub memory_available: Option<u64>,
    /// The GPU the model computes on, if any.
    pub gpu: Option<GpuMemory>,
}

/// A GPU's memory as its driver reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuMemory {
    pub name: String,
    pub free: u64,
    pub total: u64,
}

/// Threads and budget as resolved, each with where it came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Resources {
    /// Worker threads: batches translated at once (one per GPU on a GPU).
    pub threads: usize,
    pub threads_from: String,
    /// Search memory of all the batches running at once, in bytes.
    pub memory_budget: u64,
    pub memory_budget_from: String,
    /// What was noticed while resolving (a budget larger than the machine's memory…).
    pub notes: Vec<String>,
}

/// Why settings cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResourceError {
    #[error("{from} {value}: the number of threads must be at least 1")]
    NoThreads { from: String, value: usize },
    #[error("{from} {value}: the memory budget must be more than 0 bytes (e.g. 4G, 512M)")]
    NoMemory { from: String, value: u64 },
    #[error("{from}={text:?} is not a size: use bytes, or a number with K, M, G or T (e.g. 4G)")]
    NotASize { from: String, text: String },
    #[error("{from}={text:?} is not a number of threads: use a whole number of at least 1")]
    NotACount { from: String, text: String },
}

impl Resources {
    /// Resolve `settings` on `machine`: threads as asked (more than the cores is allowed and
    /// kept), else one per core, one on a GPU; the budget as asked (with a note when it exceeds
    /// the machine's memory), else a share of the available memory or of the GPU's free memory.
    pub fn resolve(settings: &ResourceSettings, machine: &Machine) -> Result<Self, ResourceError> {
        let mut notes = Vec::new();
        let (threads, threads_from) = match (&settings.threads, &machine.gpu) {
            (Some(s), _) if s.value == 0 => {
                return Err(ResourceError::NoThreads {
                    from: s.from.clone(),
                    value: 0,
                })
            }
            (Some(s), Some(gpu)) => {
                notes.push(format!(
                    "{} {} not used: a GPU ({}) runs one worker",
                    s.from, s.value, gpu.name
                ));
                (1, format!("one worker per GPU, {}", gpu.name))
            }
            (Some(s), None) => (s.value, s.from.clone()),
            (None, Some(gpu)) => (1, format!("one worker per GPU, {}", gpu.name)),
            (None, None) => (
                machine.cores.max(1),
                format!("the {} cores available", machine.cores.max(1)),
            ),
        };
        let (memory_budget, memory_budget_from) = match &settings.memory_budget {
            Some(s) if s.value == 0 => {
                return Err(ResourceError::NoMemory {
                    from: s.from.clone(),
                    value: 0,
                })
            }
            Some(s) => {
                let room = match &machine.gpu {
                    Some(gpu) => Some((gpu.free, format!("{} has", gpu.name), "free")),
                    None => machine
                        .memory_available
                        .map(|m| (m, "the machine has".to_string(), "available")),
                };
                if let Some((room, who, what)) = room {
                    if s.value > room {
                        notes.push(format!(
                            "{} {} is more than the {} {who} {what}: batches that large may run \
                             out of memory",
                            s.from,
                            human_bytes(s.value),
                            human_bytes(room)
                        ));
                    }
                }
                (s.value, s.from.clone())
            }
            None => default_budget(machine),
        };
        Ok(Resources {
            threads,
            threads_from,
            memory_budget,
            memory_budget_from,
            notes,
        })
    }

    /// The budget of each batch when `batches` batches of work exist: the budget is shared
    /// among the batches running at once, never more than there are batches or threads.
    pub fn share(&self, batches: usize) -> u64 {
        self.memory_budget / self.threads.min(batches).max(1) as u64
    }

    /// Resolved on `machine` with no settings: what a translator uses until told otherwise.
    pub fn default_on(machine: &Machine) -> Self {
        Self::resolve(&ResourceSettings::default(), machine)
            .expect("default settings always resolve")
    }
}

/// The default budget and the words saying where it came from.
fn default_budget(machine: &Machine) -> (u64, String) {
    if let Some(gpu) = &machine.gpu {
        let budget = gpu.free / 100 * GPU_MEMORY_SHARE_PERCENT;
        return (
            budget.max(1),
            format!(
                "{GPU_MEMORY_SHARE_PERCENT}% of the {} free on {}",
                human_bytes(gpu.free),
                gpu.name
            ),
        );
    }
    match machine.memory_available {
        Some(available) => (
            (available / 100 * CPU_MEMORY_SHARE_PERCENT).max(1),
            format!(
                "{CPU_MEMORY_SHARE_PERCENT}% of the {} available",
                human_bytes(available)
            ),
        ),
        None => (
            FALLBACK_MEMORY_BUDGET,
            "a fixed default: the machine's memory could not be read".to_string(),
        ),
    }
}

impl Machine {
    /// The machine as this process sees it, and the memory of `device` if it is a GPU.
    pub fn detect(device: &Device) -> Self {
        Machine {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory_available: super::machine_memory::available(),
            gpu: gpu_memory(device),
        }
    }
}

#[cfg(feature = "cuda")]
fn gpu_memory(device: &Device) -> Option<GpuMemory> {
    let Device::Cuda(cuda) = device else {
        return None;
    };
    let stream = cuda.cuda_stream();
    let (free, total) = stream.context().mem_get_info().ok()?;
    Some(GpuMemory {
        name: format!("cuda:{}", stream.context().ordinal()),
        free: free as u64,
        total: total as u64,
    })
}

#[cfg(not(feature = "cuda"))]
fn gpu_memory(_device: &Device) -> Option<GpuMemory> {
    None
}

/// A size as written on the command line or in the environment: bytes, or a number with K, M,
/// G or T (powers of 1024; `KiB`, `MB`, `g` accepted alike). `from` names the setting in errors.
pub fn parse_size(text: &str, from: &str) -> Result<u64, ResourceError> {
    let t = text.trim();
    let split = t
        .char_indices()
        .find(|(_, c)| !c.is_ascii_digit() && *c != '.')
        .map_or(t.len(), |(i, _)| i);
    let (number, unit) = t.split_at(split);
    let unit = unit
        .trim()
        .trim_end_matches(['b', 'B'])
        .trim_end_matches('i');
    let scale: u64 = match unit.to_ascii_uppercase().as_str() {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => 0,
    };
    let not_a_size = || ResourceError::NotASize {
        from: from.to_string(),
        text: text.to_string(),
    };
    let value: f64 = number.parse().map_err(|_| not_a_size())?;
    let bytes = value * scale as f64;
    if scale == 0 || !bytes.is_finite() || bytes >= u64::MAX as f64 {
        return Err(not_a_size());
    }
    Ok(bytes as u64)
}

/// A thread count as written in the environment; `from` names the setting in errors.
pub fn parse_threads(text: &str, from: &str) -> Result<usize, ResourceError> {
    text.trim()
        .parse::<usize>()
        .map_err(|_| ResourceError::NotACount {
            from: from.to_string(),
            text: text.to_string(),
        })
}

/// Human size of a byte count.
pub fn human_bytes(n: u64) -> String {
    if n >= 1 << 30 {
        format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64)
    } else if n >= 1 << 20 {
        format!("{:.0} MiB", (n as f64 / (1u64 << 20) as f64).ceil())
    } else if n >= 1 << 10 {
        format!("{:.0} KiB", (n as f64 / 1024.0).ceil())
    } else {
        format!("{n} bytes")
    }
}
