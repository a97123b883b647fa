//! What every handler shares: the server's settings and limits, the translator and its default
//! search settings, the batching queue, keys, rate limits and metrics.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::limits::{ApiKeys, RateLimiter};
use super::metrics::ServerMetrics;
use crate::generate::GenerationConfig;
use crate::segment::Segmenter;
use crate::translate::batcher::{self, Batcher, BatcherSettings};
use crate::translate::Translator;

/// The language pair served (opus-mt-fr-en's).
pub const SOURCE_LANG: &str = "fr";
pub const TARGET_LANG: &str = "en";

/// Limits and defaults of a server.
#[derive(Debug, Clone)]
pub struct ServeSettings {
    /// Most characters of text in one request (all of `q` together).
    pub char_limit: usize,
    /// Largest request body, in bytes.
    pub body_limit: usize,
    /// Longest a request may take, queue wait included.
    pub timeout: Duration,
    /// Requests per minute per client (API key, or address without keys); `None` is unlimited.
    pub req_limit: Option<u32>,
    pub batcher: BatcherSettings,
    /// The model's name as given, for `/health`.
    pub model_name: String,
    /// Fetch the URLs requests name (`/v1/extract`, `/v1/translate` pages); off by default, as
    /// a server that fetches for its clients can be made to reach hosts they cannot.
    pub fetch_urls: bool,
    /// A bilingual dictionary as evidence for `/v1/align`.
    pub lexicon: Option<Arc<crate::align::Lexicon>>,
}

/// What every handler shares.
pub struct AppState {
    pub(super) translator: Arc<Translator>,
    pub(super) defaults: Arc<GenerationConfig>,
    pub(super) batcher: Batcher,
    pub(super) settings: ServeSettings,
    pub(super) keys: Option<ApiKeys>,
    pub(super) rate: RateLimiter,
    pub(super) metrics: Arc<ServerMetrics>,
    pub(super) segmenter: Segmenter,
    pub(super) started: Instant,
    /// Translated files waiting to be downloaded (`/translate_file`).
    pub(super) files: super::downloads::FileStore,
}

impl AppState {
    /// Start the engine threads behind `translator`, translating with `defaults` unless a
    /// request says otherwise.
    pub fn new(
        translator: Translator,
        defaults: GenerationConfig,
        settings: ServeSettings,
        keys: Option<ApiKeys>,
    ) -> Arc<Self> {
        let translator = Arc::new(translator);
        let metrics = Arc::new(ServerMetrics::default());
        let batcher = Batcher::start(
            Arc::clone(&translator),
            settings.batcher,
            Arc::clone(&metrics) as Arc<dyn batcher::BatchObserver>,
        );
        Arc::new(AppState {
            translator,
            defaults: Arc::new(defaults),
            batcher,
            settings,
            keys,
            rate: RateLimiter::default(),
            metrics,
            segmenter: Segmenter::default(),
            started: Instant::now(),
            files: super::downloads::FileStore::default(),
        })
    }

    /// Finish the queued sentences and stop the engine threads.
    pub fn shutdown(&self) {
        self.batcher.shutdown();
    }
}
