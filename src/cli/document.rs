//! `entente translate FILE.docx -o OUT.docx` (and html, odt, odp, pptx, epub): a document
//! translated whole, its formatting kept, written atomically.

use std::io::{IsTerminal, Read};

use anyhow::{bail, Context};
use entente::document::{self, Format};

use super::translate::{prepare_engine, OutputFormat, Progress, TranslateArgs};

/// The largest document read: an HTML page of this size is already hours of translation; a
/// package's text parts have their own limits inside.
const MAX_DOCUMENT_BYTES: u64 = 256 << 20;
const MAX_HTML_BYTES: u64 = 32 << 20;

/// Read the document `input` names (`-`: standard input), refusing more than `limit` bytes.
fn read_document(input: &str, limit: u64) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let reader: Box<dyn Read> = if input == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(input).with_context(|| format!("cannot open {input}"))?)
    };
    reader
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {input}"))?;
    if bytes.len() as u64 > limit {
        bail!(
            "{input} is larger than {} MiB, the most a document may be; split it (or use `entente \
             pipeline` for many pages)",
            limit >> 20
        );
    }
    Ok(bytes)
}

pub fn translate_file(args: &TranslateArgs, format: Format) -> anyhow::Result<()> {
    let name = format.name();
    if args.format == OutputFormat::Jsonl {
        bail!(
            "--format jsonl is for text input; a {name} document comes back as a {name} document"
        );
    }
    if format != Format::Html && args.output.is_none() && std::io::stdout().is_terminal() {
        bail!(
            "a {name} file is binary: write it to a file with -o OUT.{}",
            format.extension()
        );
    }
    let limit = if format == Format::Html {
        MAX_HTML_BYTES
    } else {
        MAX_DOCUMENT_BYTES
    };
    // Read and checked before the model loads: a bad file fails at once.
    let bytes = read_document(&args.input, limit)?;
    document::check_document(&bytes, format)
        .with_context(|| format!("reading {} as {name}", args.input))?;
    let mut sink = super::Out::open(args.output.as_deref())?;
    let (translator, config, batch_size) = prepare_engine(&args.model, &args.search)?;
    let progress = Progress::new();
    let report = |done: usize| progress.window_done(done);
    let translated = document::translate_document(&bytes, format, &translator, |sources| {
        entente::translate::translate_sorted(&translator, sources, &config, batch_size, &report)
    })
    .with_context(|| format!("translating {} as {name}", args.input))?;
    progress.end();
    sink.send(&translated.bytes)?;
    sink.finish()?;
    let r = &translated.report;
    eprintln!(
        "entente: {}: {} blocks, {} sentences translated; inline elements placed: {} by the \
         model's alignment, {} by position",
        args.input, r.blocks, r.sentences, r.aligned, r.fallback
    );
    Ok(())
}
