//! `entente pipeline`: French press articles in, English articles and a parallel corpus out.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use entente::pipeline::{self, Engine, Options, Summary, TranslatorEngine};

/// Exit status when some documents failed and the others finished.
const EXIT_SOME_FAILED: u8 = 3;

/// Translate French articles and build a parallel corpus, resumably: one command for a folder of
/// articles (or a JSONL manifest) that can run overnight.
///
/// Each document is a French article: text scraped from a page (FILE.txt or FILE.fr.txt, a
/// paragraph per line), a saved page (FILE.html, gzipped too), each HTML response of a WARC
/// crawl (FILE.warc, FILE.warc.gz), each URL of a list (FILE.urls, fetched when the run starts),
/// or a manifest record {"id", "text" or "html", ...metadata}. Its blocks are typed: only the
/// prose (title, standfirst, headings, paragraphs, quotes, lists, captions) is translated and
/// enters the corpus; credits, date lines, hashtags, teasers and prompts stay verbatim in the
/// English article, and report.json counts them. Alone it is translated ("translate" mode: OUTDIR/docs/ID.en.txt and its
/// sentence pairs); with an English version beside it (FILE.en.txt; "en" in a manifest record) the
/// two are aligned through the machine translation ("parallel" mode: French ↔ human English
/// pairs, and BLEU/chrF of the MT against the human sentences in report.json).
///
/// Outputs: OUTDIR/docs/ID.{en.txt,pairs.jsonl,html,report.json} per document, and pairs.jsonl,
/// corpus.fr, corpus.en, corpus.tmx and report.json for the corpus, in document-id order. A rerun
/// skips documents already done with the same content, model and options (--force redoes
/// them). A document that cannot be read is reported and skipped: exit status 3 then.
///
/// Examples:
///   entente pipeline corpora/ -o out/
///   entente pipeline --manifest articles.jsonl -o out/ --beams 4
///   cat article.txt | entente pipeline - -o out/
#[derive(Args)]
#[command(
    verbatim_doc_comment,
    about = "Translate French articles and build a parallel corpus (resumable)"
)]
pub struct PipelineArgs {
    /// Files, folders (searched recursively for --glob) or `-` for standard input.
    pub inputs: Vec<String>,
    /// A JSONL manifest: one {"id", "text" or "html", "en"?, …metadata} record per article.
    #[arg(long)]
    pub manifest: Option<PathBuf>,
    /// Output folder (created if missing).
    #[arg(short, long)]
    pub output: PathBuf,
    /// File names taken from folders (patterns separated by commas).
    #[arg(long, default_value = pipeline::DEFAULT_GLOB)]
    pub glob: String,
    /// Align parallel documents without translating them (documents without an English version
    /// are still translated, so the model is loaded only when there are any).
    #[arg(long)]
    pub no_mt: bool,
    /// A French–English dictionary as alignment evidence for parallel documents (as `entente
    /// align --lexicon`, again for more): a dictd .index or word<TAB>translation lines; by
    /// default FreeDict's fra-eng and eng-fra where Debian installed them.
    #[arg(long, conflicts_with = "no_lexicon")]
    pub lexicon: Vec<PathBuf>,
    /// Use no dictionary, not even one installed.
    #[arg(long)]
    pub no_lexicon: bool,
    /// Redo documents whose outputs already exist.
    #[arg(long)]
    pub force: bool,
    /// Documents sent through the engine together.
    #[arg(long, default_value_t = 32, value_parser = super::count_in(1, 100_000))]
    pub docs_per_batch: usize,
    /// Keep identical (fr, en) pairs once in the corpus files (the kept pair lists the other
    /// documents in `also_in`).
    #[arg(long)]
    pub dedup: bool,
    /// Drop corpus pairs with a side shorter than N characters.
    #[arg(long, value_name = "N")]
    pub min_chars: Option<usize>,
    /// Drop corpus pairs with a side longer than N characters.
    #[arg(long, value_name = "N")]
    pub max_chars: Option<usize>,
    /// Drop corpus pairs whose longer side has more than R times the characters of the other.
    #[arg(long, value_name = "R", value_parser = super::finite)]
    pub max_length_ratio: Option<f32>,
    /// Process only shard K of N (0 ≤ K < N; documents are assigned by a hash of their id), or
    /// `auto`: SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT, else JOB_COMPLETION_INDEX with
    /// --shard-count (a Kubernetes Indexed Job). Join the shards with `entente merge`.
    #[arg(long, value_name = "K/N|auto")]
    pub shard: Option<String>,
    /// Number of shards for `--shard auto` with JOB_COMPLETION_INDEX.
    #[arg(long)]
    pub shard_count: Option<usize>,
    /// Batch sentences across documents even where the engine is not batch-invariant (GPUs).
    /// On the CPU batches always fill across documents: a sentence's translation is the same
    /// whatever shares its batch, so runs are reproducible byte for byte whatever the sharding
    /// or resuming. On a GPU, by default a document's sentences are batched only with each
    /// other (reproducible); with this flag batches are full, and log-probabilities (and, in
    /// rare near-ties, words) may differ in their last digits between runs.
    #[arg(long)]
    pub mix_documents: bool,
    /// Replace invalid UTF-8 in documents instead of skipping them.
    #[arg(long)]
    pub lossy: bool,
    /// No progress line on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub model: super::ModelArgs,
    #[command(flatten)]
    pub search: super::translate::SearchArgs,
}

/// `K/N`, or `auto` from the scheduler's environment.
fn parse_shard(spec: &str, count: Option<usize>) -> anyhow::Result<(usize, usize)> {
    let var = |name: &str| -> anyhow::Result<Option<usize>> {
        match std::env::var(name) {
            Ok(v) => {
                Ok(Some(v.trim().parse().with_context(|| {
                    format!("{name}={v:?} is not a number")
                })?))
            }
            Err(_) => Ok(None),
        }
    };
    let (k, n) = if spec == "auto" {
        if let (Some(k), Some(n)) = (var("SLURM_ARRAY_TASK_ID")?, var("SLURM_ARRAY_TASK_COUNT")?) {
            // Slurm numbers tasks from --array's first index: run with --array=0-(N-1).
            (k, n)
        } else if let Some(k) = var("JOB_COMPLETION_INDEX")? {
            let n =
                count.context("--shard auto with JOB_COMPLETION_INDEX needs --shard-count N")?;
            (k, n)
        } else {
            anyhow::bail!(
                "--shard auto found neither SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT nor \
                 JOB_COMPLETION_INDEX; pass --shard K/N"
            );
        }
    } else {
        let (k, n) = spec
            .split_once('/')
            .and_then(|(k, n)| Some((k.trim().parse().ok()?, n.trim().parse().ok()?)))
            .with_context(|| format!("--shard {spec:?}: expected K/N (e.g. 0/4) or auto"))?;
        (k, n)
    };
    if n == 0 || k >= n {
        anyhow::bail!("--shard {k}/{n}: need 0 ≤ K < N (shards are numbered from 0)");
    }
    Ok((k, n))
}

/// Join shard outputs of `entente pipeline --shard K/N` into what one run would have written.
///
/// Example:
///   entente merge -o corpus/ shard-0/ shard-1/ shard-2/
#[derive(Args)]
#[command(
    verbatim_doc_comment,
    about = "Join the outputs of sharded pipeline runs into one corpus"
)]
pub struct MergeArgs {
    /// Output folders of the shard runs.
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,
    /// Output folder of the merged corpus.
    #[arg(short, long)]
    pub output: PathBuf,
}

pub fn merge(args: MergeArgs) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&args.output)
        .with_context(|| format!("creating the output folder {}", args.output.display()))?;
    let summary = pipeline::merge(&args.output, &args.shards)?;
    eprintln!(
        "merged {} shards: {} documents ({} failed), {} pairs in {}",
        args.shards.len(),
        summary.documents,
        summary.failed,
        summary.pairs,
        args.output.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn run(args: PipelineArgs) -> anyhow::Result<ExitCode> {
    if args.inputs.is_empty() && args.manifest.is_none() {
        anyhow::bail!("no input: give files, folders, `-`, or --manifest FILE");
    }
    std::fs::create_dir_all(&args.output)
        .with_context(|| format!("creating the output folder {}", args.output.display()))?;
    let (mut docs, mut failures) =
        pipeline::discover(&args.inputs, &args.glob, args.manifest.as_deref())?;
    // Decided over the whole corpus before sharding, so that every shard batches alike.
    let shared = pipeline::shared_sentences(&docs, args.lossy);
    if let Some(spec) = &args.shard {
        let (k, n) = parse_shard(spec, args.shard_count)?;
        docs.retain(|d| pipeline::shard_of(&d.id, n) == k);
        failures.retain(|f| pipeline::shard_of(&f.id, n) == k);
        eprintln!(
            "shard {k} of {n}: {} documents",
            docs.len() + failures.len()
        );
    }
    let needs_mt = !args.no_mt || docs.iter().any(|d| d.english.is_none());
    // A model that cannot load fails the run before any document is touched.
    let engine = if needs_mt {
        Some(load_engine(&args)?)
    } else {
        None
    };
    let show = !args.quiet && std::io::stderr().is_terminal();
    let start = std::time::Instant::now();
    let progress = |s: &Summary| {
        if show {
            eprint!(
                "\r\x1b[K{}",
                progress_line(s, start.elapsed().as_secs_f64())
            );
        }
    };
    let summary = pipeline::run(
        docs,
        failures,
        engine.as_ref().map(|e| e as &dyn Engine),
        &shared,
        &options(&args, lexicon(&args)?),
        &progress,
    )?;
    if show {
        eprintln!();
    }
    print_summary(&summary, &args.output);
    Ok(if summary.failed > 0 {
        ExitCode::from(EXIT_SOME_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

/// The model and search settings of the run, loaded (and checked) before any document.
fn load_engine(args: &PipelineArgs) -> anyhow::Result<TranslatorEngine> {
    let (translator, config, batch_size) =
        super::translate::prepare_engine(&args.model, &args.search)?;
    // What the files are, not only what they are called: new weights under the same name or a
    // moved Hub branch must not resume translations made with the old ones.
    let files = entente::hub::resolve(&args.model.model, args.model.revision.as_deref(), true)?;
    let model_digest = entente::hub::model_digest(&files)
        .with_context(|| format!("digesting the files of model {}", args.model.model))?;
    Ok(TranslatorEngine {
        translator,
        config,
        batch_size,
        model_digest,
        model_name: format!(
            "{}@{}",
            args.model.model,
            args.model.revision.as_deref().unwrap_or("default")
        ),
    })
}

/// The run's options from the command line.
/// The dictionaries asked for, else the installed ones (said on stderr), unless --no-lexicon.
fn lexicon(args: &PipelineArgs) -> anyhow::Result<Option<std::sync::Arc<entente::align::Lexicon>>> {
    let found = super::align::load_lexicon(&args.lexicon, args.no_lexicon, "fr", "en")?;
    let Some((path, lexicon)) = found else {
        return Ok(None);
    };
    eprintln!(
        "lexicon for parallel documents: {path} ({} entries)",
        lexicon.entries()
    );
    Ok(Some(std::sync::Arc::new(lexicon)))
}

fn options(
    args: &PipelineArgs,
    lexicon: Option<std::sync::Arc<entente::align::Lexicon>>,
) -> Options {
    Options {
        out_dir: args.output.clone(),
        no_mt: args.no_mt,
        lexicon,
        force: args.force,
        docs_per_batch: args.docs_per_batch,
        lossy: args.lossy,
        mix_documents: args.mix_documents,
        filters: pipeline::Filters {
            dedup: args.dedup,
            min_chars: args.min_chars,
            max_chars: args.max_chars,
            max_length_ratio: args.max_length_ratio.map(f64::from),
        },
    }
}

/// The terminal's progress line: documents, sentences, rates and ETA after `elapsed` seconds.
fn progress_line(s: &Summary, elapsed: f64) -> String {
    let done = s.processed + s.resumed + s.failed;
    let elapsed = elapsed.max(1e-3);
    let rate = s.sentences_translated as f64 / elapsed;
    let tokens = s.tokens_generated as f64 / elapsed;
    let eta = if done > 0 {
        let left = elapsed * (s.documents.saturating_sub(done)) as f64 / done as f64;
        format!("{}m{:02}s", (left / 60.0) as u64, left as u64 % 60)
    } else {
        "?".into()
    };
    format!(
        "{done}/{} documents ({} resumed, {} failed) · {} sentences · {rate:.1} sent/s · {tokens:.0} tok/s · ETA {eta}",
        s.documents, s.resumed, s.failed, s.sentences_translated
    )
}

/// The failures, then the totals, on standard error.
fn print_summary(summary: &Summary, output: &std::path::Path) {
    for failed in &summary.failures {
        eprintln!(
            "skipped {} ({}): {}",
            failed.id, failed.source, failed.error
        );
    }
    eprintln!(
        "{} documents: {} processed, {} resumed, {} failed; {} sentences translated; {} pairs in {}",
        summary.documents,
        summary.processed,
        summary.resumed,
        summary.failed,
        summary.sentences_translated,
        summary.pairs,
        output.display()
    );
}
