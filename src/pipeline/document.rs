//! One document's outputs: read and segmented (or found done under its key), its pairs (the
//! translation, or the alignment with its English version), its English article, side-by-side
//! page and report, each written atomically, the report last.

use std::collections::HashMap;
use std::io::Write;

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::articles::{article_meta, prose_sentences, read_article};
use super::engine::Translated;
use super::keys::{doc_path, hex};
use super::options::Options;
use super::origin::DocSpec;
use super::outcome::PipelineError;
use super::quality::quality_flags;
use crate::align::{align_documents, Lexicon};
use crate::article::Article;
use crate::formats;
use crate::metrics::{self, Bleu, Chrf, Metric};
use crate::output;

/// A document read and segmented, waiting for its translations.
pub(super) struct Prepared {
    pub(super) spec: DocSpec,
    pub(super) key: String,
    /// The French article: every block, prose and furniture.
    pub(super) article: Article,
    /// (block, sentence, text) of each sentence of the French prose.
    pub(super) sentences: Vec<(usize, usize, String)>,
    pub(super) english: Option<Vec<(usize, usize, String)>>,
    /// The document's metadata with the article's (url, title, date, …) where it had none.
    pub(super) meta: Map<String, Value>,
}

/// Read and segment a document; None when its outputs are already there for the same key.
pub(super) fn prepare(
    spec: &DocSpec,
    identity: &str,
    options: &Options,
) -> Result<Option<Prepared>, String> {
    if spec.id.is_empty()
        || spec
            .id
            .split('/')
            .any(|p| p.is_empty() || p == "." || p == "..")
        || spec.id.starts_with('/')
    {
        return Err(format!(
            "document id {:?} cannot name a file under docs/",
            spec.id
        ));
    }
    let article = read_article(&spec.french, options.lossy).map_err(|e| e.to_string())?;
    let english = spec
        .english
        .as_ref()
        .map(|o| read_article(o, options.lossy).map_err(|e| format!("English version: {e}")))
        .transpose()?;
    // The key follows what is translated and kept: the typed blocks, not the bytes they came
    // from.
    let fingerprint = |a: &Article| serde_json::to_string(&a.blocks).unwrap_or_default();
    let mut hasher = Sha256::new();
    for part in [
        fingerprint(&article).as_str(),
        english
            .as_ref()
            .map(fingerprint)
            .unwrap_or_default()
            .as_str(),
        identity,
        &format!("no_mt={}", options.no_mt),
        // The aligner's own revision: parallel documents aligned by an older one are redone.
        "aligner=3 (expected-accuracy links, a word's first 4 translations)",
        &format!(
            "lexicon={}",
            options
                .lexicon
                .as_ref()
                .map_or("none".into(), |l| l.fingerprint())
        ),
        &serde_json::to_string(&spec.meta).unwrap_or_default(),
        env!("CARGO_PKG_VERSION"),
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    let key = hex(&hasher.finalize());
    if !options.force {
        let report = doc_path(&options.out_dir, &spec.id, ".report.json");
        if let Ok(text) = std::fs::read_to_string(&report) {
            if serde_json::from_str::<Value>(&text)
                .is_ok_and(|v| v["key"] == key.as_str() && v["status"] == "ok")
            {
                return Ok(None);
            }
        }
    }
    let sentences = prose_sentences(&article);
    let english = english.as_ref().map(prose_sentences);
    let mut meta = spec.meta.clone();
    article_meta(&article, &mut meta);
    Ok(Some(Prepared {
        spec: spec.clone(),
        key,
        article,
        sentences,
        english,
        meta,
    }))
}

/// One pair of a document, as written to `pairs.jsonl`.
#[allow(clippy::too_many_arguments)]
pub(super) fn pair_record(
    spec: &DocSpec,
    meta: &Map<String, Value>,
    para: usize,
    sent: usize,
    fr: &str,
    en: &str,
    score: f64,
    mode: &str,
) -> Value {
    // Four decimals: the digits beyond carry no information, and under --mix-documents a
    // translation's log-probability varies in its last bits with the batch it was computed in.
    let score = (score * 1e4).round() / 1e4;
    let mut record = json!({
        "doc": spec.id, "para": para, "sent": sent, "fr": fr, "en": en, "score": score,
        "mode": mode, "flags": quality_flags(fr, en),
    });
    let map = record.as_object_mut().expect("an object");
    for (k, v) in meta {
        map.entry(k.clone()).or_insert_with(|| v.clone());
    }
    record
}

/// Produce and write a document's outputs; returns its number of pairs.
pub(super) fn finish(
    p: Prepared,
    translations: [&HashMap<String, Translated>; 2],
    engine: Option<&dyn super::engine::Engine>,
    options: &Options,
) -> Result<usize, PipelineError> {
    let with_mt = engine.is_some();
    let none = Translated::default();
    let mt = |s: &str| {
        translations
            .iter()
            .find_map(|done| done.get(s))
            .unwrap_or(&none)
    };
    let mut report = json!({
        "id": p.spec.id, "source": p.spec.source, "key": p.key, "status": "ok",
        "sentences": p.sentences.len(),
        "article": article_report(&p.article),
        "removed": p.article.furniture_counts(),
    });
    let (records, en_article) = match &p.english {
        None => {
            if !with_mt {
                return Err(PipelineError::Engine(
                    "a document without an English version needs translation (drop --no-mt)".into(),
                ));
            }
            report["mode"] = json!("translate");
            if let Some(engine) = engine {
                let known = |s: &str| {
                    let t = mt(s);
                    (!t.text.is_empty() || s.trim().is_empty()).then(|| t.clone())
                };
                translated_file(&p.spec, engine, &known, options, &mut report)?;
            }
            let (records, article) = translated_pairs(&p, &mt);
            (records, Some(article))
        }
        Some(english) => {
            report["mode"] = json!("parallel");
            report["english_sentences"] = json!(english.len());
            let use_mt = with_mt && !options.no_mt;
            let lexicon = options.lexicon.as_deref();
            let (records, stats) = aligned_pairs(&p, english, use_mt, lexicon, &mt);
            if let Some((bleu, chrf)) = stats {
                report["scores"] = scores(&bleu, &chrf);
                // Sufficient statistics: the corpus scores are computed from their sums.
                report["stats"] = json!({"bleu": bleu, "chrf": chrf});
            }
            (records, None)
        }
    };
    report["pairs"] = json!(records.len());
    write_outputs(&p.spec, options, &records, en_article, &report)?;
    Ok(records.len())
}

/// A document file (DOCX, ODT, ODP, PPTX, EPUB) translated whole beside the outputs, as
/// `docs/ID.en.EXT`, named in the report.
fn translated_file(
    spec: &DocSpec,
    engine: &dyn super::engine::Engine,
    known: &dyn Fn(&str) -> Option<Translated>,
    options: &Options,
    report: &mut Value,
) -> Result<(), PipelineError> {
    let super::origin::Origin::File(path) = &spec.french else {
        return Ok(());
    };
    let Some(format) = super::articles::office_format(path) else {
        return Ok(());
    };
    let bytes = std::fs::read(path).map_err(|source| PipelineError::Io {
        path: path.clone(),
        source,
    })?;
    let Some(result) = engine.translate_document(&bytes, format, known) else {
        return Ok(());
    };
    let translated =
        result.map_err(|e| PipelineError::Engine(format!("{}: {e}", path.display())))?;
    let suffix = format!(".en.{}", format.extension());
    let target = doc_path(&options.out_dir, &spec.id, &suffix);
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(|source| PipelineError::Io {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    output::write_file(&target, &translated)?;
    report["document"] = json!(format!("{}{suffix}", spec.id));
    Ok(())
}

/// Translate mode: a pair per sentence of the French prose, and the English article: every
/// block in order, the prose translated (a block's sentences joined by spaces), the furniture
/// (credits, date lines, tags, teasers, prompts) verbatim in its place.
fn translated_pairs<'t>(
    p: &Prepared,
    mt: &impl Fn(&str) -> &'t Translated,
) -> (Vec<Value>, String) {
    let mut records = Vec::new();
    let mut english: Vec<String> = p.article.blocks.iter().map(|_| String::new()).collect();
    for (n, (block, sent, fr)) in p.sentences.iter().enumerate() {
        let Translated {
            text: en, logprob, ..
        } = mt(fr);
        let out = &mut english[*block];
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(en);
        let b = &p.article.blocks[*block];
        let last_of_block = p.sentences.get(n + 1).is_none_or(|next| next.0 != *block);
        let mut record = pair_record(
            &p.spec,
            &p.meta,
            *block,
            *sent,
            fr,
            en,
            *logprob,
            "translate",
        );
        mark_block(&mut record, b.kind.name(), b.truncated && last_of_block);
        records.push(record);
    }
    let article: Vec<&str> = p
        .article
        .blocks
        .iter()
        .zip(&english)
        .map(|(b, en)| {
            if b.kind.is_prose() {
                en.as_str()
            } else {
                b.text.as_str()
            }
        })
        .collect();
    (records, article.join("\n\n") + "\n")
}

/// A pair's block kind, and the `truncated` flag on the last sentence of a block that visibly
/// stops mid-sentence.
fn mark_block(record: &mut Value, kind: &str, truncated: bool) {
    record["kind"] = json!(kind);
    if truncated {
        if let Some(flags) = record["flags"].as_array_mut() {
            flags.push(json!("truncated"));
        }
    }
}

/// The article's metadata, as the report gives it.
fn article_report(article: &Article) -> Value {
    json!({
        "title": article.title, "url": article.url, "date": article.date,
        "authors": article.authors, "site": article.site, "lang": article.lang,
        "blocks": article.blocks.len(), "truncated": article.truncated(),
    })
}

/// Summed BLEU and chrF statistics.
type MetricStats = (Vec<f64>, Vec<f64>);

/// Parallel mode: the French aligned with its English version (through the MT with `use_mt`);
/// the pairs, and with MT the BLEU and chrF statistics of the MT against the aligned English.
fn aligned_pairs<'t>(
    p: &Prepared,
    english: &[(usize, usize, String)],
    use_mt: bool,
    lexicon: Option<&Lexicon>,
    mt: &impl Fn(&str) -> &'t Translated,
) -> (Vec<Value>, Option<MetricStats>) {
    let src: Vec<String> = p.sentences.iter().map(|(_, _, s)| s.clone()).collect();
    let tgt: Vec<String> = english.iter().map(|(_, _, s)| s.clone()).collect();
    let translations: Option<Vec<String>> =
        use_mt.then(|| src.iter().map(|s| mt(s).text.clone()).collect());
    let (links, _, _) = align_documents(&src, &tgt, translations.as_deref(), lexicon, None);
    let join = |ids: &[usize], side: &[(usize, usize, String)]| {
        ids.iter()
            .map(|&i| side[i].2.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (mut records, mut hyps, mut refs) = (Vec::new(), Vec::new(), Vec::new());
    for link in links
        .iter()
        .filter(|l| !l.src.is_empty() && !l.tgt.is_empty())
    {
        let fr = join(&link.src, &p.sentences);
        let en = join(&link.tgt, english);
        let (para, sent) = (p.sentences[link.src[0]].0, p.sentences[link.src[0]].1);
        let mut record = pair_record(
            &p.spec, &p.meta, para, sent, &fr, &en, link.score, "parallel",
        );
        let b = &p.article.blocks[para];
        mark_block(&mut record, b.kind.name(), false);
        records.push(record);
        if use_mt {
            let hyp: Vec<&str> = link
                .src
                .iter()
                .map(|&i| mt(&p.sentences[i].2).text.as_str())
                .collect();
            hyps.push(hyp.join(" "));
            refs.push(en);
        }
    }
    let stats = (use_mt && !hyps.is_empty()).then(|| metric_stats(&hyps, &refs));
    (records, stats)
}

/// Write a document's files atomically, the report last: its presence with this key marks the
/// document done.
fn write_outputs(
    spec: &DocSpec,
    options: &Options,
    records: &[Value],
    en_article: Option<String>,
    report: &Value,
) -> Result<(), PipelineError> {
    let html = page(spec, records, report["mode"].as_str().unwrap_or(""));
    let mut pairs = Vec::new();
    for r in records {
        writeln!(pairs, "{r}").expect("writing to memory");
    }
    let id = &spec.id;
    if let Some(parent) = doc_path(&options.out_dir, id, "").parent() {
        std::fs::create_dir_all(parent).map_err(|source| PipelineError::Io {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    if let Some(article) = en_article {
        output::write_file(
            &doc_path(&options.out_dir, id, ".en.txt"),
            article.as_bytes(),
        )?;
    }
    output::write_file(&doc_path(&options.out_dir, id, ".pairs.jsonl"), &pairs)?;
    output::write_file(&doc_path(&options.out_dir, id, ".html"), &html)?;
    let report = serde_json::to_string_pretty(report).expect("JSON") + "\n";
    output::write_file(
        &doc_path(&options.out_dir, id, ".report.json"),
        report.as_bytes(),
    )?;
    Ok(())
}

/// The document's bilingual side-by-side page, paragraph by paragraph of the French.
pub(super) fn page(spec: &DocSpec, records: &[Value], mode: &str) -> Vec<u8> {
    let mut paragraphs: Vec<formats::HtmlParagraph> = Vec::new();
    let mut last_para = None;
    for (n, r) in records.iter().enumerate() {
        let para = r["para"].as_u64();
        if last_para != Some(para) {
            paragraphs.push(formats::HtmlParagraph {
                pairs: Vec::new(),
                kept: None,
            });
            last_para = Some(para);
        }
        let text = |k: &str| r[k].as_str().unwrap_or_default();
        paragraphs
            .last_mut()
            .expect("pushed above")
            .pairs
            .push((n, text("fr"), text("en")));
    }
    let title = spec
        .meta
        .get("title")
        .and_then(Value::as_str)
        .unwrap_or(&spec.id);
    let mut subtitle = format!("{} · {} pairs · {mode} mode", spec.id, records.len());
    for key in ["outlet", "date", "url"] {
        if let Some(v) = spec.meta.get(key).and_then(Value::as_str) {
            subtitle.push_str(" · ");
            subtitle.push_str(v);
        }
    }
    let mut html = Vec::new();
    formats::write_html(&mut html, title, &subtitle, &paragraphs).expect("writing to memory");
    html
}

/// Summed BLEU and chrF statistics of `hyps` against `refs` (integer counts: sums of them
/// across documents give exactly the corpus statistics).
pub(super) fn metric_stats(hyps: &[String], refs: &[String]) -> MetricStats {
    let refs = vec![refs.to_vec()];
    let (bleu, chrf) = (Bleu::default(), Chrf::default());
    let b = metrics::corpus_stats(&bleu, hyps, &metrics::prepare_refs(&bleu, &refs)).sum();
    let c = metrics::corpus_stats(&chrf, hyps, &metrics::prepare_refs(&chrf, &refs)).sum();
    (b, c)
}

/// BLEU and chrF from summed statistics, with sacreBLEU's signatures.
pub(super) fn scores(bleu_stats: &[f64], chrf_stats: &[f64]) -> Value {
    let (bleu, chrf) = (Bleu::default(), Chrf::default());
    json!({
        "bleu": bleu.compute(bleu_stats).score, "bleu_signature": bleu.signature(1).format(false),
        "chrf": chrf.compute(chrf_stats).score, "chrf_signature": chrf.signature(1).format(false),
    })
}
