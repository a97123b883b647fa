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
//!
//! The rooms: `features` turns sentences into bags of features; `similarity` weighs them
//! and scores a candidate link; `band` chooses the cells the search may visit; `search`
//! runs the dynamic programme over them; `ladder` reads the best path back and gives each of
//! its links its probability; [`config`] holds the settings. Nothing here translates: the
//! machine translation, when there is one, comes in as text.

mod band;
pub mod config;
pub mod eval;
mod features;
mod ladder;
pub mod learned;
pub mod lexicon;
mod link;
mod search;
mod similarity;

pub use config::{AlignConfig, Decoding, LINK_TYPES};
pub use features::Features;
pub use lexicon::{Lexicon, LexiconError};
pub use link::{Link, DEFAULT_MIN_SCORE};

use band::{block_size, Band, COARSE_ABOVE};
use ladder::best_ladder;
use similarity::{pair_weights, weigh};

/// Align sentences of a document with those of its translation: through `mt` (a machine
/// translation of each source sentence into the target language) when given, else by the
/// language-independent anchors (numbers, names, cognates) and lengths.
pub fn align_sentences(src: &[String], tgt: &[String], mt: Option<&[String]>) -> Vec<Link> {
    align_sentences_with(src, tgt, mt, None).0
}

/// How a lexicon was used for a pair of documents.
#[derive(Debug, Clone, PartialEq)]
pub struct LexiconUse {
    /// Whether its words went in as evidence (enough of the documents' words are headwords).
    pub used: bool,
    /// Whether it applied target → source (a dictionary of the other direction).
    pub reversed: bool,
    /// The share of the words it applied to (3+ letters) that are headwords.
    pub coverage: f64,
}

impl LexiconUse {
    /// One line for the user.
    pub fn describe(&self, entries: usize) -> String {
        let direction = if self.reversed {
            "target → source"
        } else {
            "source → target"
        };
        if self.used {
            format!(
                "lexicon: {entries} entries, {direction}, covering {:.0}% of the words",
                100.0 * self.coverage
            )
        } else {
            format!(
                "lexicon not used: its headwords cover {:.1}% of the documents' words (under \
                 {:.0}%): is it for this language pair?",
                100.0 * self.coverage,
                100.0 * lexicon::MIN_COVERAGE
            )
        }
    }
}

/// Documents up to this many sentences a side are realigned by default ([`align_documents`]):
/// realignment helped on every held-out set, but costs a second pass and the counting of word
/// pairs (99,099 × 99,099 sentences: 11 s → 65 s), which long corpora should ask for.
pub const REALIGN_UP_TO: usize = 10_000;

/// Align documents as `entente align`, the pipeline, the server and the binding all do:
/// with `lexicon` when given, realigned with the learned word pairs when `realign` says so, or
/// by default when neither side has more than [`REALIGN_UP_TO`] sentences. Returns the links,
/// how the lexicon was used, and whether the documents were realigned.
pub fn align_documents(
    src: &[String],
    tgt: &[String],
    mt: Option<&[String]>,
    lexicon: Option<&Lexicon>,
    realign: Option<bool>,
) -> (Vec<Link>, Option<LexiconUse>, bool) {
    let realign = realign.unwrap_or(src.len().max(tgt.len()) <= REALIGN_UP_TO);
    let (links, usage) = align_configured(src, tgt, mt, lexicon, realign, &config_for(mt));
    (links, usage, realign)
}

/// [`align_sentences_with`], then again with the word pairs its confident links teach
/// ([`learned`]) added to the lexicon (hunalign's `-realign`). Returns the second alignment.
pub fn align_and_realign(
    src: &[String],
    tgt: &[String],
    mt: Option<&[String]>,
    lexicon: Option<&Lexicon>,
) -> (Vec<Link>, Option<LexiconUse>) {
    align_configured(src, tgt, mt, lexicon, true, &config_for(mt))
}

/// [`align_sentences`] with a bilingual `lexicon` as evidence beside the rest (see
/// [`lexicon`]): applied in the direction whose headwords cover more of the documents, not at
/// all where they cover almost nothing (said in the [`LexiconUse`]).
pub fn align_sentences_with(
    src: &[String],
    tgt: &[String],
    mt: Option<&[String]>,
    lexicon: Option<&Lexicon>,
) -> (Vec<Link>, Option<LexiconUse>) {
    align_configured(src, tgt, mt, lexicon, false, &config_for(mt))
}

/// [`align_sentences_with`], or with `realign` [`align_and_realign`], under any `config` (the
/// evaluation's grids; the others use the one setting).
pub fn align_configured(
    src: &[String],
    tgt: &[String],
    mt: Option<&[String]>,
    lexicon: Option<&Lexicon>,
    realign: bool,
    config: &AlignConfig,
) -> (Vec<Link>, Option<LexiconUse>) {
    // The features before any lexicon, computed once for both passes (kept for the second).
    let base = base_features(src, tgt, mt);
    let second_base = realign.then(|| base.clone());
    let (mut src_features, mut tgt_features) = base;
    let usage = lexicon.map(|l| add_lexicon(l, [src, tgt], [&mut src_features, &mut tgt_features]));
    let first = align(&src_features, &tgt_features, config);
    let Some((mut src_features, mut tgt_features)) = second_base else {
        return (first, usage);
    };
    let taught = learned::learn(src, tgt, &first);
    if taught.entries() == 0 {
        return (first, usage);
    }
    // The learned pairs run source → target: added to a dictionary applied the other way
    // round, they are turned round too.
    let combined = match (lexicon, &usage) {
        (Some(l), Some(u)) if u.used && u.reversed => l.merged(&taught.reversed()),
        (Some(l), Some(u)) if u.used => l.merged(&taught),
        _ => taught,
    };
    add_lexicon(
        &combined,
        [src, tgt],
        [&mut src_features, &mut tgt_features],
    );
    (align(&src_features, &tgt_features, config), usage)
}

/// The sentences' features before any lexicon: the MT's and the source's words against the
/// target's with MT, language-independent anchors without.
fn base_features(
    src: &[String],
    tgt: &[String],
    mt: Option<&[String]>,
) -> (Vec<Features>, Vec<Features>) {
    match mt {
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
    }
}

fn config_for(mt: Option<&[String]>) -> AlignConfig {
    if mt.is_some() {
        AlignConfig::with_mt()
    } else {
        AlignConfig::without_mt()
    }
}

/// `lexicon`'s features added to both sides, in the direction whose headwords cover more of
/// the documents, if they cover enough of them.
fn add_lexicon(
    lexicon: &Lexicon,
    [src, tgt]: [&[String]; 2],
    [src_features, tgt_features]: [&mut Vec<Features>; 2],
) -> LexiconUse {
    let (forward, backward) = (lexicon.coverage(src), lexicon.coverage(tgt));
    let reversed = backward > forward;
    let coverage = forward.max(backward);
    let used = coverage >= lexicon::MIN_COVERAGE;
    if used {
        let (from, to, feats_from, feats_to) = if reversed {
            (tgt, src, tgt_features, src_features)
        } else {
            (src, tgt, src_features, tgt_features)
        };
        for (f, text) in feats_from.iter_mut().zip(from) {
            f.bag.extend(lexicon.source_features(text));
            f.bag.sort_unstable();
        }
        for (f, text) in feats_to.iter_mut().zip(to) {
            f.bag.extend(lexicon.target_features(text));
            f.bag.sort_unstable();
        }
    }
    LexiconUse {
        used,
        reversed,
        coverage,
    }
}

/// Align `src` and `tgt` (already turned into features). Every sentence appears in exactly one
/// link; unaligned sentences get links with an empty side.
///
/// Time and memory are linear in the document length: only a band of cells is searched, around
/// the diagonal for documents up to `COARSE_ABOVE` sentences, and for longer ones around the
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
    let band = search_band(src, tgt, config);
    let (src, tgt, unit, rough) = weighed(src, tgt, &band, config);
    let narrow = Band::around_links(n, m, &rough, config.refine_band);
    let pair = pair_weights(&src, &tgt, &narrow);
    best_ladder(&src, &tgt, unit, &narrow, &pair, config, true)
}

/// The band the first pass searches: around the diagonal, or for documents of more than
/// [`COARSE_ABOVE`] sentences around the path of their blocks of sentences (Vecalign's
/// coarse-to-fine search).
fn search_band(src: &[Features], tgt: &[Features], config: &AlignConfig) -> Band {
    let (n, m) = (src.len(), tgt.len());
    if n.max(m) <= COARSE_ABOVE {
        return Band::diagonal(n, m, config);
    }
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
    let (src_blocks, tgt_blocks) = (blocks(src), blocks(tgt));
    // The block path is the first pass's (links of up to two blocks a side, scored by the sums
    // of their pairs), not the exact pass's: merged groups of blocks (hundreds of features
    // each) cost more than the whole fine pass (2.9 s of 15 at 99,000 sentences a side), and
    // the band takes in a block either side of the path anyway.
    let coarse_band = search_band(&src_blocks, &tgt_blocks, config);
    let coarse = weighed(&src_blocks, &tgt_blocks, &coarse_band, config).3;
    // A block link says where its sentences go to within its blocks; the band also takes in a
    // block either side, for boundaries the coarse pass put one block off.
    Band::around_blocks(n, m, &coarse, k, k + config.refine_band)
}

/// The sentences weighed, their lengths scaled by the length ratio measured on the links of a
/// first, cheap pass over `band` (links of up to two sentences a side, scored by the sum of
/// their pairs), and that pass's ladder.
fn weighed(
    src: &[Features],
    tgt: &[Features],
    band: &Band,
    config: &AlignConfig,
) -> (
    Vec<similarity::Weighted>,
    Vec<similarity::Weighted>,
    f64,
    Vec<Link>,
) {
    let (mut src, mut tgt, unit) = weigh(src, tgt);
    let pair = pair_weights(&src, &tgt, band);
    let rough = best_ladder(&src, &tgt, unit, band, &pair, config, false);
    refine_length_ratio(&mut src, &mut tgt, &rough);
    (src, tgt, unit, rough)
}

/// Re-measure the length ratio on the sentences the first pass linked (the whole document's
/// ratio also counts sentences with no counterpart: captions, notes, what one side left out),
/// and rescale both sides' lengths by it, symmetrically.
fn refine_length_ratio(
    src: &mut [similarity::Weighted],
    tgt: &mut [similarity::Weighted],
    links: &[Link],
) {
    let (mut s, mut t) = (0.0, 0.0);
    for l in links
        .iter()
        .filter(|l| !l.src.is_empty() && !l.tgt.is_empty())
    {
        s += l.src.iter().map(|&i| src[i].chars).sum::<f64>();
        t += l.tgt.iter().map(|&j| tgt[j].chars).sum::<f64>();
    }
    if s > 0.0 && t > 0.0 {
        // The lengths are already at the first pass's ratio, so the prior here is that ratio.
        let scale = similarity::shrunk_ratio(s, t).sqrt();
        for x in src.iter_mut() {
            x.chars *= scale;
        }
        for y in tgt.iter_mut() {
            y.chars /= scale;
        }
    }
}

#[cfg(test)]
mod tests;
