//! The server's Prometheus metrics: requests and errors per endpoint and status, latency,
//! queue depth, and the engine's sentences, tokens and batches.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::translate::batcher::BatchObserver;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub endpoint: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EndpointLabels {
    pub endpoint: String,
}

/// Every metric the server exports, registered once.
pub struct ServerMetrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub latency: Family<EndpointLabels, Histogram>,
    pub queue_depth: Gauge,
    pub sentences: Counter,
    pub tokens: Counter,
    pub batches: Counter,
    pub shared_batches: Counter,
    pub batch_seconds: Histogram,
    pub dropped: Counter,
}

impl Default for ServerMetrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("entente");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by endpoint and status",
            requests.clone(),
        );
        let latency = Family::<EndpointLabels, Histogram>::new_with_constructor(|| {
            // 1 ms to about 65 s.
            Histogram::new(exponential_buckets(0.001, 2.0, 17))
        });
        registry.register(
            "http_request_duration_seconds",
            "Time from request to response",
            latency.clone(),
        );
        let queue_depth = Gauge::default();
        registry.register(
            "queue_depth",
            "Sentences waiting for the engine",
            queue_depth.clone(),
        );
        let sentences = Counter::default();
        registry.register(
            "sentences_translated",
            "Sentences translated",
            sentences.clone(),
        );
        let tokens = Counter::default();
        registry.register(
            "tokens_generated",
            "Target tokens generated (EOS included)",
            tokens.clone(),
        );
        let batches = Counter::default();
        registry.register("batches", "Engine batches run", batches.clone());
        let shared_batches = Counter::default();
        registry.register(
            "shared_batches",
            "Engine batches holding sentences of more than one request",
            shared_batches.clone(),
        );
        let batch_seconds = Histogram::new(exponential_buckets(0.001, 2.0, 16));
        registry.register(
            "batch_duration_seconds",
            "Time to translate one batch",
            batch_seconds.clone(),
        );
        let dropped = Counter::default();
        registry.register(
            "sentences_dropped",
            "Queued sentences dropped untranslated because their request gave up (timeout, client gone)",
            dropped.clone(),
        );
        ServerMetrics {
            dropped,
            registry,
            requests,
            latency,
            queue_depth,
            sentences,
            tokens,
            batches,
            shared_batches,
            batch_seconds,
        }
    }
}

impl ServerMetrics {
    /// One answered request.
    pub fn request(&self, endpoint: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                endpoint: endpoint.to_string(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&EndpointLabels {
                endpoint: endpoint.to_string(),
            })
            .observe(seconds);
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self, queue_depth: usize) -> String {
        self.queue_depth.set(queue_depth as i64);
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

impl BatchObserver for ServerMetrics {
    fn batch_done(&self, sentences: usize, requests: usize, tokens: usize, seconds: f64) {
        self.sentences.inc_by(sentences as u64);
        self.tokens.inc_by(tokens as u64);
        self.batches.inc();
        if requests > 1 {
            self.shared_batches.inc();
        }
        self.batch_seconds.observe(seconds);
    }

    fn sentences_dropped(&self, sentences: usize) {
        self.dropped.inc_by(sentences as u64);
    }
}
