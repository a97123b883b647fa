//! `entente.align`: the parallel sentence pairs of a French text and its English version, as
//! `/v1/align` gives them (the library's `align_sentences` and `flagged_pairs`).

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyString;

use entente::align::{align_documents, Lexicon, DEFAULT_MIN_SCORE};
use entente::pipeline::flagged_pairs;
use entente::segment::{single_line, split_sentences};

use crate::translator::PyTranslator;

/// One link of an alignment: the sentence indices of each side (`src_ids`, `tgt_ids`; one side
/// is empty for an unaligned sentence), their text joined by spaces (`src`, `tgt`), the link's
/// probability (`score`) and its quality flags (`copy`, `repeat`, `length-ratio`,
/// `unaligned`).
#[pyclass(name = "Pair", module = "entente", frozen, get_all, eq)]
#[derive(Clone, PartialEq)]
pub struct PyPair {
    src_ids: Vec<usize>,
    tgt_ids: Vec<usize>,
    src: String,
    tgt: String,
    score: f64,
    flags: Vec<&'static str>,
}

#[pymethods]
impl PyPair {
    fn __repr__(&self) -> String {
        format!(
            "Pair(src_ids={:?}, tgt_ids={:?}, src={:?}, tgt={:?}, score={}, flags={:?})",
            self.src_ids, self.tgt_ids, self.src, self.tgt, self.score, self.flags
        )
    }
}

/// A side's sentences: a text is segmented as `entente align` does; a list is taken as
/// sentences already (each on one line, trimmed).
fn sentences(side: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<String>> {
    if let Ok(text) = side.cast::<PyString>() {
        return Ok(split_sentences(&text.to_cow()?)
            .into_iter()
            .map(|s| single_line(s).into_owned())
            .collect());
    }
    let list: Vec<String> = side.extract().map_err(|_| {
        PyTypeError::new_err(format!(
            "{name} must be a text (str) or a list of sentences"
        ))
    })?;
    Ok(list
        .iter()
        .map(|s| single_line(s.trim()).into_owned())
        .collect())
}

/// `lexicon=None`: the FreeDict fra-eng and eng-fra dictionaries where Debian installed them
/// (as the CLI's default); `False`: none; a path, or a list of paths: those dictionaries
/// (dictd `.index` or word<TAB>translation), read as one in the direction of the first.
fn read_lexicon(lexicon: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Lexicon>> {
    let paths: Vec<std::path::PathBuf> = match lexicon {
        None => entente::align::lexicon::installed("fr", "en"),
        Some(v) if v.is_instance_of::<pyo3::types::PyBool>() => {
            if v.extract::<bool>()? {
                return Err(PyValueError::new_err(
                    "lexicon=True: give a path, None (the installed ones) or False (none)",
                ));
            }
            Vec::new()
        }
        Some(v) => match v.extract::<String>() {
            Ok(one) => vec![one.into()],
            Err(_) => v
                .extract::<Vec<String>>()
                .map_err(|_| {
                    PyValueError::new_err(
                        "lexicon must be a path (str), a list of paths, None or False",
                    )
                })?
                .into_iter()
                .map(Into::into)
                .collect(),
        },
    };
    if paths.is_empty() {
        return Ok(None);
    }
    Lexicon::read_all(&paths)
        .map(Some)
        .map_err(|e| PyValueError::new_err(e.to_string()))
}

/// Align `fr` with `en` (each a text, segmented here, or a list of sentences) into pairs.
/// A machine translation of the French side makes the alignment better: give it as
/// `translation` (a list line-aligned with the French sentences), or give a `Translator` as
/// `mt` to compute it; with neither, numbers, cognates, punctuation and lengths decide. Pairs
/// whose probability is under `min_score` are left out (unaligned sentences always stay).
/// `lexicon` adds a bilingual dictionary as evidence: None (the default) uses FreeDict's
/// fra-eng and eng-fra where Debian installed them, as `entente align` does; False uses none;
/// a path (or a list of paths) reads that dictionary (a dictd `.index`, or word<TAB>translation
/// lines). `realign` aligns a second
/// time with the word pairs the first pass's confident links teach: None (the default) does so
/// for documents of up to 10,000 sentences a side, as `entente align` does.
#[pyfunction]
#[allow(clippy::too_many_arguments)] // Python's keywords, each a setting of its own
#[pyo3(signature = (fr, en, translation = None, mt = None, *, min_score = DEFAULT_MIN_SCORE,
                    lexicon = None, realign = None))]
fn align(
    py: Python<'_>,
    fr: &Bound<'_, PyAny>,
    en: &Bound<'_, PyAny>,
    translation: Option<&Bound<'_, PyAny>>,
    mt: Option<PyRef<'_, PyTranslator>>,
    min_score: f64,
    lexicon: Option<&Bound<'_, PyAny>>,
    realign: Option<bool>,
) -> PyResult<Vec<PyPair>> {
    let lexicon = read_lexicon(lexicon)?;
    if !(0.0..=1.0).contains(&min_score) {
        return Err(PyValueError::new_err(
            "min_score must be a probability, from 0 to 1",
        ));
    }
    let src = sentences(fr, "fr")?;
    let tgt = sentences(en, "en")?;
    let machine: Option<Vec<String>> = match (translation, mt) {
        (Some(_), Some(_)) => {
            return Err(PyValueError::new_err(
                "give either a translation or a Translator as mt, not both",
            ))
        }
        (Some(t), None) => {
            let lines = if let Ok(text) = t.cast::<PyString>() {
                text.to_cow()?
                    .lines()
                    .map(|l| l.trim().to_string())
                    .collect()
            } else {
                sentences(t, "translation")?
            };
            if lines.len() != src.len() {
                return Err(PyValueError::new_err(format!(
                    "translation has {} lines but fr has {} sentences: it must be line-aligned \
                     with the French sentences",
                    lines.len(),
                    src.len()
                )));
            }
            Some(lines)
        }
        (None, Some(translator)) => Some(translator.translate_texts(py, src.clone())?),
        (None, None) => None,
    };
    let pairs = py.detach(move || {
        let (links, _, _) =
            align_documents(&src, &tgt, machine.as_deref(), lexicon.as_ref(), realign);
        flagged_pairs(links, &src, &tgt, min_score)
    });
    Ok(pairs
        .into_iter()
        .map(|p| PyPair {
            src_ids: p.src_ids,
            tgt_ids: p.tgt_ids,
            src: p.src,
            tgt: p.tgt,
            score: p.score,
            flags: p.flags,
        })
        .collect())
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPair>()?;
    m.add_function(wrap_pyfunction!(align, m)?)?;
    Ok(())
}
