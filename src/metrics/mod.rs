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

pub mod metric;

pub use bleu::{Bleu, Smoothing};
pub use chrf::Chrf;
pub use metric::{Metric, Score, Stats};
pub use signature::Signature;
pub use ter::Ter;

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

/// Reference streams in which a segment may lack references (`None`: sacreBLEU's variable
/// number of references per segment, from its Python API): each segment is prepared from the
/// references it has. `nrefs` is their number where every segment has as many, else `None`
/// (sacreBLEU's signature then says `nrefs:var`).
pub fn prepare_varying_refs<M: Metric>(
    metric: &M,
    refs: &[Vec<Option<String>>],
) -> (PreparedRefs<M>, Option<usize>) {
    let n = refs.first().map_or(0, Vec::len);
    let present = |i: usize| -> Vec<&str> { refs.iter().filter_map(|r| r[i].as_deref()).collect() };
    let counts: std::collections::BTreeSet<usize> = (0..n).map(|i| present(i).len()).collect();
    let segments = parallel_map(n, default_threads(), |i| metric.prepare(&present(i)));
    let nrefs = match counts.len() {
        0 => Some(refs.len()),
        1 => counts.first().copied(),
        _ => None,
    };
    let prepared = PreparedRefs {
        segments,
        nrefs: nrefs.unwrap_or(refs.len()),
    };
    (prepared, nrefs)
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
