//! entente's own API under `/v1/`: translation with per-request search options (segments with
//! ids and log-probabilities), segmentation, alignment and sacreBLEU-exact scoring, each with its
//! request's validation beside it.

use std::sync::Arc;

use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Map, Value};

use axum::extract::State;

use crate::align::align_documents;
use crate::generate::{GenerationConfig, SearchOverrides};
use crate::metrics::report::{ScoreFormat, Scoring, Test};
use crate::metrics::{Bleu, Chrf, Ter};
use crate::segment::{SegmentOptions, Segmenter};

use super::engine::{
    blocking, translate_pages, translate_sentences, translate_texts, Mode, UnitOut,
};
use super::error::{ApiError, ApiResult};
use super::pages::page_articles;
use super::request::{
    bool_field, check_size, count_field, html_format, number_field, str_field, texts_field,
    Admitted,
};
use super::state::AppState;
use super::stream;
use crate::article::Article;

/// Per-request search options of `/v1/translate`, applied to the server's defaults and checked
/// against the model.
pub(super) fn request_config(
    state: &AppState,
    fields: &Map<String, Value>,
) -> Result<(Arc<GenerationConfig>, Vec<String>), ApiError> {
    let overrides = SearchOverrides {
        beams: count_field(fields, "beams", 1, 64)?,
        max_new_tokens: count_field(fields, "max_new_tokens", 1, 1 << 16)?,
        min_new_tokens: count_field(fields, "min_new_tokens", 0, 1 << 16)?,
        length_penalty: number_field(fields, "length_penalty")?.map(|x| x as f32),
        no_repeat_ngram_size: count_field(fields, "no_repeat_ngram_size", 0, 1 << 10)?,
        repetition_penalty: number_field(fields, "repetition_penalty")?.map(|x| x as f32),
    };
    if !overrides.any() {
        return Ok((Arc::clone(&state.defaults), Vec::new()));
    }
    let mut config = (*state.defaults).clone();
    overrides.apply(&mut config);
    let notes = state
        .translator
        .configure(&mut config)
        .map_err(|e| ApiError::bad(e.to_string()))?;
    Ok((Arc::new(config), notes))
}

/// `POST /v1/translate`: `{text: string | [string], mode?, format?, beams?, side_by_side?,
/// stream?, …}` → `{translations: [{text, segments: [{id, para, sent, src, text, ids,
/// logprob}], side_by_side?}], settings}`; with `stream`, lines of JSON: progress
/// (`{"progress": {"done", "total"}}`) as sentences finish, then that answer.
pub(super) async fn v1_translate(
    State(state): State<Arc<AppState>>,
    Admitted(fields): Admitted,
) -> ApiResult {
    if bool_field(&fields, "stream", false)? {
        let work_state = Arc::clone(&state);
        return stream::with_progress(
            &state,
            async move { translation(&work_state, &fields).await },
        )
        .await;
    }
    Ok(Json(translation(&state, &fields).await?).into_response())
}

/// The answer of `/v1/translate`.
async fn translation(
    state: &Arc<AppState>,
    fields: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let side_by_side = bool_field(fields, "side_by_side", false)?;
    let mode = str_field(fields, "mode")?.unwrap_or("article");
    let (config, notes) = request_config(state, fields)?;
    let mut articles = Vec::new();
    let translated = if mode == "page" {
        // Whole pages: their articles extracted, the prose translated, the furniture kept.
        articles = page_articles(state, fields, "text").await?;
        let (units, kinds): (Vec<String>, Vec<_>) = articles.iter().map(Article::lines).unzip();
        check_size(state, &units, "text")?;
        translate_pages(state, &units, kinds, Arc::clone(&config)).await?
    } else {
        let mode = match mode {
            "article" => Mode::Article,
            "lines" => Mode::Lines,
            other => {
                return Err(ApiError::bad(format!(
                    "mode {other:?} is not supported: use \"article\", \"lines\" or \"page\""
                )))
            }
        };
        let (texts, _) = texts_field(fields, "text")?;
        let html = html_format(fields)?;
        check_size(state, &texts, "text")?;
        translate_texts(state, &texts, html, Arc::clone(&config), mode).await?
    };
    let translations: Vec<Value> = translated
        .into_iter()
        .map(|unit| unit_json(unit, side_by_side))
        .collect();
    let translations: Vec<Value> = if articles.is_empty() {
        translations
    } else {
        translations
            .into_iter()
            .zip(&articles)
            .map(|(mut t, a)| {
                t["article"] = a.to_json();
                t
            })
            .collect()
    };
    Ok(json!({
        "translations": translations,
        "settings": {
            "model": state.settings.model_name,
            "precision": state.translator.model.precision().name(),
            "beams": config.num_beams,
            "max_new_tokens": config.max_length.saturating_sub(1),
            "length_penalty": config.length_penalty,
            "no_repeat_ngram_size": config.no_repeat_ngram_size,
            "repetition_penalty": config.repetition_penalty,
        },
        "notes": notes,
    }))
}

/// `POST /v1/segment`: `{text, join_lines?}` → `{sentences: [{text, para, sent, start, end}]}`
/// (byte offsets into `text`).
pub(super) async fn v1_segment(Admitted(fields): Admitted) -> ApiResult {
    let text = str_field(&fields, "text")?
        .ok_or_else(|| ApiError::bad("Invalid request: missing text parameter"))?
        .to_string();
    let join_lines = bool_field(&fields, "join_lines", false)?;
    let sentences = blocking(move || {
        let segmenter = Segmenter::new(SegmentOptions { join_lines });
        Ok(segmenter
            .segment(&text)
            .into_iter()
            .map(|s| {
                json!({"text": s.text(&text), "para": s.para, "sent": s.sent, "start": s.start, "end": s.end})
            })
            .collect::<Vec<Value>>())
    })
    .await?;
    Ok(Json(json!({ "sentences": sentences })).into_response())
}

/// The sentences of one side of `/v1/align`: a list is taken as sentences, a string is
/// segmented.
pub(super) fn side_sentences(
    state: &AppState,
    fields: &Map<String, Value>,
    name: &str,
) -> Result<Vec<String>, ApiError> {
    let (texts, is_list) = texts_field(fields, name)?;
    Ok(if is_list {
        texts
            .iter()
            .map(|t| crate::segment::single_line(t.trim()).into_owned())
            .collect()
    } else {
        state
            .segmenter
            .segment(&texts[0])
            .iter()
            .map(|s| crate::segment::single_line(s.text(&texts[0])).into_owned())
            .collect()
    })
}

/// `POST /v1/align`: `{source, target, mt?: true, translation?: [string], min_score?: 0.5}` → `{pairs:
/// [{src_ids, tgt_ids, src, tgt, score}]}`; with `mt`, the source is translated by the server's
/// engine (sharing its batches with other requests).
pub(super) async fn v1_align(
    State(state): State<Arc<AppState>>,
    Admitted(fields): Admitted,
) -> ApiResult {
    let src = side_sentences(&state, &fields, "source")?;
    let tgt = side_sentences(&state, &fields, "target")?;
    let all: Vec<String> = src.iter().chain(&tgt).cloned().collect();
    check_size(&state, &all, "source and target")?;
    let min_score = number_field(&fields, "min_score")?.unwrap_or(crate::align::DEFAULT_MIN_SCORE);
    let mt: Option<Vec<String>> = if fields.contains_key("translation") {
        let (lines, _) = texts_field(&fields, "translation")?;
        if lines.len() != src.len() {
            return Err(ApiError::bad(format!(
                "translation has {} lines but the source has {} sentences: it must be line-aligned with the source",
                lines.len(),
                src.len()
            )));
        }
        Some(lines)
    } else if bool_field(&fields, "mt", true)? {
        let translations =
            translate_sentences(&state, src.clone(), Arc::clone(&state.defaults)).await?;
        Some(translations.into_iter().map(|t| t.text).collect())
    } else {
        None
    };
    let lexicon = state.settings.lexicon.clone();
    let pairs = blocking(move || {
        let (links, _, _) = align_documents(&src, &tgt, mt.as_deref(), lexicon.as_deref(), None);
        Ok(crate::pipeline::flagged_pairs(links, &src, &tgt, min_score)
            .into_iter()
            .map(|p| {
                json!({
                    "src_ids": p.src_ids, "tgt_ids": p.tgt_ids, "src": p.src, "tgt": p.tgt,
                    "score": p.score, "flags": p.flags,
                })
            })
            .collect::<Vec<Value>>())
    })
    .await?;
    Ok(Json(json!({ "pairs": pairs })).into_response())
}

/// Most resamples a `/v1/bleu` request may ask for: tests that cost more belong to the CLI.
pub(super) const MAX_SERVER_RESAMPLES: u64 = 10_000;

/// `POST /v1/bleu`: `{hypotheses: [string] | [[string]], references: [string] | [[string]],
/// metrics?: ["bleu", "chrf", "ter"], …sacreBLEU options}` → `{output}`, the text `entente bleu`
/// prints (`format: "json"` adds the parsed `scores`).
pub(super) async fn v1_bleu(Admitted(fields): Admitted) -> ApiResult {
    let systems = nested_texts(&fields, "hypotheses")?;
    let refs = nested_texts(&fields, "references")?;
    let names: Vec<String> = match fields.get("names") {
        Some(_) => texts_field(&fields, "names")?.0,
        None => (1..=systems.len()).map(|i| format!("system{i}")).collect(),
    };
    let scoring = scoring_from(&fields)?;
    let json_format = scoring.format == ScoreFormat::Json;
    let output = blocking(move || {
        scoring
            .render(&names, &systems, &refs)
            .map_err(|e| ApiError::bad(e.to_string()))
    })
    .await?;
    let mut answer = json!({ "output": output });
    if json_format {
        if let Ok(scores) = serde_json::from_str::<Value>(&output) {
            answer["scores"] = scores;
        }
    }
    Ok(Json(answer).into_response())
}

/// A list of strings (one system or reference) or a list of such lists.
pub(super) fn nested_texts(
    fields: &Map<String, Value>,
    name: &str,
) -> Result<Vec<Vec<String>>, ApiError> {
    let Some(Value::Array(items)) = fields.get(name) else {
        return Err(ApiError::bad(format!(
            "{name} must be a list of segments, or a list of such lists"
        )));
    };
    if items.iter().all(Value::is_array) && !items.is_empty() {
        items
            .iter()
            .enumerate()
            .map(|(i, list)| {
                let list = list.as_array().expect("checked");
                list.iter()
                    .map(|v| {
                        v.as_str().map(str::to_string).ok_or_else(|| {
                            ApiError::bad(format!("{name}[{i}] must hold strings only"))
                        })
                    })
                    .collect()
            })
            .collect()
    } else {
        Ok(vec![texts_field(fields, name)?.0])
    }
}

/// sacreBLEU's options from a `/v1/bleu` request, with its defaults.
pub(super) fn scoring_from(fields: &Map<String, Value>) -> Result<Scoring, ApiError> {
    let metrics: Vec<String> = match fields.get("metrics") {
        None | Some(Value::Null) => vec!["bleu".into()],
        Some(_) => texts_field(fields, "metrics")?.0,
    };
    for m in &metrics {
        if !["bleu", "chrf", "ter"].contains(&m.as_str()) {
            return Err(ApiError::bad(format!(
                "unknown metric {m:?}: use \"bleu\", \"chrf\" or \"ter\""
            )));
        }
    }
    let want = |m: &str| metrics.iter().any(|x| x == m);
    let sentence_level = bool_field(fields, "sentence_level", false)?;
    let tokenizer = str_field(fields, "tokenize")?
        .unwrap_or("13a")
        .parse()
        .map_err(|e: String| ApiError::bad(format!("tokenize: {e}")))?;
    let smoothing = str_field(fields, "smooth_method")?
        .unwrap_or("exp")
        .parse()
        .map_err(|e: String| ApiError::bad(format!("smooth_method: {e}")))?;
    let resamples = |name: &str, default: usize| -> Result<usize, ApiError> {
        Ok(count_field(fields, name, 1, MAX_SERVER_RESAMPLES)?.unwrap_or(default))
    };
    let test = if bool_field(fields, "confidence", false)? {
        Test::Confidence(resamples("confidence_n", 1000)?)
    } else if bool_field(fields, "paired_bs", false)? {
        Test::PairedBootstrap(resamples("paired_bs_n", 1000)?)
    } else if bool_field(fields, "paired_ar", false)? {
        Test::PairedRandomization(resamples("paired_ar_n", 10_000)?)
    } else {
        Test::None
    };
    Ok(Scoring {
        bleu: want("bleu").then_some(Bleu {
            lowercase: bool_field(fields, "lowercase", false)?,
            tokenizer,
            smoothing,
            smooth_value: number_field(fields, "smooth_value")?,
            max_ngram_order: count_field(fields, "max_ngram_order", 1, 100)?.unwrap_or(4),
            effective_order: sentence_level,
        }),
        chrf: want("chrf").then_some(Chrf {
            char_order: count_field(fields, "chrf_char_order", 1, 100)?.unwrap_or(6),
            word_order: count_field(fields, "chrf_word_order", 0, 100)?.unwrap_or(0),
            beta: count_field(fields, "chrf_beta", 0, 1000)?.unwrap_or(2) as u32,
            lowercase: bool_field(fields, "chrf_lowercase", false)?,
            whitespace: bool_field(fields, "chrf_whitespace", false)?,
            eps_smoothing: bool_field(fields, "chrf_eps_smoothing", false)?,
        }),
        ter: want("ter").then_some(Ter {
            tokenizer: crate::metrics::tokenizers::Tercom {
                normalized: bool_field(fields, "ter_normalized", false)?,
                no_punct: bool_field(fields, "ter_no_punct", false)?,
                case_sensitive: bool_field(fields, "ter_case_sensitive", false)?,
            },
        }),
        sentence_level,
        test,
        seed: count_field(fields, "seed", 0, u32::MAX as u64)?
            .map_or(crate::metrics::significance::DEFAULT_SEED, |s| s as u64),
        format: match str_field(fields, "format")?.unwrap_or("text") {
            "text" => ScoreFormat::Text,
            "json" => ScoreFormat::Json,
            other => {
                return Err(ApiError::bad(format!(
                    "format {other:?} is not supported: use \"text\" or \"json\""
                )))
            }
        },
        width: count_field(fields, "width", 0, 16)?.unwrap_or(1),
        score_only: bool_field(fields, "score_only", false)?,
        short: bool_field(fields, "short", false)?,
    })
}

/// One unit's translation as `/v1/translate` answers it.
fn unit_json(unit: UnitOut, side_by_side: bool) -> Value {
    let segments: Vec<Value> = unit
        .segments
        .into_iter()
        .enumerate()
        .map(|(id, s)| {
            json!({
                "id": id, "para": s.para, "sent": s.sent, "src": s.src,
                "text": s.translation.text, "ids": s.translation.ids,
                "logprob": s.translation.logprob,
            })
        })
        .collect();
    let mut out = json!({"text": unit.text, "segments": segments});
    if let (true, Some(table)) = (side_by_side, unit.side_by_side) {
        out["side_by_side"] = Value::from(table);
    }
    out
}
