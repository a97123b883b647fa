//! `entente extract`: web pages, WARC crawls, URLs and scraped text in; articles out.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};
use entente::article::sources::{self, Document, Origin, ReadOptions};
use entente::article::Article;

/// Exit status when some documents failed and the others finished.
const EXIT_SOME_FAILED: u8 = 3;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExtractFormat {
    /// One JSON object (an array for several articles), indented.
    Json,
    /// One JSON object per article per line.
    Jsonl,
    /// The headline, then the article's running text, one block per line; a blank line between
    /// articles.
    Text,
}

/// Extract the article from news pages: the headline, standfirst, date, authors, site,
/// language and URL, and every block of the page in reading order, typed as prose (heading,
/// paragraph, quote, list, caption) or furniture (credit, dateline, byline, tags, teaser,
/// subscription, prompt, links), with `truncated` where the text visibly stops.
///
/// Inputs: `.html`/`.htm` files (gzipped too), WARC crawls (`.warc`, `.warc.gz`: each HTML
/// response record an article; other records are skipped and counted), `http(s)://` URLs, files
/// listing URLs (one per line), and plain text scraped from a page (typed line by line); `-`
/// reads standard input. A document that cannot be read or holds no article is reported on
/// standard error and skipped: exit status 3 then.
///
/// Examples:
///   entente extract page.html
///   entente extract crawl.warc.gz --format jsonl -o articles.jsonl
///   entente extract https://www.example.fr/article --format text
#[derive(Args)]
#[command(
    verbatim_doc_comment,
    about = "Extract articles from web pages, WARC crawls, URLs and scraped text"
)]
pub struct ExtractArgs {
    /// Files, URLs or `-` for standard input.
    #[arg(required = true)]
    pub inputs: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExtractFormat::Json)]
    pub format: ExtractFormat,
    /// Write to this file (atomically) instead of standard output.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// The most bytes one page (or WARC record, or decompressed file) may hold.
    #[arg(long, default_value_t = 64 << 20, value_parser = super::count_in(1, 1 << 40))]
    pub max_bytes: usize,
    /// Seconds a URL may take to answer, in all.
    #[arg(long, default_value_t = 30.0, value_parser = positive_seconds)]
    pub timeout: f64,
    /// The most redirects followed for a URL.
    #[arg(long, default_value_t = 5, value_parser = super::count_in(0, 100))]
    pub max_redirects: usize,
    /// Replace invalid UTF-8 in plain text with U+FFFD instead of refusing it (pages are decoded
    /// from their own charset either way).
    #[arg(long)]
    pub lossy: bool,
}

fn positive_seconds(text: &str) -> Result<f64, String> {
    match super::finite(text)? {
        x if x > 0.0 && x <= 86_400.0 => Ok(f64::from(x)),
        _ => Err("must be a number of seconds above 0 (and at most a day)".into()),
    }
}

pub fn run(args: ExtractArgs) -> anyhow::Result<ExitCode> {
    let mut sink = super::Out::open(args.output.as_deref())?;
    let options = ReadOptions {
        max_bytes: args.max_bytes,
        timeout: Duration::from_secs_f64(args.timeout),
        max_redirects: args.max_redirects as u32,
        lossy: args.lossy,
    };
    let (mut articles, mut extracted, mut failed, mut skipped) =
        (Vec::new(), 0usize, 0usize, 0usize);
    for input in &args.inputs {
        let documents: Vec<_> = if input == "-" {
            vec![stdin_document(&options)]
        } else {
            sources::read_input(input, &options, &mut skipped).collect()
        };
        for (source, document) in documents {
            match document.and_then(|d| d.article(options.lossy)) {
                Ok(article) => {
                    extracted += 1;
                    if args.format == ExtractFormat::Jsonl {
                        sink.send(format!("{}\n", article.to_json()).as_bytes())?;
                    } else {
                        articles.push(article);
                    }
                }
                Err(e) => {
                    failed += 1;
                    eprintln!("skipped {source}: {e}");
                }
            }
        }
    }
    let written = match args.format {
        ExtractFormat::Jsonl => None,
        ExtractFormat::Json => Some(json_output(&articles)),
        ExtractFormat::Text => Some(text_output(&articles)),
    };
    if let Some(out) = written {
        sink.send(out.as_bytes())?;
    }
    sink.finish()?;
    eprintln!(
        "{extracted} articles, {failed} failed{}",
        if skipped > 0 {
            format!("; {skipped} WARC records skipped (not HTML responses)")
        } else {
            String::new()
        }
    );
    Ok(if failed > 0 {
        ExitCode::from(EXIT_SOME_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

/// Standard input as one document: a page when it starts with markup, else text.
pub fn stdin_document(options: &ReadOptions) -> sources::Item {
    let source = "<stdin>".to_string();
    let read = entente::article::decode::read_capped(std::io::stdin().lock(), options.max_bytes)
        .and_then(|bytes| {
            let bytes = if entente::article::decode::is_gzip(&bytes) {
                entente::article::decode::gunzip(&bytes, options.max_bytes)?
            } else {
                bytes
            };
            let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_lowercase();
            let origin = if head.trim_start().starts_with('<') {
                Origin::Html
            } else {
                Origin::Text
            };
            Ok(Document {
                source: source.clone(),
                url: None,
                content_type: None,
                origin,
                bytes,
            })
        });
    (source, read)
}

fn json_output(articles: &[Article]) -> String {
    let value = match articles {
        [one] => one.to_json(),
        many => serde_json::Value::Array(many.iter().map(Article::to_json).collect()),
    };
    serde_json::to_string_pretty(&value).expect("JSON") + "\n"
}

fn text_output(articles: &[Article]) -> String {
    let mut out = String::new();
    for (i, article) in articles.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if let Some(title) = &article.title {
            let _ = writeln!(out, "{title}");
        }
        let _ = writeln!(out, "{}", article.text());
    }
    out
}
