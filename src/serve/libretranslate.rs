//! LibreTranslate's API, so that its clients and plugins work unchanged: `POST /translate`
//! (`q` a string or a list, `source` fr or auto, `format` text or html), `POST /detect`,
//! `GET /languages`.

use std::sync::Arc;

use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use axum::extract::State;

use super::engine::{translate_texts, Mode};
use super::error::{ApiError, ApiResult};
use super::request::{check_size, html_format, str_field, texts_field, Admitted};
use super::state::{AppState, SOURCE_LANG, TARGET_LANG};

/// Language of `text` among the served ones, with a confidence in percent (LibreTranslate's
/// scale).
pub(super) fn detect_language(text: &str) -> (&'static str, f64) {
    let detector =
        whatlang::Detector::with_allowlist(vec![whatlang::Lang::Fra, whatlang::Lang::Eng]);
    match detector.detect(text) {
        Some(info) if info.lang() == whatlang::Lang::Eng => ("en", info.confidence() * 100.0),
        Some(info) => ("fr", info.confidence() * 100.0),
        None => (SOURCE_LANG, 0.0),
    }
}

/// `POST /translate`, LibreTranslate's.
pub(super) async fn lt_translate(
    State(state): State<Arc<AppState>>,
    Admitted(fields): Admitted,
) -> ApiResult {
    let (texts, is_list) = texts_field(&fields, "q")?;
    let source = str_field(&fields, "source")?
        .ok_or_else(|| ApiError::bad("Invalid request: missing source parameter"))?;
    let target = str_field(&fields, "target")?
        .ok_or_else(|| ApiError::bad("Invalid request: missing target parameter"))?;
    let html = html_format(&fields)?;
    if target != TARGET_LANG || !(source == SOURCE_LANG || source == "auto") {
        return Err(ApiError::bad(format!(
            "{source} → {target} is not supported: this server translates \
             {SOURCE_LANG} → {TARGET_LANG} (source \"{SOURCE_LANG}\" or \"auto\", target \"{TARGET_LANG}\")"
        )));
    }
    check_size(&state, &texts, "q")?;
    let detected: Option<Vec<(&str, f64)>> =
        (source == "auto").then(|| texts.iter().map(|t| detect_language(t)).collect());
    // Texts detected as English are returned as they are (source = target), as LibreTranslate.
    let to_translate: Vec<String> = texts
        .iter()
        .enumerate()
        .filter(|(i, _)| detected.as_ref().is_none_or(|d| d[*i].0 != TARGET_LANG))
        .map(|(_, t)| t.clone())
        .collect();
    let mut translated = if to_translate.is_empty() {
        Vec::new()
    } else {
        translate_texts(
            &state,
            &to_translate,
            html,
            Arc::clone(&state.defaults),
            Mode::Article,
        )
        .await?
    }
    .into_iter();
    let english: Vec<Value> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            if detected.as_ref().is_some_and(|d| d[i].0 == TARGET_LANG) {
                Value::from(t.as_str())
            } else {
                Value::from(translated.next().expect("a translation per text").text)
            }
        })
        .collect();
    let detection = |(lang, confidence): (&str, f64)| json!({"confidence": (confidence * 10.0).round() / 10.0, "language": lang});
    let mut answer = Map::new();
    if is_list {
        answer.insert("translatedText".into(), Value::Array(english));
        if let Some(d) = detected {
            answer.insert(
                "detectedLanguage".into(),
                d.into_iter().map(detection).collect(),
            );
        }
    } else {
        answer.insert(
            "translatedText".into(),
            english.into_iter().next().expect("one text"),
        );
        if let Some(d) = detected {
            answer.insert("detectedLanguage".into(), detection(d[0]));
        }
    }
    Ok(Json(Value::Object(answer)).into_response())
}

/// `POST /detect`, LibreTranslate's: `[{confidence, language}]`.
pub(super) async fn lt_detect(
    State(state): State<Arc<AppState>>,
    Admitted(fields): Admitted,
) -> ApiResult {
    let (texts, _) = texts_field(&fields, "q")?;
    check_size(&state, &texts, "q")?;
    let (lang, confidence) = detect_language(&texts.join("\n"));
    Ok(
        Json(json!([{"confidence": (confidence * 10.0).round() / 10.0, "language": lang}]))
            .into_response(),
    )
}

/// `GET /languages`, LibreTranslate's.
pub(super) async fn lt_languages() -> Response {
    Json(json!([
        {"code": SOURCE_LANG, "name": "French", "targets": [TARGET_LANG]},
        {"code": TARGET_LANG, "name": "English", "targets": []},
    ]))
    .into_response()
}
