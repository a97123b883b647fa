//! `entente bleu`: BLEU, chrF and TER with sacreBLEU's numbers, output and options.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use entente::input;
use entente::metrics::report::{self, Scoring, ScoringError, Test};
use entente::metrics::significance;
use entente::metrics::tokenizers::{Tercom, Tokenizer};
use entente::metrics::{pytext, Bleu, Chrf, Smoothing, Ter};

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

/// The scoring run the arguments ask for.
fn scoring(args: &BleuArgs, seed: u64) -> Scoring {
    let want = |m| args.metrics.contains(&m);
    let test = if args.confidence {
        Test::Confidence(args.confidence_n)
    } else if args.paired_bs {
        Test::PairedBootstrap(args.paired_bs_n)
    } else if args.paired_ar {
        Test::PairedRandomization(args.paired_ar_n)
    } else {
        Test::None
    };
    Scoring {
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
        sentence_level: args.sentence_level,
        test,
        seed,
        format: match args.format {
            ScoreFormat::Text => report::ScoreFormat::Text,
            ScoreFormat::Json => report::ScoreFormat::Json,
        },
        width: args.width,
        score_only: args.score_only,
        short: args.short,
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
    let scoring = scoring(&args, seed_from(&args)?);
    if scoring.bleu.is_some() {
        warn_if_tokenized(&args, &systems);
    }
    let names: Vec<String> = args.input.iter().map(|p| input::display_name(p)).collect();
    let out = scoring
        .render(&names, &systems, &refs)
        .map_err(|e| match e {
            // Name the options rather than the library's terms.
            ScoringError::PairedNeedsTwo => anyhow::anyhow!(
            "paired tests need a baseline and at least one system: -i BASELINE SYSTEM [SYSTEM…]"
        ),
            ScoringError::ConfidenceNeedsOne => anyhow::anyhow!(
                "--confidence scores one system; compare several with --paired-bs or --paired-ar"
            ),
            ScoringError::SentenceLevelShape => anyhow::anyhow!(
                "--sentence-level scores one system with one metric (-m bleu, chrf or ter)"
            ),
            ScoringError::SentenceLevelTest => {
                anyhow::anyhow!("statistical tests are not available with --sentence-level")
            }
            other => other.into(),
        })?;
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
