//! Documents through the server: LibreTranslate's `POST /translate_file` (a multipart upload;
//! the answer names `translatedFileUrl`), `GET /download_file/{name}` (the translated file, kept
//! a while in memory, see `downloads`) and `GET /frontend/settings`, on the document code the CLI
//! uses, their sentences through the shared queue (`engine`).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Multipart, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::engine::{blocking, failed, translate_units, Mode};
use super::error::{ApiError, ApiResult};
use super::request::admit;
use super::state::{AppState, SOURCE_LANG, TARGET_LANG};
use crate::document::{self, Format};

/// What is escaped of a file name in a URL path or a header: all but letters, digits, `.-_`.
const NAME: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'.')
    .remove(b'-')
    .remove(b'_');

/// The file formats `/translate_file` takes (LibreTranslate's `supportedFilesFormat`).
pub(super) fn supported_formats() -> Vec<String> {
    std::iter::once(".txt".to_string())
        .chain(Format::ALL.iter().map(|f| format!(".{}", f.extension())))
        .collect()
}

/// A multipart upload's text fields and its file (name and bytes), if it has one.
async fn read_upload(
    multipart: &mut Multipart,
) -> Result<(Map<String, Value>, Option<(String, Vec<u8>)>), ApiError> {
    let mut fields = Map::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| ApiError::bad(format!("Invalid request: {e}")))?
    {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let filename = field.file_name().unwrap_or("document").to_string();
            let bytes = field
                .bytes()
                .await
                .map_err(|e| ApiError::bad(format!("Invalid request: file: {e}")))?;
            file = Some((filename, bytes.to_vec()));
        } else {
            let text = field
                .text()
                .await
                .map_err(|e| ApiError::bad(format!("Invalid request: {name}: {e}")))?;
            fields.insert(name, Value::from(text));
        }
    }
    Ok((fields, file))
}

/// `POST /translate_file`, LibreTranslate's: `file` (multipart), `source`, `target`, `api_key`.
pub(super) async fn lt_translate_file(
    State(state): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> ApiResult {
    let (fields, file) = read_upload(&mut multipart).await?;
    admit(&state, &fields, addr)?;
    let (filename, bytes) =
        file.ok_or_else(|| ApiError::bad("Invalid request: missing file parameter"))?;
    let source = fields.get("source").and_then(Value::as_str).unwrap_or("");
    let target = fields.get("target").and_then(Value::as_str).unwrap_or("");
    if target != TARGET_LANG || !(source == SOURCE_LANG || source == "auto") {
        return Err(ApiError::bad(format!(
            "{source:?} → {target:?} is not supported: this server translates {SOURCE_LANG} → {TARGET_LANG}"
        )));
    }
    let path = std::path::Path::new(&filename);
    let is_text = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("txt"));
    let (translated, media_type) = if is_text {
        let text = String::from_utf8(bytes)
            .map_err(|e| ApiError::bad(format!("{filename}: not UTF-8 text ({e})")))?;
        let out =
            translate_units(&state, &[text], Arc::clone(&state.defaults), Mode::Article).await?;
        let english = out.into_iter().next().map(|u| u.text).unwrap_or_default();
        (english.into_bytes(), "text/plain; charset=utf-8")
    } else {
        let format = Format::from_path(path).ok_or_else(|| {
            ApiError::bad(format!(
                "{filename}: file format not supported; supported: {}",
                supported_formats().join(", ")
            ))
        })?;
        // No separate check: the model is loaded, and a bad file fails in parsing, before any
        // sentence is queued.
        let state2 = Arc::clone(&state);
        let name = filename.clone();
        let doc = blocking(move || {
            document::translate_document(&bytes, format, &state2.translator, |s| {
                state2
                    .batcher
                    .translate_blocking(s, Arc::clone(&state2.defaults))
            })
            .map_err(|e| failed(e, &name))
        })
        .await?;
        (doc.bytes, format.media_type())
    };
    let id = state.files.put(filename.clone(), media_type, translated);
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let url = format!(
        "http://{host}/download_file/{id}.{}",
        percent_encoding::utf8_percent_encode(&filename, NAME)
    );
    Ok(Json(json!({ "translatedFileUrl": url })).into_response())
}

/// `GET /download_file/{id}.{name}`: a translated file, as an attachment.
pub(super) async fn download_file(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> ApiResult {
    let id = name.split('.').next().unwrap_or_default();
    let file = state.files.get(id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "no such file: translated files are kept for an hour; translate it again",
        )
    })?;
    let disposition = format!(
        "attachment; filename*=UTF-8''{}",
        percent_encoding::utf8_percent_encode(&file.name, NAME)
    );
    Ok((
        [
            (header::CONTENT_TYPE, file.media_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        file.bytes.clone(),
    )
        .into_response())
}

/// `GET /frontend/settings`, LibreTranslate's: what its front ends read.
pub(super) async fn frontend_settings(State(state): State<Arc<AppState>>) -> Response {
    Json(json!({
        "charLimit": state.settings.char_limit,
        "frontendTimeout": state.settings.timeout.as_millis() as u64,
        "apiKeys": state.keys.is_some(),
        "keyRequired": state.keys.is_some(),
        "suggestions": false,
        "filesTranslation": true,
        "supportedFilesFormat": supported_formats(),
        "language": {
            "source": {"code": SOURCE_LANG, "name": "French"},
            "target": {"code": TARGET_LANG, "name": "English"},
        },
    }))
    .into_response()
}
