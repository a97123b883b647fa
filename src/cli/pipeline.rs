//! `entente pipeline`: French press articles in, English articles and a parallel corpus out.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use entente::generate::GenerationConfig;
use entente::pipeline::{self, Engine, Options, Summary};
use entente::translate::Translator;

/// Exit status when some documents failed and the others finished.
const EXIT_SOME_FAILED: u8 = 3;

/// Translate French articles and build a parallel corpus, resumably: one command for a folder of
/// articles (or a JSONL manifest) that can run overnight.
///
/// Each document is a French article (FILE.txt or FILE.fr.txt; a manifest record {"id", "text",
/// ...metadata}). Alone it is translated ("translate" mode: OUTDIR/docs/ID.en.txt and its
/// sentence pairs); with an English version beside it (FILE.en.txt; "en" in a manifest record) the
/// two are aligned through the machine translation ("parallel" mode: French ↔ human English
/// pairs, and BLEU/chrF of the MT against the human sentences in report.json).
///
/// Outputs: OUTDIR/docs/ID.{en.txt,pairs.jsonl,report.json} per document, and pairs.jsonl,
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
    /// A JSONL manifest: one {"id", "text", "en"?, …metadata} record per article.
    #[arg(long)]
    pub manifest: Option<PathBuf>,
    /// Output folder (created if missing).
    #[arg(short, long)]
    pub output: PathBuf,
    /// File names taken from folders.
    #[arg(long, default_value = "*.txt")]
    pub glob: String,
    /// Align parallel documents without translating them (documents without an English version
    /// then fail).
    #[arg(long)]
    pub no_mt: bool,
    /// Redo documents whose outputs already exist.
    #[arg(long)]
    pub force: bool,
    /// Documents sent through the engine together.
    #[arg(long, default_value_t = 32, value_parser = super::count_in(1, 100_000))]
    pub docs_per_batch: usize,
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

/// entente's own engine behind the pipeline.
struct TranslatorEngine {
    translator: Translator,
    config: GenerationConfig,
    batch_size: usize,
    identity: String,
}

impl Engine for TranslatorEngine {
    fn translate(&self, sentences: &[&str]) -> Result<Vec<(String, f64)>, String> {
        super::translate::translate_all(
            &self.translator,
            sentences,
            &self.config,
            self.batch_size,
            &|_| {},
        )
        .map(|ts| ts.into_iter().map(|t| (t.text, t.logprob)).collect())
        .map_err(|e| format!("{e:#}"))
    }

    fn identity(&self) -> String {
        self.identity.clone()
    }
}

pub fn run(args: PipelineArgs) -> anyhow::Result<ExitCode> {
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        std::env::set_var("RAYON_NUM_THREADS", "1");
    }
    if args.inputs.is_empty() && args.manifest.is_none() {
        anyhow::bail!("no input: give files, folders, `-`, or --manifest FILE");
    }
    std::fs::create_dir_all(&args.output)
        .with_context(|| format!("creating the output folder {}", args.output.display()))?;
    let (docs, failures) = pipeline::discover(&args.inputs, &args.glob, args.manifest.as_deref())?;
    let needs_mt = !args.no_mt || docs.iter().any(|d| d.english.is_none());
    // A model that cannot load fails the run before any document is touched.
    let engine = if needs_mt {
        let (translator, config, batch_size) =
            super::translate::prepare_engine(&args.model, &args.search)?;
        let identity = format!(
            "{}@{}|{:?}|{:?}",
            args.model.model,
            args.model.revision.as_deref().unwrap_or("default"),
            config,
            translator.model.config()
        );
        Some(TranslatorEngine {
            translator,
            config,
            batch_size,
            identity,
        })
    } else {
        None
    };
    let show = !args.quiet && std::io::stderr().is_terminal();
    let start = std::time::Instant::now();
    let progress = |s: &Summary| {
        if show {
            let done = s.processed + s.resumed + s.failed;
            let rate = s.sentences_translated as f64 / start.elapsed().as_secs_f64().max(1e-3);
            eprint!(
                "\r{done}/{} documents ({} resumed, {} failed), {} sentences translated ({rate:.1}/s)",
                s.documents, s.resumed, s.failed, s.sentences_translated
            );
        }
    };
    let options = Options {
        out_dir: args.output.clone(),
        glob: args.glob.clone(),
        no_mt: args.no_mt,
        force: args.force,
        docs_per_batch: args.docs_per_batch,
        lossy: args.lossy,
    };
    let summary = pipeline::run(
        docs,
        failures.clone(),
        engine.as_ref().map(|e| e as &dyn Engine),
        &options,
        &progress,
    )?;
    if show {
        eprintln!();
    }
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(args.output.join("report.json")).unwrap_or_default(),
    )
    .unwrap_or_default();
    for failed in report["failed"].as_array().into_iter().flatten() {
        eprintln!(
            "skipped {} ({}): {}",
            failed["id"].as_str().unwrap_or("?"),
            failed["source"].as_str().unwrap_or(""),
            failed["error"].as_str().unwrap_or("")
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
        args.output.display()
    );
    Ok(if summary.failed > 0 {
        ExitCode::from(EXIT_SOME_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}
