//! Web articles: a news page (or text scraped from one) in, the article out — its metadata and
//! every block in reading order, typed as prose (headings, paragraphs, quotes, lists, captions)
//! or as the page's furniture (credits, date lines, tags, teasers, subscription and share
//! prompts), with a mark where the text visibly stops.
//!
//! The rooms: [`decode`] (gzip under a cap, the page's charset), `dom` (the parsed page as an
//! arena), `prune` (what is never article text), `content` (where the article is),
//! `blocks` (the article as typed blocks), [`kinds`] (typing by the text, shared with plain
//! text), `plain` (scraped text line by line), [`metadata`] (JSON-LD, OpenGraph, `<meta>`),
//! [`sources`] (files, WARC crawls and URLs as a stream of documents). Nothing here translates
//! or segments: the pipeline, the CLI and the server take the blocks from here.

mod block;
mod blocks;
mod content;
pub mod decode;
mod dom;
mod error;
mod extract;
pub mod kinds;
pub mod metadata;
mod mojibake;
mod names;
mod plain;
mod prune;
pub mod sources;
mod title;

pub use block::{Block, BlockKind};
#[doc(hidden)]
pub use content::{set_tuning, Tuning};
pub use dom::VOID_ELEMENTS;
pub use error::ArticleError;
pub use extract::{explain, stage_times, trim_difference, Article};
pub use plain::paragraph_kinds;
pub use sources::{Document, Origin};

#[cfg(test)]
mod tests;
