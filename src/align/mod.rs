//! Sentence alignment of a document and its translation written separately: which source
//! sentences (0 to 5) correspond to which target sentences (0 to 5).
//!
//! Each sentence gets a bag of features: with a machine translation of the source side (entente's
//! own, or one supplied line-aligned as Bleualign takes), the words and character 4-grams of the
//! MT and of the source itself (names and numbers pass through translation unchanged) against
//! those of the target; without MT, language-independent anchors (numbers, cognate prefixes,
//! punctuation). Features are weighted by their inverse document frequency over both sides, so
//! that matching a rare name counts far more than matching "de". A link between a source group
//! and a target group scores the weight of the features the two sides share (normalized by an
//! average sentence's weight: merging sentences pays only when it gathers more shared content,
//! which is what text that was split or merged differently does), each sentence's
//! coverage (the share of its own weight the other side matches: a split-off clause counts as
//! much as a long sentence), a Gale-Church length term, and a penalty per merged sentence, lower
//! where a sentence ends a clause or in an initial's period (where the other side often goes
//! on). Dynamic programming finds the best-scoring ladder, inside a band around the length-ratio
//! diagonal so that long documents align in linear time.

pub mod eval;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

/// One link: source and target sentence indices (either may be empty), and its score: the
/// probability that the link belongs to the alignment (see [`AlignConfig::temperature`]), so
/// that a corpus can be filtered by it.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub src: Vec<usize>,
    pub tgt: Vec<usize>,
    pub score: f64,
}

/// The probability below which `entente align` drops a link by default: on the dev set, links
/// under it are mostly wrong (eval/align's calibration table; the README gives it).
pub const DEFAULT_MIN_SCORE: f64 = 0.5;

/// Link shapes searched: (source sentences, target sentences).
pub const LINK_TYPES: [(usize, usize); 17] = [
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
    (4, 2),
    (1, 5),
    (5, 1),
];

/// The first [`LINK_TYPES`] that the first pass searches: up to two sentences a side.
const ROUGH_LINK_TYPES: usize = 6;

/// The most sentences on one side of a link.
const MAX_GROUP: usize = 5;

const _: () = {
    let mut k = 0;
    while k < LINK_TYPES.len() {
        assert!(LINK_TYPES[k].0 <= MAX_GROUP && LINK_TYPES[k].1 <= MAX_GROUP);
        k += 1;
    }
};

/// How sentences are compared.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlignConfig {
    /// Weight of the length (Gale-Church) term.
    pub length_weight: f64,
    /// Score of leaving a sentence unaligned.
    pub skip_score: f64,
    /// Penalty per sentence beyond one on either side of a link.
    pub merge_penalty: f64,
    /// Smallest band half-width around the diagonal, in sentences.
    pub min_band: usize,
    /// Half-width of the band of the exact pass around the first pass's path, in sentences.
    pub refine_band: usize,
    /// Weight of the margin: the share of a sentence's background similarity (the mean of its
    /// best few candidates) taken off every link it is in; 0 is off.
    pub margin_weight: f64,
    /// Temperature of the links' probabilities: every path through the band weighs
    /// exp(score / temperature), and a link's probability is the share of that weight on the
    /// paths through it (forward–backward). Chosen for calibration on the dev set.
    pub temperature: f64,
    /// Weight of coverage: for each sentence of a link, the share of its feature weight that
    /// the other side matches, summed over the link's sentences. Unlike the shared weight, it
    /// counts a short sentence as much as a long one: a clause split off into its own sentence
    /// on one side is worth merging back when the other side covers it.
    pub coverage_weight: f64,
    /// Taken off the merge penalty where a link joins a sentence that ends a clause (a colon,
    /// semicolon or comma) to the next: one side stopped at a clause
    /// boundary where the other did not (in the dev gold, 45% of such joins on the German side
    /// and 61% on the French are merged, against 12% and 14% after a full stop).
    pub clause_join_bonus: f64,
    /// Taken off the merge penalty where a link joins a sentence that ends in an initial's
    /// period ("durch B.M.") to the next: almost always a false split (7 of 7 in the dev gold).
    pub initial_join_bonus: f64,
}

impl Default for AlignConfig {
    /// [`AlignConfig::with_mt`].
    fn default() -> Self {
        Self::with_mt()
    }
}

// The settings below are from eval/align's grid: with MT, the best on the whole Bleualign dev
// set; without, the best on the mean of the dev set's and newstest2014's F1 (the dev set's own
// best merges too readily for news text: 0.967 on newstest2014). The figures to expect on new
// text are the cross-validated ones that eval/align prints.
impl AlignConfig {
    /// For [`Features::translated`] sources against [`Features::lexical`] targets.
    pub fn with_mt() -> Self {
        AlignConfig {
            length_weight: 0.2,
            skip_score: -0.05,
            merge_penalty: 0.1,
            min_band: 60,
            refine_band: 5,
            margin_weight: 0.0,
            temperature: 0.05,
            coverage_weight: 0.3,
            clause_join_bonus: 0.1,
            initial_join_bonus: 0.3,
        }
    }

    /// For [`Features::anchors`] of both sides (no MT).
    pub fn without_mt() -> Self {
        AlignConfig {
            length_weight: 0.3,
            skip_score: -0.1,
            merge_penalty: 0.1,
            min_band: 60,
            refine_band: 5,
            margin_weight: 0.0,
            temperature: 0.05,
            coverage_weight: 0.3,
            clause_join_bonus: 0.1,
            initial_join_bonus: 0.3,
        }
    }
}

/// A sentence prepared for alignment: sorted feature hashes and its length in characters.
#[derive(Debug, Clone, Default)]
pub struct Features {
    bag: Vec<u64>,
    chars: usize,
    ending: Ending,
}

/// How a sentence ends: where one side's sentence ends open, the other side often goes on.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
enum Ending {
    /// A full stop, question or exclamation mark, or no final punctuation.
    #[default]
    Closed,
    /// A colon, semicolon or comma: the end of a clause.
    Clause,
    /// The period of an initial ("durch B.M.", "Leiter Ch."): a segmenter's false split
    /// before a name.
    Initial,
}

/// How `text` ends (closing quotes and brackets aside).
fn ending(text: &str) -> Ending {
    let end = text
        .trim_end()
        .trim_end_matches(|c: char| "»\"”’')]".contains(c) || c.is_whitespace());
    match end.chars().last() {
        None => Ending::Closed,
        Some('.') => {
            let word = end[..end.len() - 1]
                .trim_end()
                .rsplit(char::is_whitespace)
                .next()
                .unwrap_or("");
            if is_initial(word) {
                Ending::Initial
            } else {
                Ending::Closed
            }
        }
        Some(':' | ';' | ',') => Ending::Clause,
        // Headlines, captions, list items: units of their own (in the dev gold, none of the 33
        // sentences without final punctuation is merged with the next).
        Some(_) => Ending::Closed,
    }
}

/// An initial: one capital with at most one lowercase letter after it ("E", "Ch"), or dotted
/// capitals ("B.M", "J.R.R").
fn is_initial(word: &str) -> bool {
    let chars: Vec<char> = word.chars().collect();
    match chars.as_slice() {
        [c] => c.is_uppercase(),
        [c, d] => c.is_uppercase() && d.is_lowercase(),
        _ => {
            chars.len() >= 3
                && chars.iter().step_by(2).all(|c| c.is_uppercase())
                && chars.iter().skip(1).step_by(2).all(|&c| c == '.')
        }
    }
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
            ending: ending(text),
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

    /// A source sentence seen through its machine translation: the [`Features::lexical`]
    /// features of the translation and of the source itself (their multiset union: what both
    /// have counts once). Names, numbers and loanwords
    /// pass through translation unchanged, in the source's spelling where the translation may
    /// change them ("Basel" in both texts, "Bâle" in the translation), and a sentence whose
    /// translation failed or came back empty still has them. Source words that the target
    /// never uses (most German words against French) are left out when the features are
    /// weighed, so they cost nothing.
    pub fn translated(mt: &str, source: &str) -> Self {
        let bag = multiset_union(&Features::lexical(mt).bag, &Features::lexical(source).bag);
        // The length term compares the translation's length with the target's; a failed
        // translation's is unknown, and the source's is the best guess.
        Features::from_bag(bag, if mt.trim().is_empty() { source } else { mt })
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
            ending: ending(text),
        }
    }
}

/// The union of two sorted multisets: each element as often as in the one that has it more.
/// A name the translation kept unchanged is then one feature of the sentence, not two (a sum
/// would count it twice against the target's once, halving its coverage).
fn multiset_union(a: &[u64], b: &[u64]) -> Vec<u64> {
    let mut union = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                union.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                union.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                union.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    union.extend_from_slice(&a[i..]);
    union.extend_from_slice(&b[j..]);
    union
}

/// Walk two lists sorted by feature, calling `matched` on each pair of equal features, matched
/// one to one (the multiset intersection).
fn intersect<A, B>(
    a: &[A],
    b: &[B],
    key_a: impl Fn(&A) -> u64,
    key_b: impl Fn(&B) -> u64,
    mut matched: impl FnMut(&A, &B),
) {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match key_a(&a[i]).cmp(&key_b(&b[j])) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                matched(&a[i], &b[j]);
                i += 1;
                j += 1;
            }
        }
    }
}

/// Total weight of the multiset intersection of two bags sorted by feature.
fn shared_weight(a: &[(u64, f64)], b: &[(u64, f64)]) -> f64 {
    let mut shared = 0.0;
    intersect(a, b, |x| x.0, |y| y.0, |x, _| shared += x.1);
    shared
}

/// A sentence's features with their weights, sorted by feature.
#[derive(Debug, Clone, Default)]
struct Weighted {
    bag: Vec<(u64, f64)>,
    weight: f64,
    chars: usize,
    ending: Ending,
    /// How much this sentence shares with its nearest candidates (mean of the best few pair
    /// weights in the first pass's band): what any link of it gets for free, the baseline of
    /// the margin score.
    background: f64,
}

/// Weigh every feature by its inverse document frequency over the sentences of both sides.
/// Features that only one side ever uses are then left out of the bags: they can match
/// nothing, and would only weigh their sentences down (coverage is the share of a sentence's
/// weight that the other side matches; think of a German noun kept by [`Features::translated`]
/// or a cognate prefix without a counterpart). The scale of the scores, `unit`, still counts
/// every feature.
fn weigh(src: &[Features], tgt: &[Features]) -> (Vec<Weighted>, Vec<Weighted>, f64) {
    // Sentences using each feature, on each side.
    let mut df: rustc_hash::FxHashMap<u64, [u32; 2]> = rustc_hash::FxHashMap::default();
    for (side, features) in [src, tgt].into_iter().enumerate() {
        for f in features {
            let mut distinct = f.bag.clone();
            distinct.dedup();
            for h in distinct {
                df.entry(h).or_default()[side] += 1;
            }
        }
    }
    let documents = (src.len() + tgt.len()) as f64;
    let mut total = 0.0;
    let mut convert = |features: &[Features]| -> Vec<Weighted> {
        features
            .iter()
            .map(|f| {
                let mut bag = Vec::with_capacity(f.bag.len());
                for h in &f.bag {
                    let [in_src, in_tgt] = df[h];
                    let idf = (documents / f64::from(in_src + in_tgt)).ln();
                    total += idf;
                    if in_src > 0 && in_tgt > 0 {
                        bag.push((*h, idf));
                    }
                }
                Weighted {
                    weight: bag.iter().map(|x| x.1).sum(),
                    bag,
                    chars: f.chars,
                    ending: f.ending,
                    background: 0.0,
                }
            })
            .collect()
    };
    let (s, t) = (convert(src), convert(tgt));
    // Twice the weight of an average sentence: what a perfect 1-1 link shares, counted on both
    // sides. It is taken before the one-sided features are left out, which keeps the balance
    // between shared weight and the length and merge terms as it was chosen: scaled up, merges
    // pay more often (2-2 links in place of two 1-1 links across newstest2014, 0.970 strict F1
    // against 0.977).
    let unit = 2.0 * total / documents;
    (s, t, if unit > 0.0 { unit } else { 1.0 })
}

/// Features of a group of sentences: (feature, weight, which sentence of the group).
type GroupBag = Vec<(u64, f64, u8)>;

/// The features of consecutive sentences merged into one sorted list (by feature, then by
/// sentence), each tagged with its sentence's place in the group.
fn merge_group(side: &[Weighted]) -> GroupBag {
    let mut merged: GroupBag = Vec::new();
    for (origin, x) in side.iter().enumerate() {
        let tagged = x.bag.iter().map(|&(h, w)| (h, w, origin as u8));
        if merged.is_empty() {
            merged.extend(tagged);
            continue;
        }
        // A linear merge: earlier sentences first among equal features.
        let previous = std::mem::take(&mut merged);
        merged.reserve(previous.len() + x.bag.len());
        let mut tagged = tagged.peekable();
        for entry in previous {
            while let Some(next) = tagged.next_if(|next| next.0 < entry.0) {
                merged.push(next);
            }
            merged.push(entry);
        }
        merged.extend(tagged);
    }
    merged
}

/// The shared weight of two groups' merged features `s` and `t` (multisets, from
/// [`merge_group`] of `src` and `tgt`), and their coverage (see
/// [`AlignConfig::coverage_weight`]). Each shared feature is matched one to one, and credited
/// to the sentence of each side it came from.
fn matched(src: &[Weighted], s: &GroupBag, tgt: &[Weighted], t: &GroupBag) -> (f64, f64) {
    let mut covered_src = [0.0; MAX_GROUP];
    let mut covered_tgt = [0.0; MAX_GROUP];
    let mut shared = 0.0;
    intersect(
        s,
        t,
        |x| x.0,
        |y| y.0,
        |x, y| {
            shared += x.1;
            covered_src[x.2 as usize] += x.1;
            covered_tgt[y.2 as usize] += y.1;
        },
    );
    let coverage = |side: &[Weighted], covered: &[f64]| -> f64 {
        side.iter()
            .zip(covered)
            .map(|(x, c)| coverage_share(*c, x.weight))
            .sum()
    };
    (
        shared,
        coverage(src, &covered_src) + coverage(tgt, &covered_tgt),
    )
}

/// [`matched`] of two groups of sentences.
#[cfg(test)]
fn group_shared(src: &[Weighted], tgt: &[Weighted]) -> (f64, f64) {
    matched(src, &merge_group(src), tgt, &merge_group(tgt))
}

/// Merged groups of one side's sentences, by (end, length), kept while the search needs them.
#[derive(Default)]
struct GroupCache {
    groups: rustc_hash::FxHashMap<(usize, usize), std::rc::Rc<GroupBag>>,
}

impl GroupCache {
    /// The merged features of `side[end - len..end]`.
    fn get(&mut self, side: &[Weighted], end: usize, len: usize) -> std::rc::Rc<GroupBag> {
        self.groups
            .entry((end, len))
            .or_insert_with(|| std::rc::Rc::new(merge_group(&side[end - len..end])))
            .clone()
    }

    /// Drop the groups that end before `end`.
    fn forget_before(&mut self, end: usize) {
        self.groups.retain(|&(e, _), _| e >= end);
    }
}

/// The share of a sentence's feature weight `weight` that `covered` is, in [0, 1].
fn coverage_share(covered: f64, weight: f64) -> f64 {
    if weight > 0.0 {
        (covered / weight).min(1.0)
    } else {
        0.0
    }
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

/// Score of linking sentences `src` to sentences `tgt` (ranges of the documents), given the
/// shared feature weight of the two groups; `unit` is twice an average sentence's weight.
fn link_score(
    src: &[Weighted],
    tgt: &[Weighted],
    shared: f64,
    coverage: f64,
    unit: f64,
    config: &AlignConfig,
) -> f64 {
    if src.is_empty() || tgt.is_empty() {
        return config.skip_score;
    }
    // Margin (Bertalign, after Artetxe & Schwenk): what the link shares beyond what its
    // sentences share with their nearest candidates anyway.
    let background: f64 = src.iter().chain(tgt).map(|s| s.background).sum();
    let shared = shared - config.margin_weight * background / 2.0;
    let src_chars: usize = src.iter().map(|f| f.chars).sum();
    let tgt_chars: usize = tgt.iter().map(|f| f.chars).sum();
    let extra = (src.len() + tgt.len()).saturating_sub(2) as f64;
    // What joining each sentence to the next takes off the merge penalties.
    let join_bonus: f64 = src[..src.len() - 1]
        .iter()
        .chain(&tgt[..tgt.len() - 1])
        .map(|s| match s.ending {
            Ending::Closed => 0.0,
            Ending::Clause => config.clause_join_bonus,
            Ending::Initial => config.initial_join_bonus,
        })
        .sum();
    2.0 * shared / unit + config.length_weight * length_score(src_chars, tgt_chars)
        - config.merge_penalty * extra
        + join_bonus
        + config.coverage_weight * coverage
}

/// Link scores are rounded to multiples of 1/SCORE_GRID (see `search`).
const SCORE_GRID: f64 = (1u64 << 30) as f64;

/// Most dynamic-programming cells stored for one alignment (≈14 bytes each: the pair
/// similarity, the best score and the back pointer), unless the minimum band alone needs more.
const MAX_BAND_CELLS: usize = 40_000_000;

/// Documents longer than this (sentences, either side) are aligned coarse to fine: first as
/// blocks of sentences, then sentence by sentence inside a band around the block path.
const COARSE_ABOVE: usize = 3_000;

/// Sentences per block of the coarse pass: blocks number at most [`COARSE_ABOVE`] per side, so
/// the coarse pass itself searches a diagonal band.
fn block_size(n: usize, m: usize) -> usize {
    n.max(m).div_ceil(COARSE_ABOVE).max(2)
}

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

/// The cells searched: for each row i (source prefix length, 0..=n) the target prefix lengths
/// `lo[i]..=hi[i]`, stored one row after another.
struct Band {
    lo: Vec<usize>,
    /// Offset of row i's first cell; `at[n + 1]` is the number of cells.
    at: Vec<usize>,
}

impl Band {
    /// From per-row ranges; the rows are made monotone and overlapping so that a path from
    /// (0, 0) to (n, m) always exists.
    fn new(mut lo: Vec<usize>, mut hi: Vec<usize>, m: usize) -> Self {
        let n = lo.len() - 1;
        lo[0] = 0;
        hi[n] = m;
        for i in 1..=n {
            lo[i] = lo[i].max(lo[i - 1]).min(m);
        }
        for i in (0..n).rev() {
            hi[i] = hi[i].min(hi[i + 1]);
        }
        for i in 0..=n {
            hi[i] = hi[i].clamp(lo[i], m);
            // Each row reaches the next row's start: a step (1, 0) or a diagonal joins them.
            if i < n && hi[i] + 1 < lo[i + 1] {
                hi[i] = lo[i + 1] - 1;
            }
        }
        let mut at = Vec::with_capacity(n + 2);
        at.push(0);
        for i in 0..=n {
            at.push(at[i] + hi[i] + 1 - lo[i]);
        }
        Band { lo, at }
    }

    /// Around the diagonal j ≈ i·m/n, `band_width` either side.
    fn diagonal(n: usize, m: usize, config: &AlignConfig) -> Self {
        let band = band_width(n, m, config);
        let center = |i: usize| (i as f64 * m as f64 / n as f64).round() as usize;
        let lo = (0..=n).map(|i| center(i).saturating_sub(band)).collect();
        let hi = (0..=n).map(|i| (center(i) + band).min(m)).collect();
        Band::new(lo, hi, m)
    }

    /// Around a path of links between blocks of `k` sentences, `width` either side.
    fn around_blocks(n: usize, m: usize, blocks: &[Link], k: usize, width: usize) -> Self {
        let mut lo = vec![usize::MAX; n + 1];
        let mut hi = vec![0; n + 1];
        // Where each side stands after the links so far: an empty side sits there.
        let (mut s_at, mut t_at) = (0, 0);
        for link in blocks {
            let s0 = link.src.first().map_or(s_at, |&b| b * k).min(n);
            let s1 = link.src.last().map_or(s0, |&b| ((b + 1) * k).min(n));
            let t0 = link.tgt.first().map_or(t_at, |&b| b * k).min(m);
            let t1 = link.tgt.last().map_or(t0, |&b| ((b + 1) * k).min(m));
            (s_at, t_at) = (s1, t1);
            for i in s0..=s1 {
                lo[i] = lo[i].min(t0.saturating_sub(width));
                hi[i] = hi[i].max((t1 + width).min(m));
            }
        }
        for i in 0..=n {
            if lo[i] == usize::MAX {
                lo[i] = if i > 0 { lo[i - 1] } else { 0 };
                hi[i] = hi[i].max(lo[i]);
            }
        }
        Band::new(lo, hi, m)
    }

    /// Around a sentence-level path, `width` either side.
    fn around_links(n: usize, m: usize, links: &[Link], width: usize) -> Self {
        Band::around_blocks(n, m, links, 1, width)
    }

    fn cells(&self) -> usize {
        *self.at.last().expect("at least one row")
    }

    fn row(&self, i: usize) -> std::ops::RangeInclusive<usize> {
        self.lo[i]..=self.lo[i] + (self.at[i + 1] - self.at[i]) - 1
    }

    fn cell(&self, i: usize, j: usize) -> Option<usize> {
        let lo = self.lo[i];
        (j >= lo && self.at[i] + (j - lo) < self.at[i + 1]).then(|| self.at[i] + j - lo)
    }
}

/// Align sentences of a document with those of its translation: through `mt` (a machine
/// translation of each source sentence into the target language) when given, else by the
/// language-independent anchors (numbers, names, cognates) and lengths.
pub fn align_sentences(src: &[String], tgt: &[String], mt: Option<&[String]>) -> Vec<Link> {
    let (src_features, tgt_features): (Vec<Features>, Vec<Features>) = match mt {
        Some(mt) => (
            mt.iter()
                .zip(src)
                .map(|(t, s)| Features::translated(t, s))
                .collect(),
            tgt.iter().map(|s| Features::lexical(s)).collect(),
        ),
        None => (
            src.iter().map(|s| Features::anchors(s)).collect(),
            tgt.iter().map(|s| Features::anchors(s)).collect(),
        ),
    };
    let config = if mt.is_some() {
        AlignConfig::with_mt()
    } else {
        AlignConfig::without_mt()
    };
    align(&src_features, &tgt_features, &config)
}

/// Align `src` and `tgt` (already turned into features). Every sentence appears in exactly one
/// link; unaligned sentences get links with an empty side.
///
/// Time and memory are linear in the document length: only a band of cells is searched, around
/// the diagonal for documents up to [`COARSE_ABOVE`] sentences, and for longer ones around the
/// path found by first aligning blocks of sentences (Vecalign's coarse-to-fine search). Each
/// sentence pair of the band is compared once; a link of several sentences scores the sum of
/// its pairs' shared weights.
pub fn align(src: &[Features], tgt: &[Features], config: &AlignConfig) -> Vec<Link> {
    let (n, m) = (src.len(), tgt.len());
    if n == 0 || m == 0 {
        // The only alignment there is: certain.
        return (0..n)
            .map(|i| Link {
                src: vec![i],
                tgt: vec![],
                score: 1.0,
            })
            .chain((0..m).map(|j| Link {
                src: vec![],
                tgt: vec![j],
                score: 1.0,
            }))
            .collect();
    }
    let band = if n.max(m) > COARSE_ABOVE {
        let k = block_size(n, m);
        let blocks = |side: &[Features]| -> Vec<Features> {
            side.chunks(k)
                .map(|chunk| {
                    let bag = chunk.iter().flat_map(|f| f.bag.iter().copied()).collect();
                    let mut f = Features::from_bag(bag, "");
                    f.chars = chunk.iter().map(|f| f.chars).sum();
                    f
                })
                .collect()
        };
        let coarse = align(&blocks(src), &blocks(tgt), config);
        // A block link says where its sentences go to within its blocks; the band also takes
        // in a block either side, for boundaries the coarse pass put one block off.
        Band::around_blocks(n, m, &coarse, k, k + config.refine_band)
    } else {
        Band::diagonal(n, m, config)
    };
    let (mut src, mut tgt, unit) = weigh(src, tgt);
    // Two passes: a cheap one over the wide band finds the path to within a sentence or two;
    // the exact one searches a narrow band around it.
    let pair = pair_weights(&src, &tgt, &band);
    set_backgrounds(&mut src, &mut tgt, &band, &pair);
    let rough = search(&src, &tgt, unit, &band, &pair, config, false);
    drop(pair);
    let narrow = Band::around_links(n, m, &rough, config.refine_band);
    let pair = pair_weights(&src, &tgt, &narrow);
    search(&src, &tgt, unit, &narrow, &pair, config, true)
}

/// The best path through `band`.
/// Shared weight of source sentence i-1 and target sentence j-1, stored at cell (i, j) of
/// `band`.
fn pair_weights(src: &[Weighted], tgt: &[Weighted], band: &Band) -> Vec<f32> {
    let mut pair = vec![0f32; band.cells()];
    for i in 1..=src.len() {
        for j in band.row(i) {
            if j > 0 {
                let at = band.cell(i, j).expect("inside the band");
                pair[at] = shared_weight(&src[i - 1].bag, &tgt[j - 1].bag) as f32;
            }
        }
    }
    pair
}

/// Candidates averaged into a sentence's background.
const BACKGROUND_CANDIDATES: usize = 4;

/// Each sentence's background: the mean of its `BACKGROUND_CANDIDATES` best pair weights
/// among the pairs of `band`.
fn set_backgrounds(src: &mut [Weighted], tgt: &mut [Weighted], band: &Band, pair: &[f32]) {
    const K: usize = BACKGROUND_CANDIDATES;
    fn keep(best: &mut [f32; K], x: f32) {
        if x > best[K - 1] {
            best[K - 1] = x;
            best.sort_unstable_by(|a, b| b.total_cmp(a));
        }
    }
    let mut rows = vec![[0f32; K]; src.len()];
    let mut cols = vec![[0f32; K]; tgt.len()];
    for i in 1..=src.len() {
        for j in band.row(i) {
            if j > 0 {
                let x = pair[band.cell(i, j).expect("inside the band")];
                keep(&mut rows[i - 1], x);
                keep(&mut cols[j - 1], x);
            }
        }
    }
    let mean = |b: &[f32; K]| b.iter().map(|&x| x as f64).sum::<f64>() / K as f64;
    for (s, b) in src.iter_mut().zip(&rows) {
        s.background = mean(b);
    }
    for (t, b) in tgt.iter_mut().zip(&cols) {
        t.background = mean(b);
    }
}

/// The best path through `band`. With `exact`, a link of several sentences scores the shared
/// weight of their merged features; without, the sum of its sentence pairs' shared weights (an
/// overestimate for merges, cheap: the first pass, whose path only centres the exact pass).
fn search(
    src: &[Weighted],
    tgt: &[Weighted],
    unit: f64,
    band: &Band,
    pair: &[f32],
    config: &AlignConfig,
    exact: bool,
) -> Vec<Link> {
    let (n, m) = (src.len(), tgt.len());
    // The shared weight and coverage of sentences i-a..i and j-b..j: from their merged
    // features in the exact pass, else from the sums of their pairs in the band. Merged groups:
    // the rows advance through the source, and the band through the target, so each group is
    // merged once and kept only while the band can reach it.
    let src_groups = std::cell::RefCell::new(GroupCache::default());
    let tgt_groups = std::cell::RefCell::new(GroupCache::default());
    let group = |i: usize, j: usize, a: usize, b: usize| -> (f64, f64) {
        if a == 1 && b == 1 {
            let p = band.cell(i, j).map_or(0.0, |c| pair[c] as f64);
            return (
                p,
                coverage_share(p, src[i - 1].weight) + coverage_share(p, tgt[j - 1].weight),
            );
        }
        if exact {
            let s = src_groups.borrow_mut().get(src, i, a);
            let t = tgt_groups.borrow_mut().get(tgt, j, b);
            return matched(&src[i - a..i], &s, &tgt[j - b..j], &t);
        }
        let mut shared = 0.0;
        let mut row_sums = [0.0; MAX_GROUP];
        let mut col_sums = [0.0; MAX_GROUP];
        for (r, x) in (i + 1 - a..=i).enumerate() {
            for (c, y) in (j + 1 - b..=j).enumerate() {
                if let Some(cell) = band.cell(x, y) {
                    let p = pair[cell] as f64;
                    shared += p;
                    row_sums[r] += p;
                    col_sums[c] += p;
                }
            }
        }
        let coverage = (0..a)
            .map(|r| coverage_share(row_sums[r], src[i - a + r].weight))
            .chain((0..b).map(|c| coverage_share(col_sums[c], tgt[j - b + c].weight)))
            .sum();
        (shared, coverage)
    };
    // Scores on a grid of 2^-30: path sums are then exact, so a path and its mirror image
    // (sides swapped, terms added in another order) tie exactly instead of by rounding noise.
    let score_of = |i: usize, j: usize, a: usize, b: usize| -> f64 {
        let score = if a == 0 || b == 0 {
            config.skip_score
        } else {
            let (shared, coverage) = group(i, j, a, b);
            link_score(
                &src[i - a..i],
                &tgt[j - b..j],
                shared,
                coverage,
                unit,
                config,
            )
        };
        (score * SCORE_GRID).round() / SCORE_GRID
    };
    let t = config.temperature.max(1e-9);
    let logsumexp = |acc: f64, x: f64| {
        if acc == f64::NEG_INFINITY {
            x
        } else if x == f64::NEG_INFINITY {
            acc
        } else {
            acc.max(x) + (-(acc - x).abs()).exp().ln_1p()
        }
    };
    let types = LINK_TYPES.len();
    let mut best = vec![f64::NEG_INFINITY; band.cells()];
    let mut back = vec![(0u8, 0u8); band.cells()];
    // The exact pass also sums over paths (the forward half of forward–backward, in log
    // space) and keeps each link's score for the backward half.
    let mut forward = if exact {
        vec![f64::NEG_INFINITY; band.cells()]
    } else {
        Vec::new()
    };
    let mut scores = if exact {
        vec![f64::NAN; band.cells() * types]
    } else {
        Vec::new()
    };
    best[0] = 0.0;
    if exact {
        forward[0] = 0.0;
    }
    // The first pass, which only centres the exact one, tries the smaller shapes.
    let shapes = if exact {
        &LINK_TYPES[..]
    } else {
        &LINK_TYPES[..ROUGH_LINK_TYPES]
    };
    for i in 0..=n {
        if exact {
            src_groups.borrow_mut().forget_before(i);
            tgt_groups.borrow_mut().forget_before(band.lo[i]);
        }
        for j in band.row(i) {
            if i == 0 && j == 0 {
                continue;
            }
            let at = band.cell(i, j).expect("inside the band");
            let mut score = f64::NEG_INFINITY;
            let mut from = (0u8, 0u8);
            let mut sum = f64::NEG_INFINITY;
            for (k, &(a, b)) in shapes.iter().enumerate() {
                if a > i || b > j {
                    continue;
                }
                let Some(prev_at) = band.cell(i - a, j - b) else {
                    continue;
                };
                let prev = best[prev_at];
                if prev == f64::NEG_INFINITY {
                    continue;
                }
                let link = score_of(i, j, a, b);
                if exact {
                    scores[at * types + k] = link;
                    sum = logsumexp(sum, forward[prev_at] + link / t);
                }
                if prev + link > score {
                    score = prev + link;
                    from = (a as u8, b as u8);
                }
            }
            best[at] = score;
            back[at] = from;
            if exact {
                forward[at] = sum;
            }
        }
    }
    // The backward half: the probability of each link of the best path.
    let probability = if exact {
        let mut backward = vec![f64::NEG_INFINITY; band.cells()];
        if let Some(c) = band.cell(n, m) {
            backward[c] = 0.0;
        }
        for i in (0..=n).rev() {
            for j in band.row(i).rev() {
                if i == n && j == m {
                    continue;
                }
                let mut acc = f64::NEG_INFINITY;
                for (k, &(a, b)) in LINK_TYPES.iter().enumerate() {
                    if i + a > n || j + b > m {
                        continue;
                    }
                    if let Some(c) = band.cell(i + a, j + b) {
                        let link = scores[c * types + k];
                        if !link.is_nan() {
                            acc = logsumexp(acc, backward[c] + link / t);
                        }
                    }
                }
                backward[band.cell(i, j).expect("inside the band")] = acc;
            }
        }
        let total = band.cell(n, m).map_or(f64::NEG_INFINITY, |c| forward[c]);
        Some((forward, backward, total, t))
    } else {
        None
    };
    let link_probability = |i: usize, j: usize, a: usize, b: usize| -> f64 {
        let Some((forward, backward, total, t)) = &probability else {
            return score_of(i, j, a, b);
        };
        match (band.cell(i - a, j - b), band.cell(i, j)) {
            (Some(from), Some(to)) if total.is_finite() => {
                // The exact pass kept the link's score at its end cell: no group to merge again.
                let k = LINK_TYPES
                    .iter()
                    .position(|&shape| shape == (a, b))
                    .expect("a searched shape");
                (forward[from] + scores[to * types + k] / t + backward[to] - total)
                    .exp()
                    .clamp(0.0, 1.0)
            }
            _ => 0.0,
        }
    };
    // Backtrack from the corner.
    let mut links = Vec::new();
    let (mut i, mut j) = (n, m);
    while i > 0 || j > 0 {
        let (a, b) = band.cell(i, j).map_or((0, 0), |c| back[c]);
        let (a, b) = (a as usize, b as usize);
        if a == 0 && b == 0 {
            break; // unreachable corner (outside the band): should not happen
        }
        links.push(Link {
            src: (i - a..i).collect(),
            tgt: (j - b..j).collect(),
            score: link_probability(i, j, a, b),
        });
        i -= a;
        j -= b;
    }
    // Never lose a sentence, even if the band could not reach the origin.
    links.extend((0..j).rev().map(|j| Link {
        src: vec![],
        tgt: vec![j],
        score: 0.0,
    }));
    links.extend((0..i).rev().map(|i| Link {
        src: vec![i],
        tgt: vec![],
        score: 0.0,
    }));
    links.reverse();
    links
}

#[cfg(test)]
mod tests;
