//! Scoring runs rendered as sacreBLEU prints them: one place for `entente bleu` and the server's
//! `/v1/bleu`, so both give the same text and JSON for the same inputs.

use crate::metrics::significance::{self, Estimate};
use crate::metrics::{self, pytext, Bleu, Chrf, Metric, Score, Signature, Stats, Ter};

/// How the scores are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreFormat {
    /// sacreBLEU's text lines: `BLEU|nrefs:1|…|version:… = 26.3 …`.
    Text,
    /// sacreBLEU's JSON objects (a list when several metrics are computed).
    Json,
}

/// A statistical test run beside the scores, with its number of resamples or trials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Test {
    None,
    /// 95% confidence interval of one system by bootstrap resampling.
    Confidence(usize),
    /// Paired bootstrap resampling of each system against the first.
    PairedBootstrap(usize),
    /// Paired approximate randomization of each system against the first.
    PairedRandomization(usize),
}

impl Test {
    pub fn is_paired(self) -> bool {
        matches!(
            self,
            Test::PairedBootstrap(_) | Test::PairedRandomization(_)
        )
    }
}

/// Everything a scoring run needs besides its texts: which metrics with which settings, the
/// test, and the rendering.
#[derive(Debug, Clone)]
pub struct Scoring {
    pub bleu: Option<Bleu>,
    pub chrf: Option<Chrf>,
    pub ter: Option<Ter>,
    /// Score each line on its own (one metric, one system).
    pub sentence_level: bool,
    pub test: Test,
    pub seed: u64,
    pub format: ScoreFormat,
    /// Decimals printed.
    pub width: usize,
    pub score_only: bool,
    /// Shorter signatures (`#:1|c:mixed|…`).
    pub short: bool,
}

/// Inputs that cannot be scored together.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ScoringError {
    #[error("no metric chosen: pick at least one of BLEU, chrF and TER")]
    NoMetric,
    #[error("no references given")]
    NoReferences,
    #[error("no hypotheses given")]
    NoSystems,
    #[error("references differ in length: reference 1 has {first} segments, reference {index} has {len}")]
    ReferenceLengths {
        first: usize,
        index: usize,
        len: usize,
    },
    #[error("{system} has {len} segments but the references have {refs}: hypotheses and references must be line-aligned")]
    SystemLength {
        system: String,
        len: usize,
        refs: usize,
    },
    #[error("paired tests need a baseline and at least one system")]
    PairedNeedsTwo,
    #[error("a confidence interval scores one system; compare several with a paired test")]
    ConfidenceNeedsOne,
    #[error("sentence-level scoring takes one system and one metric")]
    SentenceLevelShape,
    #[error("statistical tests are not available with sentence-level scoring")]
    SentenceLevelTest,
}

impl Scoring {
    /// The shapes `render` accepts: a metric, references of equal lengths, systems as long as
    /// them, and a test that fits the number of systems. Returns the number of metrics.
    fn check(
        &self,
        names: &[String],
        systems: &[Vec<String>],
        refs: &[Vec<String>],
    ) -> Result<usize, ScoringError> {
        let n_metrics = [self.bleu.is_some(), self.chrf.is_some(), self.ter.is_some()]
            .iter()
            .filter(|&&m| m)
            .count();
        if n_metrics == 0 {
            return Err(ScoringError::NoMetric);
        }
        let Some(first) = refs.first() else {
            return Err(ScoringError::NoReferences);
        };
        if systems.is_empty() {
            return Err(ScoringError::NoSystems);
        }
        for (index, r) in refs.iter().enumerate().skip(1) {
            if r.len() != first.len() {
                return Err(ScoringError::ReferenceLengths {
                    first: first.len(),
                    index: index + 1,
                    len: r.len(),
                });
            }
        }
        for (i, lines) in systems.iter().enumerate() {
            if lines.len() != first.len() {
                return Err(ScoringError::SystemLength {
                    system: names
                        .get(i)
                        .cloned()
                        .unwrap_or_else(|| format!("system {}", i + 1)),
                    len: lines.len(),
                    refs: first.len(),
                });
            }
        }
        if self.test.is_paired() && systems.len() < 2 {
            return Err(ScoringError::PairedNeedsTwo);
        }
        if matches!(self.test, Test::Confidence(_)) && systems.len() > 1 {
            return Err(ScoringError::ConfidenceNeedsOne);
        }
        Ok(n_metrics)
    }

    /// Sentence-level scores: one system, one metric, a line per segment.
    fn render_sentences(
        &self,
        run: &Run,
        n_systems: usize,
        n_metrics: usize,
    ) -> Result<String, ScoringError> {
        if n_systems > 1 || n_metrics > 1 {
            return Err(ScoringError::SentenceLevelShape);
        }
        if self.test != Test::None {
            return Err(ScoringError::SentenceLevelTest);
        }
        let lines = if let Some(m) = &self.bleu {
            run.sentence_level(m)
        } else if let Some(m) = &self.chrf {
            run.sentence_level(m)
        } else if let Some(m) = &self.ter {
            run.sentence_level(m)
        } else {
            Vec::new()
        };
        let mut out = String::new();
        for line in lines {
            out.push_str(&line);
            out.push('\n');
        }
        Ok(out)
    }

    /// Check `systems` (named by `names`, for messages and tables) against `refs` and render
    /// their scores as sacreBLEU would.
    pub fn render(
        &self,
        names: &[String],
        systems: &[Vec<String>],
        refs: &[Vec<String>],
    ) -> Result<String, ScoringError> {
        let n_metrics = self.check(names, systems, refs)?;
        let run = Run {
            args: self,
            systems,
            refs,
        };
        if self.sentence_level {
            return self.render_sentences(&run, systems.len(), n_metrics);
        }
        let mut reports = Vec::new();
        if let Some(m) = &self.bleu {
            reports.push(run.evaluate(m));
        }
        if let Some(m) = &self.chrf {
            reports.push(run.evaluate(m));
        }
        if let Some(m) = &self.ter {
            reports.push(run.evaluate(m));
        }
        Ok(if systems.len() == 1 {
            format_single(self, &reports)
        } else {
            format_systems(self, names, &reports)
        })
    }
}

/// One metric's results for every system.
struct Report {
    /// Score name (`BLEU`, `chrF2++`, `TER`).
    name: String,
    signature: Signature,
    /// One score per system.
    scores: Vec<Score>,
    /// Bootstrap interval per system (--confidence, or the paired bootstrap).
    estimates: Vec<Option<Estimate>>,
    /// p-value per system (None for the baseline).
    p_values: Vec<Option<f64>>,
}

struct Run<'a> {
    args: &'a Scoring,
    systems: &'a [Vec<String>],
    refs: &'a [Vec<String>],
}

impl Run<'_> {
    fn evaluate<M: Metric>(&self, metric: &M) -> Report {
        let prepared = metrics::prepare_refs(metric, self.refs);
        let stats: Vec<Stats> = self
            .systems
            .iter()
            .map(|h| metrics::corpus_stats(metric, h, &prepared))
            .collect();
        let scores: Vec<Score> = stats.iter().map(|s| metric.compute(&s.sum())).collect();
        let mut signature = metric.signature(self.refs.len());
        let n = self.systems.len();
        let mut estimates = vec![None; n];
        let mut p_values = vec![None; n];
        let seed = self.args.seed;
        if let Test::Confidence(k) = self.args.test {
            estimates[0] = Some(significance::confidence_estimate(
                metric, &stats[0], k, seed,
            ));
            signature.set("bs", "bs", k.to_string());
            signature.set("seed", "rs", seed.to_string());
        } else if let Test::PairedBootstrap(k) = self.args.test {
            estimates[0] = Some(significance::bootstrap_estimate(metric, &stats[0], k, seed));
            for i in 1..n {
                let r = significance::paired_bootstrap(metric, &stats[0], &stats[i], k, seed);
                estimates[i] = r.estimate;
                p_values[i] = Some(r.p_value);
            }
            signature.set("bs", "bs", k.to_string());
            signature.set("seed", "rs", seed.to_string());
        } else if let Test::PairedRandomization(k) = self.args.test {
            for i in 1..n {
                let r = significance::paired_approximate_randomization(
                    metric, &stats[0], &stats[i], k, seed,
                );
                p_values[i] = Some(r.p_value);
            }
            signature.set("ar", "ar", k.to_string());
            signature.set("seed", "rs", seed.to_string());
        }
        Report {
            name: scores[0].name.clone(),
            signature,
            scores,
            estimates,
            p_values,
        }
    }

    fn sentence_level<M: Metric>(&self, metric: &M) -> Vec<String> {
        let signature = metric.signature(self.refs.len());
        let sig = signature.format(self.args.short);
        self.systems[0]
            .iter()
            .enumerate()
            .map(|(i, hyp)| {
                let refs: Vec<&str> = self.refs.iter().map(|r| r[i].as_str()).collect();
                let score = metrics::sentence_score(metric, hyp, &refs);
                match self.args.format {
                    ScoreFormat::Text => score.format_text(self.args.width, &sig, self.args.score_only),
                    ScoreFormat::Json => serde_json::json!({
                        "name": score.name, "score": score.score, "signature": signature.format(false),
                    })
                    .to_string(),
                }
            })
            .collect()
    }
}

/// One system: sacreBLEU's `print_single_results`.
fn format_single(args: &Scoring, reports: &[Report]) -> String {
    let lines: Vec<String> = reports
        .iter()
        .map(|r| {
            // sacreBLEU: `score.format(args.width, args.score_only, sig, args.format == 'json')`,
            // the signature in full in JSON whatever --short says.
            let json = args.format == ScoreFormat::Json;
            let signature = r.signature.format(args.short && !json);
            r.scores[0].format(
                args.width,
                args.score_only,
                &signature,
                json,
                r.estimates[0],
            )
        })
        .collect();
    let mut out = String::new();
    match args.format {
        ScoreFormat::Json if lines.len() > 1 => {
            out.push_str(&format!("[\n{}\n]\n", lines.join(",\n")));
        }
        _ if args.score_only || lines.len() == 1 || args.format == ScoreFormat::Json => {
            for line in &lines {
                out.push_str(line);
                out.push('\n');
            }
        }
        _ => {
            // Align the lines on their '=' (character positions, as Python counts them).
            let lens: Vec<usize> = lines
                .iter()
                .map(|l| {
                    l[..l.find('=').unwrap_or(0)]
                        .chars()
                        .count()
                        .saturating_sub(1)
                })
                .collect();
            let width = lens.iter().copied().max().unwrap_or(0);
            for (len, line) in lens.iter().zip(&lines) {
                let split = line.char_indices().nth(*len).map_or(line.len(), |(i, _)| i);
                let (left, right) = line.split_at(split);
                out.push_str(&format!("{left:>width$}{right}\n"));
            }
        }
    }
    out
}

/// Several systems: a table, with p-values and intervals in paired mode, then signatures.
fn format_systems(args: &Scoring, system_names: &[String], reports: &[Report]) -> String {
    let paired = args.test.is_paired();
    let names: Vec<String> = system_names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let name = name.clone();
            if paired && i == 0 {
                format!("Baseline: {name}")
            } else {
                name
            }
        })
        .collect();
    if args.format == ScoreFormat::Json {
        return systems_json(args, &names, reports);
    }
    let mut out = aligned_table(&table_rows(args, &names, reports));
    if paired {
        let test = match args.test {
            Test::PairedBootstrap(n) => format!("paired bootstrap resampling, {n} resamples"),
            Test::PairedRandomization(n) => format!("approximate randomization, {n} trials"),
            _ => unreachable!("a paired test"),
        };
        out.push_str(&format!(
            "\nSignificance against the baseline by {test}: p is the chance of a difference at least this large \
             if both systems came from the same process; * marks p <= 0.05.\n"
        ));
    }
    out.push_str("\nMetric signatures:\n");
    for r in reports {
        out.push_str(&format!(
            " - {:<10} {}\n",
            r.name,
            r.signature.format(args.short)
        ));
    }
    out
}

/// The JSON list of systems with each metric's score (and test results).
fn systems_json(args: &Scoring, names: &[String], reports: &[Report]) -> String {
    let paired = args.test.is_paired();
    let rows: Vec<serde_json::Value> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut row = serde_json::Map::new();
            row.insert("system".into(), name.clone().into());
            for r in reports {
                let value = if paired || r.estimates[i].is_some() {
                    serde_json::json!({
                        "score": r.scores[i].score,
                        "p_value": r.p_values[i],
                        "mean": r.estimates[i].map(|e| e.mean),
                        "ci": r.estimates[i].map(|e| e.ci),
                    })
                } else {
                    pytext::format_fixed(r.scores[i].score, args.width).into()
                };
                row.insert(r.name.clone(), value);
            }
            row.into()
        })
        .collect();
    serde_json::to_string_pretty(&rows).expect("json") + "\n"
}

/// The text table's cells: a header, then a row per system.
fn table_rows(args: &Scoring, names: &[String], reports: &[Report]) -> Vec<Vec<String>> {
    let w = args.width;
    let mut header = vec!["System".to_string()];
    for r in reports {
        let ci = r.estimates.iter().any(Option::is_some);
        header.push(if ci {
            format!("{} (μ ± 95% CI)", r.name)
        } else {
            r.name.clone()
        });
    }
    let mut rows = vec![header];
    for (i, name) in names.iter().enumerate() {
        let mut row = vec![name.clone()];
        for r in reports {
            let mut cell = pytext::format_fixed(r.scores[i].score, w);
            if let Some(e) = r.estimates[i] {
                cell.push_str(&format!(
                    " ({} ± {})",
                    pytext::format_fixed(e.mean, w),
                    pytext::format_fixed(e.ci, w)
                ));
            }
            if let Some(p) = r.p_values[i] {
                cell.push_str(&format!(
                    " (p = {p:.4}){}",
                    if p <= 0.05 { "*" } else { "" }
                ));
            }
            row.push(cell);
        }
        rows.push(row);
    }
    rows
}

/// Rows as sacreBLEU's text table: the first column right-aligned, the others left-aligned, a
/// rule under the header.
fn aligned_table(rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (k, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, width))| {
                if c == 0 {
                    format!("{cell:>width$}")
                } else {
                    format!("{cell:<width$}")
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
        if k == 0 {
            out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1)));
            out.push('\n');
        }
    }
    out
}
