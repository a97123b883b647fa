//! The quality claim in one command: newstest2014 fr→en translated by documents through the
//! pipeline, scored with sacreBLEU-exact BLEU and chrF, beside the published figures of
//! opus-mt-fr-en (BLEU 37.8, chrF 0.633 on this set, OPUS-MT-train's README).
//!
//!   cargo run --release --example eval-mt -- --model opus-mt-fr-en [--docs N] [--beams K]
//!
//! Each of the 176 documents (newstest2014.fr-en.docid_origlang.tsv) becomes one article whose
//! lines are its paragraphs; the English article's paragraphs are the hypotheses, line-aligned
//! with the references. With a random-weight test checkpoint the scores are near zero: the point
//! there is that the whole path runs.

use std::path::{Path, PathBuf};

#[path = "../common.rs"]
#[allow(dead_code)] // the harnesses' shared helpers; this one uses `arg` alone
mod common;

use candle_core::{DType, Device};
use entente::metrics::{self, Bleu, Chrf, Metric};
use entente::pipeline::{self, DocSpec, Options, Origin, TranslatorEngine};

/// Published scores of opus-mt-fr-en (opus-2020-02-26) on newstest2014.
pub const PUBLISHED_BLEU: f64 = 37.8;
pub const PUBLISHED_CHRF: f64 = 63.3;

/// What the evaluation measured.
pub struct Evaluation {
    pub documents: usize,
    pub segments: usize,
    pub bleu: metrics::Score,
    pub bleu_signature: String,
    pub chrf: metrics::Score,
    pub chrf_signature: String,
}

/// Translate the first `max_docs` documents of newstest2014 (all with None) with `model` through
/// the pipeline into `out` and score them.
pub fn evaluate(
    model: &str,
    data: &Path,
    out: &Path,
    max_docs: Option<usize>,
    beams: Option<usize>,
    max_new_tokens: Option<usize>,
) -> anyhow::Result<Evaluation> {
    let read = |name: &str| -> anyhow::Result<Vec<String>> {
        Ok(std::fs::read_to_string(data.join(name))?
            .lines()
            .map(str::to_string)
            .collect())
    };
    let (src, refs, ids) = (
        read("newstest2014.fr-en.fr")?,
        read("newstest2014.fr-en.en")?,
        read("newstest2014.fr-en.docid_origlang.tsv")?,
    );
    anyhow::ensure!(
        src.len() == refs.len() && src.len() == ids.len(),
        "newstest files differ in length"
    );
    // Documents in file order, each a run of lines with the same id.
    let mut docs: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, line) in ids.iter().enumerate() {
        let id = line.split('\t').next().unwrap_or_default().to_string();
        match docs.last_mut() {
            Some((last, lines)) if *last == id => lines.push(i),
            _ => docs.push((id, vec![i])),
        }
    }
    docs.truncate(max_docs.unwrap_or(usize::MAX));
    let specs: Vec<DocSpec> = docs
        .iter()
        .map(|(id, lines)| DocSpec {
            id: id.clone(),
            source: format!("newstest2014:{id}"),
            french: Origin::Inline(lines.iter().map(|&i| format!("{}\n", src[i])).collect()),
            english: None,
            meta: Default::default(),
        })
        .collect();

    let files = entente::hub::resolve(model, None, true)?;
    let translator = entente::translate::Translator::load(
        &files,
        files.tokenizer_dir(),
        &Device::Cpu,
        DType::F32,
    )?;
    let mut config = translator.generation.clone();
    if let Some(b) = beams {
        config.num_beams = b;
    }
    if let Some(n) = max_new_tokens {
        config.set_max_new_tokens(n);
    }
    translator.configure(&mut config)?;
    let engine = TranslatorEngine {
        model_digest: entente::hub::model_digest(&files)?,
        batch_size: 16,
        translator,
        config,
        model_name: model.to_string(),
    };
    let options = Options {
        out_dir: out.to_path_buf(),
        no_mt: false,
        lexicon: None,
        force: false,
        docs_per_batch: 16,
        lossy: false,
        filters: Default::default(),
        mix_documents: true,
    };
    let shared = pipeline::shared_sentences(&specs, false);
    let summary = pipeline::run(specs, Vec::new(), Some(&engine), &shared, &options, &|s| {
        eprint!("\r{}/{} documents", s.processed + s.resumed, s.documents);
    })?;
    eprintln!();
    anyhow::ensure!(summary.failed == 0, "{} documents failed", summary.failed);

    // The English articles' paragraphs, line-aligned with the references.
    let (mut hyps, mut refs_used) = (Vec::new(), Vec::new());
    for (id, lines) in &docs {
        let article = std::fs::read_to_string(out.join("docs").join(format!("{id}.en.txt")))?;
        let paragraphs: Vec<&str> = article
            .strip_suffix('\n')
            .unwrap_or(&article)
            .split("\n\n")
            .collect();
        anyhow::ensure!(
            paragraphs.len() == lines.len(),
            "{id}: {} paragraphs for {} lines",
            paragraphs.len(),
            lines.len()
        );
        hyps.extend(paragraphs.iter().map(|p| p.to_string()));
        refs_used.extend(lines.iter().map(|&i| refs[i].clone()));
    }
    let refs = vec![refs_used];
    let (bleu, chrf) = (Bleu::default(), Chrf::default());
    Ok(Evaluation {
        documents: docs.len(),
        segments: hyps.len(),
        bleu: metrics::corpus_score(&bleu, &hyps, &metrics::prepare_refs(&bleu, &refs)),
        bleu_signature: bleu.signature(1).format(false),
        chrf: metrics::corpus_score(&chrf, &hyps, &metrics::prepare_refs(&chrf, &refs)),
        chrf_signature: chrf.signature(1).format(false),
    })
}

#[allow(dead_code)] // a test includes this file for `evaluate`
fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| common::arg(&args, flag);
    let model = value("--model").unwrap_or_else(|| "opus-mt-fr-en".into());
    let data = match value("--data") {
        Some(d) => PathBuf::from(d),
        None => entente::testdata::find("eval/mt/newstest2014-fr-en").ok_or_else(|| {
            anyhow::anyhow!("newstest2014 not found: pass --data DIR or set ENTENTE_TEST_DATA")
        })?,
    };
    let docs = value("--docs").map(|n| n.parse()).transpose()?;
    let beams = value("--beams").map(|n| n.parse()).transpose()?;
    let out = tempfile_dir()?;
    let e = evaluate(&model, &data, &out, docs, beams, None)?;
    println!(
        "newstest2014 fr→en, {} documents, {} segments, model {model}",
        e.documents, e.segments
    );
    println!(
        "{:<8} {:>9} {:>10}  signature",
        "metric", "entente", "published"
    );
    println!(
        "{:<8} {:>9.1} {:>10.1}  {}",
        "BLEU", e.bleu.score, PUBLISHED_BLEU, e.bleu_signature
    );
    println!(
        "{:<8} {:>9.1} {:>10.1}  {}",
        "chrF2", e.chrf.score, PUBLISHED_CHRF, e.chrf_signature
    );
    println!(
        "(published: OPUS-MT-train models/fr-en README, opus-2020-02-26; outputs in {})",
        out.display()
    );
    Ok(())
}

fn tempfile_dir() -> std::io::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("entente-eval-mt-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
