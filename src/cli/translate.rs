//! `entente translate`: French→English with an opus-mt Marian model on Candle.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{bail, Context};
use candle_core::{DType, Device};
use clap::{Args, ValueEnum};
use entente::generate::GenerationConfig;
use entente::segment::Segmenter;
use entente::translate::{Translation, Translator};
use entente::{hub, input};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputMode {
    /// Each line is one segment, translated on its own; output is line-aligned, empty lines stay
    /// empty.
    Lines,
    /// An article: split into sentences with `entente segment`, translated, and written back with
    /// the same paragraphs (one paragraph per line).
    Article,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    /// One object per segment: {"src", "text", "ids", "logprob"}.
    Jsonl,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Precision {
    F32,
    F16,
    Bf16,
}

/// Translate French text to English with an opus-mt model (default Helsinki-NLP/opus-mt-fr-en),
/// producing exactly what transformers' `generate` produces.
///
/// Examples:
///   entente translate sentences.fr > sentences.en
///   entente translate --input article corpora/000_5241068be115698e.txt
///   entente translate --model tc-big --beams 5 --format jsonl in.fr
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
    /// How the input is cut into segments.
    #[arg(long = "input", value_enum, default_value_t = InputMode::Lines, id = "input_mode")]
    pub input_mode: InputMode,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Beam size (default: the model's generation_config.json, 4 for opus-mt; 1 is greedy).
    #[arg(long)]
    pub beams: Option<usize>,
    /// Most tokens generated per segment (default: the model's max_length).
    #[arg(long)]
    pub max_new_tokens: Option<usize>,
    /// Fewest tokens generated before EOS is allowed.
    #[arg(long)]
    pub min_new_tokens: Option<usize>,
    /// Exponent of the length normalization of beam scores.
    #[arg(long)]
    pub length_penalty: Option<f32>,
    /// Segments translated together.
    #[arg(long, default_value_t = 16)]
    pub batch_size: usize,
    /// cpu, cuda, cuda:N or metal (GPU back ends need the `cuda` / `metal` build features).
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Weights precision: f32 (default; the only choice on CPU), f16 or bf16 on GPUs.
    #[arg(long, value_enum, default_value_t = Precision::F32)]
    pub dtype: Precision,
    /// Replace invalid UTF-8 in the input instead of failing.
    #[arg(long)]
    pub lossy: bool,
    /// Write to this file (atomically) instead of standard output.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

fn device(spec: &str) -> anyhow::Result<Device> {
    let device = match spec {
        "cpu" => Device::Cpu,
        "metal" => Device::new_metal(0)?,
        "cuda" => Device::new_cuda(0)?,
        other => match other.strip_prefix("cuda:").map(str::parse::<usize>) {
            Some(Ok(n)) => Device::new_cuda(n)?,
            _ => bail!("unknown device {other:?}: use cpu, cuda, cuda:N or metal"),
        },
    };
    Ok(device)
}

/// Translate `segments` in batches, longest first within each batch window, one batch per
/// core at a time, with progress on a terminal.
pub fn translate_all(
    translator: &Translator,
    segments: &[&str],
    config: &GenerationConfig,
    batch_size: usize,
) -> anyhow::Result<Vec<Translation>> {
    // Non-empty segments only; sorted by length so that batches carry little padding.
    let mut order: Vec<usize> = (0..segments.len())
        .filter(|&i| !segments[i].trim().is_empty())
        .collect();
    order.sort_by_key(|&i| std::cmp::Reverse(segments[i].len()));
    let sorted: Vec<&str> = order.iter().map(|&i| segments[i]).collect();
    let total = sorted.len();
    let show = std::io::stderr().is_terminal() && total > batch_size;
    let progress = |done: usize| {
        if show {
            eprint!("\rtranslated {done}/{total} segments");
            let _ = std::io::stderr().flush();
        }
    };
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let translated = entente::translate::translate_parallel(
        translator, &sorted, config, batch_size, workers, &progress,
    )?;
    if show {
        eprintln!();
    }
    let mut results: Vec<Translation> = vec![
        Translation {
            text: String::new(),
            ids: Vec::new(),
            logprob: 0.0,
        };
        segments.len()
    ];
    for (&i, t) in order.iter().zip(translated) {
        results[i] = t;
    }
    Ok(results)
}

pub fn run(args: TranslateArgs) -> anyhow::Result<()> {
    // Batches run on their own threads, one per core; Candle's inner threads would only contend
    // with them. Set before any other thread exists; a value chosen by the user is kept.
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        std::env::set_var("RAYON_NUM_THREADS", "1");
    }
    let text = input::read_text(&args.input, args.lossy)?;
    let device = device(&args.device)?;
    let dtype = match (args.dtype, device.is_cpu()) {
        (Precision::F32, _) => DType::F32,
        (_, true) => bail!("--dtype f16/bf16 is for GPUs; on CPU use f32 (the default)"),
        (Precision::F16, false) => DType::F16,
        (Precision::Bf16, false) => DType::BF16,
    };
    let files = hub::resolve(&args.model.model, args.model.revision.as_deref(), true)
        .with_context(|| format!("finding the files of model {}", args.model.model))?;
    let translator = Translator::load(&files, files.tokenizer_dir(), &device, dtype)
        .with_context(|| format!("loading model {}", args.model.model))?;
    let mut config = translator.generation.clone();
    if let Some(b) = args.beams {
        config.num_beams = b.max(1);
    }
    if let Some(n) = args.max_new_tokens {
        config.set_max_new_tokens(n);
    }
    if let Some(n) = args.min_new_tokens {
        config.min_new_tokens = Some(n);
    }
    if let Some(lp) = args.length_penalty {
        config.length_penalty = lp;
    }

    let mut out = String::new();
    match args.input_mode {
        InputMode::Lines => {
            let lines: Vec<&str> = text.lines().collect();
            let translations = translate_all(&translator, &lines, &config, args.batch_size)?;
            for (src, t) in lines.iter().zip(&translations) {
                write_segment(&mut out, args.format, src, t);
            }
        }
        InputMode::Article => {
            let segmenter = Segmenter::default();
            let sentences = segmenter.segment(&text);
            let sources: Vec<&str> = sentences.iter().map(|s| s.text(&text)).collect();
            let translations = translate_all(&translator, &sources, &config, args.batch_size)?;
            let mut para = None;
            for ((s, src), t) in sentences.iter().zip(&sources).zip(&translations) {
                match args.format {
                    OutputFormat::Jsonl => write_segment(&mut out, args.format, src, t),
                    OutputFormat::Text => {
                        if para == Some(s.para) {
                            out.push(' ');
                        } else if para.is_some() {
                            out.push_str("\n\n");
                        }
                        out.push_str(&t.text);
                        para = Some(s.para);
                    }
                }
            }
            if args.format == OutputFormat::Text && para.is_some() {
                out.push('\n');
            }
        }
    }
    super::emit(args.output.as_deref(), out.as_bytes())
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
