//! A document read from an input, before extraction, and the limits inputs are read under.

use std::time::Duration;

use crate::article::decode::DEFAULT_MAX_BYTES;
use crate::article::error::ArticleError;
use crate::article::extract::Article;

/// Limits on reading.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// The most bytes a page, a record or a decompressed file may hold.
    pub max_bytes: usize,
    /// The longest a URL may take to answer, in all.
    pub timeout: Duration,
    pub max_redirects: u32,
    /// Replace invalid UTF-8 in plain text instead of refusing it.
    pub lossy: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            max_bytes: DEFAULT_MAX_BYTES,
            timeout: Duration::from_secs(30),
            max_redirects: 5,
            lossy: false,
        }
    }
}

/// What a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Html,
    Text,
}

/// A document read from an input, not yet extracted.
#[derive(Debug, Clone)]
pub struct Document {
    /// The path, URL or WARC record it came from (`crawl.warc.gz#record=12`).
    pub source: String,
    pub url: Option<String>,
    /// The HTTP `Content-Type`, when it came over HTTP or from a WARC response.
    pub content_type: Option<String>,
    pub origin: Origin,
    pub bytes: Vec<u8>,
}

impl Document {
    /// The article in the document.
    pub fn article(&self, lossy: bool) -> Result<Article, ArticleError> {
        match self.origin {
            Origin::Html => Article::from_html(
                &self.bytes,
                &self.source,
                self.content_type.as_deref(),
                self.url.as_deref(),
            ),
            Origin::Text => {
                let text = crate::input::decode_utf8(self.bytes.clone(), &self.source, lossy)
                    .map_err(|e| ArticleError::Corrupt(e.to_string()))?;
                let mut article = Article::from_text(&text, &self.source)?;
                article.url = self.url.clone();
                Ok(article)
            }
        }
    }
}

/// One document of an input, or why it could not be read.
pub type Item = (String, Result<Document, ArticleError>);
