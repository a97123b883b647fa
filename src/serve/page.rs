//! The page people use (`GET /`): a self-contained HTML page, its script and style embedded in
//! the binary (the server often runs without internet), talking to the server through the
//! public API only; and `GET /v1/settings`, the defaults it starts from. The side-by-side table
//! is the pipeline's (`formats::SIDE_BY_SIDE_CSS` / `SIDE_BY_SIDE_SCRIPT`), not a second one.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::state::AppState;
use crate::formats::{SIDE_BY_SIDE_CSS, SIDE_BY_SIDE_SCRIPT};

const INDEX: &str = include_str!("page/index.html");
const SCRIPT: &str = include_str!("page/page.js");
const STYLE: &str = include_str!("page/page.css");

/// Everything the page loads comes from this server; nothing runs that it did not send.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                      connect-src 'self'; img-src 'self' data:; form-action 'none'; \
                      frame-ancestors 'none'; base-uri 'none'";

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

pub(super) async fn index() -> Response {
    asset("text/html; charset=utf-8", INDEX)
}

pub(super) async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

pub(super) async fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE)
}

pub(super) async fn side_by_side_script() -> Response {
    asset("text/javascript; charset=utf-8", SIDE_BY_SIDE_SCRIPT)
}

pub(super) async fn side_by_side_style() -> Response {
    asset("text/css; charset=utf-8", SIDE_BY_SIDE_CSS)
}

/// `GET /v1/settings`: the model and the defaults a request starts from, and the server's
/// limits.
pub(super) async fn v1_settings(State(state): State<Arc<AppState>>) -> Response {
    let config = &state.defaults;
    let asked = state.settings.batcher.batch_size;
    let plan = state.translator.plan(config, asked, usize::MAX);
    Json(json!({
        "model": state.settings.model_name,
        "precision": state.translator.model.precision().name(),
        "beams": config.num_beams,
        "max_new_tokens": config.max_length.saturating_sub(1),
        "char_limit": state.settings.char_limit,
        "body_limit": state.settings.body_limit,
        "fetch_urls": state.settings.fetch_urls,
        "threads": state.translator.resources().threads,
        "batch_size": asked,
        "batch": plan.describe(),
        "resources": state.translator.resources(),
        "batch_plan": plan,
    }))
    .into_response()
}
