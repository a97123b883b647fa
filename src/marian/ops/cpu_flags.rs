//! For the kernel tests: the CPU's instruction-set flags as `/proc/cpuinfo` lists them, read
//! independently of run-time detection, and the line saying which paths a run exercised.

use std::collections::BTreeSet;
use std::io::Write;

/// The flags of the first processor in `/proc/cpuinfo`; `None` where it cannot be read (not
/// Linux, not x86).
pub(crate) fn read() -> Option<BTreeSet<String>> {
    if !cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        return None;
    }
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("flags"))?;
    let (_, flags) = line.split_once(':')?;
    Some(flags.split_whitespace().map(str::to_string).collect())
}

/// Say which paths the tests ran (`KERNEL PATHS …`), on the stderr handle itself so that it
/// shows whether the test passes; `.ci/run` prints these lines.
pub(crate) fn say_paths(what: &str, paths: &[&str]) {
    let _ = writeln!(
        std::io::stderr(),
        "KERNEL PATHS {what}: {}",
        paths.join(", ")
    );
}
