//! `POST /v1/export`: sentence pairs (as `/v1/align` or `/v1/translate` give them) written as a
//! file in one of the corpus formats — TMX, TSV, JSONL — by the writers the pipeline uses
//! (`crate::formats`), so that a pair downloaded from the page is escaped exactly as one in a
//! corpus.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use serde_json::Value;

use super::error::{ApiError, ApiResult};
use super::request::{str_field, Admitted};
use crate::formats::{self, Pair, TmxHeader};

/// `{pairs: [{src, tgt, score?, src_ids?, tgt_ids?}], format: "tmx" | "tsv" | "jsonl"}` → the
/// file, with its content type and a file name to save it under.
pub(super) async fn v1_export(Admitted(fields): Admitted) -> ApiResult {
    let format = str_field(&fields, "format")?.unwrap_or("tmx");
    let records = match fields.get("pairs") {
        Some(Value::Array(records)) => records,
        Some(_) => {
            return Err(ApiError::bad(
                "pairs must be a list of {src, tgt, score} objects",
            ))
        }
        None => return Err(ApiError::bad("Invalid request: missing pairs parameter")),
    };
    let mut sides = Vec::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        let text = |k: &str| r.get(k).and_then(Value::as_str);
        let (Some(src), Some(tgt)) = (text("src"), text("tgt")) else {
            return Err(ApiError::bad(format!(
                "pairs[{i}] needs \"src\" and \"tgt\" strings"
            )));
        };
        // Without the aligner's ids, a side is "the i-th pair's" when it has text: an empty side
        // is a 1-0 or 0-1 link, which TMX leaves out as the corpus does.
        let ids = |k: &str, text: &str| -> Vec<usize> {
            match r.get(k).and_then(Value::as_array) {
                Some(a) => a
                    .iter()
                    .filter_map(|v| v.as_u64().map(|n| n as usize))
                    .collect(),
                None if text.is_empty() => Vec::new(),
                None => vec![i],
            }
        };
        let score = r.get("score").and_then(Value::as_f64).unwrap_or(0.0);
        sides.push((src, tgt, score, ids("src_ids", src), ids("tgt_ids", tgt)));
    }
    let pairs: Vec<Pair> = sides
        .iter()
        .map(|(src, tgt, score, src_ids, tgt_ids)| Pair {
            src_ids,
            tgt_ids,
            src,
            tgt,
            score: *score,
            doc: None,
            url: None,
            props: &[],
        })
        .collect();
    let mut out = Vec::new();
    let (content_type, name) = match format {
        "tmx" => {
            formats::write_tmx(&mut out, &TmxHeader::default(), &pairs)
                .map(|_| ())
                .map_err(internal)?;
            ("application/x-tmx+xml; charset=utf-8", "pairs.tmx")
        }
        "tsv" => {
            formats::write_tsv(&mut out, &pairs).map_err(internal)?;
            ("text/tab-separated-values; charset=utf-8", "pairs.tsv")
        }
        "jsonl" => {
            formats::write_jsonl(&mut out, &pairs).map_err(internal)?;
            ("application/x-ndjson", "pairs.jsonl")
        }
        other => {
            return Err(ApiError::bad(format!(
                "format {other:?} is not supported: use \"tmx\", \"tsv\" or \"jsonl\""
            )))
        }
    };
    let mut response = (StatusCode::OK, out).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")).expect("ASCII"),
    );
    Ok(response)
}

fn internal(e: std::io::Error) -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}
