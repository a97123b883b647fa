//! `entente tokenize`: inspect how a model tokenizes text.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use entente::tokenizer::MarianTokenizer;
use entente::{hub, input};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TokenFormat {
    /// The ids the model receives, `</s>` included, space-separated.
    Ids,
    /// SentencePiece pieces, space-separated.
    Pieces,
    /// {"text": s, "ids": [..], "pieces": [..]} per line.
    Jsonl,
}

/// Tokenize text exactly as transformers' MarianTokenizer does for an opus-mt model, from the
/// model's own files (source.spm, target.spm, vocab.json). One input line gives one output line.
///
/// Examples:
///   entente tokenize --model opus-mt-fr-en article.txt
///   echo "Bonjour le monde" | entente tokenize --model ./my-model --format pieces
///   echo "8703 19 507 0" | entente tokenize --model opus-mt-fr-en --decode
#[derive(Args)]
#[command(
    verbatim_doc_comment,
    about = "Tokenize text exactly as transformers' MarianTokenizer, from the model's own files"
)]
pub struct TokenizeArgs {
    /// Input file; `-` or nothing reads standard input.
    #[arg(default_value = "-")]
    pub input: String,
    #[command(flatten)]
    pub model: super::ModelArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TokenFormat::Ids)]
    pub format: TokenFormat,
    /// Use the target-side (English) SentencePiece model.
    #[arg(long)]
    pub target: bool,
    /// Read lines of space-separated ids and print their decoded text.
    #[arg(long)]
    pub decode: bool,
    /// Replace invalid UTF-8 in the input instead of failing.
    #[arg(long)]
    pub lossy: bool,
    /// Write to this file (atomically) instead of standard output.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

pub fn run(args: TokenizeArgs) -> anyhow::Result<()> {
    if args.decode && args.format != TokenFormat::Ids {
        bail!("--decode prints text; --format does not apply");
    }
    let mut sink = super::Out::open(args.output.as_deref())?;
    let files = hub::resolve(&args.model.model, args.model.revision.as_deref(), false)
        .with_context(|| format!("finding the tokenizer files of {}", args.model.model))?;
    let tok = MarianTokenizer::from_dir(files.tokenizer_dir())?;
    let text = input::read_text(&args.input, args.lossy)?;
    let name = input::display_name(&args.input);
    let mut out = String::new();
    for (n, line) in text.lines().enumerate() {
        // Stream in chunks: the output of a large file need not be held whole, and a reader of
        // standard output sees lines as they come.
        if out.len() >= 1 << 16 {
            sink.send(out.as_bytes())?;
            out.clear();
            if sink.closed() {
                return Ok(());
            }
        }
        if args.decode {
            let ids = line
                .split_whitespace()
                .map(|t| match t.parse::<u64>() {
                    Ok(id) => u32::try_from(id).map_err(|_| {
                        anyhow::anyhow!("{name}:{}: id {t} is out of range (ids are below 2^32)", n + 1)
                    }),
                    Err(_) => Err(anyhow::anyhow!(
                        "{name}:{}: {t:?} is not a token id; expected space-separated non-negative integers",
                        n + 1
                    )),
                })
                .collect::<anyhow::Result<Vec<u32>>>()?;
            out.push_str(&tok.decode(&ids));
            out.push('\n');
            continue;
        }
        // Pieces alone need no ids: each format segments the line only for what it prints.
        let ids = || {
            if args.target {
                tok.encode_target(line)
            } else {
                tok.encode(line)
            }
        };
        match args.format {
            TokenFormat::Ids => {
                for (i, id) in ids().iter().enumerate() {
                    let gap = if i == 0 { "" } else { " " };
                    write!(out, "{gap}{id}").expect("writing to a String cannot fail");
                }
            }
            TokenFormat::Pieces => out.push_str(&tok.tokenize(line, args.target).join(" ")),
            TokenFormat::Jsonl => {
                let record = serde_json::json!({
                    "text": line, "ids": ids(), "pieces": tok.tokenize(line, args.target),
                });
                write!(out, "{record}").expect("writing to a String cannot fail");
            }
        }
        out.push('\n');
    }
    super::emit(sink, out.as_bytes())
}
