//! `entente translate`: French→English with an opus-mt Marian model on Candle.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use entente::article::sources::{self, ReadOptions};
use entente::article::Article;
use entente::generate::{GenerationConfig, SearchOverrides};
use entente::input;
use entente::translate::{ArticlePlan, ResourceSettings, Setting, Translation, Translator};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputMode {
    /// Each line is one segment, translated on its own; output is line-aligned, empty lines stay
    /// empty.
    Lines,
    /// An article as scraped from a page (a paragraph per line): split into sentences with
    /// `entente segment`, its prose translated and written back with the same paragraphs and line
    /// breaks; the page's furniture (date and age lines, hashtags, photo credits, "Lire aussi"
    /// teasers, subscription and share prompts) is kept verbatim in its place, untranslated.
    Article,
    /// A web page (an HTML file, gzip too, standard input or an http(s) URL): its article
    /// extracted as by `entente extract`, then translated as with `article`, one block per
    /// line: the headline, standfirst and prose translated, the furniture kept verbatim.
    Page,
    /// An HTML or XHTML document translated whole: each block's sentences through the model as
    /// plain text would go, links, bold and other inline markup put back around the words
    /// they became (the model's attention as word alignment), code, scripts, styles and
    /// translate="no" untouched, lang="en". Guessed from .html/.htm/.xhtml.
    Html,
    /// A Word document (.docx): paragraphs translated, runs (bold, italic, links) around
    /// their words, everything else as it was. Write it with -o.
    Docx,
    /// An OpenDocument text (.odt), as docx.
    Odt,
    /// An OpenDocument presentation (.odp), as docx.
    Odp,
    /// A PowerPoint presentation (.pptx): slides and notes, as docx.
    Pptx,
    /// An EPUB book: its XHTML chapters as html.
    Epub,
}

/// The input modes that read a document, and its format.
const DOCUMENT_MODES: [(InputMode, entente::document::Format); 6] = {
    use entente::document::Format;
    [
        (InputMode::Html, Format::Html),
        (InputMode::Docx, Format::Docx),
        (InputMode::Odt, Format::Odt),
        (InputMode::Odp, Format::Odp),
        (InputMode::Pptx, Format::Pptx),
        (InputMode::Epub, Format::Epub),
    ]
};

impl InputMode {
    /// The document format of a document mode.
    pub fn document(self) -> Option<entente::document::Format> {
        DOCUMENT_MODES
            .iter()
            .find(|(m, _)| *m == self)
            .map(|(_, f)| *f)
    }

    /// The mode for an input: a document's from its extension, else lines.
    pub fn guess(input: &str) -> InputMode {
        let format = entente::document::Format::from_path(std::path::Path::new(input));
        DOCUMENT_MODES
            .iter()
            .find(|(_, f)| Some(*f) == format)
            .map_or(InputMode::Lines, |(m, _)| *m)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    /// One object per segment: {"src", "text", "ids", "logprob"}.
    Jsonl,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Precision {
    /// Float32: exact, token-identical to transformers (the default).
    F32,
    /// Float16 (GPUs).
    F16,
    /// BFloat16 (GPUs).
    Bf16,
    /// Int8 products on the CPU (AVX-512 VNNI, else AVX2): about 2× faster with VNNI and half
    /// the memory, with a small measured drift from f32 (see the README).
    Int8,
}

/// Search and engine options shared by the commands that translate.
#[derive(Args, Clone)]
pub struct SearchArgs {
    /// Beam size (default: the model's generation_config.json, 4 for opus-mt; 1 is greedy).
    #[arg(long, value_parser = super::count_in(1, 1 << 20))]
    pub beams: Option<usize>,
    /// Most tokens generated per segment (default: the model's max_length, within its
    /// positions).
    #[arg(long, value_parser = super::count_in(1, 1 << 20))]
    pub max_new_tokens: Option<usize>,
    /// Fewest tokens generated before EOS is allowed.
    #[arg(long, value_parser = super::count_in(0, 1 << 20))]
    pub min_new_tokens: Option<usize>,
    /// Exponent of the length normalization of beam scores.
    #[arg(long, value_parser = super::finite)]
    pub length_penalty: Option<f32>,
    /// Forbid repeating any n-gram of this size (transformers' no_repeat_ngram_size; 0 is off).
    #[arg(long, value_parser = super::count_in(0, 1 << 10))]
    pub no_repeat_ngram_size: Option<usize>,
    /// Penalize tokens already generated (transformers' repetition_penalty; 1.0 is off, 1.2 is
    /// a common choice against loops).
    #[arg(long, value_parser = super::finite)]
    pub repetition_penalty: Option<f32>,
    /// Segments translated together. A batch of long sources holds fewer where the memory
    /// budget requires (said at start with "lowered to N").
    #[arg(long, default_value_t = 16, value_parser = super::count_in(1, 1 << 20))]
    pub batch_size: usize,
    /// Worker threads: batches translated at once [default: ENTENTE_THREADS, else one per
    /// core available; one per GPU on a GPU]. More than the cores is allowed.
    #[arg(long, value_parser = super::count_in(1, 1 << 16))]
    pub threads: Option<usize>,
    /// Search memory of all the batches running at once: bytes or K/M/G/T, e.g. 8G [default:
    /// ENTENTE_MEMORY_BUDGET, else half the memory available (cgroup limits respected), or
    /// 80% of a GPU's free memory]. Shared among the batches that run at once.
    #[arg(long, value_parser = super::memory_size)]
    pub memory_budget: Option<u64>,
    /// cpu, cuda, cuda:N or metal (GPU back ends need the `cuda` / `metal` build features).
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Precision: f32 (default, exact), int8 on the CPU (faster, small drift), f16 or bf16 on
    /// GPUs.
    #[arg(long, value_enum, default_value_t = Precision::F32)]
    pub dtype: Precision,
}

impl SearchArgs {
    /// The model's generation settings with these options applied.
    pub fn apply(&self, config: &mut GenerationConfig) {
        SearchOverrides {
            beams: self.beams,
            max_new_tokens: self.max_new_tokens,
            min_new_tokens: self.min_new_tokens,
            length_penalty: self.length_penalty,
            no_repeat_ngram_size: self.no_repeat_ngram_size,
            repetition_penalty: self.repetition_penalty,
        }
        .apply(config);
    }
}

impl SearchArgs {
    /// The threads and budget asked for: the options, else their environment defaults.
    pub fn resource_settings(&self) -> anyhow::Result<ResourceSettings> {
        let asked = ResourceSettings {
            threads: self.threads.map(|n| Setting::new(n, "--threads")),
            memory_budget: self
                .memory_budget
                .map(|n| Setting::new(n, "--memory-budget")),
        };
        Ok(asked.or_defaults_from(|name| std::env::var(name).ok())?)
    }
}

/// Load the model, settle its generation settings with `search` (checked against the model and
/// the memory budget), its threads and memory budget, and the batch size. The start line (what
/// was chosen and why) and notes on what was adjusted go to stderr.
pub fn prepare_engine(
    model: &super::ModelArgs,
    search: &SearchArgs,
) -> anyhow::Result<(Translator, GenerationConfig, usize)> {
    let settings = search.resource_settings()?;
    let mut translator = load_translator(model, &search.device, search.dtype)?;
    let resource_notes = translator.apply_settings(&settings)?.notes.clone();
    let mut config = translator.generation.clone();
    search.apply(&mut config);
    let mut notes = translator.configure(&mut config)?;
    if search.max_new_tokens.is_none() {
        // The model's own max_length was already checked (and noted) at load.
        notes.retain(|n| !n.starts_with("max_length"));
        notes.extend(translator.notes.iter().cloned());
    }
    notes.extend(resource_notes);
    let plan = translator.plan(&config, search.batch_size, usize::MAX);
    eprintln!(
        "entente: {}",
        entente::translate::start_line(translator.resources(), &plan)
    );
    for note in &notes {
        eprintln!("note: {note}");
    }
    Ok((translator, config, search.batch_size))
}

/// Translate French text to English with an opus-mt model (default Helsinki-NLP/opus-mt-fr-en),
/// producing exactly what transformers' `generate` produces.
///
/// Examples:
///   entente translate sentences.fr > sentences.en
///   entente translate --input article corpora/000_5241068be115698e.txt
///   entente translate --input page saved-page.html
///   entente translate report.docx -o report.en.docx   # any document: html docx odt odp pptx epub
///   entente translate --model tc-big --beams 5 --format jsonl in.fr
///   entente translate --dtype int8 in.fr > out.en        # faster on CPUs, small drift
///   entente translate --model ./my-opus-mt-dir --device cuda --dtype f16 in.fr
#[derive(Args)]
#[command(
    verbatim_doc_comment,
    about = "Translate French text to English with an opus-mt model, exactly as transformers' generate"
)]
pub struct TranslateArgs {
    /// Input file; `-` or nothing reads standard input.
    #[arg(default_value = "-")]
    pub input: String,
    #[command(flatten)]
    pub model: super::ModelArgs,
    /// How the input is read [default: the document format its extension names, else lines].
    #[arg(long = "input", value_enum, id = "input_mode")]
    pub input_mode: Option<InputMode>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    #[command(flatten)]
    pub search: SearchArgs,
    /// Replace invalid UTF-8 in the input instead of failing.
    #[arg(long)]
    pub lossy: bool,
    /// Write to this file (atomically) instead of standard output.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// When done, print to standard error where the time went: the encoder, each kind of
    /// operation of a decoder step (products, attention, norms, the output projection) and
    /// the search, summed over threads; and the cache sizes the products were blocked for.
    #[arg(long)]
    pub profile: bool,
}

/// Translate `segments` in batches, longest first, one batch per worker thread at a time;
/// `progress` is told how many segments are done.
pub fn translate_all(
    translator: &Translator,
    segments: &[&str],
    config: &GenerationConfig,
    batch_size: usize,
    progress: &(dyn Fn(usize) + Sync),
) -> anyhow::Result<Vec<Translation>> {
    Ok(entente::translate::translate_sorted(
        translator, segments, config, batch_size, progress,
    )?)
}

/// A progress line on a terminal: segments done, and their rate.
pub(super) struct Progress {
    show: bool,
    start: std::time::Instant,
    before: std::sync::atomic::AtomicUsize,
}

impl Progress {
    pub(super) fn new() -> Self {
        Progress {
            show: std::io::stderr().is_terminal(),
            start: std::time::Instant::now(),
            before: 0.into(),
        }
    }

    /// `done` more segments of the current window.
    pub(super) fn window_done(&self, done: usize) {
        if self.show {
            let total = self.before.load(std::sync::atomic::Ordering::Relaxed) + done;
            let rate = total as f64 / self.start.elapsed().as_secs_f64().max(1e-3);
            eprint!("\rtranslated {total} segments ({rate:.1}/s)");
            let _ = std::io::stderr().flush();
        }
    }

    fn next_window(&self, size: usize) {
        self.before
            .fetch_add(size, std::sync::atomic::Ordering::Relaxed);
    }

    pub(super) fn end(&self) {
        if self.show {
            eprintln!();
        }
    }
}

/// Load the model and settle the generation settings from the model and the options.
pub fn load_translator(
    model: &super::ModelArgs,
    device_spec: &str,
    precision: Precision,
) -> anyhow::Result<Translator> {
    let name = match precision {
        Precision::F32 => "f32",
        Precision::F16 => "f16",
        Precision::Bf16 => "bf16",
        Precision::Int8 => "int8",
    };
    // One loader for the CLI, the server and the binding (`cuda` goes to the plan engine where
    // it is built in).
    let translator =
        entente::translate::load_named(&model.model, model.revision.as_deref(), device_spec, name)
            .map_err(|e| match e {
                entente::translate::TranslateError::Unsupported(why) => {
                    anyhow::anyhow!("--device {device_spec} --dtype {name}: {why}")
                }
                other => {
                    anyhow::Error::new(other).context(format!("loading model {}", model.model))
                }
            })?;
    Ok(translator)
}

pub fn run(args: TranslateArgs) -> anyhow::Result<()> {
    let profiled = args.profile;
    entente::profile::enable(profiled);
    let result = translate(args);
    if profiled {
        eprintln!("{}", entente::profile::report());
        // What the products were blocked for: a profile from another CPU reads against it.
        let cache = entente::marian::ops::cache::CacheSizes::detected();
        eprintln!(
            "products blocked for a core's caches: L1d {} KiB, L2 {} KiB",
            cache.l1d >> 10,
            cache.l2 >> 10
        );
    }
    result
}

fn translate(args: TranslateArgs) -> anyhow::Result<()> {
    let mode = args
        .input_mode
        .unwrap_or_else(|| InputMode::guess(&args.input));
    if let Some(format) = mode.document() {
        return super::document::translate_file(&args, format);
    }
    let mut sink = super::Out::open(args.output.as_deref())?;
    if mode == InputMode::Page {
        // Read and extracted before the model loads: a page with no article fails at once.
        let article = read_page(&args.input, args.lossy)?;
        let (text, kinds) = article.lines();
        let plan = ArticlePlan::with_kinds(&text, kinds);
        let (translator, config, batch_size) = prepare_engine(&args.model, &args.search)?;
        let progress = Progress::new();
        let report = |done: usize| progress.window_done(done);
        let out = translate_plan(&plan, &text, args.format, |sources| {
            translate_all(&translator, sources, &config, batch_size, &report)
        })?;
        sink.send(out.as_bytes())?;
        progress.end();
        return sink.finish();
    }
    // Opened (not read) before the model loads: a missing input fails at once.
    let lines = input::Lines::open(&args.input, args.lossy)?;
    let (translator, config, batch_size) = prepare_engine(&args.model, &args.search)?;

    let progress = Progress::new();
    let report = |done: usize| progress.window_done(done);
    match mode {
        InputMode::Page
        | InputMode::Html
        | InputMode::Docx
        | InputMode::Odt
        | InputMode::Odp
        | InputMode::Pptx
        | InputMode::Epub => unreachable!("pages and documents are read above"),
        InputMode::Lines => {
            // Stream: windows of lines are translated and written in input order as they finish,
            // so output starts early, memory stays bounded, and a closed pipe stops the work.
            let window = (batch_size * translator.resources().threads * 8).max(64);
            let mut lines = lines.peekable();
            while lines.peek().is_some() {
                let chunk: Vec<String> = lines.by_ref().take(window).collect::<Result<_, _>>()?;
                let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
                let translations = translate_all(&translator, &refs, &config, batch_size, &report)?;
                progress.next_window(chunk.len());
                let mut out = String::new();
                for (src, t) in refs.iter().zip(&translations) {
                    write_segment(&mut out, args.format, src, t);
                }
                sink.send(out.as_bytes())?;
                if sink.closed() {
                    break;
                }
            }
        }
        InputMode::Article => {
            let text = lines.collect::<Result<Vec<String>, _>>()?.join("\n");
            let plan = ArticlePlan::new(&text);
            let out = translate_plan(&plan, &text, args.format, |sources| {
                translate_all(&translator, sources, &config, batch_size, &report)
            })?;
            sink.send(out.as_bytes())?;
        }
    }
    progress.end();
    sink.finish()
}

/// Translate an article's prose with `translate` and write it in `format`: the whole article
/// with its furniture in place, or one record per translated sentence.
fn translate_plan(
    plan: &ArticlePlan,
    text: &str,
    format: OutputFormat,
    translate: impl FnOnce(&[&str]) -> anyhow::Result<Vec<Translation>>,
) -> anyhow::Result<String> {
    let sources = plan.sources();
    let translations = translate(&sources)?;
    let mut out = String::new();
    match format {
        OutputFormat::Jsonl => {
            for (src, t) in sources.iter().zip(&translations) {
                write_segment(&mut out, format, src, t);
            }
        }
        OutputFormat::Text => {
            let english: Vec<&str> = translations.iter().map(|t| t.text.as_str()).collect();
            // The input's lines were read without their final newline; one ends the output.
            out = plan.assemble(&english);
            if !text.trim().is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
        }
    }
    Ok(out)
}

/// The article of the one page `input` names (a file, `-` or a URL).
fn read_page(input: &str, lossy: bool) -> anyhow::Result<Article> {
    let options = ReadOptions {
        lossy,
        ..ReadOptions::default()
    };
    let mut skipped = 0;
    let mut pages: Vec<_> = if input == "-" {
        vec![super::extract::stdin_document(&options)]
    } else {
        sources::read_input(input, &options, &mut skipped)
            .take(2)
            .collect()
    };
    if pages.len() > 1 {
        bail!(
            "{input} holds several pages (a crawl or a URL list); `translate --input page` reads \
             one: use `entente pipeline` for many"
        );
    }
    let Some((source, page)) = pages.pop() else {
        bail!("{input} holds no HTML page");
    };
    page.and_then(|p| p.article(lossy))
        .with_context(|| format!("reading the article of {source}"))
}

fn write_segment(out: &mut String, format: OutputFormat, src: &str, t: &Translation) {
    match format {
        OutputFormat::Text => out.push_str(&t.text),
        OutputFormat::Jsonl => {
            let record =
                serde_json::json!({"src": src, "text": t.text, "ids": t.ids, "logprob": t.logprob});
            out.push_str(&record.to_string());
        }
    }
    out.push('\n');
}
