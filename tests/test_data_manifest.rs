//! `scripts/test-data.manifest` lists every reference file the tests read: each path a Rust test
//! asks `entente::testdata` for, and each path a Python test joins onto the `shared` fixture, is
//! a file of the manifest or a folder holding some. A test reading data the manifest lacks would
//! be skipped forever on a machine filled by `scripts/fetch-test-data`.

use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn files_under(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == ext) {
                out.push(p);
            }
        }
    }
    out
}

/// The string literal starting at `text[at..]` (after the opening quote).
fn literal(text: &str, at: usize) -> Option<&str> {
    let rest = &text[at..];
    Some(&rest[..rest.find('"')?])
}

/// Paths the tests ask for: `testdata::require("…")` / `testdata::find("…")` in Rust, and
/// `shared / "…"` (joined onward with more `/ "…"`) in Python.
fn requested() -> Vec<(String, String)> {
    let root = Path::new(ROOT);
    let mut found = Vec::new();
    let rust = [root.join("tests"), root.join("src"), root.join("eval")];
    let this = root.join("tests/test_data_manifest.rs");
    for file in rust
        .iter()
        .flat_map(|d| files_under(d, "rs"))
        .filter(|f| *f != this)
    {
        let text = std::fs::read_to_string(&file).unwrap();
        for call in ["testdata::require(\"", "testdata::find(\""] {
            for (at, _) in text.match_indices(call) {
                if let Some(path) = literal(&text, at + call.len()) {
                    found.push((file.display().to_string(), path.to_string()));
                }
            }
        }
    }
    for file in files_under(&root.join("python/tests"), "py") {
        let text = std::fs::read_to_string(&file).unwrap();
        for (at, _) in text.match_indices("shared / \"") {
            let mut path = literal(&text, at + "shared / \"".len())
                .unwrap()
                .to_string();
            // `shared / "corpora" / SAMPLE`: the literal parts only.
            let mut next = at + "shared / \"".len() + path.len() + 1;
            while text[next..].starts_with(" / \"") {
                let part = literal(&text, next + 4).unwrap();
                path = format!("{path}/{part}");
                next += 4 + part.len() + 1;
            }
            found.push((file.display().to_string(), path));
        }
    }
    found
}

#[test]
fn every_reference_path_the_tests_read_is_in_the_manifest() {
    let manifest =
        std::fs::read_to_string(Path::new(ROOT).join("scripts/test-data.manifest")).unwrap();
    let listed: Vec<&str> = manifest
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    let requested = requested();
    assert!(
        requested.len() > 15,
        "the scan finds the tests' paths: {requested:?}"
    );
    let missing: Vec<String> = requested
        .iter()
        .filter(|(_, path)| {
            // The scan's own test strings are not data.
            !path.starts_with("no/such")
                && !listed.iter().any(|l| {
                    *l == path || l.starts_with(&format!("{}/", path.trim_end_matches('/')))
                })
        })
        .map(|(file, path)| format!("{path} (read by {file})"))
        .collect();
    assert!(
        missing.is_empty(),
        "not in scripts/test-data.manifest: {missing:#?}"
    );
}

#[test]
fn the_manifest_matches_the_shared_data_where_it_is_present() {
    let Some(shared) = entente::testdata::require("eval") else {
        return;
    };
    let shared = shared.parent().unwrap();
    let manifest =
        std::fs::read_to_string(Path::new(ROOT).join("scripts/test-data.manifest")).unwrap();
    for line in manifest
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let path = line.split('\t').next().unwrap();
        assert!(
            shared.join(path).is_file(),
            "{path} listed but not in {}",
            shared.display()
        );
    }
}
