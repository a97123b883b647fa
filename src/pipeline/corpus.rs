//! The corpus files from the finished documents' outputs, streamed in id order: `pairs.jsonl`,
//! `corpus.fr`/`corpus.en`, `corpus.tmx` and `report.json`, after the filters and dedup, all
//! or nothing. The same assembly serves a run and a merge of shards.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;

use serde_json::{json, Map, Value};

use super::document::scores;
use super::keys::{digest128, doc_path};
use super::options::{Filters, Options};
use super::outcome::{Failure, PipelineError, Summary};
use super::quality::length_ratio;
use crate::formats::{self, Pair};
use crate::output;

pub(super) fn filters_json(f: &Filters) -> Value {
    json!({"dedup": f.dedup, "min_chars": f.min_chars, "max_chars": f.max_chars,
           "max_length_ratio": f.max_length_ratio})
}

pub(super) fn filters_from_json(v: &Value) -> Filters {
    let count = |k: &str| v[k].as_u64().map(|n| n as usize);
    Filters {
        dedup: v["dedup"].as_bool().unwrap_or(false),
        min_chars: count("min_chars"),
        max_chars: count("max_chars"),
        max_length_ratio: v["max_length_ratio"].as_f64(),
    }
}

/// The stateless corpus filters: the name of the first that removes `r`, if any.
pub(super) fn filtered_by(r: &Value, filters: &Filters) -> Option<&'static str> {
    let chars = |k: &str| r[k].as_str().unwrap_or_default().chars().count();
    let (fr, en) = (chars("fr"), chars("en"));
    if filters.min_chars.is_some_and(|min| fr < min || en < min) {
        return Some("min_chars");
    }
    if filters.max_chars.is_some_and(|max| fr > max || en > max) {
        return Some("max_chars");
    }
    if filters
        .max_length_ratio
        .is_some_and(|ratio| length_ratio(fr, en) > ratio)
    {
        return Some("max_length_ratio");
    }
    None
}

/// A 128-bit digest of a pair's two sides, for dedup without keeping the texts.
pub(super) fn pair_key(r: &Value) -> u128 {
    digest128(&[
        r["fr"].as_str().unwrap_or_default(),
        r["en"].as_str().unwrap_or_default(),
    ])
}

/// Each document's pairs, one record at a time, in id order.
pub(super) fn for_each_pair(
    out: &Path,
    ids: &[String],
    mut each: impl FnMut(Value) -> Result<(), PipelineError>,
) -> Result<(), PipelineError> {
    use std::io::BufRead;
    for id in ids {
        let path = doc_path(out, id, ".pairs.jsonl");
        let io = |source| PipelineError::Io {
            path: path.clone(),
            source,
        };
        let file = std::fs::File::open(&path).map_err(io)?;
        for line in std::io::BufReader::new(file).lines() {
            let line = line.map_err(io)?;
            let record = serde_json::from_str(&line).map_err(|e| PipelineError::Input {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            each(record)?;
        }
    }
    Ok(())
}

/// Corpus files from the finished documents' outputs, streamed in id order (memory holds a
/// 16-byte key per distinct pair when deduplicating, not the corpus): a first pass finds the
/// duplicates and their documents, a second writes every file.
pub(super) fn assemble(
    ids: &[String],
    failures: &[Failure],
    options: &Options,
    summary: &mut Summary,
) -> Result<(), PipelineError> {
    let out = &options.out_dir;
    let first = if options.filters.dedup {
        first_occurrences(out, ids, &options.filters)?
    } else {
        HashMap::new()
    };
    let (corpus, counts) = write_corpus(out, ids, &options.filters, &first)?;
    summary.pairs = counts.kept;
    let mut failed: Vec<&Failure> = failures.iter().collect();
    failed.sort_by(|a, b| (&a.id, &a.source).cmp(&(&b.id, &b.source)));
    summary.failures = failed.iter().map(|&f| f.clone()).collect();
    let report = corpus_report(out, ids, &failed, &options.filters, &counts, summary)?;
    let mut report_out = writer(out, "report.json")?;
    report_out
        .write_all((serde_json::to_string_pretty(&report).expect("JSON") + "\n").as_bytes())
        .map_err(io(out, "report.json"))?;
    // The corpus files together, all or nothing.
    let mut all = corpus;
    all.push(report_out);
    output::commit_all(all)?;
    Ok(())
}

/// A corpus file under `out`, written to a temporary sibling until committed.
fn writer(out: &Path, name: &str) -> Result<output::OutputWriter, PipelineError> {
    Ok(output::Destination::check(&out.join(name))?.create()?)
}

/// The error of writing corpus file `name`.
fn io(out: &Path, name: &str) -> impl Fn(std::io::Error) -> PipelineError {
    let path = out.join(name);
    move |source| PipelineError::Io {
        path: path.clone(),
        source,
    }
}

/// Dedup's first pass: the first occurrence of each pair (its position among the pairs that
/// pass the filters) and the other documents it occurs in.
fn first_occurrences(
    out: &Path,
    ids: &[String],
    filters: &Filters,
) -> Result<HashMap<u128, (usize, Vec<Value>)>, PipelineError> {
    let mut first: HashMap<u128, (usize, Vec<Value>)> = HashMap::new();
    let mut position = 0;
    for_each_pair(out, ids, |r| {
        if filtered_by(&r, filters).is_none() {
            let entry = first.entry(pair_key(&r)).or_insert((position, Vec::new()));
            if entry.0 != position {
                let doc = r["doc"].clone();
                if !entry.1.contains(&doc) {
                    entry.1.push(doc);
                }
            }
            position += 1;
        }
        Ok(())
    })?;
    Ok(first)
}

/// What the filters and dedup did to the corpus.
#[derive(Default)]
struct Counts {
    kept: usize,
    duplicates: usize,
    /// Pairs each stateless filter removed.
    removed: BTreeMap<&'static str, usize>,
}

/// The second pass: `pairs.jsonl`, `corpus.fr`, `corpus.en` and `corpus.tmx`, uncommitted.
fn write_corpus(
    out: &Path,
    ids: &[String],
    filters: &Filters,
    first: &HashMap<u128, (usize, Vec<Value>)>,
) -> Result<(Vec<output::OutputWriter>, Counts), PipelineError> {
    let (mut pairs_out, mut fr_out, mut en_out) = (
        writer(out, "pairs.jsonl")?,
        writer(out, "corpus.fr")?,
        writer(out, "corpus.en")?,
    );
    let header = formats::TmxHeader::default();
    let mut tmx = formats::TmxWriter::new(writer(out, "corpus.tmx")?, &header)
        .map_err(io(out, "corpus.tmx"))?;
    let mut counts = Counts::default();
    let mut position = 0usize;
    for_each_pair(out, ids, |mut r| {
        if let Some(name) = filtered_by(&r, filters) {
            *counts.removed.entry(name).or_default() += 1;
            return Ok(());
        }
        let here = position;
        position += 1;
        if filters.dedup {
            let (at, also) = &first[&pair_key(&r)];
            if *at != here {
                counts.duplicates += 1;
                return Ok(());
            }
            let also: Vec<&Value> = also.iter().filter(|d| **d != r["doc"]).collect();
            if !also.is_empty() {
                r["also_in"] = json!(also);
            }
        }
        counts.kept += 1;
        writeln!(pairs_out, "{r}").map_err(io(out, "pairs.jsonl"))?;
        let text = |k: &str| r[k].as_str().unwrap_or_default();
        writeln!(fr_out, "{}", formats::moses_line(text("fr"))).map_err(io(out, "corpus.fr"))?;
        writeln!(en_out, "{}", formats::moses_line(text("en"))).map_err(io(out, "corpus.en"))?;
        let one = [0usize];
        let props: Vec<(&str, &str)> = ["title", "date", "site", "lang", "kind"]
            .into_iter()
            .filter_map(|k| r[k].as_str().map(|v| (k, v)))
            .collect();
        tmx.pair(&Pair {
            src_ids: &one,
            tgt_ids: &one,
            src: text("fr"),
            tgt: text("en"),
            score: r["score"].as_f64().unwrap_or(0.0),
            doc: r["doc"].as_str(),
            url: r["url"].as_str(),
            props: &props,
        })
        .map_err(io(out, "corpus.tmx"))
    })?;
    let (tmx_out, _) = tmx.finish().map_err(io(out, "corpus.tmx"))?;
    Ok((vec![pairs_out, fr_out, en_out, tmx_out], counts))
}

/// `report.json`: each document's own report (small), the failures, totals, filters, and the
/// corpus scores from the documents' summed statistics.
fn corpus_report(
    out: &Path,
    ids: &[String],
    failed: &[&Failure],
    filters: &Filters,
    counts: &Counts,
    summary: &Summary,
) -> Result<Value, PipelineError> {
    let (mut docs_report, mut bleu_sum, mut chrf_sum) =
        (Vec::new(), Vec::<f64>::new(), Vec::<f64>::new());
    for id in ids {
        let path = doc_path(out, id, ".report.json");
        let report: Value = std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
            .map_err(|reason| PipelineError::Input {
                path: path.display().to_string(),
                reason,
            })?;
        for (sum, key) in [(&mut bleu_sum, "bleu"), (&mut chrf_sum, "chrf")] {
            for (i, x) in report["stats"][key]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                if sum.len() <= i {
                    sum.push(0.0);
                }
                sum[i] += x.as_f64().unwrap_or(0.0);
            }
        }
        docs_report.push(report);
    }
    let mut report = json!({
        "documents": docs_report,
        "failed": failed.iter().map(|f| json!({"id": f.id, "source": f.source, "status": "failed", "error": f.error})).collect::<Vec<_>>(),
        "totals": {
            "documents": summary.documents, "ok": ids.len(), "failed": failed.len(),
            "pairs": counts.kept,
        },
        "filters": filter_report(filters, counts),
        "options": filters_json(filters),
    });
    if !bleu_sum.is_empty() {
        report["scores"] = scores(&bleu_sum, &chrf_sum);
    }
    Ok(report)
}

/// Each filter in use, its value and what it removed.
fn filter_report(filters: &Filters, counts: &Counts) -> Value {
    let mut filter_report = Map::new();
    for (name, value) in [
        ("min_chars", filters.min_chars.map(|v| json!(v))),
        ("max_chars", filters.max_chars.map(|v| json!(v))),
        (
            "max_length_ratio",
            filters.max_length_ratio.map(|v| json!(v)),
        ),
    ] {
        if let Some(value) = value {
            filter_report.insert(
                name.into(),
                json!({"value": value, "removed": counts.removed.get(name).copied().unwrap_or(0)}),
            );
        }
    }
    if filters.dedup {
        filter_report.insert("dedup".into(), json!({"removed": counts.duplicates}));
    }
    Value::Object(filter_report)
}
