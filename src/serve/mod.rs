//! `entente serve`: an HTTP translation service that loads the model once and keeps the engine
//! full by batching the sentences of concurrent requests together.
//!
//! Two APIs on one axum router: LibreTranslate's (`/translate`, `/languages`, `/detect`), so its
//! clients and plugins work unchanged, and entente's own under `/v1/` (segments with ids and
//! log-probabilities, per-request search options, segmentation, alignment and sacreBLEU-exact
//! scoring). Everything a client can send is checked at the boundary and answered with a JSON
//! `{"error": …}` and a 4xx; overload is answered with 503 and `Retry-After` from a bounded
//! queue instead of growing without end.
//!
//! The rooms: this file owns the router and the lifecycle (start, graceful stop, health and
//! metrics endpoints); `state` is what every handler shares; `request` reads and checks what clients send; `error` is
//! the one error answer; `engine` takes requests' text through the shared [`crate::translate::batcher`] queue;
//! `libretranslate` and `v1` are the two APIs, each with its requests' validation. A new
//! API is a file beside those two, routed here; handlers never touch the engine threads except
//! through the batcher.

mod downloads;
mod engine;
mod error;
mod export;
mod files;
mod libretranslate;
pub mod limits;
pub mod metrics;
mod page;
mod pages;
mod request;
mod state;
mod stream;
mod v1;

pub use error::ApiError;
pub use state::{AppState, ServeSettings, SOURCE_LANG, TARGET_LANG};

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use libretranslate::{lt_detect, lt_languages, lt_translate};
use pages::v1_extract;
use v1::{v1_align, v1_bleu, v1_segment, v1_translate};

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
        .route("/translate_file", post(files::lt_translate_file))
        .route("/download_file/{name}", get(files::download_file))
        .route("/frontend/settings", get(files::frontend_settings))
        .route("/v1/translate", post(v1_translate))
        .route("/v1/segment", post(v1_segment))
        .route("/v1/align", post(v1_align))
        .route("/v1/bleu", post(v1_bleu))
        .route("/v1/extract", post(v1_extract))
        .route("/v1/export", post(export::v1_export))
        .route("/v1/settings", get(page::v1_settings))
        .route("/", get(page::index))
        .route("/assets/page.js", get(page::script))
        .route("/assets/page.css", get(page::style))
        .route("/assets/side-by-side.js", get(page::side_by_side_script))
        .route("/assets/side-by-side.css", get(page::side_by_side_style))
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

/// The endpoint names metrics are labelled with (a bounded set).
fn endpoint_label(path: &str) -> &'static str {
    match path {
        "/translate" => "translate",
        "/detect" => "detect",
        "/languages" => "languages",
        "/translate_file" => "translate_file",
        "/frontend/settings" => "frontend_settings",
        p if p.starts_with("/download_file/") => "download_file",
        "/v1/translate" => "v1_translate",
        "/v1/segment" => "v1_segment",
        "/v1/align" => "v1_align",
        "/v1/bleu" => "v1_bleu",
        "/v1/extract" => "v1_extract",
        "/v1/export" => "v1_export",
        "/v1/settings" => "v1_settings",
        "/" => "page",
        p if p.starts_with("/assets/") => "page",
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
        "no such endpoint: see GET / (the page), POST /translate, /detect, /translate_file, \
         GET /languages, /download_file/NAME, /frontend/settings, \
         POST /v1/translate, /v1/segment, /v1/align, /v1/bleu, /v1/extract, /v1/export, \
         GET /v1/settings, /health, /metrics",
    )
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
