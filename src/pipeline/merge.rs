//! `entente merge`: shard runs' output folders joined into what one run would have written.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::corpus::{assemble, filters_from_json};
use super::keys::doc_path;
use super::options::{Filters, Options};
use super::outcome::{Failure, PipelineError, Summary};
use crate::output;

/// Join the output folders of shard runs into `out`: every document's files, and the corpus
/// files assembled exactly as one run over all the documents would have written them (filters
/// and dedup across shards included; they must have been run with the same filters).
pub fn merge(out: &Path, shard_dirs: &[PathBuf]) -> Result<Summary, PipelineError> {
    let mut ids = Vec::new();
    let mut failures = Vec::new();
    let mut filters: Option<Filters> = None;
    for dir in shard_dirs {
        let report_path = dir.join("report.json");
        let report: Value = std::fs::read_to_string(&report_path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
            .map_err(|reason| PipelineError::Input {
                path: report_path.display().to_string(),
                reason: format!("{reason} (not a finished pipeline output folder?)"),
            })?;
        let these = filters_from_json(&report["options"]);
        match &filters {
            Some(f) if *f != these => {
                return Err(PipelineError::Input {
                    path: report_path.display().to_string(),
                    reason: "this shard was run with other filters than the first one".into(),
                })
            }
            _ => filters = Some(these),
        }
        for f in report["failed"].as_array().into_iter().flatten() {
            let text = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            failures.push(Failure {
                id: text("id"),
                source: text("source"),
                error: text("error"),
            });
        }
        for d in report["documents"].as_array().into_iter().flatten() {
            let id = d["id"].as_str().unwrap_or_default().to_string();
            copy_document(dir, out, &id)?;
            ids.push(id);
        }
    }
    ids.sort();
    let before = ids.len();
    ids.dedup();
    if ids.len() != before {
        return Err(PipelineError::Input {
            path: out.display().to_string(),
            reason: "a document appears in two shards: were they run with the same --shard N?"
                .into(),
        });
    }
    let options = Options {
        out_dir: out.to_path_buf(),
        no_mt: false,
        lexicon: None,
        force: false,
        docs_per_batch: 1,
        lossy: false,
        filters: filters.unwrap_or_default(),
        mix_documents: false,
    };
    let mut summary = Summary {
        documents: ids.len() + failures.len(),
        resumed: ids.len(),
        failed: failures.len(),
        ..Summary::default()
    };
    assemble(&ids, &failures, &options, &mut summary)?;
    Ok(summary)
}

/// Copy one document's files from a shard's folder into `out`.
fn copy_document(dir: &Path, out: &Path, id: &str) -> Result<(), PipelineError> {
    for suffix in [".en.txt", ".pairs.jsonl", ".html", ".report.json"] {
        let from = doc_path(dir, id, suffix);
        if !from.exists() {
            continue;
        }
        let to = doc_path(out, id, suffix);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|source| PipelineError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let bytes = std::fs::read(&from).map_err(|source| PipelineError::Io {
            path: from.clone(),
            source,
        })?;
        output::write_file(&to, &bytes)?;
    }
    Ok(())
}
