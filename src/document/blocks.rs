//! Blocks of a document through the model: each block's plain text planned exactly as
//! `translate --input article` plans it (segmented, its furniture kept), every block's sentences
//! translated in one job, and, for blocks with inline elements, the sentences aligned word by
//! word so that [`super::placement`] can put the elements back.

use crate::translate::{ArticlePlan, TranslateError, Translation, Translator};

use super::inline::{words, InlineText};
use super::placement::{place, Placement};
use super::words::{default_layer, word_alignment, words_before};

/// Sentences aligned per call of the attention probe.
const ALIGN_BATCH: usize = 16;

/// A block's translation and where its elements go in it.
#[derive(Debug, Clone)]
pub struct TranslatedBlock {
    pub text: String,
    pub placement: Placement,
}

/// What a document's translation did, for the user to see.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockReport {
    pub blocks: usize,
    pub sentences: usize,
    /// Inline elements placed by the alignment, and by the proportional fallback.
    pub aligned: usize,
    pub fallback: usize,
}

/// Translate `blocks`: `translate` is handed every sentence to translate (all blocks at once,
/// so the caller batches and reports progress), the alignment read from `translator`'s
/// attention; `tiles[i]` makes block i's elements cover their parent (runs).
pub fn translate_blocks(
    translator: &Translator,
    blocks: &[InlineText],
    tiles: &[bool],
    translate: impl FnOnce(&[&str]) -> Result<Vec<Translation>, TranslateError>,
) -> Result<(Vec<TranslatedBlock>, BlockReport), TranslateError> {
    let plans: Vec<ArticlePlan> = blocks.iter().map(|b| ArticlePlan::new(&b.text)).collect();
    let per_block: Vec<Vec<&str>> = plans.iter().map(ArticlePlan::sources).collect();
    let sources: Vec<&str> = per_block.iter().flatten().copied().collect();
    let translations = translate(&sources)?;
    let mut report = BlockReport {
        blocks: blocks.len(),
        sentences: sources.len(),
        ..BlockReport::default()
    };
    let mut out = Vec::with_capacity(blocks.len());
    let mut next = 0;
    for (((block, plan), own), &tile) in blocks.iter().zip(&plans).zip(&per_block).zip(tiles) {
        let mine = &translations[next..next + own.len()];
        next += own.len();
        let english: Vec<&str> = mine.iter().map(|t| t.text.as_str()).collect();
        let text = plan.assemble(&english);
        let align = if block.spans.is_empty() {
            Vec::new()
        } else {
            block_alignment(translator, block, plan, mine, &text)?
        };
        let placement = place(block, &text, &align, tile);
        report.aligned += placement.aligned;
        report.fallback += placement.fallback;
        out.push(TranslatedBlock { text, placement });
    }
    Ok((out, report))
}

/// For each word of `text` (the block's English, the plan's sentences joined by a space), the
/// block's source word it is aligned with: translated sentences through the attention probe,
/// kept sentences word for word.
fn block_alignment(
    translator: &Translator,
    block: &InlineText,
    plan: &ArticlePlan,
    translations: &[Translation],
    text: &str,
) -> Result<Vec<Option<usize>>, TranslateError> {
    let source_words = words(&block.text);
    let target_words = words(text);
    let mut align = vec![None; target_words.len()];
    let mut english = translations.iter();
    // (source sentence, its translation, first source word, first target word)
    let mut probed: Vec<(&str, &Translation, usize, usize)> = Vec::new();
    let mut at = 0;
    for (sentence, _, translated) in plan.sentences() {
        let source = sentence.text(&block.text);
        let first_source = words_before(&source_words, sentence.start);
        let first_target = words_before(&target_words, at);
        if translated {
            let Some(t) = english.next() else { break };
            // A source split to fit the model has no one attention matrix: left unaligned.
            if translator.split_long(source).len() == 1 {
                probed.push((source, t, first_source, first_target));
            }
            at += t.text.len() + 1;
        } else {
            for k in 0..source.split_whitespace().count() {
                if let Some(slot) = align.get_mut(first_target + k) {
                    *slot = Some(first_source + k);
                }
            }
            at += source.len() + 1;
        }
    }
    let layer = default_layer(translator.model.config().decoder_layers);
    for chunk in probed.chunks(ALIGN_BATCH) {
        let sources: Vec<&str> = chunk.iter().map(|c| c.0).collect();
        let targets: Vec<Vec<u32>> = chunk.iter().map(|c| c.1.ids.clone()).collect();
        let attention = translator.cross_attention(&sources, &targets, layer)?;
        for ((source, t, first_source, first_target), weights) in chunk.iter().zip(&attention) {
            let Some(words) =
                word_alignment(&translator.tokenizer, source, &t.ids, &t.text, weights)
            else {
                continue;
            };
            for (k, a) in words.into_iter().enumerate() {
                if let Some(slot) = align.get_mut(first_target + k) {
                    *slot = a.map(|s| s + first_source);
                }
            }
        }
    }
    Ok(align)
}
