//! Translation metrics identical to sacreBLEU: BLEU, chrF / chrF++ and TER, their tokenizers,
//! signatures and paired significance tests.
//!
//! Each metric turns one hypothesis and its references into a vector of sufficient statistics;
//! corpus scores are computed from the sum of those vectors, so shards can be scored apart and
//! merged, and resampling tests only re-add statistics. Every number is computed in the same
//! order of floating-point operations as sacreBLEU 2.5, so scores agree to the last digit.

pub mod bleu;
pub mod chrf;
pub mod ngrams;
pub mod numpy_rng;
pub mod pytext;
pub mod real;
pub mod report;
pub mod signature;
pub mod significance;
pub mod ter;
pub mod tokenizers;

pub use bleu::{Bleu, Smoothing};
pub use chrf::Chrf;
pub use signature::Signature;
pub use ter::Ter;

/// A score with its name and, for BLEU, the detail sacreBLEU prints after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// `BLEU`, `chrF2`, `chrF2++`, `TER`.
    pub name: String,
    pub score: f64,
    /// BLEU's `59.3/32.3/19.9/12.6 (BP = 1.000 ratio = 1.003 hyp_len = 61450 ref_len = 61287)`.
    pub verbose: Option<String>,
}

impl Score {
    /// sacreBLEU's `Score.format` for text: `NAME|SIGNATURE = SCORE VERBOSE`.
    pub fn format_text(&self, width: usize, signature: &str, score_only: bool) -> String {
        let value = pytext::format_fixed(self.score, width);
        if score_only {
            return value;
        }
        let mut line = if signature.is_empty() {
            format!("{} = {value}", self.name)
        } else {
            format!("{}|{signature} = {value}", self.name)
        };
        if let Some(verbose) = &self.verbose {
            line.push(' ');
            line.push_str(verbose);
        }
        line
    }

    /// sacreBLEU's `Score.format(is_json=True)`: the same keys in the same order, indented by
    /// one space as `json.dumps(indent=1)` does.
    pub fn format_json(&self, width: usize, signature: &Signature) -> String {
        let rounded: f64 = pytext::format_fixed(self.score, width)
            .parse()
            .expect("a formatted float parses");
        let mut fields: Vec<(String, String)> = vec![
            ("name".into(), json_string(&self.name)),
            ("score".into(), pytext::float_repr(rounded)),
            ("signature".into(), json_string(&signature.format(false))),
        ];
        if let Some(verbose) = &self.verbose {
            fields.push(("verbose_score".into(), json_string(verbose)));
        }
        for (key, value) in signature.pairs(false) {
            fields.push((key, json_string(&value)));
        }
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!(" {}: {v}", json_string(k)))
            .collect();
        format!("{{\n{}\n}}", body.join(",\n"))
    }
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialize")
}

/// A metric as sufficient statistics: what sacreBLEU's `Metric` subclasses compute.
pub trait Metric: Sync {
    /// Per-segment reference information, computed once and reused for every system.
    type Prepared: Send + Sync;

    /// Number of statistics per segment.
    fn num_stats(&self) -> usize;
    /// Preprocess the references of one segment.
    fn prepare(&self, refs: &[&str]) -> Self::Prepared;
    /// Append the statistics of one hypothesis against its prepared references to `out`.
    fn segment_stats(&self, hyp: &str, refs: &Self::Prepared, out: &mut Vec<f64>);
    /// The score value from summed statistics, in the arithmetic of `R` (see [`real`]).
    fn score_of<R: real::Real>(&self, stats: &[R]) -> R;
    /// The score from summed statistics.
    fn compute(&self, stats: &[f64]) -> Score;
    /// The signature for `nrefs` references per segment.
    fn signature(&self, nrefs: usize) -> Signature;
}

/// Segment-level statistics of a corpus: `rows` segments of `width` numbers, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    pub width: usize,
    pub data: Vec<f64>,
}

impl Stats {
    pub fn rows(&self) -> usize {
        self.data.len() / self.width.max(1)
    }

    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.width..(i + 1) * self.width]
    }

    /// Column sums, added in segment order as sacreBLEU's `sum_of_lists` does.
    pub fn sum(&self) -> Vec<f64> {
        let mut total = vec![0.0; self.width];
        for row in self.data.chunks(self.width.max(1)) {
            for (t, v) in total.iter_mut().zip(row) {
                *t += v;
            }
        }
        total
    }
}

/// References prepared once for a metric, for scoring any number of systems.
pub struct PreparedRefs<M: Metric> {
    pub segments: Vec<M::Prepared>,
    pub nrefs: usize,
}

/// Prepare reference streams (each a list of lines, all of equal length) for `metric`, on
/// [`default_threads`] threads.
pub fn prepare_refs<M: Metric>(metric: &M, refs: &[Vec<String>]) -> PreparedRefs<M> {
    prepare_refs_on(metric, refs, default_threads())
}

/// [`prepare_refs`] on a given number of threads.
pub fn prepare_refs_on<M: Metric>(
    metric: &M,
    refs: &[Vec<String>],
    threads: usize,
) -> PreparedRefs<M> {
    let n = refs.first().map_or(0, Vec::len);
    let segments = parallel_map(n, threads, |i| {
        let lines: Vec<&str> = refs.iter().map(|r| r[i].as_str()).collect();
        metric.prepare(&lines)
    });
    PreparedRefs {
        segments,
        nrefs: refs.len(),
    }
}

/// `(0..n).map(f)` on up to `threads` threads, in contiguous chunks, results in order.
fn parallel_map<T: Send>(n: usize, threads: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    // Below a few hundred items a thread costs more than it saves.
    let threads = threads.clamp(1, n.div_ceil(256).max(1));
    if threads == 1 {
        return (0..n).map(f).collect();
    }
    let chunk = n.div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .step_by(chunk)
            .map(|start| {
                let f = &f;
                scope.spawn(move || (start..(start + chunk).min(n)).map(f).collect::<Vec<T>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a scoring thread panicked"))
            .collect()
    })
}

/// Statistics of every hypothesis against its prepared references, computed on
/// [`default_threads`] threads (segments are split into contiguous chunks and the statistics
/// concatenated in order, so the result does not depend on the thread count).
pub fn corpus_stats<M: Metric>(metric: &M, hyps: &[String], refs: &PreparedRefs<M>) -> Stats {
    corpus_stats_on(metric, hyps, refs, default_threads())
}

/// [`corpus_stats`] on a given number of threads.
pub fn corpus_stats_on<M: Metric>(
    metric: &M,
    hyps: &[String],
    refs: &PreparedRefs<M>,
    threads: usize,
) -> Stats {
    let width = metric.num_stats();
    let n = hyps.len().min(refs.segments.len());
    let rows = parallel_map(n, threads, |i| {
        let mut row = Vec::with_capacity(width);
        metric.segment_stats(&hyps[i], &refs.segments[i], &mut row);
        row
    });
    Stats {
        width,
        data: rows.concat(),
    }
}

/// Threads for scoring: `ENTENTE_THREADS` if set, else every available core.
pub fn default_threads() -> usize {
    std::env::var("ENTENTE_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Corpus-level score of `hyps`.
pub fn corpus_score<M: Metric>(metric: &M, hyps: &[String], refs: &PreparedRefs<M>) -> Score {
    metric.compute(&corpus_stats(metric, hyps, refs).sum())
}

/// Score of one hypothesis against its references.
pub fn sentence_score<M: Metric>(metric: &M, hyp: &str, refs: &[&str]) -> Score {
    let prepared = metric.prepare(refs);
    let mut stats = Vec::with_capacity(metric.num_stats());
    metric.segment_stats(hyp, &prepared, &mut stats);
    metric.compute(&stats)
}
