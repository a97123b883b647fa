//! chrF (Popović, 2015) and chrF++ (Popović, 2017) as sacreBLEU computes them: character n-grams
//! of the line with whitespace removed, optional word n-grams with punctuation split off word
//! edges, best reference by f-score, and either effective-order averaging (sacreBLEU's default)
//! or epsilon smoothing (chrF++.py's).

use rustc_hash::FxHashMap;

use super::metric::{Metric, Score};
use super::ngrams::{self, Clipper, NgramTable, SegmentVocab};
use super::pytext;
use super::real::Real;
use super::signature::Signature;

/// chrF configuration; defaults are sacreBLEU's (chrF2, char order 6, no word n-grams).
#[derive(Debug, Clone, PartialEq)]
pub struct Chrf {
    pub char_order: usize,
    /// 0 for chrF, 2 for chrF++.
    pub word_order: usize,
    pub beta: u32,
    pub lowercase: bool,
    /// Keep whitespace inside character n-grams.
    pub whitespace: bool,
    /// chrF++.py's epsilon smoothing instead of effective-order averaging.
    pub eps_smoothing: bool,
}

impl Default for Chrf {
    fn default() -> Self {
        Chrf {
            char_order: 6,
            word_order: 0,
            beta: 2,
            lowercase: false,
            whitespace: false,
            eps_smoothing: false,
        }
    }
}

/// One reference's n-gram counts: char orders 1..=char_order, then word orders.
type NgramCounts = Vec<FxHashMap<String, u32>>;

/// The references of one segment: packed n-gram counts when the orders allow (see
/// [`ngrams`]), string-keyed counts otherwise.
pub struct ChrfRefs {
    refs: Vec<NgramCounts>,
    packed: Option<PackedRefs>,
}

struct PackedRefs {
    vocab: SegmentVocab,
    refs: Vec<PackedRef>,
}

/// One reference: an n-gram table per order (char orders, then word orders).
struct PackedRef {
    tables: Vec<NgramTable>,
}

const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

impl Chrf {
    fn order(&self) -> usize {
        self.char_order + self.word_order
    }

    fn preprocess<'a>(&self, line: &'a str) -> std::borrow::Cow<'a, str> {
        if self.lowercase {
            pytext::lower(line).into()
        } else {
            line.into()
        }
    }

    /// sacreBLEU's `_remove_punctuation`: one punctuation mark split off the end of a word, or
    /// else off its start.
    fn words(line: &str) -> Vec<&str> {
        let mut words = Vec::new();
        for w in pytext::split(line) {
            let mut chars = w.chars();
            let first = chars.next().expect("split yields non-empty words");
            let Some(last) = chars.next_back() else {
                words.push(w);
                continue;
            };
            if PUNCTUATION.contains(last) {
                let cut = w.len() - last.len_utf8();
                words.push(&w[..cut]);
                words.push(&w[cut..]);
            } else if PUNCTUATION.contains(first) {
                let cut = first.len_utf8();
                words.push(&w[..cut]);
                words.push(&w[cut..]);
            } else {
                words.push(w);
            }
        }
        words
    }

    /// The text character n-grams are cut from: the line without whitespace, or as is.
    fn char_text<'a>(&self, line: &'a str) -> std::borrow::Cow<'a, str> {
        if self.whitespace {
            line.into()
        } else {
            line.chars()
                .filter(|&c| !pytext::is_space(c))
                .collect::<String>()
                .into()
        }
    }

    /// Every character n-gram of `text` as `(order index, slice)`, orders 1..=char_order.
    fn char_ngrams<'a>(&self, text: &'a str) -> impl Iterator<Item = (usize, &'a str)> + 'a {
        let bounds: Vec<usize> = text
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(text.len()))
            .collect();
        let n_chars = bounds.len() - 1;
        (1..=self.char_order).flat_map(move |n| {
            let bounds = bounds.clone();
            (0..(n_chars + 1).saturating_sub(n))
                .map(move |i| (n - 1, &text[bounds[i]..bounds[i + n]]))
        })
    }

    /// Every word n-gram (words joined by one space) as `(order index, n-gram)`.
    fn word_ngrams(&self, line: &str) -> Vec<(usize, String)> {
        if self.word_order == 0 {
            return Vec::new();
        }
        let words = Chrf::words(line);
        (1..=self.word_order)
            .flat_map(|n| {
                words
                    .windows(n)
                    .map(move |gram| (self.char_order + n - 1, gram.join(" ")))
            })
            .collect()
    }

    fn count(&self, line: &str) -> NgramCounts {
        let mut counts: NgramCounts = vec![FxHashMap::default(); self.order()];
        let text = self.char_text(line);
        for (k, gram) in self.char_ngrams(&text) {
            if let Some(c) = counts[k].get_mut(gram) {
                *c += 1;
            } else {
                counts[k].insert(gram.to_string(), 1);
            }
        }
        for (k, gram) in self.word_ngrams(line) {
            *counts[k].entry(gram).or_insert(0) += 1;
        }
        counts
    }

    /// sacreBLEU's `_compute_f_score` on `[hyp, ref, match]` triples.
    pub fn f_score(&self, stats: &[f64]) -> f64 {
        self.f_score_in(stats)
    }

    /// [`Chrf::f_score`] in the arithmetic of `R`, with sacreBLEU's order of operations.
    fn f_score_in<R: Real>(&self, stats: &[R]) -> R {
        let eps = R::lit(1e-16);
        let mut score = R::lit(0.0);
        let mut effective_order = 0;
        let factor = R::lit(f64::from(self.beta * self.beta));
        let (mut avg_prec, mut avg_rec) = (R::lit(0.0), R::lit(0.0));
        for i in 0..self.order() {
            let (n_hyp, n_ref, n_match) = (stats[3 * i], stats[3 * i + 1], stats[3 * i + 2]);
            let prec = if n_hyp.value() > 0.0 {
                n_match / n_hyp
            } else {
                eps
            };
            let rec = if n_ref.value() > 0.0 {
                n_match / n_ref
            } else {
                eps
            };
            let denom = factor * prec + rec;
            score = score
                + if denom.value() > 0.0 {
                    (R::lit(1.0) + factor) * prec * rec / denom
                } else {
                    eps
                };
            if n_hyp.value() > 0.0 && n_ref.value() > 0.0 {
                avg_prec = avg_prec + prec;
                avg_rec = avg_rec + rec;
                effective_order += 1;
            }
        }
        if self.eps_smoothing {
            return R::lit(100.0) * score / R::lit(self.order() as f64);
        }
        if effective_order == 0 {
            avg_prec = R::lit(0.0);
            avg_rec = R::lit(0.0);
        } else {
            avg_prec = avg_prec / R::lit(f64::from(effective_order));
            avg_rec = avg_rec / R::lit(f64::from(effective_order));
        }
        if (avg_prec + avg_rec).value() != 0.0 {
            let mut score = (R::lit(1.0) + factor) * avg_prec * avg_rec;
            score = score / ((factor * avg_prec) + avg_rec);
            R::lit(100.0) * score
        } else {
            R::lit(0.0)
        }
    }
}

impl Chrf {
    fn packable(&self) -> bool {
        self.char_order <= ngrams::MAX_PACKED_CHARS && self.word_order <= ngrams::MAX_PACKED_WORDS
    }

    /// Packed keys of every n-gram, per order; `word_code` maps a word (0: unknown).
    fn packed_keys(&self, line: &str, word_code: impl FnMut(&str) -> u128) -> Vec<Vec<u128>> {
        let codes = if self.whitespace {
            ngrams::char_codes(line.chars())
        } else {
            ngrams::char_codes(line.chars().filter(|&c| !pytext::is_space(c)))
        };
        let mut keys = Vec::with_capacity(self.order());
        ngrams::for_each_order(&codes, ngrams::CHAR_BITS, self.char_order, |_, k| {
            keys.push(k.to_vec())
        });
        if self.word_order > 0 {
            let words: Vec<u128> = Chrf::words(line).into_iter().map(word_code).collect();
            ngrams::for_each_order(&words, ngrams::WORD_BITS, self.word_order, |_, k| {
                keys.push(k.to_vec())
            });
        }
        keys
    }

    fn packed_segment_stats(&self, hyp: &str, refs: &PackedRefs, out: &mut Vec<f64>) {
        let hyp = self.preprocess(hyp);
        let hyp_keys = self.packed_keys(&hyp, |w| refs.vocab.code(w));
        let mut clipper = Clipper::default();
        let mut best: Option<(f64, Vec<f64>)> = None;
        let mut stats = Vec::with_capacity(3 * self.order());
        for reference in &refs.refs {
            stats.clear();
            for (table, keys) in reference.tables.iter().zip(&hyp_keys) {
                // Every window counts for the hypothesis total, unknown words included.
                let hyp_total = if table.is_empty() { 0 } else { keys.len() };
                stats.push(hyp_total as f64);
                stats.push(table.total() as f64);
                stats.push(clipper.matches(table, keys) as f64);
            }
            let f = self.f_score(&stats);
            if best.as_ref().is_none_or(|(bf, _)| f > *bf) {
                best = Some((f, stats.clone()));
            }
        }
        match best {
            Some((_, stats)) => out.extend(stats),
            None => out.extend(std::iter::repeat_n(0.0, 3 * self.order())),
        }
    }

    fn general_segment_stats(&self, hyp: &str, refs: &ChrfRefs, out: &mut Vec<f64>) {
        let hyp = self.preprocess(hyp);
        let order = self.order();
        // Hypothesis n-grams counted once, borrowing from these two buffers.
        let text = self.char_text(&hyp);
        let words = self.word_ngrams(&hyp);
        let mut hyp_counts: Vec<FxHashMap<&str, u32>> = vec![FxHashMap::default(); order];
        let grams = self
            .char_ngrams(&text)
            .chain(words.iter().map(|(k, g)| (*k, g.as_str())));
        for (k, gram) in grams {
            *hyp_counts[k].entry(gram).or_insert(0) += 1;
        }

        let mut best: Option<(f64, Vec<f64>)> = None;
        let mut stats = Vec::with_capacity(3 * order);
        for reference in &refs.refs {
            stats.clear();
            for (h, r) in hyp_counts.iter().zip(reference) {
                let (mut matched, mut hyp_total) = (0u64, 0u64);
                for (gram, &count) in h {
                    hyp_total += u64::from(count);
                    if let Some(&rc) = r.get(*gram) {
                        matched += u64::from(count.min(rc));
                    }
                }
                let ref_total: u64 = r.values().map(|&c| u64::from(c)).sum();
                stats.push(if r.is_empty() { 0.0 } else { hyp_total as f64 });
                stats.push(ref_total as f64);
                stats.push(matched as f64);
            }
            let f = self.f_score(&stats);
            if best.as_ref().is_none_or(|(bf, _)| f > *bf) {
                best = Some((f, stats.clone()));
            }
        }
        match best {
            Some((_, stats)) => out.extend(stats),
            None => out.extend(std::iter::repeat_n(0.0, 3 * order)),
        }
    }
}

impl Metric for Chrf {
    type Prepared = ChrfRefs;

    fn num_stats(&self) -> usize {
        3 * self.order()
    }

    fn prepare(&self, refs: &[&str]) -> ChrfRefs {
        let lines: Vec<_> = refs.iter().map(|r| self.preprocess(r)).collect();
        if self.packable() {
            let mut vocab = SegmentVocab::default();
            let refs = lines
                .iter()
                .map(|line| PackedRef {
                    tables: self
                        .packed_keys(line, |w| vocab.intern(w))
                        .iter()
                        .map(|keys| NgramTable::from_keys(keys))
                        .collect(),
                })
                .collect();
            return ChrfRefs {
                refs: Vec::new(),
                packed: Some(PackedRefs { vocab, refs }),
            };
        }
        ChrfRefs {
            refs: lines.iter().map(|r| self.count(r)).collect(),
            packed: None,
        }
    }

    fn segment_stats(&self, hyp: &str, refs: &ChrfRefs, out: &mut Vec<f64>) {
        match &refs.packed {
            Some(packed) => self.packed_segment_stats(hyp, packed, out),
            None => self.general_segment_stats(hyp, refs, out),
        }
    }

    fn score_of<R: Real>(&self, stats: &[R]) -> R {
        self.f_score_in(stats)
    }

    fn compute(&self, stats: &[f64]) -> Score {
        Score {
            name: format!("chrF{}{}", self.beta, "+".repeat(self.word_order)),
            score: self.f_score(stats),
            verbose: None,
        }
    }

    fn signature(&self, nrefs: usize) -> Signature {
        let mut sig = Signature::new(nrefs);
        sig.set("case", "c", if self.lowercase { "lc" } else { "mixed" });
        sig.set("eff", "e", if self.eps_smoothing { "no" } else { "yes" });
        sig.set("nc", "nc", self.char_order.to_string());
        sig.set("nw", "nw", self.word_order.to_string());
        sig.set("space", "s", if self.whitespace { "yes" } else { "no" });
        sig
    }
}
