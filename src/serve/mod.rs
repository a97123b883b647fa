//! `entente serve`: an HTTP translation service that loads the model once and keeps the engine
//! full by batching the sentences of concurrent requests together.
//!
//! Two APIs on one axum router: LibreTranslate's (`/translate`, `/languages`, `/detect`), so its
//! clients and plugins work unchanged, and entente's own under `/v1/` (segments with ids and
//! log-probabilities, per-request search options, segmentation, alignment and sacreBLEU-exact
//! scoring). Everything a client can send is checked at the boundary and answered with a JSON
//! `{"error": …}` and a 4xx; overload is answered with 503 and `Retry-After` from a bounded
//! queue instead of growing without end.

pub mod batcher;
pub mod html;
pub mod limits;
pub mod metrics;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use crate::align::align_sentences;
use crate::generate::GenerationConfig;
use crate::metrics::report::{ScoreFormat, Scoring, Test};
use crate::metrics::{Bleu, Chrf, Ter};
use crate::segment::{SegmentOptions, Segmenter, Sentence};
use crate::translate::{join_article, Translation, Translator};
use batcher::{Batcher, BatcherSettings, QueueError};
use limits::{ApiKeys, RateLimiter};
use metrics::ServerMetrics;

/// The language pair served (opus-mt-fr-en's).
pub const SOURCE_LANG: &str = "fr";
pub const TARGET_LANG: &str = "en";

/// Limits and defaults of a server.
#[derive(Debug, Clone)]
pub struct ServeSettings {
    /// Most characters of text in one request (all of `q` together).
    pub char_limit: usize,
    /// Largest request body, in bytes.
    pub body_limit: usize,
    /// Longest a request may take, queue wait included.
    pub timeout: Duration,
    /// Requests per minute per client (API key, or address without keys); `None` is unlimited.
    pub req_limit: Option<u32>,
    pub batcher: BatcherSettings,
    /// The model's name as given, for `/health`.
    pub model_name: String,
}

/// What every handler shares.
pub struct AppState {
    translator: Arc<Translator>,
    defaults: Arc<GenerationConfig>,
    batcher: Batcher,
    settings: ServeSettings,
    keys: Option<ApiKeys>,
    rate: RateLimiter,
    metrics: Arc<ServerMetrics>,
    segmenter: Segmenter,
    started: Instant,
}

impl AppState {
    /// Start the engine threads behind `translator`, translating with `defaults` unless a
    /// request says otherwise.
    pub fn new(
        translator: Translator,
        defaults: GenerationConfig,
        settings: ServeSettings,
        keys: Option<ApiKeys>,
    ) -> Arc<Self> {
        let translator = Arc::new(translator);
        let metrics = Arc::new(ServerMetrics::default());
        let batcher = Batcher::start(
            Arc::clone(&translator),
            settings.batcher,
            Arc::clone(&metrics) as Arc<dyn batcher::BatchObserver>,
        );
        Arc::new(AppState {
            translator,
            defaults: Arc::new(defaults),
            batcher,
            settings,
            keys,
            rate: RateLimiter::default(),
            metrics,
            segmenter: Segmenter::default(),
            started: Instant::now(),
        })
    }

    /// Finish the queued sentences and stop the engine threads.
    pub fn shutdown(&self) {
        self.batcher.shutdown();
    }
}

/// Serve on `listener` until `shutdown` resolves; then stop accepting, answer the requests in
/// flight, and stop the engine.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(Arc::clone(&state));
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    let engine = Arc::clone(&state);
    tokio::task::spawn_blocking(move || engine.shutdown())
        .await
        .map_err(std::io::Error::other)?;
    Ok(())
}

/// The routes, with the body limit, the per-request timeout and the metrics around them.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/translate", post(lt_translate))
        .route("/detect", post(lt_detect))
        .route("/languages", get(lt_languages).post(lt_languages))
        .route("/v1/translate", post(v1_translate))
        .route("/v1/segment", post(v1_segment))
        .route("/v1/align", post(v1_align))
        .route("/v1/bleu", post(v1_bleu))
        .route("/health", get(health))
        .route("/metrics", get(prometheus))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            track,
        ))
        .layer(DefaultBodyLimit::max(state.settings.body_limit))
        .with_state(state)
}

/// An error answer: LibreTranslate's `{"error": "..."}` with a status, and `Retry-After` when
/// trying again later can work.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    fn bad(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    fn retry(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(json!({"error": self.message}))).into_response();
        if let Some(s) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        response
    }
}

impl From<QueueError> for ApiError {
    fn from(e: QueueError) -> Self {
        match e {
            QueueError::Full { .. } => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string()).retry(1)
            }
            QueueError::TooLarge { .. } => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, e.to_string())
            }
            QueueError::Closed => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        }
    }
}

type ApiResult = Result<Response, ApiError>;

/// The endpoint names metrics are labelled with (a bounded set).
fn endpoint_label(path: &str) -> &'static str {
    match path {
        "/translate" => "translate",
        "/detect" => "detect",
        "/languages" => "languages",
        "/v1/translate" => "v1_translate",
        "/v1/segment" => "v1_segment",
        "/v1/align" => "v1_align",
        "/v1/bleu" => "v1_bleu",
        "/health" => "health",
        "/metrics" => "metrics",
        _ => "other",
    }
}

/// Around every request: the timeout (the handler is dropped, and with it its queued
/// sentences) and the request metrics.
async fn track(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let endpoint = endpoint_label(request.uri().path());
    let start = Instant::now();
    let timeout = state.settings.timeout;
    let response = match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "the request took longer than the server's limit of {} s: send less text, or retry",
                timeout.as_secs_f64()
            ),
        )
        .retry(1)
        .into_response(),
    };
    state.metrics.request(
        endpoint,
        response.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    response
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no such endpoint: see POST /translate, /detect, GET /languages, POST /v1/translate, \
         /v1/segment, /v1/align, /v1/bleu, GET /health, /metrics",
    )
}

/// A request's fields, from a JSON object or a form body (a repeated form field is a list).
fn parse_fields(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Map<String, Value>, ApiError> {
    let body = body.map_err(|rejection| {
        let status = rejection.status();
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "the request body is larger than the server's limit (--body-limit)".to_string()
        } else {
            format!("could not read the request body: {}", rejection.body_text())
        };
        ApiError::new(status, message)
    })?;
    let text = std::str::from_utf8(&body).map_err(|e| {
        ApiError::bad(format!(
            "the request body is not valid UTF-8 (byte offset {})",
            e.valid_up_to()
        ))
    })?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let is_form = content_type.starts_with("application/x-www-form-urlencoded")
        || (content_type.is_empty() && !text.trim_start().starts_with('{'));
    if content_type.starts_with("multipart/") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "multipart bodies are not accepted: send JSON or application/x-www-form-urlencoded",
        ));
    }
    if is_form {
        let pairs = parse_form(text)?;
        let mut fields = Map::new();
        for (k, v) in pairs {
            match fields.get_mut(&k) {
                Some(Value::Array(list)) => list.push(v.into()),
                Some(first) => *first = Value::Array(vec![first.take(), v.into()]),
                None => {
                    fields.insert(k, v.into());
                }
            }
        }
        return Ok(fields);
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(_) => Err(ApiError::bad("the request body must be a JSON object")),
        Err(e) => Err(ApiError::bad(format!(
            "invalid JSON in the request body: {e}"
        ))),
    }
}

/// `application/x-www-form-urlencoded` pairs; percent-escapes that decode to invalid UTF-8 are
/// an error naming the field (a lenient decoder would turn them into U+FFFD silently).
fn parse_form(body: &str) -> Result<Vec<(String, String)>, ApiError> {
    let decode = |raw: &str, what: &str| -> Result<String, ApiError> {
        let spaced = raw.replace('+', " ");
        percent_encoding::percent_decode_str(&spaced)
            .decode_utf8()
            .map(|s| s.into_owned())
            .map_err(|e| {
                ApiError::bad(format!(
                    "invalid form body: {what} is not valid UTF-8 once decoded (byte offset {})",
                    e.valid_up_to()
                ))
            })
    };
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let key = decode(k, "a field name")?;
            let value = decode(v, &format!("field {key:?}"))?;
            Ok((key, value))
        })
        .collect()
}

/// A request's fields (see [`parse_fields`]), from a client [`admit`] let in: the extractor
/// every endpoint that takes a body starts with.
struct Admitted(Map<String, Value>);

impl FromRequest<Arc<AppState>> for Admitted {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &Arc<AppState>) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        let addr = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0)
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the client's address is unknown: serve the router with connect info",
                )
            })?;
        let headers = parts.headers.clone();
        let body = Bytes::from_request(Request::from_parts(parts, body), state).await;
        let fields = parse_fields(&headers, body)?;
        admit(state, &fields, addr)?;
        Ok(Admitted(fields))
    }
}

/// The API key check and the rate limit, keyed by API key, else by the client's address.
fn admit(state: &AppState, fields: &Map<String, Value>, addr: SocketAddr) -> Result<(), ApiError> {
    let key = fields.get("api_key").and_then(Value::as_str);
    let mut limit = state.settings.req_limit;
    let client = match (&state.keys, key) {
        (Some(keys), Some(key)) => match keys.check(key) {
            Some(own) => {
                limit = own.or(limit);
                format!("key:{key}")
            }
            None => return Err(ApiError::new(StatusCode::FORBIDDEN, "Invalid API key")),
        },
        (Some(_), None) => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "an API key is required: send it as api_key",
            ))
        }
        (None, _) => format!("ip:{}", addr.ip()),
    };
    if let Some(limit) = limit {
        state
            .rate
            .admit(&client, limit, Instant::now())
            .map_err(|wait| {
                ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    format!("too many requests: at most {limit} per minute; retry in {wait} s"),
                )
                .retry(wait)
            })?;
    }
    Ok(())
}

/// A string field, or a list of them: the texts and whether a list was sent.
fn texts_field(fields: &Map<String, Value>, name: &str) -> Result<(Vec<String>, bool), ApiError> {
    match fields.get(name) {
        None | Some(Value::Null) => Err(ApiError::bad(format!(
            "Invalid request: missing {name} parameter"
        ))),
        Some(Value::String(s)) => Ok((vec![s.clone()], false)),
        Some(Value::Array(items)) => {
            let texts = items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    v.as_str().map(str::to_string).ok_or_else(|| {
                        ApiError::bad(format!("{name}[{i}] must be a string, not {}", kind(v)))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok((texts, true))
        }
        Some(other) => Err(ApiError::bad(format!(
            "{name} must be a string or a list of strings, not {}",
            kind(other)
        ))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn str_field<'a>(fields: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, ApiError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(ApiError::bad(format!(
            "{name} must be a string, not {}",
            kind(other)
        ))),
    }
}

/// A whole-number field within `min..=max`; form values arrive as strings.
fn count_field(
    fields: &Map<String, Value>,
    name: &str,
    min: u64,
    max: u64,
) -> Result<Option<usize>, ApiError> {
    let value = match fields.get(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
        Some(_) => None,
    };
    match value {
        Some(n) if (min..=max).contains(&n) => Ok(Some(n as usize)),
        _ => Err(ApiError::bad(format!(
            "{name} must be a whole number from {min} to {max}"
        ))),
    }
}

fn number_field(fields: &Map<String, Value>, name: &str) -> Result<Option<f64>, ApiError> {
    let value = match fields.get(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        Some(_) => None,
    };
    match value {
        Some(x) if x.is_finite() => Ok(Some(x)),
        _ => Err(ApiError::bad(format!("{name} must be a finite number"))),
    }
}

fn bool_field(fields: &Map<String, Value>, name: &str, default: bool) -> Result<bool, ApiError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) if s == "true" || s == "1" => Ok(true),
        Some(Value::String(s)) if s == "false" || s == "0" => Ok(false),
        Some(_) => Err(ApiError::bad(format!("{name} must be true or false"))),
    }
}

/// The `format` field of the translation endpoints: whether the text is HTML.
fn html_format(fields: &Map<String, Value>) -> Result<bool, ApiError> {
    match str_field(fields, "format")?.unwrap_or("text") {
        "text" => Ok(false),
        "html" => Ok(true),
        other => Err(ApiError::bad(format!(
            "format {other:?} is not supported: use \"text\" or \"html\""
        ))),
    }
}

/// Refuse text beyond the character limit, and an empty request.
fn check_size(state: &AppState, texts: &[String], name: &str) -> Result<(), ApiError> {
    let chars: usize = texts.iter().map(|t| t.chars().count()).sum();
    if chars > state.settings.char_limit {
        return Err(ApiError::bad(format!(
            "Invalid request: request ({chars}) exceeds text limit ({}) characters",
            state.settings.char_limit
        )));
    }
    if texts.is_empty() || texts.iter().all(|t| t.is_empty()) {
        return Err(ApiError::bad(format!(
            "Invalid request: {name} is empty: send the text to process"
        )));
    }
    Ok(())
}

/// One translated sentence, as `/v1/translate` reports it.
struct SegmentOut {
    para: usize,
    sent: usize,
    src: String,
    translation: Translation,
}

/// How the units of a request are cut into segments.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Sentences by the segmenter, paragraphs and line breaks kept (`translate --input article`).
    Article,
    /// Each line on its own (`translate --input lines`).
    Lines,
}

/// Translate `sentences` through the shared queue, all admitted at once; in order.
async fn translate_sentences(
    state: &AppState,
    sentences: Vec<String>,
    config: Arc<GenerationConfig>,
) -> Result<Vec<Translation>, ApiError> {
    let receivers = state.batcher.submit(sentences, config)?;
    let mut translations = Vec::with_capacity(receivers.len());
    for r in receivers {
        let t = r
            .await
            .map_err(|_| {
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the server is shutting down",
                )
            })?
            .map_err(|e| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("translation failed: {e}"),
                )
            })?;
        translations.push(t);
    }
    Ok(translations)
}

/// Translate `units` (articles or line lists) through the shared queue, all of a request's
/// sentences admitted at once: the English of each, and its segments.
async fn translate_units(
    state: &AppState,
    units: &[String],
    config: Arc<GenerationConfig>,
    mode: Mode,
) -> Result<Vec<(String, Vec<SegmentOut>)>, ApiError> {
    // Segment each unit once; the spans serve both the queue and the reassembly.
    let cut: Vec<Vec<Sentence>> = units
        .iter()
        .map(|u| match mode {
            Mode::Article => state.segmenter.segment(u),
            Mode::Lines => {
                let mut at = 0;
                u.split('\n')
                    .enumerate()
                    .map(|(i, line)| {
                        let span = Sentence {
                            para: i,
                            sent: 0,
                            start: at,
                            end: at + line.len(),
                        };
                        at += line.len() + 1;
                        span
                    })
                    .collect()
            }
        })
        .collect();
    let sources: Vec<String> = units
        .iter()
        .zip(&cut)
        .flat_map(|(u, spans)| spans.iter().map(|s| s.text(u).to_string()))
        .collect();
    let mut translations = translate_sentences(state, sources, config)
        .await?
        .into_iter();
    let mut out = Vec::with_capacity(units.len());
    for (unit, spans) in units.iter().zip(cut) {
        let segments: Vec<SegmentOut> = spans
            .iter()
            .map(|s| SegmentOut {
                para: s.para,
                sent: s.sent,
                src: s.text(unit).to_string(),
                translation: translations.next().expect("one translation per segment"),
            })
            .collect();
        let english: Vec<&str> = segments
            .iter()
            .map(|s| s.translation.text.as_str())
            .collect();
        let text = match mode {
            Mode::Article => join_article(unit, &spans, &english),
            Mode::Lines => english.join("\n"),
        };
        out.push((text, segments));
    }
    Ok(out)
}

/// Translate texts, or the text nodes of HTML fragments; one English text per input.
async fn translate_texts(
    state: &AppState,
    texts: &[String],
    html: bool,
    config: Arc<GenerationConfig>,
    mode: Mode,
) -> Result<Vec<(String, Vec<SegmentOut>)>, ApiError> {
    if !html {
        return translate_units(state, texts, config, mode).await;
    }
    // Parsed twice (the tree cannot be held across the wait): the same input gives the same
    // nodes.
    let per_doc: Vec<Vec<String>> = texts
        .iter()
        .map(|t| html::HtmlDocument::parse(t).texts)
        .collect();
    let flat: Vec<String> = per_doc.iter().flatten().cloned().collect();
    let mut translated = translate_units(state, &flat, config, mode)
        .await?
        .into_iter();
    Ok(texts
        .iter()
        .zip(&per_doc)
        .map(|(t, nodes)| {
            let mut segments = Vec::new();
            let english: Vec<String> = nodes
                .iter()
                .map(|_| {
                    let (text, segs) = translated.next().expect("one result per text node");
                    segments.extend(segs);
                    text
                })
                .collect();
            (html::HtmlDocument::parse(t).render(&english), segments)
        })
        .collect())
}

/// Language of `text` among the served ones, with a confidence in percent (LibreTranslate's
/// scale).
fn detect_language(text: &str) -> (&'static str, f64) {
    let detector =
        whatlang::Detector::with_allowlist(vec![whatlang::Lang::Fra, whatlang::Lang::Eng]);
    match detector.detect(text) {
        Some(info) if info.lang() == whatlang::Lang::Eng => ("en", info.confidence() * 100.0),
        Some(info) => ("fr", info.confidence() * 100.0),
        None => (SOURCE_LANG, 0.0),
    }
}

/// `POST /translate`, LibreTranslate's.
async fn lt_translate(State(state): State<Arc<AppState>>, Admitted(fields): Admitted) -> ApiResult {
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
                Value::from(translated.next().expect("a translation per text").0)
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
async fn lt_detect(State(state): State<Arc<AppState>>, Admitted(fields): Admitted) -> ApiResult {
    let (texts, _) = texts_field(&fields, "q")?;
    check_size(&state, &texts, "q")?;
    let (lang, confidence) = detect_language(&texts.join("\n"));
    Ok(
        Json(json!([{"confidence": (confidence * 10.0).round() / 10.0, "language": lang}]))
            .into_response(),
    )
}

/// `GET /languages`, LibreTranslate's.
async fn lt_languages() -> Response {
    Json(json!([
        {"code": SOURCE_LANG, "name": "French", "targets": [TARGET_LANG]},
        {"code": TARGET_LANG, "name": "English", "targets": []},
    ]))
    .into_response()
}

/// Per-request search options of `/v1/translate`, applied to the server's defaults and checked
/// against the model.
fn request_config(
    state: &AppState,
    fields: &Map<String, Value>,
) -> Result<(Arc<GenerationConfig>, Vec<String>), ApiError> {
    let mut config = (*state.defaults).clone();
    let mut changed = false;
    if let Some(b) = count_field(fields, "beams", 1, 64)? {
        config.num_beams = b;
        changed = true;
    }
    if let Some(n) = count_field(fields, "max_new_tokens", 1, 1 << 16)? {
        config.set_max_new_tokens(n);
        changed = true;
    }
    if let Some(n) = count_field(fields, "min_new_tokens", 0, 1 << 16)? {
        config.min_new_tokens = Some(n);
        changed = true;
    }
    if let Some(x) = number_field(fields, "length_penalty")? {
        config.length_penalty = x as f32;
        changed = true;
    }
    if let Some(n) = count_field(fields, "no_repeat_ngram_size", 0, 1 << 10)? {
        config.no_repeat_ngram_size = n;
        changed = true;
    }
    if let Some(x) = number_field(fields, "repetition_penalty")? {
        config.repetition_penalty = x as f32;
        changed = true;
    }
    if !changed {
        return Ok((Arc::clone(&state.defaults), Vec::new()));
    }
    let notes = state
        .translator
        .configure(&mut config)
        .map_err(|e| ApiError::bad(e.to_string()))?;
    Ok((Arc::new(config), notes))
}

/// `POST /v1/translate`: `{text: string | [string], mode?, format?, beams?, …}` →
/// `{translations: [{text, segments: [{id, para, sent, src, text, ids, logprob}]}], settings}`.
async fn v1_translate(State(state): State<Arc<AppState>>, Admitted(fields): Admitted) -> ApiResult {
    let (texts, _) = texts_field(&fields, "text")?;
    let mode = match str_field(&fields, "mode")?.unwrap_or("article") {
        "article" => Mode::Article,
        "lines" => Mode::Lines,
        other => {
            return Err(ApiError::bad(format!(
                "mode {other:?} is not supported: use \"article\" or \"lines\""
            )))
        }
    };
    let html = html_format(&fields)?;
    check_size(&state, &texts, "text")?;
    let (config, notes) = request_config(&state, &fields)?;
    let translated = translate_texts(&state, &texts, html, Arc::clone(&config), mode).await?;
    let translations: Vec<Value> = translated
        .into_iter()
        .map(|(text, segments)| {
            let segments: Vec<Value> = segments
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
            json!({"text": text, "segments": segments})
        })
        .collect();
    Ok(Json(json!({
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
    .into_response())
}

/// Run CPU-bound work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.map_err(|_| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the request failed inside the server",
        )
    })?
}

/// `POST /v1/segment`: `{text, join_lines?}` → `{sentences: [{text, para, sent, start, end}]}`
/// (byte offsets into `text`).
async fn v1_segment(Admitted(fields): Admitted) -> ApiResult {
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
fn side_sentences(
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
async fn v1_align(State(state): State<Arc<AppState>>, Admitted(fields): Admitted) -> ApiResult {
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
    let pairs = blocking(move || {
        let links = align_sentences(&src, &tgt, mt.as_deref());
        let join = |ids: &[usize], side: &[String]| {
            ids.iter()
                .map(|&i| side[i].as_str())
                .collect::<Vec<_>>()
                .join(" ")
        };
        Ok(links
            .into_iter()
            .filter(|l| l.src.is_empty() || l.tgt.is_empty() || l.score >= min_score)
            .map(|l| {
                json!({
                    "src_ids": l.src, "tgt_ids": l.tgt,
                    "src": join(&l.src, &src), "tgt": join(&l.tgt, &tgt), "score": l.score,
                })
            })
            .collect::<Vec<Value>>())
    })
    .await?;
    Ok(Json(json!({ "pairs": pairs })).into_response())
}

/// Most resamples a `/v1/bleu` request may ask for: tests that cost more belong to the CLI.
const MAX_SERVER_RESAMPLES: u64 = 10_000;

/// `POST /v1/bleu`: `{hypotheses: [string] | [[string]], references: [string] | [[string]],
/// metrics?: ["bleu", "chrf", "ter"], …sacreBLEU options}` → `{output}`, the text `entente bleu`
/// prints (`format: "json"` adds the parsed `scores`).
async fn v1_bleu(Admitted(fields): Admitted) -> ApiResult {
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
fn nested_texts(fields: &Map<String, Value>, name: &str) -> Result<Vec<Vec<String>>, ApiError> {
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
fn scoring_from(fields: &Map<String, Value>) -> Result<Scoring, ApiError> {
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

/// `GET /health`.
async fn health(State(state): State<Arc<AppState>>) -> Response {
    Json(json!({
        "status": "ok",
        "model": state.settings.model_name,
        "queue_depth": state.batcher.depth(),
        "uptime_seconds": state.started.elapsed().as_secs(),
    }))
    .into_response()
}

/// `GET /metrics`: Prometheus text exposition.
async fn prometheus(State(state): State<Arc<AppState>>) -> Response {
    let text = state.metrics.render(state.batcher.depth());
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}
