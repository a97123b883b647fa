//! Lexical evidence learned from the document pair itself, as hunalign's `-realign` builds its
//! automatic dictionary: after a first alignment, the word pairs that keep occurring together in
//! its confident one-to-one links (Dice coefficient over those links) become a lexicon, and the
//! documents are aligned again with it. Works for any language pair, with or without a
//! dictionary or MT; names, numbers and cognates already count from the start (the anchors).

use std::collections::HashMap;

use super::features::normalize;
use super::lexicon::{content_words, Lexicon};
use super::link::Link;

/// The probability a first-pass link needs to teach anything.
pub const CONFIDENT: f64 = 0.9;
/// Links a word pair must share.
pub const MIN_TOGETHER: usize = 2;
/// The Dice coefficient a word pair needs: 2·together / (source count + target count).
pub const MIN_DICE: f64 = 0.5;
/// Translations kept for one source word (the best by Dice).
pub const PER_WORD: usize = 3;

/// The distinct words (3+ letters, lowercase, accents folded) of a sentence.
fn distinct_words(text: &str) -> Vec<String> {
    let norm = normalize(text);
    let mut out: Vec<String> = content_words(&norm)
        .filter(|w| !w.chars().any(|c| c.is_ascii_digit()))
        .map(str::to_string)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The word pairs of `links`' confident one-to-one links, as a lexicon.
pub fn learn(src: &[String], tgt: &[String], links: &[Link]) -> Lexicon {
    let confident = links
        .iter()
        .filter(|l| l.src.len() == 1 && l.tgt.len() == 1 && l.score >= CONFIDENT);
    let mut source_count: HashMap<String, usize> = HashMap::new();
    let mut target_count: HashMap<String, usize> = HashMap::new();
    let mut together: HashMap<(String, String), usize> = HashMap::new();
    for link in confident {
        let (s, t) = (
            distinct_words(&src[link.src[0]]),
            distinct_words(&tgt[link.tgt[0]]),
        );
        for w in &s {
            *source_count.entry(w.clone()).or_default() += 1;
        }
        for v in &t {
            *target_count.entry(v.clone()).or_default() += 1;
        }
        for w in &s {
            for v in &t {
                *together.entry((w.clone(), v.clone())).or_default() += 1;
            }
        }
    }
    let mut best: HashMap<String, Vec<(f64, String)>> = HashMap::new();
    for ((w, v), n) in together {
        if n < MIN_TOGETHER {
            continue;
        }
        let dice = 2.0 * n as f64 / (source_count[&w] + target_count[&v]) as f64;
        if dice >= MIN_DICE {
            best.entry(w).or_default().push((dice, v));
        }
    }
    let pairs = best.into_iter().flat_map(|(w, mut vs)| {
        vs.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        vs.truncate(PER_WORD);
        vs.into_iter().map(move |(_, v)| (w.clone(), v))
    });
    Lexicon::from_pairs(pairs)
}
