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
    // Each block's English, and the alignment jobs of the blocks whose elements' places depend
    // on it: every job of the document probed together, on the worker threads.
    let mut texts = Vec::with_capacity(blocks.len());
    let mut aligns: Vec<Vec<Option<usize>>> = Vec::with_capacity(blocks.len());
    let mut jobs: Vec<Probe> = Vec::new();
    let mut next = 0;
    for (b, ((block, plan), own)) in blocks.iter().zip(&plans).zip(&per_block).enumerate() {
        let mine = &translations[next..next + own.len()];
        next += own.len();
        let english: Vec<&str> = mine.iter().map(|t| t.text.as_str()).collect();
        let text = plan.assemble(&english);
        let align = if alignment_matters(block) {
            sentence_jobs(translator, (b, block), plan, mine, &text, &mut jobs)
        } else {
            Vec::new()
        };
        texts.push(text);
        aligns.push(align);
    }
    for (job, words) in jobs.iter().zip(probe_all(translator, &jobs)?) {
        let Some(words) = words else { continue };
        for (k, a) in words.into_iter().enumerate() {
            if let Some(slot) = aligns[job.block].get_mut(job.first_target + k) {
                *slot = a.map(|s| s + job.first_source);
            }
        }
    }
    let mut out = Vec::with_capacity(blocks.len());
    for (((block, text), align), &tile) in blocks.iter().zip(texts).zip(&aligns).zip(tiles) {
        let placement = place(block, &text, align, tile);
        report.aligned += placement.aligned;
        report.fallback += placement.fallback;
        out.push(TranslatedBlock { text, placement });
    }
    Ok((out, report))
}

/// Whether a block's elements could go anywhere but where they are without the alignment: one
/// that wraps part of the text, or a point inside it. (A paragraph of one run, a link around a
/// whole item, a break at the end need no attention read.)
fn alignment_matters(block: &InlineText) -> bool {
    let len = block.text.len();
    block.spans.iter().any(|s| {
        if s.point || s.start == s.end {
            0 < s.start && s.start < len
        } else {
            s.start > 0 || s.end < len
        }
    })
}

/// One translated sentence to read the attention of: its block, its source and translation,
/// and where its words start among the block's source and target words.
struct Probe<'a> {
    block: usize,
    source: &'a str,
    translation: &'a Translation,
    first_source: usize,
    first_target: usize,
}

/// For each word of `text` (the block's English, the plan's sentences joined by a space), the
/// block's source word it is aligned with, as far as kept sentences tell (word for word); the
/// translated sentences become `jobs` for the attention probe.
fn sentence_jobs<'a>(
    translator: &Translator,
    (b, block): (usize, &'a InlineText),
    plan: &ArticlePlan<'a>,
    translations: &'a [Translation],
    text: &str,
    jobs: &mut Vec<Probe<'a>>,
) -> Vec<Option<usize>> {
    let source_words = words(&block.text);
    let target_words = words(text);
    let mut align = vec![None; target_words.len()];
    let mut english = translations.iter();
    let mut at = 0;
    for (sentence, _, translated) in plan.sentences() {
        let source = sentence.text(&block.text);
        let first_source = words_before(&source_words, sentence.start);
        let first_target = words_before(&target_words, at);
        if translated {
            let Some(t) = english.next() else { break };
            // A source split to fit the model has no one attention matrix: left unaligned.
            if translator.split_long(source).len() == 1 {
                jobs.push(Probe {
                    block: b,
                    source,
                    translation: t,
                    first_source,
                    first_target,
                });
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
    align
}

/// The word alignment of every job (`None` where pieces and words could not be matched), the
/// probe run in groups spread over the translator's worker threads.
fn probe_all(
    translator: &Translator,
    jobs: &[Probe],
) -> Result<Vec<Option<Vec<Option<usize>>>>, TranslateError> {
    use rayon::prelude::*;
    let layer = default_layer(translator.model.config().decoder_layers);
    let threads = translator.resources().threads.max(1);
    let group = jobs.len().div_ceil(threads).clamp(1, ALIGN_BATCH);
    let groups: Vec<Vec<Option<Vec<Option<usize>>>>> = translator.pool()?.install(|| {
        jobs.par_chunks(group)
            .map(|chunk| {
                let sources: Vec<&str> = chunk.iter().map(|j| j.source).collect();
                let targets: Vec<Vec<u32>> =
                    chunk.iter().map(|j| j.translation.ids.clone()).collect();
                let attention = translator.cross_attention(&sources, &targets, layer)?;
                Ok(chunk
                    .iter()
                    .zip(&attention)
                    .map(|(j, weights)| {
                        let t = j.translation;
                        word_alignment(&translator.tokenizer, j.source, &t.ids, &t.text, weights)
                    })
                    .collect())
            })
            .collect::<Result<_, TranslateError>>()
    })?;
    Ok(groups.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::alignment_matters;
    use crate::document::inline::Lifter;

    #[test]
    fn only_elements_that_could_go_elsewhere_need_the_attention() {
        let block = |build: &dyn Fn(&mut Lifter)| {
            let mut l = Lifter::new();
            build(&mut l);
            l.finish()
        };
        // One run around everything, and a break at the end: nowhere else to go.
        let whole = block(&|l| {
            l.open();
            l.text("Le chat dort.");
            l.close();
            l.break_point();
        });
        assert!(!alignment_matters(&whole));
        // A bold word, or a break between words: the attention decides.
        let part = block(&|l| {
            l.text("Le ");
            l.open();
            l.text("chat");
            l.close();
            l.text(" dort.");
        });
        assert!(alignment_matters(&part));
        let inside = block(&|l| {
            l.text("Le chat ");
            l.break_point();
            l.text("dort.");
        });
        assert!(alignment_matters(&inside));
    }
}
