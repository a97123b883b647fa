//! Many sentences through one translator: batches run in parallel (one per worker thread), in
//! the order of the input, within the search memory budget (`ENTENTE_MEMORY_BUDGET`).

use super::error::{TranslateError, Translation};
use super::translator::Translator;
use crate::generate::GenerationConfig;

/// Translate many segments in batches of `batch_size`, `workers` batches at a time on separate
/// threads: a decoding step is a chain of small operations that one batch alone cannot spread
/// over the cores (run with Candle's own threads at 1, `RAYON_NUM_THREADS=1`, for the best
/// throughput). `progress` is called with the number of segments done. Results are in input
/// order and equal to batch-by-batch translation.
pub fn translate_parallel(
    translator: &Translator,
    sources: &[&str],
    config: &GenerationConfig,
    batch_size: usize,
    workers: usize,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<Translation>, TranslateError> {
    let batch_size = batch_size
        .clamp(1, translator.max_batch_size(config, workers))
        .min(sources.len().max(1));
    let batches: Vec<&[&str]> = sources.chunks(batch_size).collect();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let report = |n: usize| {
        let before = done.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        progress(before + n);
    };
    Ok(run_batches(translator, &batches, config, workers, &report)?
        .into_iter()
        .flatten()
        .collect())
}

/// Translate `batches` as given, `workers` at a time on separate threads, telling `done` the
/// size of each finished batch; results per batch, in order.
pub(super) fn run_batches<'s, B: AsRef<[&'s str]> + Sync>(
    translator: &Translator,
    batches: &[B],
    config: &GenerationConfig,
    workers: usize,
    done: &(dyn Fn(usize) + Sync),
) -> Result<Vec<Vec<Translation>>, TranslateError> {
    let workers = workers.clamp(1, batches.len().max(1));
    type Done = Vec<(usize, Vec<Translation>)>;
    let results: Vec<Result<Done, TranslateError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                scope.spawn(move || {
                    let mut out = Vec::new();
                    for (i, batch) in batches.iter().enumerate().filter(|(i, _)| i % workers == w) {
                        let batch = batch.as_ref();
                        out.push((i, translator.translate_batch(batch, config)?));
                        done(batch.len());
                    }
                    Ok(out)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a translation thread panicked"))
            .collect()
    });
    let mut by_batch: Vec<Vec<Translation>> = vec![Vec::new(); batches.len()];
    for r in results {
        for (i, t) in r? {
            by_batch[i] = t;
        }
    }
    Ok(by_batch)
}

/// Translate each of `batches` exactly as given, `workers` batches at a time on separate
/// threads; results per batch, in order.
pub fn translate_batches(
    translator: &Translator,
    batches: &[Vec<&str>],
    config: &GenerationConfig,
    workers: usize,
) -> Result<Vec<Vec<Translation>>, TranslateError> {
    run_batches(translator, batches, config, workers, &|_| {})
}

/// [`translate_parallel`] over segments in any order: blank segments are skipped (empty
/// translations), the rest are sorted longest first so that batches carry little padding, and
/// the results come back in input order.
pub fn translate_sorted(
    translator: &Translator,
    segments: &[&str],
    config: &GenerationConfig,
    batch_size: usize,
    workers: usize,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<Translation>, TranslateError> {
    let mut order: Vec<usize> = (0..segments.len())
        .filter(|&i| !segments[i].trim().is_empty())
        .collect();
    order.sort_by_key(|&i| std::cmp::Reverse(segments[i].len()));
    let sorted: Vec<&str> = order.iter().map(|&i| segments[i]).collect();
    let translated =
        translate_parallel(translator, &sorted, config, batch_size, workers, progress)?;
    let mut results = vec![
        Translation {
            text: String::new(),
            ids: Vec::new(),
            logprob: 0.0,
        };
        segments.len()
    ];
    for (&i, t) in order.iter().zip(translated) {
        results[i] = t;
    }
    Ok(results)
}
