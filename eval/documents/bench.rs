//! bench-documents: what translating a document whole costs beyond translating its sentences.
//! For each file, `document::translate_document` runs end to end (read, parse, every sentence
//! through the model in batches, the attention probe for the blocks with inline markup, placing
//! and writing); the time spent inside its translation callback is the sentences' own cost, the
//! rest is what documents add. Model load is outside both (one load, as in a server). The
//! median of `--runs` runs is printed, with the CPU.
//!
//!   cargo run --release --example bench-documents -- --model DIR [--beams 4]
//!       [--max-new-tokens 64] [--runs 3] FILE...

use std::time::Instant;

use anyhow::{bail, Context};
use entente::document::{translate_document, Format};
use entente::generate::SearchOverrides;
use entente::translate::{load_named, translate_sorted};

fn cpu() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            let field = |k: &str| {
                t.lines()
                    .find(|l| l.starts_with(k))
                    .and_then(|l| l.split(':').nth(1))
                    .map(|v| v.trim().to_string())
            };
            Some(format!(
                "{} (family {} model {})",
                field("model name")?,
                field("cpu family")?,
                field("model\t")?
            ))
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut model, mut beams, mut max_new, mut runs, mut files) =
        (None, None, None, 3, Vec::new());
    while let Some(a) = args.next() {
        match a.as_str() {
            "--model" => model = args.next(),
            "--beams" => beams = Some(args.next().context("--beams N")?.parse()?),
            "--max-new-tokens" => {
                max_new = Some(args.next().context("--max-new-tokens N")?.parse()?)
            }
            "--runs" => runs = args.next().context("--runs N")?.parse()?,
            file => files.push(file.to_string()),
        }
    }
    let Some(model) = model else {
        bail!("usage: bench-documents --model DIR [--beams N] [--max-new-tokens N] [--runs N] FILE...")
    };
    let translator = load_named(&model, None, "cpu", "f32")?;
    let mut config = translator.generation.clone();
    SearchOverrides {
        beams,
        max_new_tokens: max_new,
        ..SearchOverrides::default()
    }
    .apply(&mut config);
    translator.configure(&mut config)?;
    println!(
        "{}, {} threads, beams {}, max_new_tokens {:?}, {} runs (medians)",
        cpu(),
        translator.resources().threads,
        config.num_beams,
        max_new,
        runs
    );
    println!("| file | sentences | total s | sentences s | documents add |");
    println!("|---|---:|---:|---:|---:|");
    for file in files {
        let format = Format::from_path(std::path::Path::new(&file)).context("a document file")?;
        let bytes = std::fs::read(&file).with_context(|| file.clone())?;
        let (mut totals, mut inner, mut sentences) = (Vec::new(), Vec::new(), 0);
        for _ in 0..runs {
            let start = Instant::now();
            let mut translating = 0.0;
            translate_document(&bytes, format, &translator, |sources| {
                sentences = sources.len();
                let t = Instant::now();
                let out = translate_sorted(&translator, sources, &config, 16, &|_| {});
                translating = t.elapsed().as_secs_f64();
                out
            })?;
            totals.push(start.elapsed().as_secs_f64());
            inner.push(translating);
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let (total, sentences_s) = (median(&mut totals), median(&mut inner));
        println!(
            "| {} | {sentences} | {total:.2} | {sentences_s:.2} | {:+.0}% |",
            std::path::Path::new(&file)
                .file_name()
                .unwrap()
                .to_string_lossy(),
            (total / sentences_s - 1.0) * 100.0
        );
    }
    Ok(())
}
