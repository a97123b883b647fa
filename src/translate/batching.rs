//! Many sentences through one translator: batches run in parallel on the translator's worker
//! threads ([`Translator::pool`]), in the order of the input, each within its share of the
//! memory budget (the budget over the batches running at once).

use super::error::{TranslateError, Translation};
use super::translator::Translator;
use crate::generate::GenerationConfig;

/// Translate many segments in batches of `batch_size`, as many batches at a time as the
/// translator has threads: a decoding step is a chain of small operations that one batch alone
/// cannot spread over the cores. Batches of long sources hold fewer rows where the memory
/// budget requires ([`Translator::plan`]). `progress` is called with the number of segments
/// done. Results are in input order and equal to batch-by-batch translation.
pub fn translate_parallel(
    translator: &Translator,
    sources: &[&str],
    config: &GenerationConfig,
    batch_size: usize,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<Translation>, TranslateError> {
    let batch_size = batch_size.clamp(1, sources.len().max(1));
    let batches: Vec<&[&str]> = sources.chunks(batch_size).collect();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let report = |n: usize| {
        let before = done.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        progress(before + n);
    };
    Ok(run_batches(translator, &batches, config, &report)?
        .into_iter()
        .flatten()
        .collect())
}

/// Translate `batches` as given, on the translator's worker threads (never more at once than
/// there are batches), each within the budget's share, telling `done` the size of each
/// finished batch; results per batch, in order.
pub(super) fn run_batches<'s, B: AsRef<[&'s str]> + Sync>(
    translator: &Translator,
    batches: &[B],
    config: &GenerationConfig,
    done: &(dyn Fn(usize) + Sync),
) -> Result<Vec<Vec<Translation>>, TranslateError> {
    let share = translator.resources().share(batches.len());
    let workers = translator
        .resources()
        .threads
        .clamp(1, batches.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::with_capacity(batches.len()));
    let failed = std::sync::Mutex::new(None);
    translator.pool()?.scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|_| loop {
                // Batches are taken in input order as workers free up; a failure stops the rest.
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= batches.len() || failed.lock().expect("lock").is_some() {
                    return;
                }
                let batch = batches[i].as_ref();
                match translator.translate_batch_within(batch, config, share) {
                    Ok(t) => {
                        results.lock().expect("lock").push((i, t));
                        done(batch.len());
                    }
                    Err(e) => {
                        failed.lock().expect("lock").get_or_insert(e);
                    }
                }
            });
        }
    });
    if let Some(e) = failed.into_inner().expect("lock") {
        return Err(e);
    }
    let mut by_batch: Vec<Vec<Translation>> = vec![Vec::new(); batches.len()];
    for (i, t) in results.into_inner().expect("lock") {
        by_batch[i] = t;
    }
    Ok(by_batch)
}

/// Translate each of `batches` exactly as given, on the translator's worker threads; results
/// per batch, in order.
pub fn translate_batches(
    translator: &Translator,
    batches: &[Vec<&str>],
    config: &GenerationConfig,
) -> Result<Vec<Vec<Translation>>, TranslateError> {
    run_batches(translator, batches, config, &|_| {})
}

/// [`translate_parallel`] over segments in any order: blank segments are skipped (empty
/// translations), the rest are sorted longest first so that batches carry little padding, and
/// the results come back in input order.
pub fn translate_sorted(
    translator: &Translator,
    segments: &[&str],
    config: &GenerationConfig,
    batch_size: usize,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<Translation>, TranslateError> {
    let mut order: Vec<usize> = (0..segments.len())
        .filter(|&i| !segments[i].trim().is_empty())
        .collect();
    order.sort_by_key(|&i| std::cmp::Reverse(segments[i].len()));
    let sorted: Vec<&str> = order.iter().map(|&i| segments[i]).collect();
    let translated = translate_parallel(translator, &sorted, config, batch_size, progress)?;
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
