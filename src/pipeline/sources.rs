//! Where documents come from: files and folders (recursive, a glob), standard input, and JSONL
//! manifests; each French article paired with its English version when one is beside it. A
//! document that cannot be found or read is a [`Failure`], not an error of the run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::{Failure, PipelineError};

/// Where a document's text comes from.
#[derive(Debug, Clone)]
pub enum Origin {
    File(PathBuf),
    Inline(String),
    /// Bytes read already (standard input), decoded like a file's.
    Bytes {
        name: String,
        bytes: Vec<u8>,
    },
}

/// A document found by [`discover`].
#[derive(Debug, Clone)]
pub struct DocSpec {
    /// Relative path without extension (and without `.fr`), or the manifest record's `id`.
    pub id: String,
    /// Where it was found, for messages.
    pub source: String,
    pub french: Origin,
    /// The English version, for parallel mode.
    pub english: Option<Origin>,
    /// Metadata carried into every output (`url`, `outlet`, `date`, `title`, …).
    pub meta: Map<String, Value>,
}

/// Does `name` match `pattern` (`*` any run, `?` one character)?
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// The id and side of a file name relative to its input folder: `a/b.en.txt` is the English
/// side of `a/b`; `a/b.fr.txt` and `a/b.txt` its French side.
pub(super) fn id_and_side(relative: &Path) -> (String, bool) {
    let text = relative.to_string_lossy().replace('\\', "/");
    let stem = match text.rfind('.') {
        Some(dot) if dot > text.rfind('/').map_or(0, |s| s + 1) => &text[..dot],
        _ => &text[..],
    };
    if let Some(id) = stem.strip_suffix(".en") {
        (id.to_string(), true)
    } else {
        (stem.strip_suffix(".fr").unwrap_or(stem).to_string(), false)
    }
}

/// Find the documents of `inputs` (files, folders, `-`) and of a manifest. Problems with single
/// documents are returned as failures; a missing input or an unreadable manifest fails the run.
pub fn discover(
    inputs: &[String],
    glob: &str,
    manifest: Option<&Path>,
) -> Result<(Vec<DocSpec>, Vec<Failure>), PipelineError> {
    let mut docs: BTreeMap<String, DocSpec> = BTreeMap::new();
    let mut english: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut add = |doc: DocSpec, failures: &mut Vec<Failure>| {
        if let Some(first) = docs.get(&doc.id) {
            failures.push(Failure {
                id: doc.id.clone(),
                source: doc.source.clone(),
                error: format!("duplicate document id (first from {})", first.source),
            });
        } else {
            docs.insert(doc.id.clone(), doc);
        }
    };
    for input in inputs {
        if input == "-" {
            let bytes = crate::input::read_bytes("-").map_err(|e| PipelineError::Input {
                path: "<stdin>".into(),
                reason: e.to_string(),
            })?;
            add(
                DocSpec {
                    id: "stdin".into(),
                    source: "<stdin>".into(),
                    french: Origin::Bytes {
                        name: "<stdin>".into(),
                        bytes,
                    },
                    english: None,
                    meta: Map::new(),
                },
                &mut failures,
            );
            continue;
        }
        let path = Path::new(input);
        let meta = std::fs::metadata(path).map_err(|e| PipelineError::Input {
            path: input.clone(),
            reason: e.to_string(),
        })?;
        let mut files = Vec::new();
        if meta.is_dir() {
            walk(path, path, glob, &mut files, &mut failures);
        } else {
            let name = path.file_name().map(PathBuf::from).unwrap_or_default();
            files.push((path.to_path_buf(), name));
        }
        for (file, relative) in files {
            let (id, is_english) = id_and_side(&relative);
            if is_english {
                english.insert(id, file);
            } else {
                let source = file.display().to_string();
                add(
                    DocSpec {
                        id,
                        source,
                        french: Origin::File(file),
                        english: None,
                        meta: Map::new(),
                    },
                    &mut failures,
                );
            }
        }
    }
    if let Some(manifest) = manifest {
        let text =
            crate::input::read_text(&manifest.display().to_string(), false).map_err(|e| {
                PipelineError::Input {
                    path: manifest.display().to_string(),
                    reason: e.to_string(),
                }
            })?;
        for (n, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let source = format!("{}:{}", manifest.display(), n + 1);
            let record: Map<String, Value> = match serde_json::from_str(line) {
                Ok(Value::Object(map)) => map,
                Ok(_) => {
                    failures.push(Failure {
                        id: format!("line {}", n + 1),
                        source,
                        error: "a manifest record must be a JSON object".into(),
                    });
                    continue;
                }
                Err(e) => {
                    failures.push(Failure {
                        id: format!("line {}", n + 1),
                        source,
                        error: format!("not JSON: {e}"),
                    });
                    continue;
                }
            };
            let id = record.get("id").and_then(Value::as_str).map(str::to_string);
            let text = record
                .get("text")
                .and_then(Value::as_str)
                .map(str::to_string);
            let (Some(id), Some(text)) = (id, text) else {
                failures.push(Failure {
                    id: format!("line {}", n + 1),
                    source,
                    error: "a manifest record needs string fields \"id\" and \"text\"".into(),
                });
                continue;
            };
            let english = record
                .get("en")
                .and_then(Value::as_str)
                .map(|s| Origin::Inline(s.to_string()));
            let meta: Map<String, Value> = record
                .into_iter()
                .filter(|(k, _)| !matches!(k.as_str(), "id" | "text" | "en"))
                .collect();
            add(
                DocSpec {
                    id,
                    source,
                    french: Origin::Inline(text),
                    english,
                    meta,
                },
                &mut failures,
            );
        }
    }
    for (id, file) in english {
        match docs.get_mut(&id) {
            Some(doc) => doc.english = Some(Origin::File(file)),
            None => failures.push(Failure {
                id,
                source: file.display().to_string(),
                error: "an English version without its French article".into(),
            }),
        }
    }
    Ok((docs.into_values().collect(), failures))
}

/// Files under `dir` whose names match `glob`, with their paths relative to `root`, in sorted
/// order; entries that match but are not regular files are failures.
pub(super) fn walk(
    root: &Path,
    dir: &Path,
    glob: &str,
    out: &mut Vec<(PathBuf, PathBuf)>,
    failures: &mut Vec<Failure>,
) {
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) => {
            failures.push(Failure {
                id: dir.display().to_string(),
                source: dir.display().to_string(),
                error: format!("cannot list the folder: {e}"),
            });
            return;
        }
    };
    entries.sort();
    for path in entries {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let matches = name.as_deref().is_some_and(|n| glob_match(glob, n));
        let relative = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
        match std::fs::metadata(&path) {
            Ok(m) if m.is_file() && matches => out.push((path, relative)),
            Ok(m) if m.is_dir() && !matches => walk(root, &path, glob, out, failures),
            Ok(_) if matches => failures.push(Failure {
                id: id_and_side(&relative).0,
                source: path.display().to_string(),
                error: "not a regular file".into(),
            }),
            Err(e) if matches => failures.push(Failure {
                id: id_and_side(&relative).0,
                source: path.display().to_string(),
                error: e.to_string(),
            }),
            _ => {}
        }
    }
}

/// The text of an origin: UTF-8, not blank.
pub(super) fn read_origin(origin: &Origin, lossy: bool) -> Result<String, String> {
    let text = match origin {
        Origin::Inline(text) => text.clone(),
        Origin::File(path) => {
            let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
            crate::input::decode_utf8(bytes, &path.display().to_string(), lossy)
                .map_err(|e| e.to_string())?
        }
        Origin::Bytes { name, bytes } => {
            crate::input::decode_utf8(bytes.clone(), name, lossy).map_err(|e| e.to_string())?
        }
    };
    if text.trim().is_empty() {
        return Err("the document is empty".into());
    }
    Ok(text)
}
