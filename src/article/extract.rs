//! A page or a scraped text to an [`Article`]: the page decoded and parsed, its metadata read,
//! its furniture pruned, its article found and cut into typed blocks; a text typed line by
//! line. The article's running text, its body and its JSON are read from the blocks.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::block::{Block, BlockKind};
use super::error::ArticleError;
use super::{blocks, content, decode, dom, metadata, plain, prune, title};

/// An article with its metadata.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Article {
    /// Where it came from: a path, a URL, or `path#record=N` in a WARC file.
    pub source: String,
    /// The canonical URL, else the URL it was fetched from.
    pub url: Option<String>,
    /// The headline as the page shows it.
    pub title: Option<String>,
    /// The standfirst.
    pub lead: Option<String>,
    pub date: Option<String>,
    pub authors: Vec<String>,
    pub site: Option<String>,
    pub lang: Option<String>,
    /// The charset the page was decoded from (pages only).
    pub encoding: Option<String>,
    /// Every block, in reading order.
    pub blocks: Vec<Block>,
}

/// Whether `blocks` hold a run of body text an article has.
fn holds_an_article(blocks: &[Block]) -> bool {
    blocks
        .iter()
        .any(|b| b.kind.is_body() && super::kinds::text_weight(&b.text) >= 40)
}

/// How the article's containers on a page were chosen (for diagnosis).
#[doc(hidden)]
pub fn explain(bytes: &[u8]) -> String {
    let (html, _) = decode::decode_html(bytes, None);
    let dom = dom::Dom::parse(&html);
    let dead = prune::dead_nodes(&dom);
    content::explain(&dom, &dead)
}

/// Where trimming the page before parsing changed what extraction reads (see the `dom` room).
#[doc(hidden)]
pub fn trim_difference(bytes: &[u8]) -> Option<String> {
    let (html, _) = decode::decode_html(bytes, None);
    dom::trim_difference(&html)
}

/// Where the time of reading a page goes: each stage of [`Article::from_html`] with its
/// duration (for the extraction benchmark's profile).
#[doc(hidden)]
pub fn stage_times(bytes: &[u8]) -> Vec<(&'static str, std::time::Duration)> {
    let mut times = Vec::new();
    let mut last = std::time::Instant::now();
    let _ = Article::from_html_timed(bytes, "", None, None, &mut |stage| {
        let now = std::time::Instant::now();
        times.push((stage, now - last));
        last = now;
    });
    times
}

impl Article {
    /// Parse a page: `content_type` is its HTTP header when it has one, `url` where it came
    /// from.
    pub fn from_html(
        bytes: &[u8],
        source: &str,
        content_type: Option<&str>,
        url: Option<&str>,
    ) -> Result<Article, ArticleError> {
        Article::from_html_timed(bytes, source, content_type, url, &mut |_| {})
    }

    /// [`Article::from_html`], calling `lap` with the name of each stage as it ends.
    fn from_html_timed(
        bytes: &[u8],
        source: &str,
        content_type: Option<&str>,
        url: Option<&str>,
        lap: &mut dyn FnMut(&'static str),
    ) -> Result<Article, ArticleError> {
        let (html, encoding) = decode::decode_html(bytes, content_type);
        check_text(&html)?;
        let html = match super::mojibake::mend(&html) {
            std::borrow::Cow::Borrowed(_) => html,
            std::borrow::Cow::Owned(mended) => mended,
        };
        lap("decode");
        let dom = dom::Dom::parse(&html);
        drop(html);
        lap("parse");
        let meta = metadata::read(&dom);
        lap("metadata");
        let dead = prune::dead_nodes(&dom);
        lap("prune");
        let mut containers = content::containers(&dom, &dead);
        lap("content");
        let page_url = meta.url.as_deref().or(url);
        let host = page_url.and_then(metadata::host_of);
        let mut blocks = blocks::blocks_of(&dom, &containers, &dead, host);
        if !holds_an_article(&blocks) {
            // Class names can be wrong about a page's one story: read it again without them.
            let dead = prune::dead_nodes_unnamed(&dom);
            containers = content::containers(&dom, &dead);
            blocks = blocks::blocks_of(&dom, &containers, &dead, host);
        }
        lap("blocks");
        let title = title::headline(&dom, &meta);
        let lead = title::standfirst(&dom, &meta, &containers, &mut blocks);
        title::place_headline(title.as_deref(), lead.as_deref(), &mut blocks);
        plain::mark_truncation(&mut blocks);
        lap("title");
        if !holds_an_article(&blocks) {
            return Err(ArticleError::NoArticle);
        }
        let article = Article {
            source: source.to_string(),
            url: meta.url.or(url.map(str::to_string)),
            title,
            lead,
            date: meta.date,
            authors: meta.authors,
            site: meta.site,
            lang: meta.lang,
            encoding: Some(encoding.to_string()),
            blocks,
        };
        drop(dom);
        lap("free");
        Ok(article)
    }

    /// Text scraped from a page: each line a block.
    pub fn from_text(text: &str, source: &str) -> Result<Article, ArticleError> {
        if text.trim().is_empty() {
            return Err(ArticleError::Empty);
        }
        check_text(text)?;
        let text = &super::mojibake::mend(text);
        let blocks = plain::blocks_of_text(text);
        let find = |kind| {
            blocks
                .iter()
                .find(|b| b.kind == kind)
                .map(|b| b.text.clone())
        };
        Ok(Article {
            source: source.to_string(),
            title: find(BlockKind::Title),
            lead: find(BlockKind::Lead),
            date: find(BlockKind::Dateline).map(|d| {
                d.trim_start_matches(|c: char| "•·|-–—* ".contains(c))
                    .to_string()
            }),
            blocks,
            ..Article::default()
        })
    }

    /// The running text without the title: the standfirst, headings, paragraphs, list items and
    /// quotes, one block per line.
    pub fn text(&self) -> String {
        let mut lines: Vec<&str> = Vec::new();
        let lead_in_blocks = self.blocks.iter().any(|b| b.kind == BlockKind::Lead);
        if let (Some(lead), false) = (&self.lead, lead_in_blocks) {
            lines.push(lead);
        }
        lines.extend(
            self.blocks
                .iter()
                .filter(|b| b.kind.is_body())
                .map(|b| b.text.as_str()),
        );
        lines.join("\n")
    }

    /// Every block on its own line (the layout `translate --input article` reads), with the
    /// kind of each line.
    pub fn lines(&self) -> (String, Vec<BlockKind>) {
        let text: Vec<String> = self
            .blocks
            .iter()
            .map(|b| crate::segment::single_line(&b.text).into_owned())
            .collect();
        (
            text.join("\n"),
            self.blocks.iter().map(|b| b.kind).collect(),
        )
    }

    /// The body without the standfirst: what article-extraction benchmarks call the
    /// `articleBody`.
    pub fn body(&self) -> String {
        self.blocks
            .iter()
            .filter(|b| b.kind.is_body() && b.kind != BlockKind::Lead)
            .map(|b| b.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Whether the text visibly stops before its end.
    pub fn truncated(&self) -> bool {
        self.blocks.iter().any(|b| b.truncated)
    }

    /// How many blocks of each kind that is not prose the article holds.
    pub fn furniture_counts(&self) -> BTreeMap<&'static str, usize> {
        let mut counts = BTreeMap::new();
        for b in self.blocks.iter().filter(|b| !b.kind.is_prose()) {
            *counts.entry(b.kind.name()).or_default() += 1;
        }
        counts
    }

    /// The article as `entente extract` writes it.
    pub fn to_json(&self) -> Value {
        json!({
            "source": self.source, "url": self.url, "title": self.title, "lead": self.lead,
            "date": self.date, "authors": self.authors, "site": self.site, "lang": self.lang,
            "encoding": self.encoding, "truncated": self.truncated(), "text": self.text(),
            "blocks": self.blocks,
        })
    }
}

/// Refuse decoded input that is binary data rather than text: NUL bytes or many control
/// characters.
fn check_text(text: &str) -> Result<(), ArticleError> {
    let sample: Vec<char> = text.chars().take(8192).collect();
    let controls = sample
        .iter()
        .filter(|&&c| c.is_control() && !c.is_whitespace())
        .count();
    if sample.contains(&'\0') || controls * 20 > sample.len().max(1) {
        return Err(ArticleError::Binary(format!(
            "{controls} control characters in its first {} characters",
            sample.len()
        )));
    }
    Ok(())
}
