//! Where translation time goes: named spans of work (the encoder, each kind of operation in a
//! decoder step, the search between steps) timed when profiling is switched on, summed over
//! every thread, and reported as a table. `entente translate --profile` and
//! `bench-translate --profile` print it.
//!
//! Off by default, when a span costs one relaxed atomic load. On, a span costs two clock reads
//! (tens of nanoseconds against the milliseconds of a decoder step). Spans do not nest in the
//! report: the work inside an *opaque* span (the encoder, the cross-attention keys and values)
//! is counted there only, so the top-level spans add up to the time they cover; spans marked
//! *within* (activation quantization) are a part of the products they run in, shown apart.

use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

/// A kind of work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// Encoding a batch's sources (everything inside counted here).
    Encoder,
    /// The cross-attention keys and values of the encoded sources, once per batch.
    CrossKeysValues,
    /// Token embeddings plus positions.
    Embed,
    /// Self-attention's query, key and value products.
    SelfProjections,
    /// Self-attention over the cached keys and values.
    SelfAttend,
    /// Self-attention's output product.
    SelfOut,
    /// Cross-attention's query product.
    CrossQuery,
    /// Cross-attention over the source tokens.
    CrossAttend,
    /// Cross-attention's output product.
    CrossOut,
    /// The feed-forward block's first product.
    FeedForwardIn,
    /// The feed-forward activation.
    Activation,
    /// The feed-forward block's second product.
    FeedForwardOut,
    /// Residual additions and layer norms.
    Norms,
    /// Allocating the step's logits (rows × vocabulary).
    LogitsBuffer,
    /// The output projection onto the vocabulary.
    OutputProjection,
    /// Logits processors, log-softmax, top-k and beam bookkeeping.
    Search,
    /// Reordering the decoder state to the surviving beams.
    Reorder,
    /// Quantizing activations to int8, inside the products above.
    Quantize,
}

const SPANS: [Span; 18] = [
    Span::Encoder,
    Span::CrossKeysValues,
    Span::Embed,
    Span::SelfProjections,
    Span::SelfAttend,
    Span::SelfOut,
    Span::CrossQuery,
    Span::CrossAttend,
    Span::CrossOut,
    Span::FeedForwardIn,
    Span::Activation,
    Span::FeedForwardOut,
    Span::Norms,
    Span::LogitsBuffer,
    Span::OutputProjection,
    Span::Search,
    Span::Reorder,
    Span::Quantize,
];

// A span's totals sit at `span as usize`: SPANS must list the spans in declaration order.
const _: () = {
    let mut i = 0;
    while i < SPANS.len() {
        assert!(SPANS[i] as usize == i, "SPANS out of declaration order");
        i += 1;
    }
};

impl Span {
    pub fn name(self) -> &'static str {
        match self {
            Span::Encoder => "encoder",
            Span::CrossKeysValues => "cross keys/values",
            Span::Embed => "embed",
            Span::SelfProjections => "self-attn q/k/v",
            Span::SelfAttend => "self-attn attend",
            Span::SelfOut => "self-attn out",
            Span::CrossQuery => "cross-attn q",
            Span::CrossAttend => "cross-attn attend",
            Span::CrossOut => "cross-attn out",
            Span::FeedForwardIn => "ffn in",
            Span::Activation => "ffn activation",
            Span::FeedForwardOut => "ffn out",
            Span::Norms => "add + layer norm",
            Span::LogitsBuffer => "logits buffer",
            Span::OutputProjection => "output projection",
            Span::Search => "search",
            Span::Reorder => "reorder",
            Span::Quantize => "int8 quantize (within products)",
        }
    }

    /// Whether the work inside is counted here only.
    fn opaque(self) -> bool {
        matches!(self, Span::Encoder | Span::CrossKeysValues)
    }

    /// Whether this is a part of other spans rather than beside them.
    fn within(self) -> bool {
        self == Span::Quantize
    }

    fn index(self) -> usize {
        self as usize
    }
}

static ENABLED: AtomicBool = AtomicBool::new(false);
static NANOS: [AtomicU64; SPANS.len()] = [const { AtomicU64::new(0) }; SPANS.len()];
static CALLS: [AtomicU64; SPANS.len()] = [const { AtomicU64::new(0) }; SPANS.len()];

thread_local! {
    /// How many opaque spans this thread is inside.
    static OPAQUE_DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Switch profiling on or off for every thread (the totals are kept; see [`reset`]).
pub fn enable(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Zero the totals.
pub fn reset() {
    for (nanos, calls) in NANOS.iter().zip(&CALLS) {
        nanos.store(0, Ordering::Relaxed);
        calls.store(0, Ordering::Relaxed);
    }
}

/// Run `f`, counting its time under `span` when profiling is on.
#[inline]
pub fn time<R>(span: Span, f: impl FnOnce() -> R) -> R {
    let _timer = Timer::start(span);
    f()
}

/// Counts the time from [`Timer::start`] to its drop under its span (when profiling is on),
/// for spans that are the rest of a function rather than a closure.
pub struct Timer {
    /// The span and its start; None when not counting.
    running: Option<(Span, Instant)>,
}

impl Timer {
    #[inline]
    pub fn start(span: Span) -> Self {
        if !enabled() || OPAQUE_DEPTH.with(Cell::get) > 0 {
            return Timer { running: None };
        }
        if span.opaque() {
            OPAQUE_DEPTH.with(|d| d.set(d.get() + 1));
        }
        Timer {
            running: Some((span, Instant::now())),
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        let Some((span, started)) = self.running else {
            return;
        };
        let nanos = started.elapsed().as_nanos() as u64;
        if span.opaque() {
            OPAQUE_DEPTH.with(|d| d.set(d.get() - 1));
        }
        NANOS[span.index()].fetch_add(nanos, Ordering::Relaxed);
        CALLS[span.index()].fetch_add(1, Ordering::Relaxed);
    }
}

/// One span's totals.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub span: Span,
    /// Summed over threads.
    pub seconds: f64,
    pub calls: u64,
}

/// The totals since the last [`reset`], spans with no calls left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub entries: Vec<Entry>,
}

/// The totals so far.
pub fn report() -> Report {
    Report {
        entries: SPANS
            .iter()
            .map(|&span| Entry {
                span,
                seconds: NANOS[span.index()].load(Ordering::Relaxed) as f64 * 1e-9,
                calls: CALLS[span.index()].load(Ordering::Relaxed),
            })
            .filter(|e| e.calls > 0)
            .collect(),
    }
}

impl Report {
    /// Seconds in the top-level spans (those not within others), summed over threads.
    pub fn total_seconds(&self) -> f64 {
        self.entries
            .iter()
            .filter(|e| !e.span.within())
            // From +0: `sum` of no floats is −0, which a report of nothing would print.
            .fold(0.0, |total, e| total + e.seconds)
    }

    /// The seconds of `span`, if it ran.
    pub fn seconds(&self, span: Span) -> Option<f64> {
        self.entries
            .iter()
            .find(|e| e.span == span)
            .map(|e| e.seconds)
    }
}

impl fmt::Display for Report {
    /// A table: span, milliseconds summed over threads, share of the top-level total, calls.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.total_seconds();
        writeln!(
            f,
            "{:<32} {:>10} {:>7} {:>9}",
            "span", "thread-ms", "share", "calls"
        )?;
        for e in &self.entries {
            let share = if total > 0.0 {
                100.0 * e.seconds / total
            } else {
                0.0
            };
            writeln!(
                f,
                "{:<32} {:>10.1} {:>6.1}% {:>9}",
                e.span.name(),
                e.seconds * 1e3,
                share,
                e.calls
            )?;
        }
        write!(f, "{:<32} {:>10.1} {:>6.1}%", "total", total * 1e3, 100.0)
    }
}
