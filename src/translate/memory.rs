//! How much search memory translation may take (`ENTENTE_MEMORY_BUDGET`) and how many worker
//! threads it runs.

/// Variable holding the memory budget of translation, in bytes (suffixes K, M, G allowed).
pub const MEMORY_BUDGET_VAR: &str = "ENTENTE_MEMORY_BUDGET";

pub(super) const DEFAULT_MEMORY_BUDGET: u64 = 4 << 30;

/// The budget `ENTENTE_MEMORY_BUDGET` sets (the default without it), or why its value is not a
/// size.
pub(super) fn budget_setting() -> Result<u64, String> {
    let Ok(text) = std::env::var(MEMORY_BUDGET_VAR) else {
        return Ok(DEFAULT_MEMORY_BUDGET);
    };
    let t = text.trim();
    let (digits, scale) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        None => (t, 1u64),
        Some((i, _)) => {
            let unit = t[i..]
                .trim()
                .trim_end_matches(['b', 'B'])
                .trim_end_matches(['i']);
            let scale = match unit.to_ascii_uppercase().as_str() {
                "" => 1,
                "K" => 1 << 10,
                "M" => 1 << 20,
                "G" => 1 << 30,
                "T" => 1 << 40,
                _ => 0,
            };
            (&t[..i], scale)
        }
    };
    match digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
    {
        Some(n) if n > 0 => Ok(n),
        _ => Err(format!(
            "{MEMORY_BUDGET_VAR}={text:?} is not a size: use bytes or a number with K, M or G"
        )),
    }
}

/// Human size of a byte count.
pub fn human_bytes(n: u64) -> String {
    if n >= 1 << 30 {
        format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64)
    } else {
        format!("{:.0} MiB", (n as f64 / (1u64 << 20) as f64).ceil())
    }
}

/// The cores available: translation runs one batch per core.
pub(super) fn workers_available() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
