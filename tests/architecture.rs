//! The shape of the code, checked: no library source file over 600 lines (tests aside), no
//! function over 80 lines, every module opening with a doc comment, and no import circle
//! between modules (a parent and its child included: shared types live in leaf files). See
//! DESIGN.md for the rooms and what flows between them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_FILE_LINES: usize = 600;
const MAX_FUNCTION_LINES: usize = 80;

type ModulePath = Vec<String>;

/// Every library source file (the binary's `main.rs` and `cli/` are a crate of their own), by
/// module path.
fn library_modules() -> BTreeMap<ModulePath, PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut modules = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(&src).expect("under src");
            let mut parts: Vec<String> = relative
                .with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts.first().is_some_and(|p| p == "cli" || p == "main") {
                continue;
            }
            if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
                parts.pop();
            }
            modules.insert(parts, path);
        }
    }
    modules
}

fn is_test_file(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "tests.rs")
}

/// The text without `#[cfg(test)] mod … { … }` blocks, comments and `pub(in …)` visibilities.
fn code_of(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < lines.len() {
        let next_opens_module = lines.get(i + 1).is_some_and(|l| {
            let l = l.trim_start();
            (l.starts_with("mod ") || l.starts_with("pub mod ")) && l.trim_end().ends_with('{')
        });
        if lines[i].trim() == "#[cfg(test)]" && next_opens_module {
            let mut depth = 0i64;
            let mut j = i + 1;
            while j < lines.len() {
                depth +=
                    lines[j].matches('{').count() as i64 - lines[j].matches('}').count() as i64;
                if depth <= 0 {
                    break;
                }
                j += 1;
            }
            i = j + 1;
            continue;
        }
        let line = lines[i].split("//").next().unwrap_or("");
        out.push_str(line);
        out.push('\n');
        i += 1;
    }
    let mut cleaned = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(at) = rest.find("pub(in ") {
        cleaned.push_str(&rest[..at]);
        cleaned.push_str("pub");
        rest = rest[at..].split_once(')').map_or("", |(_, after)| after);
    }
    cleaned.push_str(rest);
    cleaned
}

/// `a::{b, c::{d, e}}` as `a::b`, `a::c::d`, `a::c::e`.
fn expand_use(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        return vec![tree.to_string()];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let (mut parts, mut depth, mut current) = (Vec::new(), 0, String::new());
    for c in inner.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    parts.push(current);
    parts
        .iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(|p| expand_use(p.trim()))
        .map(|p| format!("{prefix}{p}"))
        .collect()
}

/// The module a path used from module `at` resolves to: the longest prefix that is a module.
fn resolve(
    at: &ModulePath,
    path: &str,
    modules: &BTreeMap<ModulePath, PathBuf>,
) -> Option<ModulePath> {
    let segments: Vec<&str> = path
        .split("::")
        .map(|s| s.split(" as ").next().unwrap_or("").trim())
        .collect();
    let (mut base, mut rest) = match segments.first() {
        Some(&"crate") => (Vec::new(), &segments[1..]),
        Some(&"super") | Some(&"self") => {
            let mut base = at.clone();
            let mut rest = &segments[..];
            while let Some(&first) = rest.first() {
                match first {
                    "super" => {
                        base.pop();
                    }
                    "self" => {}
                    _ => break,
                }
                rest = &rest[1..];
            }
            (base, rest)
        }
        Some(first) => {
            let mut child = at.clone();
            child.push(first.to_string());
            if !modules.contains_key(&child) {
                return None;
            }
            (at.clone(), &segments[..])
        }
        None => return None,
    };
    while let Some(first) = rest.first() {
        let mut next = base.clone();
        next.push(first.to_string());
        if !modules.contains_key(&next) {
            break;
        }
        base = next;
        rest = &rest[1..];
    }
    Some(base)
}

/// Each module's imports of other library modules (use declarations and inline paths).
fn dependencies(
    modules: &BTreeMap<ModulePath, PathBuf>,
) -> BTreeMap<ModulePath, BTreeSet<ModulePath>> {
    let mut graph = BTreeMap::new();
    for (module, path) in modules {
        if is_test_file(path) {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(path).expect("readable source"));
        let mut paths = Vec::new();
        for statement in code.split(';') {
            if let Some(at) = statement.find("use ") {
                let before = &statement[..at];
                if before.trim().is_empty() || before.trim_end().ends_with("pub") {
                    paths.extend(expand_use(&statement[at + 4..]));
                }
            }
        }
        for word in code.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')) {
            // A path that goes on in braces is a use tree, expanded above.
            if (word.starts_with("crate::") || word.starts_with("super::")) && !word.ends_with(':')
            {
                paths.push(word.to_string());
            }
        }
        let deps: BTreeSet<ModulePath> = paths
            .iter()
            .filter_map(|p| resolve(module, p, modules))
            .filter(|d| d != module && !d.iter().any(|s| s == "tests"))
            .collect();
        graph.insert(module.clone(), deps);
    }
    graph
}

/// A cycle through `start`, if there is one.
fn cycle_from(
    start: &ModulePath,
    graph: &BTreeMap<ModulePath, BTreeSet<ModulePath>>,
) -> Option<Vec<ModulePath>> {
    let mut stack = vec![(start.clone(), vec![start.clone()])];
    let mut seen = BTreeSet::new();
    while let Some((node, path)) = stack.pop() {
        for next in graph.get(&node).into_iter().flatten() {
            if next == start {
                let mut cycle = path.clone();
                cycle.push(start.clone());
                return Some(cycle);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push((next.clone(), longer));
            }
        }
    }
    None
}

fn name(module: &ModulePath) -> String {
    if module.is_empty() {
        "crate".into()
    } else {
        module.join("::")
    }
}

#[test]
fn no_library_file_is_over_600_lines() {
    let too_long: Vec<String> = library_modules()
        .values()
        .filter(|path| !is_test_file(path))
        .filter_map(|path| {
            let lines = std::fs::read_to_string(path).ok()?.lines().count();
            (lines > MAX_FILE_LINES).then(|| format!("{} ({lines} lines)", path.display()))
        })
        .collect();
    assert!(
        too_long.is_empty(),
        "over {MAX_FILE_LINES} lines: {too_long:?}"
    );
}

#[test]
fn no_function_is_over_80_lines() {
    let mut too_long = Vec::new();
    for path in library_modules().values().filter(|p| !is_test_file(p)) {
        let code = code_of(&std::fs::read_to_string(path).expect("readable"));
        let lines: Vec<&str> = code.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let trimmed = line.trim_start();
            let indent = &line[..line.len() - trimmed.len()];
            let is_fn = trimmed
                .split_whitespace()
                .find(|w| !(w.starts_with("pub") || matches!(*w, "async" | "unsafe" | "const")))
                == Some("fn");
            if !is_fn || trimmed.trim_end().ends_with(';') {
                continue;
            }
            let closing = format!("{indent}}}");
            if let Some(end) = lines[i + 1..].iter().position(|l| *l == closing) {
                if end + 2 > MAX_FUNCTION_LINES {
                    too_long.push(format!("{}:{} ({} lines)", path.display(), i + 1, end + 2));
                }
            }
        }
    }
    assert!(
        too_long.is_empty(),
        "over {MAX_FUNCTION_LINES} lines: {too_long:?}"
    );
}

#[test]
fn every_module_opens_with_a_doc_comment() {
    let undocumented: Vec<String> = library_modules()
        .values()
        .filter(|path| !is_test_file(path))
        .filter(|path| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            !text.trim_start().starts_with("//!")
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(undocumented.is_empty(), "no module doc: {undocumented:?}");
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let modules = library_modules();
    let graph = dependencies(&modules);
    // The check sees real imports: the pipeline imports the aligner, the server the pipeline's
    // neighbours; a graph with no edges would pass for the wrong reason.
    assert!(
        graph[&vec!["serve".to_string()]].contains(&vec!["serve".to_string(), "state".to_string()])
    );
    let cycles: Vec<String> = graph
        .keys()
        .filter_map(|m| cycle_from(m, &graph))
        .map(|c| c.iter().map(name).collect::<Vec<_>>().join(" → "))
        .collect();
    assert!(cycles.is_empty(), "import circles: {cycles:#?}");
}

#[test]
fn the_cycle_check_finds_a_circle() {
    // parent → child → parent, as `super::Item` from a child whose parent uses the child.
    let graph: BTreeMap<ModulePath, BTreeSet<ModulePath>> = [
        (
            vec!["a".to_string()],
            [vec!["a".to_string(), "b".to_string()]].into(),
        ),
        (
            vec!["a".to_string(), "b".to_string()],
            [vec!["a".to_string()]].into(),
        ),
    ]
    .into();
    assert!(cycle_from(&vec!["a".to_string()], &graph).is_some());
    let uses = expand_use("super::{x::Y, z::{P, Q as R}}");
    assert_eq!(uses, ["super::x::Y", "super::z::P", "super::z::Q as R"]);
}

/// Every Rust file under `dir` (recursively).
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn nothing_writes_the_environment_and_translation_reads_none() {
    // Writing the environment races other threads' reads (and changed every other rayon user
    // of a Python process): threads come from the translator's own pool, sized by settings the
    // CLI and the binding fill. The translate room reads no variable: its settings are given.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    for dir in ["src", "python/src"] {
        for path in rust_files(&root.join(dir)) {
            let text = std::fs::read_to_string(&path).expect("readable");
            let code = code_of(&text);
            let in_translate = path.starts_with(root.join("src/translate"));
            for (i, line) in code.lines().enumerate() {
                let writes = line.contains("set_var(") || line.contains("remove_var(");
                let reads = line.contains("env::var");
                if writes || (in_translate && reads) {
                    found.push(format!("{}:{}: {}", path.display(), i + 1, line.trim()));
                }
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

/// The top-level rooms in DESIGN.md's dependency order: each may import only rooms before it.
const ROOM_ORDER: [&str; 18] = [
    "exp",
    "profile",
    "testdata",
    "segment",
    "input",
    "article",
    "metrics",
    "formats",
    "output",
    "hub",
    "tokenizer",
    "generate",
    "marian",
    "translate",
    "document",
    "align",
    "pipeline",
    "serve",
];

#[test]
fn rooms_import_only_the_rooms_before_them_in_design_md_s_order() {
    let modules = library_modules();
    let rooms: BTreeSet<String> = modules.keys().filter_map(|m| m.first().cloned()).collect();
    let unplaced: Vec<&String> = rooms
        .iter()
        .filter(|r| !ROOM_ORDER.contains(&r.as_str()))
        .collect();
    assert!(
        unplaced.is_empty(),
        "rooms missing from ROOM_ORDER (and DESIGN.md): {unplaced:?}"
    );
    let position = |room: &str| ROOM_ORDER.iter().position(|r| *r == room).unwrap();
    let mut wrong = BTreeSet::new();
    for (module, deps) in dependencies(&modules) {
        for dep in deps {
            if let (Some(a), Some(b)) = (module.first(), dep.first()) {
                if a != b && position(b) > position(a) {
                    wrong.insert(format!("{} imports {}", name(&module), name(&dep)));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "against DESIGN.md's order: {wrong:#?}");
    // The order in DESIGN.md is this one.
    let design =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("DESIGN.md")).unwrap();
    let listed = ROOM_ORDER
        .iter()
        .filter(|r| !matches!(**r, "exp" | "profile" | "testdata"))
        .map(|r| format!("`{r}`"))
        .collect::<Vec<_>>();
    let mut at = 0;
    for room in &listed {
        let found = design[at..]
            .find(room.as_str())
            .unwrap_or_else(|| panic!("DESIGN.md's order lacks {room} after position {at}"));
        at += found + room.len();
    }
}
