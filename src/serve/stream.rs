//! Answers that report progress while they are computed (`"stream": true`): lines of JSON
//! (`application/x-ndjson`), `{"progress": {"done", "total"}}` each time sentences finish, then
//! the answer itself (or `{"error", "status"}` if the work failed after it started). Until the
//! work's sentences are admitted to the queue, a failure (a full queue, a bad field, no article)
//! is an ordinary error answer with its status, so a client can tell "busy" from "broken". A
//! client that goes away cancels the work: its sentences are dropped before they cost engine time.

use std::future::Future;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::engine::PROGRESS;
use super::error::{ApiError, ApiResult};
use super::state::AppState;

/// A spawned task that is aborted when its handle is dropped (the client went away).
struct AbortOnDrop(JoinHandle<Result<Value, ApiError>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn joined(
    result: Result<Result<Value, ApiError>, tokio::task::JoinError>,
) -> Result<Value, ApiError> {
    result.unwrap_or_else(|_| {
        Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the request's work stopped unexpectedly",
        ))
    })
}

fn line(value: &Value) -> Bytes {
    let mut text = value.to_string();
    text.push('\n');
    Bytes::from(text)
}

/// Run `work` with its progress streamed, under the server's per-request timeout (the
/// middleware's covers only the time to the first byte).
pub(super) async fn with_progress(
    state: &AppState,
    work: impl Future<Output = Result<Value, ApiError>> + Send + 'static,
) -> ApiResult {
    let (sender, mut progress) = watch::channel((0usize, 0usize));
    let timeout = state.settings.timeout;
    let mut task = AbortOnDrop(tokio::spawn(PROGRESS.scope(sender, async move {
        tokio::time::timeout(timeout, work)
            .await
            .unwrap_or_else(|_| {
                Err(ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!(
                        "the request took over {} s; send less text at a time",
                        timeout.as_secs_f64()
                    ),
                ))
            })
    })));
    // The first progress report comes once the sentences are queued.
    tokio::select! {
        result = &mut task.0 => {
            let value = joined(result)?;
            return Ok(ndjson(Body::from(line(&value))));
        }
        changed = progress.changed() => {
            if changed.is_err() {
                // Finished without queueing anything (nothing to translate).
                let value = joined((&mut task.0).await)?;
                return Ok(ndjson(Body::from(line(&value))));
            }
        }
    }
    let first = line(&json!({"progress": progress_json(*progress.borrow_and_update())}));
    let state = (Some(task), progress, Some(first));
    let stream = futures_util::stream::unfold(state, |(task, mut progress, pending)| async move {
        if let Some(bytes) = pending {
            return Some((
                Ok::<_, std::convert::Infallible>(bytes),
                (task, progress, None),
            ));
        }
        let mut task = task?;
        let bytes = tokio::select! {
            result = &mut task.0 => {
                let end = match joined(result) {
                    Ok(value) => line(&value),
                    Err(e) => line(&e.to_json()),
                };
                return Some((Ok(end), (None, progress, None)));
            }
            changed = progress.changed() => match changed {
                Ok(()) => line(&json!({"progress": progress_json(*progress.borrow_and_update())})),
                // The work dropped its end of the channel: it is finishing.
                Err(_) => {
                    let end = match joined((&mut task.0).await) {
                        Ok(value) => line(&value),
                        Err(e) => line(&e.to_json()),
                    };
                    return Some((Ok(end), (None, progress, None)));
                }
            },
        };
        Some((Ok(bytes), (Some(task), progress, None)))
    });
    Ok(ndjson(Body::from_stream(stream)))
}

fn progress_json((done, total): (usize, usize)) -> Value {
    json!({"done": done, "total": total})
}

fn ndjson(body: Body) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    response
}
