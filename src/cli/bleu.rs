//! `entente bleu`: BLEU, chrF and TER with sacreBLEU's numbers, output and options.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use entente::input;
use entente::metrics::significance::{self, Estimate};
use entente::metrics::tokenizers::{Tercom, Tokenizer};
use entente::metrics::{self, pytext, Bleu, Chrf, Metric, Score, Signature, Smoothing, Stats, Ter};

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum MetricName {
    Bleu,
    Chrf,
    Ter,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScoreFormat {
    /// sacreBLEU's text lines: `BLEU|nrefs:1|…|version:… = 26.3 …`.
    Text,
    /// sacreBLEU's JSON objects (a list when several metrics are computed).
    Json,
}

/// Score translations with BLEU, chrF/chrF++ and TER exactly as sacreBLEU 2.5 does: the same
/// tokenizers, smoothing, options, significance tests and signatures, so numbers can be compared
/// across papers. Signatures carry entente's version.
///
/// Examples:
///   entente bleu -r ref.en -i hyp.en
///   entente bleu -r ref.en -i hyp.en -m bleu chrf ter --chrf-word-order 2
///   entente bleu -r ref.en -i base.en new.en --paired-bs
///   cat hyp.en | entente bleu -r ref1.en ref2.en --sentence-level
#[derive(Args)]
#[command(
    verbatim_doc_comment,
    about = "Score translations with BLEU, chrF and TER exactly as sacreBLEU does"
)]
pub struct BleuArgs {
    /// Reference file(s), one segment per line; several files are several references.
    #[arg(short = 'r', long = "refs", num_args = 1.., required = true, value_name = "REF")]
    pub refs: Vec<String>,
    /// Hypothesis file(s); `-` reads standard input. Several files are several systems (with
    /// --paired-bs/--paired-ar the first is the baseline).
    #[arg(short = 'i', long = "input", num_args = 1.., default_value = "-", value_name = "HYP")]
    pub input: Vec<String>,
    /// Metrics to compute (printed in the order BLEU, chrF, TER, as sacreBLEU does).
    #[arg(short = 'm', long = "metrics", num_args = 1.., value_enum, default_values_t = [MetricName::Bleu])]
    pub metrics: Vec<MetricName>,
    /// Score each line on its own (one metric, one system); BLEU then uses effective order.
    #[arg(long, alias = "sl")]
    pub sentence_level: bool,

    /// BLEU tokenizer: 13a (mteval-v13a, default), intl (mteval-v14), char, zh, none.
    #[arg(long = "tokenize", alias = "tok", default_value = "13a", value_parser = parse_tokenizer)]
    pub tokenize: Tokenizer,
    /// BLEU: case-insensitive scoring.
    #[arg(long, alias = "lc")]
    pub lowercase: bool,
    /// BLEU smoothing: exp (NIST), floor, add-k or none.
    #[arg(short = 's', long, default_value = "exp", value_parser = parse_smoothing)]
    pub smooth_method: Smoothing,
    /// BLEU smoothing value for floor (default 0.1) and add-k (default 1).
    #[arg(long, alias = "sv")]
    pub smooth_value: Option<f64>,
    /// BLEU: maximum n-gram order.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_ngram_order: u32,
    /// BLEU: do not warn about hypotheses that look tokenized (lines ending in " .").
    #[arg(long)]
    pub force: bool,

    /// chrF: character n-gram order.
    #[arg(long, alias = "cc", default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub chrf_char_order: u32,
    /// chrF: word n-gram order (2 gives chrF++).
    #[arg(long, alias = "cw", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=100))]
    pub chrf_word_order: u32,
    /// chrF: importance of recall over precision.
    #[arg(long, default_value_t = 2)]
    pub chrf_beta: u32,
    /// chrF: keep whitespace inside character n-grams.
    #[arg(long)]
    pub chrf_whitespace: bool,
    /// chrF: case-insensitive scoring.
    #[arg(long)]
    pub chrf_lowercase: bool,
    /// chrF: epsilon smoothing as chrF++.py, NLTK and Moses (default: effective order).
    #[arg(long)]
    pub chrf_eps_smoothing: bool,

    /// TER: case-sensitive scoring (default: lowercase, as tercom).
    #[arg(long)]
    pub ter_case_sensitive: bool,
    /// TER: remove punctuation.
    #[arg(long)]
    pub ter_no_punct: bool,
    /// TER: tercom's normalization and tokenization of punctuation.
    #[arg(long)]
    pub ter_normalized: bool,

    /// Report a 95% confidence interval from bootstrap resampling (one system).
    #[arg(long)]
    pub confidence: bool,
    /// Number of bootstrap resamples for --confidence (1 to 1,000,000).
    #[arg(long, default_value_t = 1000, value_parser = super::count_in(1, 1_000_000))]
    pub confidence_n: usize,
    /// Paired bootstrap resampling test of each system against the first (baseline).
    #[arg(long, conflicts_with = "paired_ar")]
    pub paired_bs: bool,
    /// Paired approximate randomization test of each system against the first (baseline).
    #[arg(long)]
    pub paired_ar: bool,
    /// Number of resamples for --paired-bs (1 to 1,000,000).
    #[arg(long, default_value_t = 1000, value_parser = super::count_in(1, 1_000_000))]
    pub paired_bs_n: usize,
    /// Number of trials for --paired-ar (1 to 10,000,000).
    #[arg(long, default_value_t = 10000, value_parser = super::count_in(1, 10_000_000))]
    pub paired_ar_n: usize,
    /// Seed of the resampling (default: $SACREBLEU_SEED, else 12345, as sacreBLEU).
    #[arg(long)]
    pub seed: Option<u64>,

    /// Output format (sacreBLEU's default is json; entente's is text).
    #[arg(short = 'f', long, value_enum, default_value_t = ScoreFormat::Text)]
    pub format: ScoreFormat,
    /// Decimals printed.
    #[arg(short = 'w', long, default_value_t = 1)]
    pub width: usize,
    /// Print only the scores.
    #[arg(short = 'b', long)]
    pub score_only: bool,
    /// Shorter signatures (`#:1|c:mixed|…`).
    #[arg(long)]
    pub short: bool,
    /// Replace invalid UTF-8 in the inputs instead of failing.
    #[arg(long)]
    pub lossy: bool,
    /// Write to this file (atomically) instead of standard output.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

fn parse_tokenizer(s: &str) -> Result<Tokenizer, String> {
    s.parse()
}

fn parse_smoothing(s: &str) -> Result<Smoothing, String> {
    s.parse()
}

/// Lines of a text file as sacreBLEU reads them: split on "\n", each right-stripped.
fn read_segments(path: &str, lossy: bool) -> anyhow::Result<Vec<String>> {
    let text = input::read_text(path, lossy)?;
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let body = text.strip_suffix('\n').unwrap_or(&text);
    Ok(body
        .split('\n')
        .map(|l| pytext::rstrip(l).to_string())
        .collect())
}

/// The metrics and their configurations from the arguments.
struct Metrics {
    bleu: Option<Bleu>,
    chrf: Option<Chrf>,
    ter: Option<Ter>,
}

impl Metrics {
    fn from_args(args: &BleuArgs) -> Self {
        let want = |m| args.metrics.contains(&m);
        Metrics {
            bleu: want(MetricName::Bleu).then_some(Bleu {
                lowercase: args.lowercase,
                tokenizer: args.tokenize,
                smoothing: args.smooth_method,
                smooth_value: args.smooth_value,
                max_ngram_order: args.max_ngram_order as usize,
                effective_order: args.sentence_level,
            }),
            chrf: want(MetricName::Chrf).then_some(Chrf {
                char_order: args.chrf_char_order as usize,
                word_order: args.chrf_word_order as usize,
                beta: args.chrf_beta,
                lowercase: args.chrf_lowercase,
                whitespace: args.chrf_whitespace,
                eps_smoothing: args.chrf_eps_smoothing,
            }),
            ter: want(MetricName::Ter).then_some(Ter {
                tokenizer: Tercom {
                    normalized: args.ter_normalized,
                    no_punct: args.ter_no_punct,
                    case_sensitive: args.ter_case_sensitive,
                },
            }),
        }
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
    args: &'a BleuArgs,
    systems: &'a [Vec<String>],
    refs: &'a [Vec<String>],
    seed: u64,
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
        let seed = self.seed;
        if self.args.confidence {
            let k = self.args.confidence_n;
            estimates[0] = Some(significance::confidence_estimate(
                metric, &stats[0], k, seed,
            ));
            signature.set("bs", "bs", k.to_string());
            signature.set("seed", "rs", seed.to_string());
        } else if self.args.paired_bs {
            let k = self.args.paired_bs_n;
            estimates[0] = Some(significance::bootstrap_estimate(metric, &stats[0], k, seed));
            for i in 1..n {
                let r = significance::paired_bootstrap(metric, &stats[0], &stats[i], k, seed);
                estimates[i] = r.estimate;
                p_values[i] = Some(r.p_value);
            }
            signature.set("bs", "bs", k.to_string());
            signature.set("seed", "rs", seed.to_string());
        } else if self.args.paired_ar {
            let k = self.args.paired_ar_n;
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

fn seed_from(args: &BleuArgs) -> anyhow::Result<u64> {
    if let Some(seed) = args.seed {
        return Ok(seed);
    }
    match std::env::var("SACREBLEU_SEED") {
        Ok(v) => v.trim().parse().with_context(|| {
            format!(
                "SACREBLEU_SEED={v:?} is not a non-negative integer; set a number or use --seed"
            )
        }),
        Err(_) => Ok(significance::DEFAULT_SEED),
    }
}

pub fn run(args: BleuArgs) -> anyhow::Result<()> {
    let sink = super::Out::open(args.output.as_deref())?;
    let refs: Vec<Vec<String>> = args
        .refs
        .iter()
        .map(|p| read_segments(p, args.lossy).with_context(|| format!("reading reference {p}")))
        .collect::<anyhow::Result<_>>()?;
    for (path, lines) in args.refs.iter().zip(&refs).skip(1) {
        if lines.len() != refs[0].len() {
            bail!(
                "reference files differ in length: {} has {} lines, {} has {}",
                args.refs[0],
                refs[0].len(),
                path,
                lines.len()
            );
        }
    }
    let systems: Vec<Vec<String>> = args
        .input
        .iter()
        .map(|p| {
            read_segments(p, args.lossy)
                .with_context(|| format!("reading hypotheses {}", input::display_name(p)))
        })
        .collect::<anyhow::Result<_>>()?;
    for (path, lines) in args.input.iter().zip(&systems) {
        if lines.len() != refs[0].len() {
            bail!(
                "{} has {} lines but the reference {} has {}: hypotheses and references must be line-aligned",
                input::display_name(path),
                lines.len(),
                args.refs[0],
                refs[0].len()
            );
        }
    }
    let paired = args.paired_bs || args.paired_ar;
    if paired && systems.len() < 2 {
        bail!("paired tests need a baseline and at least one system: -i BASELINE SYSTEM [SYSTEM…]");
    }
    if args.confidence && systems.len() > 1 {
        bail!("--confidence scores one system; compare several with --paired-bs or --paired-ar");
    }
    if args.sentence_level {
        if systems.len() > 1 || args.metrics.len() > 1 {
            bail!("--sentence-level scores one system with one metric (-m bleu, chrf or ter)");
        }
        if paired || args.confidence {
            bail!("statistical tests are not available with --sentence-level");
        }
    }
    let metric_set = Metrics::from_args(&args);
    if metric_set.bleu.is_some() {
        warn_if_tokenized(&args, &systems);
    }
    let run = Run {
        args: &args,
        systems: &systems,
        refs: &refs,
        seed: seed_from(&args)?,
    };

    let mut out = String::new();
    if args.sentence_level {
        let lines = if let Some(m) = &metric_set.bleu {
            run.sentence_level(m)
        } else if let Some(m) = &metric_set.chrf {
            run.sentence_level(m)
        } else if let Some(m) = &metric_set.ter {
            run.sentence_level(m)
        } else {
            Vec::new()
        };
        for line in lines {
            out.push_str(&line);
            out.push('\n');
        }
        return super::emit(sink, out.as_bytes());
    }

    let mut reports = Vec::new();
    if let Some(m) = &metric_set.bleu {
        reports.push(run.evaluate(m));
    }
    if let Some(m) = &metric_set.chrf {
        reports.push(run.evaluate(m));
    }
    if let Some(m) = &metric_set.ter {
        reports.push(run.evaluate(m));
    }
    out = if systems.len() == 1 {
        format_single(&args, &reports)
    } else {
        format_systems(&args, &reports)
    };
    super::emit(sink, out.as_bytes())
}

/// sacreBLEU warns when 100 or more hypotheses end in a tokenized period.
fn warn_if_tokenized(args: &BleuArgs, systems: &[Vec<String>]) {
    if args.force {
        return;
    }
    for (path, lines) in args.input.iter().zip(systems) {
        if lines.iter().filter(|l| l.ends_with(" .")).count() >= 100 {
            eprintln!(
                "warning: {}: 100 or more lines end in a tokenized period (' .'); BLEU expects \
                 detokenized text (pass --force if it is)",
                input::display_name(path)
            );
        }
    }
}

/// One system: sacreBLEU's `print_single_results`.
fn format_single(args: &BleuArgs, reports: &[Report]) -> String {
    let lines: Vec<String> = reports
        .iter()
        .map(|r| {
            let score = &r.scores[0];
            let estimate = r.estimates[0];
            match args.format {
                ScoreFormat::Json => with_confidence_json(
                    score.format_json(args.width, &r.signature),
                    estimate,
                    args.width,
                ),
                ScoreFormat::Text => {
                    if let Some(e) = estimate.filter(|e| e.mean > 0.0 && !args.score_only) {
                        let w = args.width;
                        // sacreBLEU prints "SCORE (μ = MEAN ± CI)" before BLEU's details.
                        let value = pytext::format_fixed(score.score, w);
                        let line = score.format_text(w, &r.signature.format(args.short), false);
                        let marker = format!(" = {value}");
                        let with = format!(
                            " = {value} (μ = {} ± {})",
                            pytext::format_fixed(e.mean, w),
                            pytext::format_fixed(e.ci, w)
                        );
                        return line.replacen(&marker, &with, 1);
                    }
                    score.format_text(args.width, &r.signature.format(args.short), args.score_only)
                }
            }
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

fn with_confidence_json(json: String, estimate: Option<Estimate>, width: usize) -> String {
    let Some(e) = estimate.filter(|e| e.mean > 0.0) else {
        return json;
    };
    let mean = pytext::format_fixed(e.mean, width);
    let ci = pytext::format_fixed(e.ci, width);
    let extra = format!(
        ",\n \"confidence_mean\": {},\n \"confidence_var\": {},\n \"confidence\": {}",
        pytext::float_repr(mean.parse().expect("formatted float")),
        pytext::float_repr(ci.parse().expect("formatted float")),
        serde_json::to_string(&format!("μ = {mean} ± {ci}")).expect("string")
    );
    // Insert after the "score" field, where sacreBLEU puts them.
    match json.find(",\n \"signature\"") {
        Some(at) => format!("{}{}{}", &json[..at], extra, &json[at..]),
        None => json,
    }
}

/// Several systems: a table, with p-values and intervals in paired mode, then signatures.
fn format_systems(args: &BleuArgs, reports: &[Report]) -> String {
    let w = args.width;
    let paired = args.paired_bs || args.paired_ar;
    let names: Vec<String> = args
        .input
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let name = input::display_name(p);
            if paired && i == 0 {
                format!("Baseline: {name}")
            } else {
                name
            }
        })
        .collect();
    if args.format == ScoreFormat::Json {
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
                        pytext::format_fixed(r.scores[i].score, w).into()
                    };
                    row.insert(r.name.clone(), value);
                }
                row.into()
            })
            .collect();
        return serde_json::to_string_pretty(&rows).expect("json") + "\n";
    }
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
    if paired {
        let test = if args.paired_bs {
            format!(
                "paired bootstrap resampling, {} resamples",
                args.paired_bs_n
            )
        } else {
            format!("approximate randomization, {} trials", args.paired_ar_n)
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
