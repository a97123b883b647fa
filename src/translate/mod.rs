//! Translation end to end: MarianTokenizer encoding, the Marian model on Candle, search, and
//! decoding, with batching and the splitting of sources longer than the model accepts.

mod article;
pub mod batcher;
mod batching;
mod engine_spec;
mod error;
mod memory;
mod split;
#[cfg(test)]
mod tests;
mod translator;

pub use article::{ArticlePlan, PlanParagraph};
pub use batching::{translate_batches, translate_parallel, translate_sorted};
pub use engine_spec::{load_named, parse_device, parse_precision};
pub use error::{TranslateError, Translation};
pub use memory::{human_bytes, MEMORY_BUDGET_VAR};
pub use split::join_article;
pub use translator::{memory_budget, Translator};
