//! BLEU (Papineni et al., 2002) exactly as sacreBLEU computes it: closest reference length,
//! clipped n-gram counts with the maximum count over references, smoothing methods of Chen &
//! Cherry (2014), and effective order for sentence-level scores.

use std::fmt;
use std::str::FromStr;

use rustc_hash::FxHashMap;

use super::metric::{Metric, Score};
use super::ngrams::{self, Clipper, NgramTable, SegmentVocab};
use super::pytext;
use super::real::Real;
use super::signature::Signature;
use super::tokenizers::Tokenizer;

/// How zero n-gram matches are smoothed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Smoothing {
    /// NIST smoothing (mteval-v13a): each zero precision becomes 1 / (2^k · total).
    #[default]
    Exp,
    /// Zero counts become `value` (default 0.1).
    Floor,
    /// Add `value` (default 1) to counts and totals of orders 2 and up.
    AddK,
    /// No smoothing.
    None,
}

impl Smoothing {
    pub const NAMES: [&'static str; 4] = ["exp", "floor", "add-k", "none"];

    /// sacreBLEU's `SMOOTH_DEFAULTS`.
    pub fn default_value(self) -> Option<f64> {
        match self {
            Smoothing::Floor => Some(0.1),
            Smoothing::AddK => Some(1.0),
            Smoothing::Exp | Smoothing::None => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Smoothing::Exp => "exp",
            Smoothing::Floor => "floor",
            Smoothing::AddK => "add-k",
            Smoothing::None => "none",
        }
    }
}

impl fmt::Display for Smoothing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Smoothing {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "exp" => Smoothing::Exp,
            "floor" => Smoothing::Floor,
            "add-k" => Smoothing::AddK,
            "none" => Smoothing::None,
            other => {
                return Err(format!(
                    "unknown smoothing {other:?} (choose from {})",
                    Smoothing::NAMES.join(", ")
                ))
            }
        })
    }
}

/// BLEU configuration; defaults are sacreBLEU's.
#[derive(Debug, Clone, PartialEq)]
pub struct Bleu {
    pub lowercase: bool,
    pub tokenizer: Tokenizer,
    pub smoothing: Smoothing,
    /// Value for `floor` / `add-k`; `None` uses the method's default.
    pub smooth_value: Option<f64>,
    pub max_ngram_order: usize,
    /// Leave out n-gram orders with no hypothesis n-grams (sentence-level BLEU).
    pub effective_order: bool,
}

impl Default for Bleu {
    fn default() -> Self {
        Bleu {
            lowercase: false,
            tokenizer: Tokenizer::default(),
            smoothing: Smoothing::Exp,
            smooth_value: None,
            max_ngram_order: 4,
            effective_order: false,
        }
    }
}

/// One segment's references, tokenized, with packed n-gram counts when the order allows.
pub struct BleuRefs {
    tokenized: Vec<String>,
    packed: Option<PackedRefs>,
}

/// Maximum count over references of each n-gram, per order, packed (see [`ngrams`]).
struct PackedRefs {
    vocab: SegmentVocab,
    tables: Vec<NgramTable>,
    lens: Vec<usize>,
}

impl Bleu {
    fn preprocess(&self, line: &str) -> String {
        if self.lowercase {
            self.tokenizer
                .tokenize(pytext::rstrip(&pytext::lower(line)))
        } else {
            self.tokenizer.tokenize(pytext::rstrip(line))
        }
    }

    /// BLEU from sufficient statistics `[sys_len, ref_len, correct.., total..]`
    /// (sacreBLEU's `compute_bleu`), with the precisions and brevity penalty.
    pub fn compute_details(&self, stats: &[f64]) -> BleuDetails {
        self.details(stats)
    }

    /// [`Bleu::compute_details`] in the arithmetic of `R`: sacreBLEU computes precisions of
    /// bootstrap resamples from `float32` statistics.
    pub fn details<R: Real>(&self, stats: &[R]) -> BleuDetails {
        let order = self.max_ngram_order;
        // sacreBLEU takes `int()` of both lengths.
        let (sys_len, ref_len) = (stats[0].value().trunc(), stats[1].value().trunc());
        let mut correct = stats[2..2 + order].to_vec();
        let mut total = stats[2 + order..2 + 2 * order].to_vec();
        let smooth_value = self.smooth_value.or(self.smoothing.default_value());
        let values = |v: &[R]| v.iter().map(|x| x.value()).collect::<Vec<f64>>();

        let mut bp = 1.0;
        if sys_len < ref_len {
            bp = if sys_len > 0.0 {
                (1.0 - ref_len / sys_len).exp()
            } else {
                0.0
            };
        }
        let mut precisions = vec![R::lit(0.0); order];
        let mut details = BleuDetails {
            score: 0.0,
            counts: values(&correct),
            totals: values(&total),
            precisions: vec![0.0; order],
            bp,
            sys_len,
            ref_len,
        };
        if correct.iter().all(|c| c.value() == 0.0) {
            return details;
        }
        let mut smooth_mteval = 1.0;
        let mut eff_order = order;
        for n in 1..=order {
            if self.smoothing == Smoothing::AddK && n > 1 {
                let k = R::lit(smooth_value.unwrap_or(1.0));
                correct[n - 1] = correct[n - 1] + k;
                total[n - 1] = total[n - 1] + k;
            }
            if total[n - 1].value() == 0.0 {
                break;
            }
            if self.effective_order {
                eff_order = n;
            }
            if correct[n - 1].value() == 0.0 {
                match self.smoothing {
                    Smoothing::Exp => {
                        smooth_mteval *= 2.0;
                        precisions[n - 1] = R::lit(100.0) / (R::lit(smooth_mteval) * total[n - 1]);
                    }
                    Smoothing::Floor => {
                        let floor = 100.0 * smooth_value.unwrap_or(0.1);
                        precisions[n - 1] = R::lit(floor) / total[n - 1];
                    }
                    _ => {}
                }
            } else {
                precisions[n - 1] = R::lit(100.0) * correct[n - 1] / total[n - 1];
            }
        }
        let log_sum: f64 = precisions[..eff_order]
            .iter()
            .map(|p| my_log(p.value()))
            .sum();
        details.score = bp * (log_sum / eff_order as f64).exp();
        details.counts = values(&correct);
        details.totals = values(&total);
        details.precisions = values(&precisions);
        details
    }
}

/// sacreBLEU's `my_log`: log with 0 mapped to a very negative number.
fn my_log(x: f64) -> f64 {
    if x == 0.0 {
        -9999999999.0
    } else {
        x.ln()
    }
}

/// Everything sacreBLEU's `BLEUScore` carries.
#[derive(Debug, Clone, PartialEq)]
pub struct BleuDetails {
    pub score: f64,
    pub counts: Vec<f64>,
    pub totals: Vec<f64>,
    pub precisions: Vec<f64>,
    pub bp: f64,
    pub sys_len: f64,
    pub ref_len: f64,
}

impl BleuDetails {
    /// `59.3/32.3/19.9/12.6 (BP = 1.000 ratio = 1.003 hyp_len = 61450 ref_len = 61287)`
    pub fn verbose(&self) -> String {
        let precisions: Vec<String> = self.precisions.iter().map(|p| format!("{p:.1}")).collect();
        let ratio = if self.ref_len != 0.0 {
            self.sys_len / self.ref_len
        } else {
            0.0
        };
        format!(
            "{} (BP = {:.3} ratio = {:.3} hyp_len = {} ref_len = {})",
            precisions.join("/"),
            self.bp,
            ratio,
            self.sys_len as i64,
            self.ref_len as i64
        )
    }
}

/// The reference length closest to `hyp_len`; ties go to the shorter reference (-1 if none).
fn closest_ref_len(hyp_len: usize, ref_lens: impl Iterator<Item = usize>) -> f64 {
    let mut closest: Option<(usize, usize)> = None;
    for len in ref_lens {
        let diff = hyp_len.abs_diff(len);
        closest = match closest {
            Some((d, l)) if diff > d || (diff == d && len >= l) => Some((d, l)),
            _ => Some((diff, len)),
        };
    }
    closest.map_or(-1.0, |(_, l)| l as f64)
}

impl Bleu {
    /// Statistics through packed n-grams (orders up to 4).
    fn packed_segment_stats(&self, hyp: &str, refs: &PackedRefs, out: &mut Vec<f64>) {
        let order = self.max_ngram_order;
        let hyp = self.preprocess(hyp);
        let codes: Vec<u128> = pytext::split(&hyp).map(|w| refs.vocab.code(w)).collect();
        let hyp_len = codes.len();
        let mut correct = vec![0u64; order];
        let mut clipper = Clipper::default();
        ngrams::for_each_order(&codes, ngrams::WORD_BITS, order, |n, keys| {
            correct[n - 1] = clipper.matches(&refs.tables[n - 1], keys);
        });
        out.push(hyp_len as f64);
        out.push(closest_ref_len(hyp_len, refs.lens.iter().copied()));
        out.extend(correct.iter().map(|&c| c as f64));
        // Every window is a hypothesis n-gram, known words or not.
        out.extend((1..=order).map(|n| (hyp_len + 1).saturating_sub(n) as f64));
    }

    /// Statistics with n-grams as token slices (any order).
    fn general_segment_stats(&self, hyp: &str, refs: &BleuRefs, out: &mut Vec<f64>) {
        let order = self.max_ngram_order;
        let ref_tokens: Vec<Vec<&str>> = refs
            .tokenized
            .iter()
            .map(|r| pytext::split(r).collect())
            .collect();
        let mut ref_counts: FxHashMap<&[&str], u32> = FxHashMap::default();
        let mut one_ref: FxHashMap<&[&str], u32> = FxHashMap::default();
        for tokens in &ref_tokens {
            one_ref.clear();
            count_ngrams(tokens, order, &mut one_ref);
            for (gram, &count) in &one_ref {
                let best = ref_counts.entry(gram).or_insert(0);
                *best = (*best).max(count);
            }
        }

        let hyp = self.preprocess(hyp);
        let hyp_tokens: Vec<&str> = pytext::split(&hyp).collect();
        let hyp_len = hyp_tokens.len();
        let ref_len = closest_ref_len(hyp_len, ref_tokens.iter().map(Vec::len));

        let mut correct = vec![0u64; order];
        let mut total = vec![0u64; order];
        let mut hyp_counts: FxHashMap<&[&str], u32> = FxHashMap::default();
        count_ngrams(&hyp_tokens, order, &mut hyp_counts);
        for (gram, &count) in &hyp_counts {
            let n = gram.len() - 1;
            total[n] += u64::from(count);
            if let Some(&r) = ref_counts.get(gram) {
                correct[n] += u64::from(count.min(r));
            }
        }
        out.push(hyp_len as f64);
        out.push(ref_len);
        out.extend(correct.iter().map(|&c| c as f64));
        out.extend(total.iter().map(|&t| t as f64));
    }
}

/// Count every n-gram of orders 1..=max in `tokens` into `counts`.
fn count_ngrams<'a>(tokens: &'a [&'a str], max: usize, counts: &mut FxHashMap<&'a [&'a str], u32>) {
    for n in 1..=max {
        for gram in tokens.windows(n) {
            *counts.entry(gram).or_insert(0) += 1;
        }
    }
}

impl Metric for Bleu {
    type Prepared = BleuRefs;

    fn num_stats(&self) -> usize {
        2 + 2 * self.max_ngram_order
    }

    fn prepare(&self, refs: &[&str]) -> BleuRefs {
        let tokenized: Vec<String> = refs.iter().map(|r| self.preprocess(r)).collect();
        let packed = (self.max_ngram_order <= ngrams::MAX_PACKED_WORDS).then(|| {
            let mut vocab = SegmentVocab::default();
            let mut tables = vec![NgramTable::default(); self.max_ngram_order];
            let mut lens = Vec::with_capacity(tokenized.len());
            for reference in &tokenized {
                let codes: Vec<u128> = pytext::split(reference).map(|w| vocab.intern(w)).collect();
                lens.push(codes.len());
                ngrams::for_each_order(
                    &codes,
                    ngrams::WORD_BITS,
                    self.max_ngram_order,
                    |n, keys| {
                        tables[n - 1].merge_max(&NgramTable::from_keys(keys));
                    },
                );
            }
            PackedRefs {
                vocab,
                tables,
                lens,
            }
        });
        BleuRefs { tokenized, packed }
    }

    fn segment_stats(&self, hyp: &str, refs: &BleuRefs, out: &mut Vec<f64>) {
        match &refs.packed {
            Some(packed) => self.packed_segment_stats(hyp, packed, out),
            None => self.general_segment_stats(hyp, refs, out),
        }
    }

    fn score_of<R: Real>(&self, stats: &[R]) -> R {
        R::lit(self.details(stats).score)
    }

    fn compute(&self, stats: &[f64]) -> Score {
        let details = self.compute_details(stats);
        Score {
            name: "BLEU".into(),
            score: details.score,
            verbose: Some(details.verbose()),
        }
    }

    fn signature(&self, nrefs: usize) -> Signature {
        let mut sig = Signature::new(nrefs);
        sig.set("case", "c", if self.lowercase { "lc" } else { "mixed" });
        sig.set("eff", "e", if self.effective_order { "yes" } else { "no" });
        sig.set("tok", "tok", self.tokenizer.signature());
        let smooth = match self.smoothing.default_value() {
            Some(default) => format!(
                "{}[{:.2}]",
                self.smoothing,
                self.smooth_value.unwrap_or(default)
            ),
            None => self.smoothing.to_string(),
        };
        sig.set("smooth", "s", smooth);
        sig
    }
}
