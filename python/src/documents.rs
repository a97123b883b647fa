//! `Translator.translate_file`: a document (HTML, DOCX, ODT, ODP, PPTX, EPUB) translated whole
//! through the library's `document` code, as `entente translate FILE -o OUT`, its sentences
//! through the translator's queue; the file written atomically. The GIL is released for the
//! whole translation.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use entente::document::{self, Format};
use entente::generate::GenerationConfig;
use entente::translate::batcher::Batcher;
use entente::translate::Translator;

use crate::errors::EntenteError;

/// The format named by `format`, else by the file's extension.
fn format_of(path: &Path, format: Option<&str>) -> PyResult<Format> {
    let names = || {
        Format::ALL
            .iter()
            .map(|f| f.extension())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match format {
        Some(name) => Format::ALL
            .into_iter()
            .find(|f| f.extension() == name.to_ascii_lowercase())
            .ok_or_else(|| {
                PyValueError::new_err(format!("format {name:?}: use one of {}", names()))
            }),
        None => Format::from_path(path).ok_or_else(|| {
            PyValueError::new_err(format!(
                "{}: no document format in its name; pass format= (one of {})",
                path.display(),
                names()
            ))
        }),
    }
}

/// `report.docx` → `report.en.docx`, beside it.
fn default_output(input: &Path) -> PathBuf {
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = input
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_default();
    input.with_file_name(format!("{stem}.en.{ext}"))
}

/// Translate the document at `input` into `output` (default: `NAME.en.EXT` beside it); what
/// was done, as a dict.
pub fn translate_file<'py>(
    py: Python<'py>,
    (translator, batcher, config): (&Arc<Translator>, &Batcher, Arc<GenerationConfig>),
    input: PathBuf,
    output: Option<PathBuf>,
    format: Option<&str>,
) -> PyResult<Bound<'py, PyDict>> {
    let format = format_of(&input, format)?;
    let output = output.unwrap_or_else(|| default_output(&input));
    let result = py.detach(|| -> Result<document::BlockReport, String> {
        let bytes =
            std::fs::read(&input).map_err(|e| format!("cannot read {}: {e}", input.display()))?;
        let named = |e: document::DocumentError| format!("{}: {e}", input.display());
        // A bad file fails in parsing, before any sentence is queued or anything written.
        let destination =
            entente::output::Destination::check(&output).map_err(|e| e.to_string())?;
        let translated = document::translate_document(&bytes, format, translator, |s| {
            batcher.translate_blocking(s, Arc::clone(&config))
        })
        .map_err(named)?;
        let mut file = destination.create().map_err(|e| e.to_string())?;
        file.write_all(&translated.bytes)
            .map_err(|e| format!("writing {}: {e}", output.display()))?;
        file.commit().map_err(|e| e.to_string())?;
        Ok(translated.report)
    });
    let report = result.map_err(EntenteError::new_err)?;
    let dict = PyDict::new(py);
    dict.set_item("output", output.to_string_lossy().into_owned())?;
    dict.set_item("format", format.extension())?;
    dict.set_item("blocks", report.blocks)?;
    dict.set_item("sentences", report.sentences)?;
    dict.set_item("aligned", report.aligned)?;
    dict.set_item("fallback", report.fallback)?;
    Ok(dict)
}
