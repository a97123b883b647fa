//! Where tests and evaluation harnesses find reference data that the repository does not ship
//! (real opus-mt tokenizer files, gold sets, WMT system outputs).
//!
//! One resolver for every test: `ENTENTE_TEST_DATA` if set, else `../shared` beside the checkout,
//! else the cache filled by `scripts/fetch-test-data` (`$XDG_CACHE_HOME/entente/test-data`, or
//! `~/.cache/entente/test-data`). A test whose data is absent prints why on stderr and passes as
//! skipped, so a fresh clone passes `cargo test`; with `ENTENTE_REQUIRE_TEST_DATA=1` (set by
//! `.ci/run`) absence is a failure instead, so CI never silently loses coverage.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Variable naming a directory laid out like `../shared`.
pub const DATA_DIR_VAR: &str = "ENTENTE_TEST_DATA";
/// Variable that turns missing reference data into a test failure.
pub const REQUIRE_VAR: &str = "ENTENTE_REQUIRE_TEST_DATA";

/// The directory `scripts/fetch-test-data` fills.
pub fn cache_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"));
    base.join("entente").join("test-data")
}

/// The candidate roots, in order of preference.
pub fn roots() -> Vec<PathBuf> {
    let mut roots = Vec::new();
    if let Some(dir) = std::env::var_os(DATA_DIR_VAR) {
        roots.push(PathBuf::from(dir));
    }
    roots.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    roots.push(cache_dir());
    roots
}

/// Is missing reference data an error (CI)?
pub fn required() -> bool {
    switched_on(REQUIRE_VAR)
}

/// Is the switch `var` on: set, and neither empty nor `0`? The one meaning of every
/// `ENTENTE_REQUIRE_*` switch (the Python suite's conftest reads them the same way).
pub fn switched_on(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Say that the running test is skipped and why, on the stderr handle itself: the test
/// harness captures the print macros' output of passing tests, and a skip must be visible
/// (`.ci/run` counts these lines).
pub fn say_skipped(test: &str, why: &str) {
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}

/// The path of `relative` (e.g. `models/opus-mt-fr-en`) under the first root that has it.
pub fn find(relative: &str) -> Option<PathBuf> {
    roots()
        .into_iter()
        .map(|root| root.join(relative))
        .find(|p| p.exists())
}

/// [`find`] for a test: when the data is absent, say on stderr that the running test (named by
/// its thread, as the test harness names it) is skipped and return `None` — or panic when
/// [`required`].
pub fn require(relative: &str) -> Option<PathBuf> {
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    if let Some(path) = find(relative) {
        return Some(path);
    }
    let searched: Vec<String> = roots().iter().map(|r| r.display().to_string()).collect();
    let message = format!(
        "reference data {relative} not found (searched {}); set {DATA_DIR_VAR}, put the shared \
         data folder beside the checkout, or run scripts/fetch-test-data",
        searched.join(", ")
    );
    if required() {
        panic!("{test}: {message} ({REQUIRE_VAR} is set)");
    }
    say_skipped(&test, &message);
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absent_file_is_not_found() {
        assert!(find("no/such/reference/file.txt").is_none());
    }

    #[test]
    fn the_cache_dir_is_under_entente() {
        assert!(cache_dir().ends_with("entente/test-data"));
    }
}
