//! The French-GSD gold as eval-segment scores it: running text rebuilt from the `# text =`
//! sentences (up to five a paragraph, a sentence that does not end like one closing it) and
//! boundaries counted in non-whitespace characters. Shared by `eval-segment` and the
//! segmentation quality floor (`tests/quality_floors.rs`), so both score the same thing.

use std::collections::BTreeSet;

pub struct Paragraph {
    pub text: String,
    /// Gold boundaries, as counts of non-whitespace chars before each internal boundary.
    pub boundaries: BTreeSet<usize>,
}

fn non_ws_len(s: &str) -> usize {
    s.chars().filter(|c| !c.is_whitespace()).count()
}

pub fn build_paragraphs(conllu: &str) -> Vec<Paragraph> {
    let sentences: Vec<&str> = conllu
        .lines()
        .filter_map(|l| l.strip_prefix("# text = "))
        .map(str::trim)
        .collect();
    let mut paragraphs = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let flush = |current: &mut Vec<&str>, paragraphs: &mut Vec<Paragraph>| {
        if current.is_empty() {
            return;
        }
        let mut boundaries = BTreeSet::new();
        let mut count = 0;
        for s in &current[..current.len() - 1] {
            count += non_ws_len(s);
            boundaries.insert(count);
        }
        paragraphs.push(Paragraph {
            text: current.join(" "),
            boundaries,
        });
        current.clear();
    };
    for s in sentences {
        current.push(s);
        let closes = !s.ends_with(['.', '!', '?', '…', ';', ':', '"', '»', ')', ']', '\'']);
        if closes || current.len() == 5 {
            flush(&mut current, &mut paragraphs);
        }
    }
    flush(&mut current, &mut paragraphs);
    paragraphs
}

/// Boundaries proposed by a system's sentences for one paragraph.
pub fn proposed(sentences: &[String]) -> BTreeSet<usize> {
    let mut count = 0;
    let mut out = BTreeSet::new();
    for s in sentences.iter().take(sentences.len().saturating_sub(1)) {
        count += non_ws_len(s);
        out.insert(count);
    }
    out
}
