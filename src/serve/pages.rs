//! Web pages through the server: `POST /v1/extract` (a page's HTML, text scraped from one, or —
//! on a server started with `--fetch-urls` — a URL, to its article), and the articles the page
//! mode of `/v1/translate` translates. Extraction is the library's (`crate::article`), the same
//! as `entente extract`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Map, Value};

use super::engine::blocking;
use super::error::{ApiError, ApiResult};
use super::request::{str_field, texts_field, Admitted};
use super::state::AppState;
use crate::article::sources::{self, ReadOptions};
use crate::article::{Article, ArticleError};

/// `POST /v1/extract`: `{html: string}`, `{text: string}` or `{url: string}` →
/// `{article: {source, url, title, lead, date, authors, site, lang, text, blocks, …}}`.
pub(super) async fn v1_extract(
    State(state): State<Arc<AppState>>,
    Admitted(fields): Admitted,
) -> ApiResult {
    let article = if let Some(text) = str_field(&fields, "text")? {
        let text = text.to_string();
        blocking(move || Article::from_text(&text, "text").map_err(no_article)).await?
    } else {
        page_articles(&state, &fields, "html")
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::bad("Invalid request: missing html, text or url parameter"))?
    };
    Ok(Json(json!({ "article": article.to_json() })).into_response())
}

/// The articles of the pages a request sends: `field` (a page's HTML, or a list of them), or
/// `url` (one URL or a list; a server started without `--fetch-urls` refuses it).
pub(super) async fn page_articles(
    state: &AppState,
    fields: &Map<String, Value>,
    field: &str,
) -> Result<Vec<Article>, ApiError> {
    if fields.contains_key("url") {
        if !state.settings.fetch_urls {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "this server does not fetch URLs (start it with --fetch-urls): send the page's \
                 html instead",
            ));
        }
        let (urls, _) = texts_field(fields, "url")?;
        let max_bytes = state.settings.body_limit;
        return blocking(move || {
            let options = ReadOptions {
                max_bytes,
                ..ReadOptions::default()
            };
            urls.iter()
                .map(|url| {
                    if !sources::is_url(url) {
                        return Err(ApiError::bad(format!("{url:?} is not an http(s) URL")));
                    }
                    sources::fetch(url, &options)
                        .and_then(|page| page.article(false))
                        .map_err(|e| match e {
                            ArticleError::NoArticle => no_article(e),
                            other => {
                                ApiError::new(StatusCode::BAD_GATEWAY, format!("{url}: {other}"))
                            }
                        })
                })
                .collect()
        })
        .await;
    }
    let (pages, _) = texts_field(fields, field)?;
    let field = field.to_string();
    blocking(move || {
        pages
            .iter()
            .enumerate()
            .map(|(i, html)| {
                Article::from_html(html.as_bytes(), &format!("{field}[{i}]"), None, None)
                    .map_err(no_article)
            })
            .collect()
    })
    .await
}

/// "No article found" and other extraction errors as a 422: the request was well formed, the
/// page held nothing to translate.
fn no_article(e: ArticleError) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
}
