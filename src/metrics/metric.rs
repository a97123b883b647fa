//! What every metric is: the [`Metric`] trait (sufficient statistics per segment, a score from
//! their sum, a signature), the [`Score`] it gives with sacreBLEU's text and JSON forms, and
//! [`Stats`], the statistics of a corpus.

use super::signature::Signature;
use super::{pytext, real};

/// A score with its name and, for BLEU, the detail sacreBLEU prints after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// `BLEU`, `chrF2`, `chrF2++`, `TER`.
    pub name: String,
    pub score: f64,
    /// BLEU's `59.3/32.3/19.9/12.6 (BP = 1.000 ratio = 1.003 hyp_len = 61450 ref_len = 61287)`.
    pub verbose: Option<String>,
}

/// A bootstrap estimate of a score: the resamples' mean and half the width of their 95% interval
/// (sacreBLEU's `Score._mean` and `_ci`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub mean: f64,
    pub ci: f64,
}

impl Score {
    /// sacreBLEU's `Score.format` for text: `NAME|SIGNATURE = SCORE VERBOSE`.
    pub fn format_text(&self, width: usize, signature: &str, score_only: bool) -> String {
        self.format(width, score_only, signature, false, None)
    }

    /// sacreBLEU's `Score.format(is_json=True)`: the same keys in the same order, indented by
    /// one space as `json.dumps(indent=1)` does.
    pub fn format_json(&self, width: usize, signature: &Signature) -> String {
        self.format(width, false, &signature.format(false), true, None)
    }

    /// sacreBLEU's `Score.format(width, score_only, signature, is_json)` of a score that may
    /// carry a bootstrap `estimate`: with one (of positive mean), the score reads
    /// `SCORE (μ = MEAN ± CI)`, score-only too, and the JSON gains `confidence_mean`,
    /// `confidence_var` and `confidence` after the signature. The signature is given as its text
    /// (`key:value|…`); in JSON its fields follow, as sacreBLEU splits them.
    pub fn format(
        &self,
        width: usize,
        score_only: bool,
        signature: &str,
        is_json: bool,
        estimate: Option<Estimate>,
    ) -> String {
        let fixed = |x: f64| pytext::format_fixed(x, width);
        let float =
            |text: &str| pytext::float_repr(text.parse().expect("a formatted float parses"));
        let mut value = fixed(self.score);
        let mut fields: Vec<(String, String)> = vec![
            ("name".into(), json_string(&self.name)),
            ("score".into(), float(&value)),
            ("signature".into(), json_string(signature)),
        ];
        if let Some(e) = estimate.filter(|e| e.mean > 0.0) {
            let (mean, ci) = (fixed(e.mean), fixed(e.ci));
            let confidence = format!("μ = {mean} ± {ci}");
            value = format!("{value} ({confidence})");
            fields.push(("confidence_mean".into(), float(&mean)));
            fields.push(("confidence_var".into(), float(&ci)));
            fields.push(("confidence".into(), json_string(&confidence)));
        }
        if score_only {
            return value;
        }
        if !is_json {
            let mut line = if signature.is_empty() {
                format!("{} = {value}", self.name)
            } else {
                format!("{}|{signature} = {value}", self.name)
            };
            if let Some(verbose) = &self.verbose {
                line.push(' ');
                line.push_str(verbose);
            }
            return line;
        }
        if let Some(verbose) = &self.verbose {
            fields.push(("verbose_score".into(), json_string(verbose)));
        }
        for part in signature.split('|').filter(|p| !p.is_empty()) {
            let (key, value) = part.split_once(':').unwrap_or((part, ""));
            // A later field of the same name replaces the earlier one, in its place (a dict).
            match fields.iter_mut().find(|(k, _)| k == key) {
                Some(field) => field.1 = json_string(value),
                None => fields.push((key.to_string(), json_string(value))),
            }
        }
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!(" {}: {v}", json_string(k)))
            .collect();
        format!("{{\n{}\n}}", body.join(",\n"))
    }
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialize")
}

/// A metric as sufficient statistics: what sacreBLEU's `Metric` subclasses compute.
pub trait Metric: Sync {
    /// Per-segment reference information, computed once and reused for every system.
    type Prepared: Send + Sync;

    /// Number of statistics per segment.
    fn num_stats(&self) -> usize;
    /// Preprocess the references of one segment.
    fn prepare(&self, refs: &[&str]) -> Self::Prepared;
    /// Append the statistics of one hypothesis against its prepared references to `out`.
    fn segment_stats(&self, hyp: &str, refs: &Self::Prepared, out: &mut Vec<f64>);
    /// The score value from summed statistics, in the arithmetic of `R` (see [`real`]).
    fn score_of<R: real::Real>(&self, stats: &[R]) -> R;
    /// The score from summed statistics.
    fn compute(&self, stats: &[f64]) -> Score;
    /// The signature for `nrefs` references per segment.
    fn signature(&self, nrefs: usize) -> Signature;
}

/// Segment-level statistics of a corpus: `rows` segments of `width` numbers, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    pub width: usize,
    pub data: Vec<f64>,
}

impl Stats {
    pub fn rows(&self) -> usize {
        self.data.len() / self.width.max(1)
    }

    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.width..(i + 1) * self.width]
    }

    /// Column sums, added in segment order as sacreBLEU's `sum_of_lists` does.
    pub fn sum(&self) -> Vec<f64> {
        let mut total = vec![0.0; self.width];
        for row in self.data.chunks(self.width.max(1)) {
            for (t, v) in total.iter_mut().zip(row) {
                *t += v;
            }
        }
        total
    }
}
