//! Text in: `segment` (sentences with their offsets, as `entente segment` finds them) and
//! `extract` (a page's or a scraped text's article, as `entente extract` writes it).

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};
use serde_json::Value;

use entente::article::sources;
use entente::segment::{SegmentOptions, Segmenter};

use crate::errors::to_py;

/// One sentence of a text: its `text`, where it lies (`start`, `end`: offsets in characters
/// into the text given, so that `text[s.start:s.end] == s.text`), and which paragraph and
/// sentence of it it is (`para`, `sent`, from 0).
#[pyclass(name = "Sentence", module = "entente", frozen, get_all, eq)]
#[derive(Clone, PartialEq)]
pub struct PySentence {
    text: String,
    start: usize,
    end: usize,
    para: usize,
    sent: usize,
}

#[pymethods]
impl PySentence {
    fn __repr__(&self) -> String {
        format!(
            "Sentence(text={:?}, start={}, end={}, para={}, sent={})",
            self.text, self.start, self.end, self.para, self.sent
        )
    }
}

/// Character offsets of increasing byte offsets into `text`, counted in one pass.
fn char_offsets(text: &str, bytes: &[usize]) -> Vec<usize> {
    let (mut at_byte, mut at_char) = (0usize, 0usize);
    bytes
        .iter()
        .map(|&b| {
            at_char += text[at_byte..b].chars().count();
            at_byte = b;
            at_char
        })
        .collect()
}

/// The sentences of `text`: paragraphs are split at blank lines (and at every line break unless
/// `join_lines`), sentences by entente's French rules.
#[pyfunction]
#[pyo3(signature = (text, *, join_lines = false))]
fn segment(py: Python<'_>, text: &str, join_lines: bool) -> Vec<PySentence> {
    let text = text.to_string();
    py.detach(move || {
        let sentences = Segmenter::new(SegmentOptions { join_lines }).segment(&text);
        // Starts and ends interleave in increasing order: one walk converts them all.
        let bytes: Vec<usize> = sentences.iter().flat_map(|s| [s.start, s.end]).collect();
        let chars = char_offsets(&text, &bytes);
        sentences
            .iter()
            .zip(chars.chunks(2))
            .map(|(s, c)| PySentence {
                text: s.text(&text).to_string(),
                start: c[0],
                end: c[1],
                para: s.para,
                sent: s.sent,
            })
            .collect()
    })
}

/// A JSON value as the Python object `json.loads` would give.
fn to_python(py: Python<'_>, value: &Value) -> PyResult<Py<PyAny>> {
    Ok(match value {
        Value::Null => py.None(),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any().unbind(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.into_pyobject(py)?.into_any().unbind(),
            None => n
                .as_f64()
                .unwrap_or(f64::NAN)
                .into_pyobject(py)?
                .into_any()
                .unbind(),
        },
        Value::String(s) => PyString::new(py, s).into_any().unbind(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_python(py, item)?)?;
            }
            list.into_any().unbind()
        }
        Value::Object(fields) => {
            let dict = PyDict::new(py);
            for (k, v) in fields {
                dict.set_item(k, to_python(py, v)?)?;
            }
            dict.into_any().unbind()
        }
    })
}

/// The article of a page or of scraped text, as `entente extract` writes it: a dict with
/// `source`, `url`, `title`, `lead`, `date`, `authors`, `site`, `lang`, `text`, `truncated` and
/// `blocks` (each with its `kind`). `page` is the page's HTML (`str`, or `bytes` in its own
/// charset) or plain text; `source` names it in the answer and in errors; `url` is where it came
/// from (its canonical URL, when the page gives one, wins). Raises `EntenteError` when there is
/// no article ("no article found").
#[pyfunction]
#[pyo3(signature = (page, *, url = None, source = "<string>"))]
fn extract(
    py: Python<'_>,
    page: &Bound<'_, PyAny>,
    url: Option<String>,
    source: &str,
) -> PyResult<Py<PyAny>> {
    let bytes: Vec<u8> = if let Ok(text) = page.cast::<PyString>() {
        text.to_cow()?.as_bytes().to_vec()
    } else if let Ok(raw) = page.cast::<PyBytes>() {
        raw.as_bytes().to_vec()
    } else {
        return Err(PyTypeError::new_err("page must be a str or bytes"));
    };
    let source = source.to_string();
    let json = py.detach(move || {
        let mut document = sources::document_of(&source, bytes);
        document.url = url;
        document.article(false).map(|a| a.to_json())
    });
    to_python(py, &json.map_err(to_py)?)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PySentence>()?;
    m.add_function(wrap_pyfunction!(segment, m)?)?;
    m.add_function(wrap_pyfunction!(extract, m)?)?;
    Ok(())
}
