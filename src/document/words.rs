//! Word alignment from the model's own cross-attention (as Bergamot places markup): for each
//! word of a translation, the source word its tokens attended to most, summed over the
//! SentencePiece pieces of both words. opus-mt models have no trained alignment head, so the
//! mean of one layer's heads is read — the penultimate decoder layer by default, the layer the
//! literature finds best aligned in vanilla transformers (Garg et al., 2019).

use std::ops::Range;

use crate::tokenizer::MarianTokenizer;

/// Below this share of a target word's attention on source words (the rest on `</s>`), the
/// word is left unaligned rather than pinned to noise.
const LEAST_SOURCE_SHARE: f32 = 0.1;

/// The decoder layer whose attention is read by default: the penultimate one (the only one of
/// a one-layer decoder).
pub fn default_layer(decoder_layers: usize) -> usize {
    decoder_layers.saturating_sub(2)
}

/// The word each SentencePiece piece belongs to: a piece starting with `▁` starts a word.
fn piece_words<'a>(pieces: impl Iterator<Item = Option<&'a str>>) -> (Vec<Option<usize>>, usize) {
    let mut words = 0usize;
    let mut out = Vec::new();
    for piece in pieces {
        match piece {
            Some(p) => {
                if p.starts_with('▁') || words == 0 {
                    words += 1;
                }
                out.push(Some(words - 1));
            }
            None => out.push(None),
        }
    }
    (out, words)
}

/// For each whitespace-separated word of `translation` (the decoded `target_ids`), the index of
/// the word of `source` it is aligned with (`None`: unaligned), from `attention` (per target
/// token, one weight per source token, `</s>` last). `None` when pieces and words cannot be
/// matched (a special token written in the text, a piece the decoder spells differently).
pub fn word_alignment(
    tokenizer: &MarianTokenizer,
    source: &str,
    target_ids: &[u32],
    translation: &str,
    attention: &[Vec<f32>],
) -> Option<Vec<Option<usize>>> {
    let source_pieces = tokenizer.tokenize(source, false);
    let (source_word, source_words) = piece_words(source_pieces.iter().map(|p| Some(p.as_str())));
    let target_pieces = target_ids
        .iter()
        .map(|&id| (!tokenizer.is_special(id)).then(|| tokenizer.id_to_token(id)));
    let (target_word, target_words) = piece_words(target_pieces);
    if source_words != count(source)
        || target_words != count(translation)
        || attention.len() < target_ids.len()
    {
        return None;
    }
    let mut scores = vec![vec![0f32; source_words]; target_words];
    let mut total = vec![0f32; target_words];
    for (t, w) in target_word.iter().enumerate() {
        let Some(w) = *w else { continue };
        let row = &attention[t];
        if row.len() != source_pieces.len() + 1 {
            return None;
        }
        for (k, &weight) in row.iter().enumerate() {
            total[w] += weight;
            if let Some(Some(s)) = source_word.get(k) {
                scores[w][*s] += weight;
            }
        }
    }
    Some(
        scores
            .iter()
            .zip(&total)
            .map(|(row, &all)| {
                let (best, &weight) = row
                    .iter()
                    .enumerate()
                    .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)))?;
                let on_source: f32 = row.iter().sum();
                (all > 0.0 && on_source / all >= LEAST_SOURCE_SHARE && weight > 0.0).then_some(best)
            })
            .collect(),
    )
}

fn count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// Words of `text` before byte `at`.
pub fn words_before(words: &[Range<usize>], at: usize) -> usize {
    words.partition_point(|w| w.start < at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_belong_to_the_word_they_start_or_continue() {
        let pieces = ["▁Le", "▁prés", "ident", "▁a", "."];
        let (words, n) = piece_words(pieces.iter().map(|p| Some(*p)).chain([None]));
        assert_eq!(n, 3);
        assert_eq!(words, [Some(0), Some(1), Some(1), Some(2), Some(2), None]);
    }

    #[test]
    fn the_default_layer_is_the_penultimate() {
        assert_eq!(default_layer(6), 4);
        assert_eq!(default_layer(1), 0);
    }
}
