//! Plain text as an article, line by line: text scraped from a page keeps one unit per line
//! (headline, date line, standfirst, hashtags, caption, paragraphs, teasers), so each line is
//! a block, typed by the same rules as a page's blocks. The first line is the headline when it
//! reads like one, the first paragraph after it the standfirst; short lines without final
//! punctuation between paragraphs are subheadings.

use super::block::{Block, BlockKind};
use super::kinds;

/// Lines longer than this are never headings or headlines.
const MAX_HEADING_CHARS: usize = 160;

/// The blocks of a plain-text article.
pub fn blocks_of_text(text: &str) -> Vec<Block> {
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}'))
        .filter(|l| !l.is_empty())
        .collect();
    let mut blocks: Vec<Block> = Vec::with_capacity(lines.len());
    for (n, line) in lines.iter().enumerate() {
        if let Some(kind) = kinds::furniture_kind(line) {
            blocks.push(Block::new(kind, *line));
            continue;
        }
        if let Some((caption, credit)) = kinds::split_trailing_credit(line) {
            blocks.push(Block::new(BlockKind::Caption, caption));
            blocks.push(Block::new(BlockKind::Credit, credit));
            continue;
        }
        let kind = if n == 0 && reads_like_a_heading(line) {
            BlockKind::Title
        } else if reads_like_a_heading(line)
            && lines.get(n + 1).is_some_and(|next| {
                kinds::ends_like_a_sentence(next) || next.chars().count() > 2 * line.chars().count()
            })
        {
            BlockKind::Heading
        } else {
            BlockKind::Paragraph
        };
        blocks.push(Block::new(kind, *line));
    }
    mark_lead(&mut blocks);
    mark_truncation(&mut blocks);
    blocks
}

/// Short, no final punctuation, and starting with a capital or a digit.
fn reads_like_a_heading(line: &str) -> bool {
    line.chars().count() <= MAX_HEADING_CHARS
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
