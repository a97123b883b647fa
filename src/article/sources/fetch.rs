//! Pages fetched over HTTP(S): a connect and an overall timeout, a redirect limit and a cap
//! on the body, so that a URL that never answers, redirects for ever or serves gigabytes ends
//! in an error naming it rather than a hang or an exhausted machine.

use std::io::Read;
use std::time::Duration;

use super::document::{Document, Origin, ReadOptions};
use super::http::is_html_type;
use crate::article::decode;
use crate::article::error::ArticleError;

/// The page at `url`.
pub fn fetch(url: &str, options: &ReadOptions) -> Result<Document, ArticleError> {
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(options.timeout.min(Duration::from_secs(10)))
        .timeout(options.timeout)
        .redirects(options.max_redirects)
        .user_agent(concat!("entente/", env!("CARGO_PKG_VERSION")))
        .build();
    let response = match agent.get(url).call() {
        Ok(response) => response,
        Err(ureq::Error::Status(code, response)) => {
            return Err(ArticleError::Fetch(format!(
                "HTTP {code} {}",
                response.status_text()
            )))
        }
        Err(ureq::Error::Transport(t)) => {
            return Err(ArticleError::Fetch(describe(&t.to_string(), options)))
        }
    };
    let final_url = response.get_url().to_string();
    let content_type = response.header("content-type").map(str::to_string);
    let bytes = decode::read_capped(response.into_reader().take(u64::MAX), options.max_bytes)
        .map_err(|e| match e {
            ArticleError::Corrupt(m) => ArticleError::Fetch(describe(&m, options)),
            other => other,
        })?;
    let origin = match &content_type {
        Some(t) if is_html_type(t) => Origin::Html,
        Some(t) if t.to_ascii_lowercase().starts_with("text/plain") => Origin::Text,
        Some(t) => {
            return Err(ArticleError::Fetch(format!(
                "the server sent {t}, not a web page"
            )))
        }
        None => Origin::Html,
    };
    Ok(Document {
        source: url.to_string(),
        url: Some(final_url),
        content_type,
        origin,
        bytes,
    })
}

/// A transport error in words, with the limit that ended it.
fn describe(message: &str, options: &ReadOptions) -> String {
    let lower = message.to_ascii_lowercase();
    if lower.contains("timed out") || lower.contains("timeout") {
        format!(
            "no complete answer within {} s ({message})",
            options.timeout.as_secs_f64()
        )
    } else if lower.contains("redirect") {
        format!("more than {} redirects ({message})", options.max_redirects)
    } else {
        message.to_string()
    }
}
