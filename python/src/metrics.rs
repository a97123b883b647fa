//! sacreBLEU's metric API over `entente::metrics`: `BLEU`, `CHRF`, `TER` with sacreBLEU's
//! constructor arguments, `corpus_score` (with `n_bootstrap` confidence intervals, sacreBLEU's
//! random stream and seed) / `sentence_score` / `get_signature`. Statistics are computed by the
//! library with the GIL released, on every core.

use std::sync::{Arc, Mutex};

use pyo3::exceptions::{PyNotImplementedError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyString;

use entente::metrics::metric::Estimate;
use entente::metrics::significance::confidence_estimate;
use entente::metrics::tokenizers::{Tercom, Tokenizer};
use entente::metrics::{self as m, Bleu, Chrf, Metric, PreparedRefs, Signature, Stats, Ter};

use crate::refcache;
use crate::scores::{unevaluated, PyBleuScore, PyChrfScore, PySignature, PyTerScore};

/// A list of strings; a bare string is refused, as sacreBLEU does.
fn strings(value: &Bound<'_, PyAny>, prefix: &str, what: &str) -> PyResult<Vec<String>> {
    if value.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(format!(
            "{prefix}: `{what}` should be a sequence of strings, not a string."
        )));
    }
    value.extract::<Vec<String>>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{prefix}: `{what}` should be a sequence of strings."
        ))
    })
}

/// Reference streams, `[[ref1 of each segment], [ref2 of each segment], …]`; a segment's
/// reference may be `None` (fewer references for that segment).
fn streams(value: &Bound<'_, PyAny>, prefix: &str) -> PyResult<Vec<Vec<Option<String>>>> {
    let message = format!("{prefix}: `refs` should be a sequence of sequence of strings.");
    if value.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(message));
    }
    let outer: Vec<Bound<'_, PyAny>> = value
        .extract()
        .map_err(|_| PyTypeError::new_err(message.clone()))?;
    let refs: Vec<Vec<Option<String>>> = outer
        .iter()
        .map(|s| {
            if s.is_instance_of::<PyString>() {
                return Err(PyTypeError::new_err(format!(
                    "{prefix}: Each element of `refs` should be a sequence of strings."
                )));
            }
            s.extract()
                .map_err(|_| PyTypeError::new_err(message.clone()))
        })
        .collect::<PyResult<_>>()?;
    if let Some(first) = refs.first() {
        if refs.iter().any(|r| r.len() != first.len()) {
            return Err(PyValueError::new_err(format!(
                "{prefix}: the reference streams have different numbers of lines ({}): each \
                 stream holds one reference per segment",
                refs.iter()
                    .map(|r| r.len().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    Ok(refs)
}

/// What the last evaluation leaves for the signature, as sacreBLEU keeps it on the metric.
#[derive(Default)]
struct Signed {
    /// References per segment (`Some(None)`: a variable number); `None` before any evaluation.
    nrefs: Option<Option<usize>>,
    /// Bootstrap resamples and seed of the last confidence interval asked for.
    bootstrap: Option<(usize, String)>,
}

/// A metric with its references cached by the constructor (if given) and its signature state.
pub struct State<M: Metric> {
    pub metric: M,
    name: &'static str,
    cached: Option<(Arc<PreparedRefs<M>>, Option<usize>)>,
    signed: Mutex<Signed>,
}

/// The seed of sacreBLEU's resampling: `SACREBLEU_SEED`, 12345 by default; `none` draws one.
fn bootstrap_seed() -> (u64, String) {
    let text = std::env::var("SACREBLEU_SEED").unwrap_or_else(|_| "12345".into());
    if text.eq_ignore_ascii_case("none") {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        return (nanos, "none".into());
    }
    (text.trim().parse().unwrap_or(12345), text.to_lowercase())
}

impl<M: Metric + Clone + Send + std::fmt::Debug + 'static> State<M>
where
    M::Prepared: Send + Sync + 'static,
{
    pub fn new(
        py: Python<'_>,
        metric: M,
        name: &'static str,
        references: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let state = State {
            metric,
            name,
            cached: None,
            signed: Mutex::new(Signed::default()),
        };
        match references.filter(|r| !r.is_none()) {
            Some(r) => {
                let (prepared, nrefs) = state.prepare(py, r)?;
                state.signed.lock().expect("signature lock").nrefs = Some(nrefs);
                Ok(State {
                    cached: Some((prepared, nrefs)),
                    ..state
                })
            }
            None => Ok(state),
        }
    }

    fn prepare(
        &self,
        py: Python<'_>,
        references: &Bound<'_, PyAny>,
    ) -> PyResult<(Arc<PreparedRefs<M>>, Option<usize>)> {
        let refs = streams(references, self.name)?;
        let metric = self.metric.clone();
        Ok(py.detach(move || {
            refcache::prepared(&metric, refs, |refs| m::prepare_varying_refs(&metric, refs))
        }))
    }

    /// The corpus's summed statistics, and its bootstrap estimate when `n_bootstrap` > 1.
    pub fn corpus(
        &self,
        py: Python<'_>,
        hypotheses: &Bound<'_, PyAny>,
        references: Option<&Bound<'_, PyAny>>,
        n_bootstrap: usize,
    ) -> PyResult<(Vec<f64>, Option<Estimate>)> {
        let hyps = strings(hypotheses, self.name, "hyps")?;
        // sacreBLEU: references given (and not empty) win over the cache.
        let given = references.filter(|r| !r.is_none() && r.len().map_or(true, |n| n > 0));
        let (prepared, nrefs) = match (given, &self.cached) {
            (Some(r), _) => self.prepare(py, r)?,
            (None, Some((cached, nrefs))) => (Arc::clone(cached), *nrefs),
            (None, None) => {
                return Err(PyRuntimeError::new_err(
                    "No references provided and the cache is empty.",
                ))
            }
        };
        if prepared.segments.len() != hyps.len() {
            return Err(PyValueError::new_err(format!(
                "{}: {} hypotheses but {} reference segments: give one hypothesis per segment",
                self.name,
                hyps.len(),
                prepared.segments.len()
            )));
        }
        let seed = (n_bootstrap > 1).then(bootstrap_seed);
        {
            let mut signed = self.signed.lock().expect("signature lock");
            signed.nrefs = Some(nrefs);
            if let Some((_, text)) = &seed {
                signed.bootstrap = Some((n_bootstrap, text.clone()));
            }
        }
        let metric = self.metric.clone();
        Ok(py.detach(move || {
            let stats: Stats = m::corpus_stats(&metric, &hyps, &prepared);
            let estimate =
                seed.map(|(seed, _)| confidence_estimate(&metric, &stats, n_bootstrap, seed));
            (stats.sum(), estimate)
        }))
    }

    /// One hypothesis's statistics against its references (a list of strings).
    pub fn sentence(
        &self,
        hypothesis: &Bound<'_, PyAny>,
        references: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<f64>> {
        let hypothesis: String = hypothesis.extract().map_err(|_| {
            PyTypeError::new_err(format!(
                "{}: The argument `hyp` should be a string.",
                self.name
            ))
        })?;
        if references.is_instance_of::<PyString>() {
            return Err(PyTypeError::new_err(format!(
                "{}: The argument `refs` should be a sequence of strings.",
                self.name
            )));
        }
        let refs: Vec<Option<String>> = references.extract().map_err(|_| {
            PyTypeError::new_err(format!(
                "{}: Each element of `refs` should be a string.",
                self.name
            ))
        })?;
        let present: Vec<&str> = refs.iter().filter_map(|r| r.as_deref()).collect();
        self.signed.lock().expect("signature lock").nrefs = Some(Some(present.len()));
        let prepared = self.metric.prepare(&present);
        let mut stats = Vec::with_capacity(self.metric.num_stats());
        self.metric
            .segment_stats(&hypothesis, &prepared, &mut stats);
        Ok(stats)
    }

    pub fn signature(&self) -> PyResult<PySignature> {
        let signed = self.signed.lock().expect("signature lock");
        let nrefs = signed.nrefs.ok_or_else(unevaluated)?;
        let mut signature: Signature = self.metric.signature(nrefs.unwrap_or(0));
        if nrefs.is_none() {
            signature.set("nrefs", "#", "var");
        }
        if let Some((n, seed)) = &signed.bootstrap {
            signature.set("bs", "bs", n.to_string());
            signature.set("seed", "rs", seed.clone());
        }
        Ok(PySignature { signature })
    }
}

/// sacreBLEU's `n_bootstrap` argument.
fn resamples(n_bootstrap: i64) -> PyResult<usize> {
    usize::try_from(n_bootstrap)
        .map_err(|_| PyValueError::new_err("n_bootstrap must be a positive number"))
}

/// BLEU, as sacreBLEU's `BLEU` (tokenizers 13a, intl, char, zh, none).
#[pyclass(name = "BLEU", module = "entente.metrics", frozen)]
pub struct PyBleu {
    state: State<Bleu>,
}

#[pymethods]
impl PyBleu {
    #[new]
    #[pyo3(signature = (lowercase = false, force = false, tokenize = None, smooth_method = "exp",
                        smooth_value = None, max_ngram_order = 4, effective_order = false,
                        trg_lang = "", references = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        lowercase: bool,
        force: bool,
        tokenize: Option<&str>,
        smooth_method: &str,
        smooth_value: Option<f64>,
        max_ngram_order: usize,
        effective_order: bool,
        trg_lang: &str,
        references: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let _ = force; // sacreBLEU only warns about tokenized input with it
        let tokenize = match (tokenize, trg_lang) {
            (Some(t), _) => t,
            (None, "zh") => "zh",
            (None, "ja" | "ko") => {
                return Err(PyNotImplementedError::new_err(
                    "the MeCab tokenizers (ja-mecab, ko-mecab) are not implemented by entente",
                ))
            }
            (None, _) => "13a",
        };
        if !(1..=4).contains(&max_ngram_order) {
            return Err(PyValueError::new_err(
                "max_ngram_order must be between 1 and 4",
            ));
        }
        let metric = Bleu {
            lowercase,
            tokenizer: tokenize
                .parse::<Tokenizer>()
                .map_err(PyValueError::new_err)?,
            smoothing: smooth_method.parse().map_err(PyValueError::new_err)?,
            smooth_value,
            max_ngram_order,
            effective_order,
        };
        Ok(PyBleu {
            state: State::new(py, metric, "BLEU", references)?,
        })
    }

    /// BLEU of `hypotheses` against `references` (reference streams; `None`: those given to
    /// the constructor); `n_bootstrap` > 1 adds a 95% confidence interval.
    #[pyo3(signature = (hypotheses, references = None, n_bootstrap = 1))]
    fn corpus_score(
        &self,
        py: Python<'_>,
        hypotheses: &Bound<'_, PyAny>,
        references: Option<&Bound<'_, PyAny>>,
        n_bootstrap: i64,
    ) -> PyResult<PyBleuScore> {
        let (stats, estimate) =
            self.state
                .corpus(py, hypotheses, references, resamples(n_bootstrap)?)?;
        Ok(PyBleuScore::new(
            self.state.metric.compute_details(&stats),
            estimate,
        ))
    }

    /// BLEU of one hypothesis against its references (a list of strings).
    fn sentence_score(
        &self,
        hypothesis: &Bound<'_, PyAny>,
        references: &Bound<'_, PyAny>,
    ) -> PyResult<PyBleuScore> {
        let stats = self.state.sentence(hypothesis, references)?;
        Ok(PyBleuScore::new(
            self.state.metric.compute_details(&stats),
            None,
        ))
    }

    fn get_signature(&self) -> PyResult<PySignature> {
        self.state.signature()
    }
}

/// chrF and chrF++, as sacreBLEU's `CHRF`.
#[pyclass(name = "CHRF", module = "entente.metrics", frozen)]
pub struct PyChrf {
    state: State<Chrf>,
}

impl PyChrf {
    fn score(&self, stats: &[f64], estimate: Option<Estimate>) -> PyChrfScore {
        let c = &self.state.metric;
        PyChrfScore::new(
            c.compute(stats),
            (c.char_order, c.word_order, c.beta),
            estimate,
        )
    }
}

#[pymethods]
impl PyChrf {
    #[new]
    #[pyo3(signature = (char_order = 6, word_order = 0, beta = 2, lowercase = false,
                        whitespace = false, eps_smoothing = false, references = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        char_order: usize,
        word_order: usize,
        beta: u32,
        lowercase: bool,
        whitespace: bool,
        eps_smoothing: bool,
        references: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        if char_order == 0 {
            return Err(PyValueError::new_err("char_order must be at least 1"));
        }
        let metric = Chrf {
            char_order,
            word_order,
            beta,
            lowercase,
            whitespace,
            eps_smoothing,
        };
        Ok(PyChrf {
            state: State::new(py, metric, "CHRF", references)?,
        })
    }

    /// chrF of `hypotheses` against `references` (see `BLEU.corpus_score`).
    #[pyo3(signature = (hypotheses, references = None, n_bootstrap = 1))]
    fn corpus_score(
        &self,
        py: Python<'_>,
        hypotheses: &Bound<'_, PyAny>,
        references: Option<&Bound<'_, PyAny>>,
        n_bootstrap: i64,
    ) -> PyResult<PyChrfScore> {
        let (stats, estimate) =
            self.state
                .corpus(py, hypotheses, references, resamples(n_bootstrap)?)?;
        Ok(self.score(&stats, estimate))
    }

    fn sentence_score(
        &self,
        hypothesis: &Bound<'_, PyAny>,
        references: &Bound<'_, PyAny>,
    ) -> PyResult<PyChrfScore> {
        let stats = self.state.sentence(hypothesis, references)?;
        Ok(self.score(&stats, None))
    }

    fn get_signature(&self) -> PyResult<PySignature> {
        self.state.signature()
    }
}

/// TER, as sacreBLEU's `TER` (tercom's shifts and tie-breaking).
#[pyclass(name = "TER", module = "entente.metrics", frozen)]
pub struct PyTer {
    state: State<Ter>,
}

impl PyTer {
    fn score(&self, stats: &[f64], estimate: Option<Estimate>) -> PyTerScore {
        PyTerScore::new(self.state.metric.compute(stats).score, stats, estimate)
    }
}

#[pymethods]
impl PyTer {
    #[new]
    #[pyo3(signature = (normalized = false, no_punct = false, asian_support = false,
                        case_sensitive = false, references = None))]
    fn new(
        py: Python<'_>,
        normalized: bool,
        no_punct: bool,
        asian_support: bool,
        case_sensitive: bool,
        references: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        if asian_support {
            return Err(PyNotImplementedError::new_err(
                "TER's asian_support is not implemented by entente",
            ));
        }
        let metric = Ter {
            tokenizer: Tercom {
                normalized,
                no_punct,
                case_sensitive,
            },
        };
        Ok(PyTer {
            state: State::new(py, metric, "TER", references)?,
        })
    }

    /// TER of `hypotheses` against `references` (see `BLEU.corpus_score`).
    #[pyo3(signature = (hypotheses, references = None, n_bootstrap = 1))]
    fn corpus_score(
        &self,
        py: Python<'_>,
        hypotheses: &Bound<'_, PyAny>,
        references: Option<&Bound<'_, PyAny>>,
        n_bootstrap: i64,
    ) -> PyResult<PyTerScore> {
        let (stats, estimate) =
            self.state
                .corpus(py, hypotheses, references, resamples(n_bootstrap)?)?;
        Ok(self.score(&stats, estimate))
    }

    fn sentence_score(
        &self,
        hypothesis: &Bound<'_, PyAny>,
        references: &Bound<'_, PyAny>,
    ) -> PyResult<PyTerScore> {
        let stats = self.state.sentence(hypothesis, references)?;
        Ok(self.score(&stats, None))
    }

    fn get_signature(&self) -> PyResult<PySignature> {
        self.state.signature()
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyBleu>()?;
    m.add_class::<PyChrf>()?;
    m.add_class::<PyTer>()?;
    m.add_function(wrap_pyfunction!(refcache::_clear_reference_cache, m)?)?;
    crate::scores::register(m)
}
