//! `entente.Translator`: an opus-mt model loaded once, translating lists of sentences with the
//! CLI's search options. Every call's sentences join one queue (`translate::batcher`, the
//! server's engine), so Python threads calling at once share batches. The GIL is released while
//! the model computes; Ctrl-C (KeyboardInterrupt) ends a call within a tenth of a second and
//! its sentences not yet computed are dropped from the queue.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use tokio::sync::oneshot;

use entente::generate::{GenerationConfig, SearchOverrides};
use entente::translate::batcher::{BatchObserver, Batcher, BatcherSettings};
use entente::translate::{
    load_named, parse_size, ResourceSettings, Setting, TranslateError, Translation, Translator,
};

use crate::errors::{to_py, EntenteError};

/// How long a call waits for the engine between checks for Ctrl-C.
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// One translated sentence: its English `text`, the generated token `ids` (after the decoder
/// start, EOS included) and their summed log-probability `logprob`.
#[pyclass(name = "Translation", module = "entente", frozen, get_all, eq)]
#[derive(Clone, PartialEq)]
pub struct PyTranslation {
    text: String,
    ids: Vec<u32>,
    logprob: f64,
}

#[pymethods]
impl PyTranslation {
    fn __repr__(&self) -> String {
        format!(
            "Translation(text={:?}, ids=[{} ids], logprob={:?})",
            self.text,
            self.ids.len(),
            self.logprob
        )
    }
}

impl From<Translation> for PyTranslation {
    fn from(t: Translation) -> Self {
        PyTranslation {
            text: t.text,
            ids: t.ids,
            logprob: t.logprob,
        }
    }
}

/// What the engine did for this translator, for `Translator.stats`.
#[derive(Default)]
struct Counts {
    sentences: AtomicUsize,
    batches: AtomicUsize,
    dropped: AtomicUsize,
}

impl BatchObserver for Counts {
    fn batch_done(&self, sentences: usize, _: usize, _: usize, _: f64) {
        self.sentences.fetch_add(sentences, Ordering::Relaxed);
        self.batches.fetch_add(1, Ordering::Relaxed);
    }

    fn sentences_dropped(&self, sentences: usize) {
        self.dropped.fetch_add(sentences, Ordering::Relaxed);
    }
}

/// An opus-mt model ready to translate French into English.
///
/// `model` is a local directory, a registry name or a Hugging Face Hub id (default
/// Helsinki-NLP/opus-mt-fr-en, from the Hugging Face cache; `HF_HUB_OFFLINE=1` never uses the
/// network); `revision` a Hub revision; `device` `cpu`, `cuda`, `cuda:N` or `metal`; `dtype`
/// `f32` (exact: token-identical to transformers), `int8` (CPU, faster) or `f16`/`bf16` (GPU).
/// `batch_size` sentences are computed together, by `threads` worker threads (default
/// `ENTENTE_THREADS`, else one per core; one on a GPU), within `memory_budget` (bytes or a size
/// such as "8G"; default `ENTENTE_MEMORY_BUDGET`, else half the memory available).
#[pyclass(name = "Translator", module = "entente", frozen)]
pub struct PyTranslator {
    translator: Arc<Translator>,
    defaults: Arc<GenerationConfig>,
    batcher: Batcher,
    model: String,
    device: String,
    dtype: String,
    batch_size: usize,
    counts: Arc<Counts>,
}

/// The threads and budget asked for: the keywords, else their environment defaults
/// (`ENTENTE_THREADS`, `ENTENTE_MEMORY_BUDGET`). `memory_budget` is bytes (int) or a size
/// ("8G"); zero is refused when the settings are resolved.
fn resource_settings(
    threads: Option<i64>,
    memory_budget: Option<&Bound<'_, PyAny>>,
) -> PyResult<ResourceSettings> {
    let invalid = |e: entente::translate::ResourceError| PyValueError::new_err(e.to_string());
    let threads = match threads {
        Some(t) if t < 1 => {
            return Err(PyValueError::new_err(format!(
                "threads={t}: the number of threads must be at least 1"
            )))
        }
        Some(t) => Some(Setting::new(t as usize, "threads=")),
        None => None,
    };
    let memory_budget = match memory_budget {
        Some(value) => {
            let bytes = if let Ok(n) = value.extract::<i64>() {
                u64::try_from(n).map_err(|_| {
                    PyValueError::new_err(format!("memory_budget={n}: must be more than 0 bytes"))
                })?
            } else if let Ok(text) = value.extract::<String>() {
                parse_size(&text, "memory_budget").map_err(invalid)?
            } else {
                return Err(PyTypeError::new_err(
                    "memory_budget must be a number of bytes or a size such as \"8G\"",
                ));
            };
            Some(Setting::new(bytes, "memory_budget="))
        }
        None => None,
    };
    ResourceSettings {
        threads,
        memory_budget,
    }
    .or_defaults_from(|name| std::env::var(name).ok())
    .map_err(invalid)
}

/// A keyword that must be a whole number within `min..=max`.
fn count(name: &str, value: Option<i64>, min: i64, max: i64) -> PyResult<Option<usize>> {
    match value {
        Some(v) if v < min || v > max => Err(PyValueError::new_err(format!(
            "{name} must be between {min} and {max}, not {v}"
        ))),
        v => Ok(v.map(|v| v as usize)),
    }
}

/// A keyword that must be a finite number.
fn finite(name: &str, value: Option<f64>) -> PyResult<Option<f32>> {
    match value {
        Some(v) if !v.is_finite() => Err(PyValueError::new_err(format!(
            "{name} must be a finite number"
        ))),
        v => Ok(v.map(|v| v as f32)),
    }
}

impl PyTranslator {
    /// The generation settings of one call: the model's, or these overrides checked against it.
    fn config(&self, overrides: SearchOverrides) -> PyResult<Arc<GenerationConfig>> {
        if !overrides.any() {
            return Ok(Arc::clone(&self.defaults));
        }
        let mut config = (*self.defaults).clone();
        overrides.apply(&mut config);
        match self.translator.configure(&mut config) {
            Ok(_) => Ok(Arc::new(config)),
            Err(e @ TranslateError::Settings(_)) => Err(PyValueError::new_err(e.to_string())),
            Err(e) => Err(to_py(e)),
        }
    }

    /// Queue `sentences` and wait for their translations, the GIL released, checking for Ctrl-C
    /// between waits; an interrupted call drops its receivers, so its sentences not yet taken
    /// by the engine are never computed.
    fn run(
        &self,
        py: Python<'_>,
        sentences: Vec<String>,
        config: Arc<GenerationConfig>,
    ) -> PyResult<Vec<PyTranslation>> {
        let receivers = self
            .batcher
            .submit(sentences, config)
            .map_err(|e| EntenteError::new_err(e.to_string()))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .map_err(|e| EntenteError::new_err(format!("starting a timer: {e}")))?;
        let mut done = Vec::with_capacity(receivers.len());
        let mut waiting = receivers.into_iter().peekable();
        while waiting.peek().is_some() {
            // Wait for the sentences in order, a tenth of a second at most between checks: one
            // deadline for all, since many short sentences each answered within the tenth would
            // otherwise keep the check away until the last one (Ctrl-C then did nothing until
            // the whole call had finished).
            let finished = py.detach(|| {
                runtime.block_on(async {
                    let deadline = tokio::time::Instant::now() + SIGNAL_CHECK;
                    let mut finished: Vec<Result<Result<Translation, String>, ()>> = Vec::new();
                    while let Some(receiver) = waiting.peek_mut() {
                        let receiver: &mut oneshot::Receiver<_> = receiver;
                        match tokio::time::timeout_at(deadline, receiver).await {
                            Ok(answer) => finished.push(answer.map_err(|_| ())),
                            Err(_) => break,
                        }
                        waiting.next();
                    }
                    finished
                })
            });
            for answer in finished {
                match answer {
                    Ok(Ok(t)) => done.push(PyTranslation::from(t)),
                    Ok(Err(message)) => return Err(EntenteError::new_err(message)),
                    Err(()) => return Err(EntenteError::new_err("the engine stopped")),
                }
            }
            py.check_signals()?;
        }
        Ok(done)
    }
}

#[pymethods]
impl PyTranslator {
    #[new]
    #[allow(clippy::too_many_arguments)] // Python's keywords, each a setting of its own
    #[pyo3(signature = (model = None, *, device = "cpu", dtype = "f32", revision = None,
                        batch_size = 16, threads = None, memory_budget = None))]
    fn new(
        py: Python<'_>,
        model: Option<String>,
        device: &str,
        dtype: &str,
        revision: Option<String>,
        batch_size: i64,
        threads: Option<i64>,
        memory_budget: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let batch_size = count("batch_size", Some(batch_size), 1, 1 << 20)?.unwrap_or(16);
        let settings = resource_settings(threads, memory_budget)?;
        let model = model.unwrap_or_else(entente::hub::default_model);
        let (name, device_name, dtype_name) =
            (model.clone(), device.to_string(), dtype.to_string());
        let translator = py
            .detach(move || load_named(&name, revision.as_deref(), &device_name, &dtype_name))
            .map_err(|e| match e {
                TranslateError::Unsupported(_) => PyValueError::new_err(e.to_string()),
                other => to_py(other),
            })?;
        let mut translator = translator;
        translator
            .apply_settings(&settings)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        // The model's search settings against the budget asked for (one sentence must fit).
        translator
            .configure(&mut translator.generation.clone())
            .map_err(to_py)?;
        let translator = Arc::new(translator);
        let defaults = Arc::new(translator.generation.clone());
        let counts = Arc::new(Counts::default());
        let batcher = Batcher::start(
            Arc::clone(&translator),
            BatcherSettings {
                batch_size,
                max_wait: Duration::from_millis(5),
                max_queue: usize::MAX >> 1,
            },
            Arc::clone(&counts) as Arc<dyn BatchObserver>,
        );
        Ok(PyTranslator {
            counts,
            translator,
            defaults,
            batcher,
            model,
            device: device.to_string(),
            dtype: dtype.to_string(),
            batch_size,
        })
    }

    /// Translate `sources` (a list of sentences, or one sentence) into English: a list of
    /// `Translation`s in order (or one). Each source is translated on its own, as a line of
    /// `entente translate`; a blank one gives an empty translation. The keywords are the CLI's
    /// search options; left out, the model's settings apply.
    #[pyo3(signature = (sources, *, beams = None, max_new_tokens = None, min_new_tokens = None,
                        length_penalty = None, no_repeat_ngram_size = None,
                        repetition_penalty = None))]
    #[allow(clippy::too_many_arguments)]
    fn translate(
        &self,
        py: Python<'_>,
        sources: &Bound<'_, PyAny>,
        beams: Option<i64>,
        max_new_tokens: Option<i64>,
        min_new_tokens: Option<i64>,
        length_penalty: Option<f64>,
        no_repeat_ngram_size: Option<i64>,
        repetition_penalty: Option<f64>,
    ) -> PyResult<Py<PyAny>> {
        let config = self.config(SearchOverrides {
            beams: count("beams", beams, 1, 1 << 10)?,
            max_new_tokens: count("max_new_tokens", max_new_tokens, 1, 1 << 16)?,
            min_new_tokens: count("min_new_tokens", min_new_tokens, 0, 1 << 16)?,
            length_penalty: finite("length_penalty", length_penalty)?,
            no_repeat_ngram_size: count("no_repeat_ngram_size", no_repeat_ngram_size, 0, 1 << 10)?,
            repetition_penalty: finite("repetition_penalty", repetition_penalty)?,
        })?;
        if let Ok(one) = sources.cast::<PyString>() {
            let mut out = self.run(py, vec![one.to_cow()?.to_string()], config)?;
            return Ok(Py::new(py, out.remove(0))?.into_any());
        }
        let sentences: Vec<String> = sources
            .extract()
            .map_err(|_| PyTypeError::new_err("sources must be a str or a list of str"))?;
        let out = self.run(py, sentences, config)?;
        Ok(out.into_pyobject(py)?.into_any().unbind())
    }

    /// Translate the document at `path` (HTML, DOCX, ODT, ODP, PPTX or EPUB: `format`, else
    /// its extension) whole, its formatting kept, into `output` (default `NAME.en.EXT` beside
    /// it), exactly as `entente translate FILE -o OUT`; a dict of what was done (`output`,
    /// `blocks`, `sentences`, and how many inline elements the alignment placed, `aligned`, or
    /// the position, `fallback`). A file that is not what it says raises `EntenteError`
    /// naming it, and no output is left.
    #[pyo3(signature = (path, output = None, *, format = None, beams = None,
                        max_new_tokens = None))]
    fn translate_file<'py>(
        &self,
        py: Python<'py>,
        path: std::path::PathBuf,
        output: Option<std::path::PathBuf>,
        format: Option<&str>,
        beams: Option<i64>,
        max_new_tokens: Option<i64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let config = self.config(SearchOverrides {
            beams: count("beams", beams, 1, 1 << 10)?,
            max_new_tokens: count("max_new_tokens", max_new_tokens, 1, 1 << 16)?,
            ..SearchOverrides::default()
        })?;
        crate::documents::translate_file(
            py,
            (&self.translator, &self.batcher, config),
            path,
            output,
            format,
        )
    }

    /// The model as given (a directory, a registry name or a Hub id).
    #[getter]
    fn model(&self) -> &str {
        &self.model
    }

    #[getter]
    fn device(&self) -> &str {
        &self.device
    }

    #[getter]
    fn dtype(&self) -> &str {
        &self.dtype
    }

    /// The model's default search settings: `beams`, `max_length`, `length_penalty`, ….
    #[getter]
    fn defaults<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let c = &self.defaults;
        let d = PyDict::new(py);
        d.set_item("beams", c.num_beams)?;
        d.set_item("max_length", c.max_length)?;
        d.set_item("min_length", c.min_length)?;
        d.set_item("length_penalty", c.length_penalty)?;
        d.set_item("no_repeat_ngram_size", c.no_repeat_ngram_size)?;
        d.set_item("repetition_penalty", c.repetition_penalty)?;
        Ok(d)
    }

    /// Worker threads (batches translated at once).
    #[getter]
    fn threads(&self) -> usize {
        self.translator.resources().threads
    }

    /// The search memory budget of all running batches, in bytes.
    #[getter]
    fn memory_budget(&self) -> u64 {
        self.translator.resources().memory_budget
    }

    /// What was chosen and where it came from: `threads`, `threads_from`, `memory_budget`,
    /// `memory_budget_from`, `batch_size` (asked), `batch` (as the CLI's start line says it)
    /// and `notes`.
    #[getter]
    fn settings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let r = self.translator.resources();
        let plan = self
            .translator
            .plan(&self.defaults, self.batch_size, usize::MAX);
        let d = PyDict::new(py);
        d.set_item("threads", r.threads)?;
        d.set_item("threads_from", &r.threads_from)?;
        d.set_item("memory_budget", r.memory_budget)?;
        d.set_item("memory_budget_from", &r.memory_budget_from)?;
        d.set_item("batch_size", self.batch_size)?;
        d.set_item("batch", plan.describe())?;
        d.set_item("notes", r.notes.clone())?;
        Ok(d)
    }

    /// What the engine has done for this translator: `sentences_translated`, `batches`, and
    /// `sentences_dropped` (queued sentences of calls that gave up, e.g. on Ctrl-C).
    #[getter]
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item(
            "sentences_translated",
            self.counts.sentences.load(Ordering::Relaxed),
        )?;
        d.set_item("batches", self.counts.batches.load(Ordering::Relaxed))?;
        d.set_item(
            "sentences_dropped",
            self.counts.dropped.load(Ordering::Relaxed),
        )?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "Translator(model={:?}, device={:?}, dtype={:?})",
            self.model, self.device, self.dtype
        )
    }
}

impl PyTranslator {
    /// Translations of `sentences` with the model's settings (for `align`'s MT).
    pub fn translate_texts(&self, py: Python<'_>, sentences: Vec<String>) -> PyResult<Vec<String>> {
        let out = self.run(py, sentences, Arc::clone(&self.defaults))?;
        Ok(out.into_iter().map(|t| t.text).collect())
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyTranslator>()?;
    m.add_class::<PyTranslation>()?;
    Ok(())
}
