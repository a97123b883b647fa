//! What a client sends, read and checked at the boundary: JSON or form bodies into fields, the
//! API key and rate limit, and typed field readers whose errors name the field. Handlers see only
//! fields that passed through here.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, FromRequest, Request};
use axum::http::{header, HeaderMap, StatusCode};
use serde_json::{Map, Value};

use super::error::ApiError;
use super::state::AppState;

/// A request's fields, from a JSON object or a form body (a repeated form field is a list).
pub(super) fn parse_fields(
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
pub(super) fn parse_form(body: &str) -> Result<Vec<(String, String)>, ApiError> {
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
pub(super) struct Admitted(pub(super) Map<String, Value>);

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
pub(super) fn admit(
    state: &AppState,
    fields: &Map<String, Value>,
    addr: SocketAddr,
) -> Result<(), ApiError> {
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
pub(super) fn texts_field(
    fields: &Map<String, Value>,
    name: &str,
) -> Result<(Vec<String>, bool), ApiError> {
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

pub(super) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

pub(super) fn str_field<'a>(
    fields: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, ApiError> {
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
pub(super) fn count_field(
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

pub(super) fn number_field(
    fields: &Map<String, Value>,
    name: &str,
) -> Result<Option<f64>, ApiError> {
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

pub(super) fn bool_field(
    fields: &Map<String, Value>,
    name: &str,
    default: bool,
) -> Result<bool, ApiError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) if s == "true" || s == "1" => Ok(true),
        Some(Value::String(s)) if s == "false" || s == "0" => Ok(false),
        Some(_) => Err(ApiError::bad(format!("{name} must be true or false"))),
    }
}

/// The `format` field of the translation endpoints: whether the text is HTML.
pub(super) fn html_format(fields: &Map<String, Value>) -> Result<bool, ApiError> {
    match str_field(fields, "format")?.unwrap_or("text") {
        "text" => Ok(false),
        "html" => Ok(true),
        other => Err(ApiError::bad(format!(
            "format {other:?} is not supported: use \"text\" or \"html\""
        ))),
    }
}

/// Refuse text beyond the character limit, and an empty request.
pub(super) fn check_size(state: &AppState, texts: &[String], name: &str) -> Result<(), ApiError> {
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
