//! Translation end to end: MarianTokenizer encoding, the Marian model on Candle, search, and
//! decoding, with batching and the splitting of sources longer than the model accepts.

mod article;
pub mod batcher;
mod batching;
mod engine_spec;
mod error;
mod machine_memory;
mod resources;
mod sizing;
mod split;
#[cfg(test)]
mod tests;
mod translator;

pub use article::{ArticlePlan, PlanParagraph};
pub use batching::{translate_batches, translate_parallel, translate_sorted};
pub use engine_spec::{load_named, parse_device, parse_precision};
pub use error::{TranslateError, Translation};
pub use resources::{
    human_bytes, parse_size, parse_threads, GpuMemory, Machine, ResourceError, ResourceSettings,
    Resources, Setting, MEMORY_BUDGET_VAR, THREADS_VAR,
};
pub use sizing::{start_line, BatchPlan, SentenceCost};
pub use split::join_article;
pub use translator::Translator;
