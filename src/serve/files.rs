//! Documents through the server: LibreTranslate's `POST /translate_file` (a multipart upload;
//! the answer names `translatedFileUrl`), `GET /download_file/{name}` (the translated file, kept
//! a while in memory), and `format: "html"` texts, all on the document code the CLI uses, their
//! sentences through the shared queue.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Multipart, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};
use sha2::Digest;

use super::engine::{blocking, translate_units, Mode};
use super::error::{ApiError, ApiResult};
use super::request::admit;
use super::state::{AppState, SOURCE_LANG, TARGET_LANG};
use crate::document::{self, DocumentError, Format};
use crate::translate::{TranslateError, Translation};

/// How long a translated file can be downloaded, and how many are kept at most.
const KEEP_FOR: Duration = Duration::from_secs(3600);
const KEEP_AT_MOST: usize = 64;
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

/// A translated file waiting to be downloaded.
struct Stored {
    id: String,
    name: String,
    media_type: &'static str,
    bytes: Vec<u8>,
    at: Instant,
}

/// The translated files, newest last.
#[derive(Default)]
pub struct FileStore {
    files: Mutex<VecDeque<Stored>>,
    next: std::sync::atomic::AtomicU64,
}

impl FileStore {
    fn put(&self, name: String, media_type: &'static str, bytes: Vec<u8>) -> String {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        // Not guessable from another download's name: time and counter hashed.
        let hash = sha2::Sha256::digest(format!("{nanos}:{n}:{}", std::process::id()));
        let id = crate::hub::digest::hex(&hash[..12]);
        let mut files = self.files.lock().expect("files lock");
        files.retain(|f| f.at.elapsed() < KEEP_FOR);
        while files.len() >= KEEP_AT_MOST {
            files.pop_front();
        }
        files.push_back(Stored {
            id: id.clone(),
            name,
            media_type,
            bytes,
            at: Instant::now(),
        });
        id
    }
}

fn failed(e: DocumentError, name: &str) -> ApiError {
    match e {
        DocumentError::Translate(e) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("translation failed: {e}"),
        ),
        other => ApiError::bad(format!("{name}: {other}")),
    }
}

/// Translate through the shared queue from a blocking thread: every sentence admitted at once.
fn through_queue(state: &AppState, sources: &[&str]) -> Result<Vec<Translation>, TranslateError> {
    let owned: Vec<String> = sources.iter().map(|s| s.to_string()).collect();
    let receivers = state
        .batcher
        .submit(owned, Arc::clone(&state.defaults))
        .map_err(|e| TranslateError::Unsupported(e.to_string()))?;
    receivers
        .into_iter()
        .map(|r| {
            r.blocking_recv()
                .map_err(|_| TranslateError::Unsupported("the server is shutting down".into()))?
                .map_err(TranslateError::Unsupported)
        })
        .collect()
}

/// An HTML text's English and its sentences, French beside English.
pub(super) type HtmlOut = (String, Vec<(String, Translation)>);

/// `format: "html"`: each text translated as an HTML document (blocks whole across inline
/// markup); the English of each, and its sentences.
pub(super) async fn translate_html_texts(
    state: &Arc<AppState>,
    texts: &[String],
) -> Result<Vec<HtmlOut>, ApiError> {
    let state = Arc::clone(state);
    let texts = texts.to_vec();
    blocking(move || {
        texts
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let mut sentences = Vec::new();
                let english = document::translate_html_text(t, &state.translator, |s| {
                    let english = through_queue(&state, s)?;
                    sentences = s
                        .iter()
                        .map(|x| x.to_string())
                        .zip(english.clone())
                        .collect();
                    Ok(english)
                })
                .map_err(|e| failed(e, &format!("q[{i}]")))?
                .0;
                Ok((english, sentences))
            })
            .collect()
    })
    .await
}

/// `POST /translate_file`, LibreTranslate's: `file` (multipart), `source`, `target`, `api_key`.
pub(super) async fn lt_translate_file(
    State(state): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> ApiResult {
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
        document::check_document(&bytes, format).map_err(|e| failed(e, &filename))?;
        let state2 = Arc::clone(&state);
        let name = filename.clone();
        let doc = blocking(move || {
            document::translate_document(&bytes, format, &state2.translator, |s| {
                through_queue(&state2, s)
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
    let files = state.files.files.lock().expect("files lock");
    let file = files
        .iter()
        .find(|f| f.id == id && f.at.elapsed() < KEEP_FOR)
        .ok_or_else(|| {
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
