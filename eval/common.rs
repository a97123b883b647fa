//! What the evaluation harnesses share: reading `--flag VALUE` arguments, finding the Python
//! that runs the peers, and naming the CPU.

/// The value after `flag` in `args`, if any.
pub fn arg(args: &[String], flag: &str) -> Option<String> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1).cloned())
}

/// The Python for the peer scripts: `--python PATH`, else `$ENTENTE_PYTHON`, else `python3`.
#[allow(dead_code)] // not every harness runs a peer
pub fn python(args: &[String]) -> String {
    arg(args, "--python")
        .or_else(|| std::env::var("ENTENTE_PYTHON").ok())
        .unwrap_or_else(|| "python3".to_string())
}

/// The CPU a figure was measured on, as `/proc/cpuinfo` names it (model, family/model numbers,
/// logical CPUs), the vector extensions that decide entente's kernels and the cache sizes its
/// products are blocked for: every speed table prints it, since figures differ between CPU
/// families.
#[allow(dead_code)] // not every harness prints speeds
pub fn cpu() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |name: &str| {
        info.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_else(|| "?".into())
    };
    let flags = field("flags");
    let has: Vec<&str> = [
        "avx2",
        "fma",
        "avx512f",
        "avx512_vnni",
        "avx512_bf16",
        "avx_vnni",
        "amx_int8",
    ]
    .into_iter()
    .filter(|f| flags.split_whitespace().any(|x| x == *f))
    .collect();
    let logical = info.lines().filter(|l| l.starts_with("processor")).count();
    let cache = entente::marian::ops::cache::CacheSizes::detected();
    format!(
        "{} (family {} model {}), {logical} logical CPUs, {}; per core L1d {} KiB, L2 {} KiB",
        field("model name"),
        field("cpu family"),
        model_number(&info),
        has.join(" "),
        cache.l1d >> 10,
        cache.l2 >> 10
    )
}

/// The `model` line's value (not `model name`).
fn model_number(info: &str) -> String {
    info.lines()
        .find(|l| l.split(':').next().map(str::trim) == Some("model"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_else(|| "?".into())
}
