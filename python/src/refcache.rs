//! The references most recently prepared, kept across calls: sacreBLEU's API is called once per
//! system with the same references (`corpus_bleu(hyps, [refs])` for each of 16 systems), and
//! preparing them (tokenizing, counting n-grams) costs more than scoring a system. A call whose
//! metric settings and reference strings are equal to a kept entry's reuses its preparation;
//! the strings are compared in full, so a hit is never a near miss. A few entries are kept, the
//! least recently used dropped first.

use std::any::Any;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use entente::metrics::{Metric, PreparedRefs};

/// Entries kept: one per metric of a typical BLEU + chrF + TER run, and a spare.
const ENTRIES: usize = 4;

type Refs = Vec<Vec<Option<String>>>;

struct Entry {
    /// The metric's type and settings (`Bleu { lowercase: false, … }`).
    settings: String,
    refs: Arc<Refs>,
    prepared: Arc<dyn Any + Send + Sync>,
    nrefs: Option<usize>,
}

static CACHE: Mutex<VecDeque<Entry>> = Mutex::new(VecDeque::new());

/// The preparation of `refs` for `metric`, from the cache or made by `prepare` (outside the
/// cache's lock) and kept.
pub fn prepared<M>(
    metric: &M,
    refs: Refs,
    prepare: impl FnOnce(&Refs) -> (PreparedRefs<M>, Option<usize>),
) -> (Arc<PreparedRefs<M>>, Option<usize>)
where
    M: Metric + std::fmt::Debug + 'static,
    M::Prepared: Send + Sync + 'static,
{
    let settings = format!("{metric:?}");
    {
        let mut cache = CACHE.lock().expect("reference cache lock");
        if let Some(at) = cache
            .iter()
            .position(|e| e.settings == settings && *e.refs == refs)
        {
            let entry = cache.remove(at).expect("position in the cache");
            let hit = Arc::clone(&entry.prepared)
                .downcast::<PreparedRefs<M>>()
                .ok()
                .map(|p| (p, entry.nrefs));
            cache.push_front(entry);
            if let Some(hit) = hit {
                return hit;
            }
        }
    }
    let (prepared, nrefs) = prepare(&refs);
    let prepared = Arc::new(prepared);
    let mut cache = CACHE.lock().expect("reference cache lock");
    cache.push_front(Entry {
        settings,
        refs: Arc::new(refs),
        prepared: Arc::clone(&prepared) as Arc<dyn Any + Send + Sync>,
        nrefs,
    });
    cache.truncate(ENTRIES);
    (prepared, nrefs)
}

/// Forget every kept preparation (for benchmarks that time the first call).
#[pyo3::pyfunction]
pub fn _clear_reference_cache() {
    CACHE.lock().expect("reference cache lock").clear();
}
