//! `entente align`: parallel sentence pairs from a document and its translation.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{bail, Context};
use candle_core::{DType, Device};
use clap::{Args, ValueEnum};
use entente::align::eval::format_ladder;
use entente::align::{align, AlignConfig, Features, Link};
use entente::translate::Translator;
use entente::{hub, input};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AlignFormat {
    /// src<TAB>tgt<TAB>score, merged sentences joined by a space.
    Tsv,
    /// {"src_ids", "tgt_ids", "src", "tgt", "score"} per link.
    Jsonl,
    /// `[0, 1]:[0]` lines, as in Bleualign's gold files.
    Ladder,
    /// Two line-aligned files, OUTPUT.src and OUTPUT.tgt (needs --output).
    Moses,
    /// A TMX 1.4 document.
    Tmx,
}

/// Align the sentences of a document with those of its translation (e.g. a French article and
/// its English edition): 1-1, merges and splits up to 1-4 / 4-1, and unaligned sentences.
///
/// The source side is machine-translated with entente's engine (--model) and compared with the
/// target, or a translation is supplied line-aligned with the source (--translation, as
/// Bleualign takes it), or no MT is used (--no-mt: numbers, names, cognates and lengths).
///
/// Examples:
///   entente align article.fr article.en --no-mt
///   entente align --presegmented dev.de dev.fr --translation dev.google.fr --format ladder
///   entente align a.fr a.en --model opus-mt-fr-en --format moses -o corpus
#[derive(Args)]
#[command(
    verbatim_doc_comment,
    about = "Align the sentences of a document with those of its translation"
)]
pub struct AlignArgs {
    /// Source document.
    pub src: String,
    /// Target document.
    pub tgt: String,
    /// Inputs hold one sentence per line (otherwise they are segmented with `entente segment`).
    #[arg(long)]
    pub presegmented: bool,
    /// Machine translation of the source sentences into the target language, one per line.
    #[arg(long, conflicts_with = "no_mt")]
    pub translation: Option<String>,
    /// Align without machine translation.
    #[arg(long)]
    pub no_mt: bool,
    /// Model translating the source side when neither --translation nor --no-mt is given.
    #[arg(long, default_value_t = hub::default_model())]
    pub model: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = AlignFormat::Tsv)]
    pub format: AlignFormat,
    /// Drop links scoring below this (they are counted on stderr).
    #[arg(long)]
    pub min_score: Option<f64>,
    /// Output file (a prefix for --format moses); standard output otherwise.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

fn sentences(path: &str, presegmented: bool) -> anyhow::Result<Vec<String>> {
    let text = input::read_text(path, false)?;
    Ok(if presegmented {
        text.lines().map(|l| l.trim().to_string()).collect()
    } else {
        entente::segment::split_sentences(&text)
            .into_iter()
            .map(|s| entente::segment::single_line(s).into_owned())
            .collect()
    })
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn run(args: AlignArgs) -> anyhow::Result<()> {
    let src =
        sentences(&args.src, args.presegmented).with_context(|| format!("reading {}", args.src))?;
    let tgt =
        sentences(&args.tgt, args.presegmented).with_context(|| format!("reading {}", args.tgt))?;
    let (src_features, tgt_features): (Vec<Features>, Vec<Features>) = if args.no_mt {
        (
            src.iter().map(|s| Features::anchors(s)).collect(),
            tgt.iter().map(|s| Features::anchors(s)).collect(),
        )
    } else {
        let mt: Vec<String> = match &args.translation {
            Some(path) => {
                let lines = sentences(path, true)?;
                if lines.len() != src.len() {
                    bail!(
                        "{path} has {} lines but the source has {} sentences: the translation must be line-aligned with the source{}",
                        lines.len(),
                        src.len(),
                        if args.presegmented { "" } else { " (segment it the same way, or use --presegmented)" }
                    );
                }
                lines
            }
            None => {
                let files = hub::resolve(&args.model, None, true)
                    .with_context(|| format!("finding model {} to translate the source (or pass --translation FILE / --no-mt)", args.model))?;
                let translator =
                    Translator::load(&files, files.tokenizer_dir(), &Device::Cpu, DType::F32)?;
                let refs: Vec<&str> = src.iter().map(String::as_str).collect();
                super::translate::translate_all(&translator, &refs, &translator.generation, 16)?
                    .into_iter()
                    .map(|t| t.text)
                    .collect()
            }
        };
        (
            mt.iter().map(|s| Features::lexical(s)).collect(),
            tgt.iter().map(|s| Features::lexical(s)).collect(),
        )
    };
    let links = align(&src_features, &tgt_features, &AlignConfig::default());
    let (mut kept, mut dropped): (Vec<Link>, usize) = (Vec::new(), 0);
    for link in links {
        let both = !link.src.is_empty() && !link.tgt.is_empty();
        if both && args.min_score.is_some_and(|m| link.score < m) {
            dropped += 1;
        } else {
            kept.push(link);
        }
    }
    let unaligned_src: usize = kept
        .iter()
        .filter(|l| l.tgt.is_empty())
        .map(|l| l.src.len())
        .sum();
    let unaligned_tgt: usize = kept
        .iter()
        .filter(|l| l.src.is_empty())
        .map(|l| l.tgt.len())
        .sum();
    eprintln!(
        "aligned {} source and {} target sentences: {} links, {unaligned_src} source and {unaligned_tgt} target sentences unaligned{}",
        src.len(),
        tgt.len(),
        kept.len(),
        if dropped > 0 { format!(", {dropped} links below --min-score dropped") } else { String::new() }
    );
    let join = |ids: &[usize], side: &[String]| {
        ids.iter()
            .map(|&i| side[i].as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut out = String::new();
    match args.format {
        AlignFormat::Tsv => {
            for l in &kept {
                writeln!(
                    out,
                    "{}\t{}\t{:.4}",
                    join(&l.src, &src),
                    join(&l.tgt, &tgt),
                    l.score
                )
                .expect("string");
            }
        }
        AlignFormat::Jsonl => {
            for l in &kept {
                let record = serde_json::json!({
                    "src_ids": l.src, "tgt_ids": l.tgt, "src": join(&l.src, &src),
                    "tgt": join(&l.tgt, &tgt), "score": l.score,
                });
                writeln!(out, "{record}").expect("string");
            }
        }
        AlignFormat::Ladder => {
            let ladder: Vec<_> = kept
                .iter()
                .map(|l| (l.src.clone(), l.tgt.clone()))
                .collect();
            out = format_ladder(&ladder);
        }
        AlignFormat::Tmx => {
            out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<tmx version=\"1.4\">\n");
            out.push_str("  <header creationtool=\"entente\" segtype=\"sentence\" adminlang=\"en\" srclang=\"*all*\" datatype=\"plaintext\" o-tmf=\"entente\"/>\n  <body>\n");
            for l in kept
                .iter()
                .filter(|l| !l.src.is_empty() && !l.tgt.is_empty())
            {
                writeln!(
                    out,
                    "    <tu>\n      <tuv xml:lang=\"src\"><seg>{}</seg></tuv>\n      <tuv xml:lang=\"tgt\"><seg>{}</seg></tuv>\n    </tu>",
                    xml_escape(&join(&l.src, &src)),
                    xml_escape(&join(&l.tgt, &tgt))
                )
                .expect("string");
            }
            out.push_str("  </body>\n</tmx>\n");
        }
        AlignFormat::Moses => {
            let Some(prefix) = &args.output else {
                bail!("--format moses writes two files: give their prefix with --output PREFIX");
            };
            let pairs: Vec<&Link> = kept
                .iter()
                .filter(|l| !l.src.is_empty() && !l.tgt.is_empty())
                .collect();
            let side = |pick: fn(&Link) -> &Vec<usize>, text: &[String]| -> String {
                pairs
                    .iter()
                    .map(|l| format!("{}\n", join(pick(l), text)))
                    .collect()
            };
            let path = |ext: &str| PathBuf::from(format!("{}.{ext}", prefix.display()));
            input::write_atomic(&path("src"), side(|l| &l.src, &src).as_bytes())?;
            input::write_atomic(&path("tgt"), side(|l| &l.tgt, &tgt).as_bytes())?;
            return Ok(());
        }
    }
    super::emit(args.output.as_deref(), out.as_bytes())
}
