//! The server's error answer: LibreTranslate's `{"error": …}` body with a status, and
//! `Retry-After` where trying again later can work. Every endpoint answers its failures with it.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::translate::batcher::QueueError;

/// An error answer: LibreTranslate's `{"error": "..."}` with a status, and `Retry-After` when
/// trying again later can work.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    retry_after: Option<u64>,
}

impl ApiError {
    pub(super) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    pub(super) fn bad(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// The error as a line of a streamed answer, which has already sent its status.
    pub(super) fn to_json(&self) -> serde_json::Value {
        json!({"error": self.message, "status": self.status.as_u16(), "retry_after": self.retry_after})
    }

    pub(super) fn retry(mut self, seconds: u64) -> Self {
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

pub(super) type ApiResult = Result<Response, ApiError>;
