//! Where documents come from: files and folders (recursive, a glob), standard input, and JSONL
//! manifests; each French article paired with its English version when one is beside it. A
//! document that cannot be found or read is a [`Failure`], not an error of the run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::origin::{DocSpec, Origin};
use super::outcome::{Failure, PipelineError};

/// Does `name` match `pattern` (`*` any run, `?` one character; several patterns separated by
/// commas)?
pub fn glob_match(pattern: &str, name: &str) -> bool {
    pattern
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .any(|p| glob_match_one(p, name))
}

/// The files the pipeline reads by default: articles as text, saved pages, crawls, URL lists.
pub const DEFAULT_GLOB: &str =
    "*.txt,*.html,*.htm,*.xhtml,*.html.gz,*.htm.gz,*.warc,*.warc.gz,*.urls,\
     *.docx,*.odt,*.odp,*.pptx,*.epub";

fn glob_match_one(pattern: &str, name: &str) -> bool {
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
    let text = text.strip_suffix(".gz").unwrap_or(&text).to_string();
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
    let mut found = Found::default();
    for input in inputs {
        found.input(input, glob)?;
    }
    if let Some(manifest) = manifest {
        found.manifest(manifest)?;
    }
    Ok(found.paired())
}

/// The documents found so far, by id; English versions waiting for their French article.
#[derive(Default)]
struct Found {
    docs: BTreeMap<String, DocSpec>,
    english: BTreeMap<String, PathBuf>,
    failures: Vec<Failure>,
}

impl Found {
    /// Add a document, or a failure when its id is taken.
    fn add(&mut self, doc: DocSpec) {
        if let Some(first) = self.docs.get(&doc.id) {
            self.failures.push(Failure {
                id: doc.id.clone(),
                source: doc.source.clone(),
                error: format!("duplicate document id (first from {})", first.source),
            });
        } else {
            self.docs.insert(doc.id.clone(), doc);
        }
    }

    /// One command-line input: `-`, a file or a folder.
    fn input(&mut self, input: &str, glob: &str) -> Result<(), PipelineError> {
        if input == "-" {
            let bytes = crate::input::read_bytes("-").map_err(|e| PipelineError::Input {
                path: "<stdin>".into(),
                reason: e.to_string(),
            })?;
            self.add(DocSpec {
                id: "stdin".into(),
                source: "<stdin>".into(),
                french: Origin::Bytes {
                    name: "<stdin>".into(),
                    bytes,
                },
                english: None,
                meta: Map::new(),
            });
            return Ok(());
        }
        let path = Path::new(input);
        let meta = std::fs::metadata(path).map_err(|e| PipelineError::Input {
            path: input.to_string(),
            reason: e.to_string(),
        })?;
        let mut files = Vec::new();
        if meta.is_dir() {
            walk(path, path, glob, &mut files, &mut self.failures);
        } else {
            let name = path.file_name().map(PathBuf::from).unwrap_or_default();
            files.push((path.to_path_buf(), name));
        }
        for (file, relative) in files {
            let (id, is_english) = id_and_side(&relative);
            if is_english {
                self.english.insert(id, file);
                continue;
            }
            match super::articles::expand(&file, &id) {
                Some(found) => {
                    for doc in found {
                        match doc {
                            Ok(doc) => self.add(doc),
                            Err(failure) => self.failures.push(failure),
                        }
                    }
                }
                None => {
                    let source = file.display().to_string();
                    self.add(DocSpec {
                        id,
                        source,
                        french: Origin::File(file),
                        english: None,
                        meta: Map::new(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Every record of a JSONL manifest; a record that is not a usable document is a failure.
    fn manifest(&mut self, manifest: &Path) -> Result<(), PipelineError> {
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
            match manifest_record(line) {
                Ok(mut doc) => {
                    doc.source = source;
                    self.add(doc);
                }
                Err(error) => self.failures.push(Failure {
                    id: format!("line {}", n + 1),
                    source,
                    error: error.to_string(),
                }),
            }
        }
        Ok(())
    }

    /// The documents with their English versions; an English version without its French
    /// article is a failure.
    fn paired(mut self) -> (Vec<DocSpec>, Vec<Failure>) {
        for (id, file) in std::mem::take(&mut self.english) {
            match self.docs.get_mut(&id) {
                Some(doc) => doc.english = Some(Origin::File(file)),
                None => self.failures.push(Failure {
                    id,
                    source: file.display().to_string(),
                    error: "an English version without its French article".into(),
                }),
            }
        }
        (self.docs.into_values().collect(), self.failures)
    }
}

/// Why a manifest line is not a document.
#[derive(Debug, thiserror::Error)]
enum ManifestError {
    #[error("not JSON: {0}")]
    NotJson(#[from] serde_json::Error),
    #[error("a manifest record must be a JSON object")]
    NotAnObject,
    #[error("a manifest record needs a string \"id\" and the article as \"text\" or \"html\"")]
    Incomplete,
}

/// A manifest line as a document (its `source` left for the caller): `id` and `text` strings,
/// `en` the English version, any other field metadata.
fn manifest_record(line: &str) -> Result<DocSpec, ManifestError> {
    let record: Map<String, Value> = match serde_json::from_str(line)? {
        Value::Object(map) => map,
        _ => return Err(ManifestError::NotAnObject),
    };
    let id = record.get("id").and_then(Value::as_str).map(str::to_string);
    let field = |name: &str| record.get(name).and_then(Value::as_str).map(str::to_string);
    let french = match (field("text"), field("html")) {
        (Some(text), _) => Some(Origin::Inline(text)),
        (None, Some(html)) => Some(Origin::InlineHtml(html)),
        (None, None) => None,
    };
    let (Some(id), Some(french)) = (id, french) else {
        return Err(ManifestError::Incomplete);
    };
    let english = record
        .get("en")
        .and_then(Value::as_str)
        .map(|s| Origin::Inline(s.to_string()));
    let meta: Map<String, Value> = record
        .into_iter()
        .filter(|(k, _)| !matches!(k.as_str(), "id" | "text" | "html" | "en"))
        .collect();
    Ok(DocSpec {
        id,
        source: String::new(),
        french,
        english,
        meta,
    })
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
