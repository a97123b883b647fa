//! sacreBLEU's score and signature objects: `BLEUScore`, `CHRFScore`, `TERScore` with
//! sacreBLEU's fields, printed by the library's `Score::format` (the code behind `entente
//! bleu`), and `Signature`.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use entente::metrics::bleu::BleuDetails;
use entente::metrics::metric::Estimate;
use entente::metrics::{Score, Signature};

/// A reproducibility signature, as sacreBLEU's `Signature` prints it (with entente's version).
#[pyclass(name = "Signature", module = "entente.metrics", frozen)]
pub struct PySignature {
    pub signature: Signature,
}

#[pymethods]
impl PySignature {
    /// `nrefs:1|case:mixed|…|version:…`, or the short form `#:1|c:mixed|…`.
    #[pyo3(signature = (short = false))]
    fn format(&self, short: bool) -> String {
        self.signature.format(short)
    }

    /// The fields, by their long names, version last.
    #[getter]
    fn info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in self.signature.pairs(false) {
            d.set_item(k, v)?;
        }
        Ok(d)
    }

    fn __str__(&self) -> String {
        self.signature.format(false)
    }

    fn __repr__(&self) -> String {
        self.signature.format(false)
    }
}

/// The bootstrap fields sacreBLEU's scores carry (`-1.0` when no resampling was asked).
fn estimate_of(mean: f64, ci: f64) -> Option<Estimate> {
    (mean > 0.0).then_some(Estimate { mean, ci })
}

/// sacreBLEU's `Score.format` of a score and its bootstrap fields.
fn format(score: Score, mean: f64, ci: f64, opts: (usize, bool, &str, bool)) -> String {
    let (width, score_only, signature, is_json) = opts;
    score.format(width, score_only, signature, is_json, estimate_of(mean, ci))
}

/// sacreBLEU's `BLEUScore`.
#[pyclass(name = "BLEUScore", module = "entente.metrics", get_all, set_all)]
pub struct PyBleuScore {
    name: String,
    score: f64,
    counts: Vec<i64>,
    totals: Vec<i64>,
    precisions: Vec<f64>,
    bp: f64,
    sys_len: i64,
    ref_len: i64,
    _mean: f64,
    _ci: f64,
}

impl PyBleuScore {
    pub fn new(d: BleuDetails, estimate: Option<Estimate>) -> Self {
        PyBleuScore {
            name: "BLEU".into(),
            score: d.score,
            counts: d.counts.iter().map(|&c| c as i64).collect(),
            totals: d.totals.iter().map(|&c| c as i64).collect(),
            precisions: d.precisions,
            bp: d.bp,
            sys_len: d.sys_len as i64,
            ref_len: d.ref_len as i64,
            _mean: estimate.map_or(-1.0, |e| e.mean),
            _ci: estimate.map_or(-1.0, |e| e.ci),
        }
    }

    fn as_score(&self) -> Score {
        let details = BleuDetails {
            score: self.score,
            counts: self.counts.iter().map(|&c| c as f64).collect(),
            totals: self.totals.iter().map(|&c| c as f64).collect(),
            precisions: self.precisions.clone(),
            bp: self.bp,
            sys_len: self.sys_len as f64,
            ref_len: self.ref_len as f64,
        };
        Score {
            name: self.name.clone(),
            score: self.score,
            verbose: Some(details.verbose()),
        }
    }
}

#[pymethods]
impl PyBleuScore {
    /// sacreBLEU's `Score.format`: `NAME|SIGNATURE = SCORE …`, the score alone, or JSON.
    #[pyo3(signature = (width = 2, score_only = false, signature = "", is_json = false))]
    fn format(&self, width: usize, score_only: bool, signature: &str, is_json: bool) -> String {
        format(
            self.as_score(),
            self._mean,
            self._ci,
            (width, score_only, signature, is_json),
        )
    }

    fn __repr__(&self) -> String {
        self.format(2, false, "", false)
    }

    fn __str__(&self) -> String {
        self.format(2, false, "", false)
    }
    /// The precisions as sacreBLEU prints them: `59.3/32.3/19.9/12.6`.
    #[getter]
    fn prec_str(&self) -> String {
        let p: Vec<String> = self.precisions.iter().map(|p| format!("{p:.1}")).collect();
        p.join("/")
    }

    /// `sys_len / ref_len` (0 without a reference length).
    #[getter]
    fn ratio(&self) -> f64 {
        if self.ref_len != 0 {
            self.sys_len as f64 / self.ref_len as f64
        } else {
            0.0
        }
    }
}

/// sacreBLEU's `CHRFScore` (`name` is `chrF2`, `chrF2++`, …).
#[pyclass(name = "CHRFScore", module = "entente.metrics", get_all, set_all)]
pub struct PyChrfScore {
    name: String,
    score: f64,
    char_order: usize,
    word_order: usize,
    beta: u32,
    _mean: f64,
    _ci: f64,
}

impl PyChrfScore {
    pub fn new(score: Score, order: (usize, usize, u32), estimate: Option<Estimate>) -> Self {
        PyChrfScore {
            name: score.name,
            score: score.score,
            char_order: order.0,
            word_order: order.1,
            beta: order.2,
            _mean: estimate.map_or(-1.0, |e| e.mean),
            _ci: estimate.map_or(-1.0, |e| e.ci),
        }
    }

    fn as_score(&self) -> Score {
        Score {
            name: self.name.clone(),
            score: self.score,
            verbose: None,
        }
    }
}

#[pymethods]
impl PyChrfScore {
    /// sacreBLEU's `Score.format`: `NAME|SIGNATURE = SCORE …`, the score alone, or JSON.
    #[pyo3(signature = (width = 2, score_only = false, signature = "", is_json = false))]
    fn format(&self, width: usize, score_only: bool, signature: &str, is_json: bool) -> String {
        format(
            self.as_score(),
            self._mean,
            self._ci,
            (width, score_only, signature, is_json),
        )
    }

    fn __repr__(&self) -> String {
        self.format(2, false, "", false)
    }

    fn __str__(&self) -> String {
        self.format(2, false, "", false)
    }
}

/// sacreBLEU's `TERScore`.
#[pyclass(name = "TERScore", module = "entente.metrics", get_all, set_all)]
pub struct PyTerScore {
    name: String,
    score: f64,
    num_edits: i64,
    ref_length: f64,
    _mean: f64,
    _ci: f64,
}

impl PyTerScore {
    pub fn new(score: f64, stats: &[f64], estimate: Option<Estimate>) -> Self {
        PyTerScore {
            name: "TER".into(),
            score,
            num_edits: stats[0] as i64,
            ref_length: stats[1],
            _mean: estimate.map_or(-1.0, |e| e.mean),
            _ci: estimate.map_or(-1.0, |e| e.ci),
        }
    }

    fn as_score(&self) -> Score {
        Score {
            name: self.name.clone(),
            score: self.score,
            verbose: None,
        }
    }
}

#[pymethods]
impl PyTerScore {
    /// sacreBLEU's `Score.format`: `NAME|SIGNATURE = SCORE …`, the score alone, or JSON.
    #[pyo3(signature = (width = 2, score_only = false, signature = "", is_json = false))]
    fn format(&self, width: usize, score_only: bool, signature: &str, is_json: bool) -> String {
        format(
            self.as_score(),
            self._mean,
            self._ci,
            (width, score_only, signature, is_json),
        )
    }

    fn __repr__(&self) -> String {
        self.format(2, false, "", false)
    }

    fn __str__(&self) -> String {
        self.format(2, false, "", false)
    }
}

/// sacreBLEU's refusal to sign a metric never evaluated.
pub fn unevaluated() -> PyErr {
    PyValueError::new_err("Number of references unknown, please evaluate the metric first.")
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyBleuScore>()?;
    m.add_class::<PyChrfScore>()?;
    m.add_class::<PyTerScore>()?;
    m.add_class::<PySignature>()?;
    Ok(())
}
