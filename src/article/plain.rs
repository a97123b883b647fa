//! Plain text as an article, line by line: text scraped from a page keeps one unit per line
//! (headline, date line, standfirst, hashtags, caption, paragraphs, teasers), so each line is
//! a block, typed by the same rules as a page's blocks. The first line is the headline when it
//! reads like one, the first paragraph after it the standfirst; short lines without final
//! punctuation between paragraphs are subheadings.

use super::block::{Block, BlockKind};
use super::kinds;
use crate::segment::Segmenter;

/// The blocks of a plain-text article.
pub fn blocks_of_text(text: &str) -> Vec<Block> {
    let lines = lines_of(text);
    let mut blocks = Vec::with_capacity(lines.len());
    for (line, kind) in lines.iter().zip(line_kinds_of(&lines)) {
        if kind == BlockKind::Caption {
            if let Some((caption, credit)) = kinds::split_trailing_credit(line) {
                blocks.push(Block::new(BlockKind::Caption, caption));
                blocks.push(Block::new(BlockKind::Credit, credit));
                continue;
            }
        }
        blocks.push(Block::new(kind, *line));
    }
    mark_lead(&mut blocks);
    mark_truncation(&mut blocks);
    blocks
}

/// The kind of each paragraph (non-blank line, as the segmenter cuts them) of a plain-text
/// article, in order: what `translate --input article` keeps verbatim and what it translates.
pub fn paragraph_kinds(text: &str) -> Vec<BlockKind> {
    let lines = lines_of(text);
    let mut kinds = line_kinds_of(&lines);
    let mut blocks: Vec<Block> = lines
        .iter()
        .zip(&kinds)
        .map(|(l, &k)| Block::new(k, *l))
        .collect();
    mark_lead(&mut blocks);
    for (kind, block) in kinds.iter_mut().zip(&blocks) {
        *kind = block.kind;
    }
    kinds
}

/// The paragraphs of a text as the segmenter cuts them: non-blank lines, trimmed.
fn lines_of(text: &str) -> Vec<&str> {
    Segmenter::default()
        .paragraphs(text)
        .into_iter()
        .map(|r| text[r].trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}'))
        .collect()
}

/// Each line's kind: furniture by its text, a caption when it ends with a credit, the first
/// line a title when it reads like one, short unpunctuated lines before a paragraph headings.
fn line_kinds_of(lines: &[&str]) -> Vec<BlockKind> {
    let mut kinds: Vec<BlockKind> = lines
        .iter()
        .enumerate()
        .map(|(n, line)| {
            if let Some(kind) = kinds::furniture_kind(line) {
                kind
            } else if kinds::split_trailing_credit(line).is_some() {
                BlockKind::Caption
            } else if n == 0 && reads_like_a_heading(line) {
                BlockKind::Title
            } else if reads_like_a_heading(line)
                && lines.get(n + 1).is_some_and(|next| {
                    kinds::ends_like_a_sentence(next)
                        || next.chars().count() > 2 * line.chars().count()
                })
            {
                BlockKind::Heading
            } else {
                BlockKind::Paragraph
            }
        })
        .collect();
    mark_headline_runs(lines, &mut kinds);
    mark_repeats(lines, &mut kinds);
    kinds
}

/// Headline-like lines (short, no final punctuation) that introduce no text are what a page
/// shows around its article — teasers of other articles, section names, labels, a copyright —
/// unless they are the items of a list the text announces (a paragraph ending with `:` before
/// them, or a run of them ending with one that does) or a line the text runs on from.
fn mark_headline_runs(lines: &[&str], kinds: &mut [BlockKind]) {
    // The text's span: from its first sentence to its last (a paragraph cut mid-sentence
    // counts).
    let sentence = |k: &usize| {
        kinds[*k] == BlockKind::Paragraph
            && (kinds::ends_like_a_sentence(lines[*k]) || kinds::ends_mid_sentence(lines[*k]))
    };
    let first = (0..lines.len()).find(sentence).unwrap_or(lines.len());
    let last = (0..lines.len()).rev().find(sentence).unwrap_or(0);
    let mut n = 1;
    while n < lines.len() {
        // A paragraph cut mid-sentence (a paywall's) is prose, however it ends.
        let headline_like = |k: usize| {
            matches!(kinds[k], BlockKind::Paragraph | BlockKind::Heading)
                && reads_like_a_heading(lines[k])
                && !kinds::ends_mid_sentence(lines[k])
        };
        if !headline_like(n) {
            n += 1;
            continue;
        }
        let end = (n..lines.len())
            .find(|&k| !headline_like(k))
            .unwrap_or(lines.len());
        let announced = lines[n - 1].trim_end().ends_with(':') && kinds[n - 1].is_prose();
        let inside = n > first && end <= last;
        if announced {
            for kind in &mut kinds[n..end] {
                *kind = BlockKind::List;
            }
        } else if inside {
            // Within the text: subheadings and list items, as they were.
        } else {
            for kind in &mut kinds[n..end] {
                *kind = BlockKind::Teaser;
            }
        }
        n = end;
    }
}

/// A headline-like line the text repeats (a teaser shown twice, a gallery's label) is
/// furniture after its first showing; a sentence said twice is the text's own (a refrain), as
/// on a page.
fn mark_repeats(lines: &[&str], kinds: &mut [BlockKind]) {
    let mut seen = std::collections::HashSet::new();
    for (line, kind) in lines.iter().zip(kinds.iter_mut()) {
        if !seen.insert(*line)
            && kind.is_prose()
            && *kind != BlockKind::Title
            && !kinds::ends_like_a_sentence(line)
        {
            *kind = BlockKind::Teaser;
        }
    }
}

/// Short, no final punctuation, and starting with a capital or a digit.
fn reads_like_a_heading(line: &str) -> bool {
    line.chars().count() <= kinds::MAX_HEADLINE_CHARS
        && !kinds::ends_like_a_sentence(line)
        && line
            .chars()
            .next()
            .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit() || "«\"“".contains(c))
}

/// The first paragraph is the standfirst when only the title and furniture come before it and
/// more paragraphs follow.
fn mark_lead(blocks: &mut [Block]) {
    let Some(first) = blocks
        .iter()
        .position(|b| b.kind.is_prose() && b.kind != BlockKind::Title)
    else {
        return;
    };
    let title_first = blocks.first().is_some_and(|b| b.kind == BlockKind::Title);
    let more = blocks[first + 1..]
        .iter()
        .any(|b| b.kind == BlockKind::Paragraph);
    if title_first && more && blocks[first].kind == BlockKind::Paragraph {
        blocks[first].kind = BlockKind::Lead;
    }
}

/// The last paragraph (furniture after it aside) is cut when it stops mid-sentence, and any
/// paragraph right before a subscription prompt is cut by the paywall.
pub fn mark_truncation(blocks: &mut [Block]) {
    let prose = |b: &Block| matches!(b.kind, BlockKind::Paragraph | BlockKind::Lead);
    if let Some(last) = blocks.iter().rposition(|b| b.kind.is_prose()) {
        if prose(&blocks[last]) && kinds::ends_mid_sentence(&blocks[last].text) {
            blocks[last].truncated = true;
        }
    }
    for i in 1..blocks.len() {
        if blocks[i].kind == BlockKind::Subscription
            && prose(&blocks[i - 1])
            && !kinds::ends_like_a_sentence(&blocks[i - 1].text)
        {
            blocks[i - 1].truncated = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headline_like_lines_around_the_text_are_not_prose() {
        let text = "Le budget est voté\n\nPartager sur Facebook\n\n\
                    Le conseil a voté le budget mardi soir.\n\nIl prévoit trois mesures :\n\n\
                    Des écoles rénovées\n\nDes cantines bio\n\nUn nouveau gymnase\n\n\
                    Le maire s'en est félicité.\n\nÀ la une\n\nLe marché de Noël ouvre samedi\n\n\
                    Trois blessés dans un accident\n\nDes cantines bio\n\n© 2024 Le Journal\n";
        let blocks = blocks_of_text(text);
        let kinds: Vec<(BlockKind, &str)> =
            blocks.iter().map(|b| (b.kind, b.text.as_str())).collect();
        use BlockKind::*;
        assert_eq!(
            kinds,
            [
                (Title, "Le budget est voté"),
                (Prompt, "Partager sur Facebook"),
                (Lead, "Le conseil a voté le budget mardi soir."),
                (Paragraph, "Il prévoit trois mesures :"),
                (List, "Des écoles rénovées"),
                (List, "Des cantines bio"),
                (List, "Un nouveau gymnase"),
                (Paragraph, "Le maire s'en est félicité."),
                (Teaser, "À la une"),
                (Teaser, "Le marché de Noël ouvre samedi"),
                (Teaser, "Trois blessés dans un accident"),
                (Teaser, "Des cantines bio"),
                (Credit, "© 2024 Le Journal"),
            ]
        );
    }

    #[test]
    fn a_scraped_article_is_typed_line_by_line() {
        let text = "Le titre de l'article\n  • il y a 2 ans\nUn chapeau qui résume l'article en une phrase.\n\n\
                    #Un #Deux\n\nUne photo de la scène, vendredi. AFP\n\nPremier paragraphe du texte.\n\n\
                    Lire aussi Une autre histoire\n\nUn intertitre\n\nDernier paragraphe coupé au milieu d'une phrase qui continue et\n\
                    Recommandé\n";
        let kinds: Vec<BlockKind> = blocks_of_text(text).iter().map(|b| b.kind).collect();
        use BlockKind::*;
        assert_eq!(
            kinds,
            [
                Title, Dateline, Lead, Tags, Caption, Credit, Paragraph, Teaser, Heading,
                Paragraph, Teaser
            ]
        );
        let blocks = blocks_of_text(text);
        assert!(blocks[9].truncated && !blocks[6].truncated);
    }
}
