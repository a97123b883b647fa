//! How much two groups of sentences have in common: features weighed by inverse document
//! frequency over both sides, the shared weight and coverage of two groups, the length term,
//! and the score of a candidate link; the pair weights of a band.

use super::band::Band;
use super::config::{AlignConfig, MAX_GROUP};
use super::features::{Ending, Features};

/// Walk two lists sorted by feature, calling `matched` on each pair of equal features, matched
/// one to one (the multiset intersection).
pub(super) fn intersect<A, B>(
    a: &[A],
    b: &[B],
    key_a: impl Fn(&A) -> u32,
    key_b: impl Fn(&B) -> u32,
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
pub(super) fn shared_weight(a: &[(u32, f64)], b: &[(u32, f64)]) -> f64 {
    let mut shared = 0.0;
    intersect(a, b, |x| x.0, |y| y.0, |x, _| shared += x.1);
    shared
}

/// Characters of evidence a length ratio must outweigh before it moves away from the prior (1:1
/// at the first pass, the document's ratio at the second): a short document's ratio says
/// little, and one sentence with no counterpart would otherwise become the ratio itself (one
/// source sentence against two target sentences, one of them a note: measured at 69/41, the
/// note and the sentence look like a perfect 1-2).
const LENGTH_PRIOR_CHARS: f64 = 200.0;

/// Target characters per source character, `t / s` shrunk toward 1 by [`LENGTH_PRIOR_CHARS`].
pub(super) fn shrunk_ratio(s: f64, t: f64) -> f64 {
    (t + LENGTH_PRIOR_CHARS) / (s + LENGTH_PRIOR_CHARS)
}

/// A sentence's features with their weights, sorted by feature. Features are numbered densely
/// for the document pair, in the order of their hashes (so that bags keep the order, and the
/// sums the values, they had as hashes): four bytes to compare instead of eight, and smaller
/// bags to walk, where the exact pass spends most of its time.
#[derive(Debug, Clone, Default)]
pub(super) struct Weighted {
    pub(super) bag: Vec<(u32, f64)>,
    pub(super) weight: f64,
    /// Length in characters, scaled so that the two sides' totals agree (each side by the
    /// square root of the document's length ratio, which keeps the scaling symmetric: swapping
    /// the sides swaps the lengths).
    pub(super) chars: f64,
    pub(super) ending: Ending,
}

/// Weigh every feature by its inverse document frequency over the sentences of both sides.
/// Features that only one side ever uses are then left out of the bags: they can match
/// nothing, and would only weigh their sentences down (coverage is the share of a sentence's
/// weight that the other side matches; think of a German noun kept by [`Features::translated`]
/// or a cognate prefix without a counterpart). The scale of the scores, `unit`, still counts
/// every feature.
pub(super) fn weigh(src: &[Features], tgt: &[Features]) -> (Vec<Weighted>, Vec<Weighted>, f64) {
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
    // Dense numbers for the features both sides use (the others are left out of the bags).
    let mut shared: Vec<u64> = (df.iter())
        .filter(|(_, [s, t])| *s > 0 && *t > 0)
        .map(|(h, _)| *h)
        .collect();
    shared.sort_unstable();
    assert!(
        shared.len() < 1 << (32 - ORIGIN_BITS),
        "more distinct features than a group's packed numbers hold"
    );
    let number: rustc_hash::FxHashMap<u64, u32> = (shared.iter().enumerate())
        .map(|(k, &h)| (h, k as u32))
        .collect();
    let documents = (src.len() + tgt.len()) as f64;
    // Gale-Church's length ratio of the language pair, measured on the document itself: target
    // characters per source character.
    let length = |side: &[Features]| side.iter().map(|f| f.chars).sum::<usize>() as f64;
    let ratio = shrunk_ratio(length(src), length(tgt));
    let mut total = 0.0;
    let mut convert = |features: &[Features], scale: f64| -> Vec<Weighted> {
        features
            .iter()
            .map(|f| {
                let mut bag = Vec::with_capacity(f.bag.len());
                for h in &f.bag {
                    let [in_src, in_tgt] = df[h];
                    let idf = (documents / f64::from(in_src + in_tgt)).ln();
                    total += idf;
                    if in_src > 0 && in_tgt > 0 {
                        bag.push((number[h], idf));
                    }
                }
                Weighted {
                    weight: bag.iter().map(|x| x.1).sum(),
                    bag,
                    chars: f.chars as f64 * scale,
                    ending: f.ending,
                }
            })
            .collect()
    };
    let (s, t) = (convert(src, ratio.sqrt()), convert(tgt, 1.0 / ratio.sqrt()));
    // Twice the weight of an average sentence: what a perfect 1-1 link shares, counted on both
    // sides. It is taken before the one-sided features are left out, which keeps the balance
    // between shared weight and the length and merge terms as it was chosen: scaled up, merges
    // pay more often (2-2 links in place of two 1-1 links across newstest2014, 0.970 strict F1
    // against 0.977).
    let unit = 2.0 * total / documents;
    (s, t, if unit > 0.0 { unit } else { 1.0 })
}

/// Features of a group of sentences: (feature, weight, which sentence of the group).
/// Features of a group of sentences: (feature number << [`ORIGIN_BITS`] | which sentence of
/// the group, weight).
pub(super) type GroupBag = Vec<(u32, f64)>;

/// Bits of a group entry that say which sentence of the group it came from.
pub(super) const ORIGIN_BITS: u32 = 3;
const _: () = assert!(MAX_GROUP <= 1 << ORIGIN_BITS);

/// The features of consecutive sentences merged into one sorted list (by feature, then by
/// sentence), each tagged with its sentence's place in the group.
pub(super) fn merge_group(side: &[Weighted]) -> GroupBag {
    let mut merged: GroupBag = Vec::new();
    for (origin, x) in side.iter().enumerate() {
        let tagged = x
            .bag
            .iter()
            .map(|&(h, w)| (h << ORIGIN_BITS | origin as u32, w));
        if merged.is_empty() {
            merged.extend(tagged);
            continue;
        }
        // A linear merge: earlier sentences first among equal features.
        let previous = std::mem::take(&mut merged);
        merged.reserve(previous.len() + x.bag.len());
        let mut tagged = tagged.peekable();
        for entry in previous {
            // Earlier sentences carry smaller origins: among equal features they come first.
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
pub(super) fn matched(
    src: &[Weighted],
    s: &GroupBag,
    tgt: &[Weighted],
    t: &GroupBag,
) -> (f64, f64) {
    let mut covered_src = [0.0; MAX_GROUP];
    let mut covered_tgt = [0.0; MAX_GROUP];
    let mut shared = 0.0;
    const ORIGIN: u32 = (1 << ORIGIN_BITS) - 1;
    intersect(
        s,
        t,
        |x| x.0 >> ORIGIN_BITS,
        |y| y.0 >> ORIGIN_BITS,
        |x, y| {
            shared += x.1;
            covered_src[(x.0 & ORIGIN) as usize] += x.1;
            covered_tgt[(y.0 & ORIGIN) as usize] += y.1;
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
pub(super) fn group_shared(src: &[Weighted], tgt: &[Weighted]) -> (f64, f64) {
    matched(src, &merge_group(src), tgt, &merge_group(tgt))
}

/// Merged groups of one side's sentences, by (end, length), kept while the search needs them:
/// the ends from `first` on, in order (the search only moves forward, so forgetting is a pop
/// from the front, not a walk over every group kept).
#[derive(Default)]
pub(super) struct GroupCache {
    first: usize,
    ends: std::collections::VecDeque<[Option<std::rc::Rc<GroupBag>>; MAX_GROUP]>,
}

impl GroupCache {
    /// The merged features of `side[end - len..end]`.
    pub(super) fn get(
        &mut self,
        side: &[Weighted],
        end: usize,
        len: usize,
    ) -> std::rc::Rc<GroupBag> {
        let merge = || std::rc::Rc::new(merge_group(&side[end - len..end]));
        if end < self.first {
            return merge(); // forgotten already: not kept again
        }
        let at = end - self.first;
        if self.ends.len() <= at {
            self.ends.resize(at + 1, Default::default());
        }
        self.ends[at][len - 1].get_or_insert_with(merge).clone()
    }

    /// Drop the groups that end before `end`.
    pub(super) fn forget_before(&mut self, end: usize) {
        let gone = end.saturating_sub(self.first).min(self.ends.len());
        self.ends.drain(..gone);
        self.first = self.first.max(end);
    }
}

/// The share of a sentence's feature weight `weight` that `covered` is, in [0, 1].
pub(super) fn coverage_share(covered: f64, weight: f64) -> f64 {
    if weight > 0.0 {
        (covered / weight).min(1.0)
    } else {
        0.0
    }
}

/// Gale-Church: how plausible the two lengths are for translations of each other, in (0, 1].
pub(super) fn length_score(src_chars: f64, tgt_chars: f64) -> f64 {
    let (ls, lt) = (src_chars, tgt_chars);
    if ls + lt == 0.0 {
        return 1.0;
    }
    let mean = (ls + lt / 1.0) / 2.0;
    let delta = (lt - ls) / (6.8 * mean.max(1.0)).sqrt();
    (-delta * delta / 2.0).exp()
}

/// Score of linking sentences `src` to sentences `tgt` (ranges of the documents), given the
/// shared feature weight of the two groups; `unit` is twice an average sentence's weight.
pub(super) fn link_score(
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
    let src_chars: f64 = src.iter().map(|f| f.chars).sum();
    let tgt_chars: f64 = tgt.iter().map(|f| f.chars).sum();
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

/// Shared weight of source sentence i-1 and target sentence j-1, stored at cell (i, j) of
/// `band`; rows in parallel over rayon's threads (each cell is independent of the others).
pub(super) fn pair_weights(src: &[Weighted], tgt: &[Weighted], band: &Band) -> Vec<f32> {
    use rayon::prelude::*;
    let mut pair = vec![0f32; band.cells()];
    let chunks = band.row_chunks(&mut pair, 1);
    chunks.into_par_iter().for_each(|(rows, out)| {
        let base = band.row_start(rows.start);
        for i in rows.filter(|&i| i > 0) {
            for j in band.row(i).filter(|&j| j > 0) {
                let at = band.cell(i, j).expect("inside the band") - base;
                out[at] = shared_weight(&src[i - 1].bag, &tgt[j - 1].bag) as f32;
            }
        }
    });
    pair
}
