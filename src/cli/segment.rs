//! `entente segment`: split French text into sentences.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use entente::input;
use entente::segment::{single_line, SegmentOptions, Segmenter};

#[derive(Clone, Copy, ValueEnum)]
pub enum SegmentFormat {
    /// One sentence per line, a blank line between paragraphs.
    Text,
    /// One JSON object per sentence: {"para", "sent", "start", "end", "text"}, with byte offsets
    /// into the input.
    Jsonl,
}

/// Split French text (web articles: headlines, captions, quotes « », abbreviations, hashtags)
/// into sentences.
///
/// Each input line is a paragraph or a stand-alone unit (headline, date line, caption, credit);
/// blank lines are ignored. Every non-whitespace character of the input ends up in exactly one
/// sentence.
#[derive(Args)]
pub struct SegmentArgs {
    /// Input file; `-` or nothing reads standard input.
    #[arg(default_value = "-")]
    pub input: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SegmentFormat::Text)]
    pub format: SegmentFormat,
    /// Hard-wrapped text: a single newline is a space and a blank line separates paragraphs.
    #[arg(long)]
    pub join_lines: bool,
    /// Replace invalid UTF-8 with U+FFFD instead of failing (offsets then refer to the repaired
    /// text).
    #[arg(long)]
    pub lossy: bool,
    /// Write to this file (atomically) instead of standard output.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

pub fn run(args: SegmentArgs) -> anyhow::Result<()> {
    let sink = super::Out::open(args.output.as_deref())?;
    let text = input::read_text(&args.input, args.lossy)?;
    let segmenter = Segmenter::new(SegmentOptions {
        join_lines: args.join_lines,
    });
    let sentences = segmenter.segment(&text);
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    match args.format {
        SegmentFormat::Text => {
            for (i, s) in sentences.iter().enumerate() {
                if i > 0 && s.sent == 0 {
                    out.push('\n');
                }
                out.push_str(&single_line(s.text(&text)));
                out.push('\n');
            }
        }
        SegmentFormat::Jsonl => {
            for s in &sentences {
                let record = serde_json::json!({
                    "para": s.para, "sent": s.sent, "start": s.start, "end": s.end,
                    "text": s.text(&text),
                });
                writeln!(out, "{record}").expect("writing to a String cannot fail");
            }
        }
    }
    super::emit(sink, out.as_bytes())
}
