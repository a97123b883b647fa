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
            } else if kinds::is_boilerplate_sentence(line) {
                BlockKind::Prompt
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
    mark_teaser_summaries(lines, &mut kinds);
    mark_headline_runs(lines, &mut kinds);
    mark_repeats(lines, &mut kinds);
    kinds
}

/// Under a section label of other articles ("Related Posts", "Últimas noticias"), a run of
/// headlines each followed by one short paragraph is those articles with their summaries, as on
/// a page ([`super::blocks`]' teaser summaries): teasers, all of them. Text has no links to
/// tell a teaser's headline from a subheading, so the label must stand alone (a few words, no
/// headline after a colon), the run must hold two headlines or more (a summary may be a
/// headline too: lists of links pair up the same), and the article's text must not resume
/// after it (no sentence, no paragraph longer than a summary).
fn mark_teaser_summaries(lines: &[&str], kinds: &mut [BlockKind]) {
    use kinds::MAX_SUMMARY_CHARS;
    // From each line on, whether the text resumes (a sentence or a long paragraph follows):
    // computed once from the end, so that the pass stays linear however many labels a text
    // holds. Marking a run changes no kind after it, so the values stay right.
    let mut resumes_from = vec![false; lines.len() + 1];
    for n in (0..lines.len()).rev() {
        resumes_from[n] = resumes_from[n + 1]
            || kinds[n] == BlockKind::Paragraph
                && (lines[n].chars().count() > MAX_SUMMARY_CHARS
                    || kinds::ends_like_a_sentence(lines[n]));
    }
    let mut i = 0;
    while i < lines.len() {
        if !is_section_label(lines[i], kinds[i]) {
            i += 1;
            continue;
        }
        let mut k = i + 1;
        while k + 1 < lines.len()
            && matches!(kinds[k], BlockKind::Paragraph | BlockKind::Heading)
            && reads_like_a_heading(lines[k])
            && kinds[k + 1] == BlockKind::Paragraph
            && lines[k + 1].chars().count() <= MAX_SUMMARY_CHARS
        {
            k += 2;
        }
        if k - (i + 1) >= 4 && !resumes_from[k] {
            for kind in &mut kinds[i + 1..k] {
                *kind = BlockKind::Teaser;
            }
        }
        i = k.max(i + 1);
    }
}

/// A teaser line that is a label alone ("Related Posts", "Lesen Sie auch:"), not one that
/// carries its headline ("Lire aussi Une autre histoire"): four words at most, or up to six
/// ending with the colon that announces what follows.
fn is_section_label(line: &str, kind: BlockKind) -> bool {
    if kind != BlockKind::Teaser {
        return false;
    }
    let line = line.trim_end();
    let words = line.split_whitespace().count();
    let announces = line.ends_with(':');
    !line.trim_end_matches(':').contains(':') && (words <= 4 || announces && words <= 6)
}

/// Headline-like lines (short, no final punctuation) that introduce no text are what a page
/// shows around its article — teasers of other articles, section names, labels, a copyright —
/// unless they are the items of a list the text announces (a paragraph ending with `:` before
/// them, or a run of them ending with one that does) or a line the text runs on from. Right
/// under a section label ("Lesen Sie auch:") they are the articles it names, wherever they are.
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
        if is_section_label(lines[n - 1], kinds[n - 1]) {
            // The headlines a "read also" or "related" label introduces; where text follows a
            // run of several, its last is the subheading of that text.
            let text_follows = end - n >= 2 && kinds.get(end) == Some(&BlockKind::Paragraph);
            for kind in &mut kinds[n..end - usize::from(text_follows)] {
                *kind = BlockKind::Teaser;
            }
        } else if announced {
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

    #[test]
    fn summaries_under_a_section_label_after_the_text_are_teasers() {
        let text = "El Nobel advierte sobre las armas nucleares\n\n\
                    El periodista denunció este martes la propaganda del Kremlin.\n\n\
                    Según él, el despliegue sería el fin de la humanidad.\n\n\
                    Últimas Noticias\n\n\
                    Quién es la novia de Robert de Niro\n\n\
                    La mujer es instructora de artes marciales.\n\n\
                    Rescatan a 310 migrantes en un tráiler en Veracruz\n\n\
                    Cinco de ellos fueron trasladados a hospitales de la región.\n";
        let kinds: Vec<BlockKind> = blocks_of_text(text).iter().map(|b| b.kind).collect();
        use BlockKind::*;
        assert_eq!(
            kinds,
            [Title, Lead, Paragraph, Teaser, Teaser, Teaser, Teaser, Teaser]
        );
    }

    #[test]
    fn text_after_a_box_of_related_headlines_stays_prose() {
        // A related-articles box inside the text: headlines without summaries, then the text
        // goes on in short paragraphs.
        let text = "Twitter Lite llega a América Latina\n\n\
                    Twitter Lite estará disponible en 11 países de América Latina.\n\n\
                    Twitter ha dado a conocer que Twitter Lite llegará a 24 nuevos países.\n\n\
                    Artículos Relacionados\n\n\
                    Este es el hombre que eliminó la cuenta de Twitter de Trump\n\n\
                    Twitter muestra avances de Bookmarks\n\n\
                    Twitter mostrará cuántas personas hablan de un tuit\n\n\
                    Entre sus novedades, Twitter Lite permite la carga rápida de tuits.\n\n\
                    Además, el app ocupa menos espacio en tu teléfono.\n";
        let blocks = blocks_of_text(text);
        let kind_of = |t: &str| {
            blocks
                .iter()
                .find(|b| b.text.starts_with(t))
                .map(|b| b.kind)
        };
        assert_eq!(kind_of("Artículos"), Some(BlockKind::Teaser));
        assert_eq!(kind_of("Este es"), Some(BlockKind::Teaser));
        assert_eq!(kind_of("Twitter muestra"), Some(BlockKind::Teaser));
        assert_eq!(kind_of("Entre sus"), Some(BlockKind::Paragraph));
        assert_eq!(kind_of("Además"), Some(BlockKind::Paragraph));
    }

    #[test]
    fn subheadings_after_a_teaser_stay_prose_where_the_text_goes_on() {
        // The article's own sections after a "Lire aussi" label and its headline: the text
        // resumes with a paragraph longer than a summary, so the label and its headline are
        // teasers and the sections after them stay the article's.
        let long = "Le texte reprend ici avec un long paragraphe. ".repeat(10);
        let text = format!(
            "Le budget est voté\n\nLe conseil a voté le budget mardi soir.\n\nLire aussi\n\n\
             Le budget de l'an dernier\n\nDes écoles rénovées\n\nLa ville rénove trois écoles.\n\n\
             Des cantines bio\n\nLes cantines passent au bio.\n\n{}\n",
            long.trim()
        );
        let kinds: Vec<BlockKind> = blocks_of_text(&text).iter().map(|b| b.kind).collect();
        use BlockKind::*;
        assert_eq!(
            kinds,
            [Title, Lead, Teaser, Teaser, Heading, Paragraph, Heading, Paragraph, Paragraph]
        );
    }
}
