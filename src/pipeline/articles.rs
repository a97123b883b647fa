//! Documents read as articles: a text file or inline text typed line by line, a saved page or a
//! fetched one extracted, a WARC crawl expanded into one document per HTML response (read back
//! in order through a cursor, so a crawl is read once per pass however many pages it holds), a
//! URL list fetched once when the run starts. Each article's prose is what gets segmented and
//! translated; its metadata joins the document's.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::origin::{DocSpec, Origin, Spooled};
use super::outcome::Failure;
use crate::article::sources::{self, ReadOptions, Warc};
use crate::article::{Article, ArticleError, Document};
use crate::segment::Segmenter;

/// A document found, or one that failed already.
pub(super) type Found = Result<DocSpec, Failure>;

/// The documents of a crawl or a URL list found at `file` (id `id`), or `None` for a file that
/// is one document.
pub(super) fn expand(file: &Path, id: &str) -> Option<Vec<Found>> {
    let name = file.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".warc") || name.ends_with(".warc.gz") {
        return Some(warc_documents(file, id));
    }
    if name.ends_with(".urls") {
        return Some(url_documents(file, id));
    }
    None
}

/// One document per HTML response of the crawl; record errors become failing documents.
fn warc_documents(file: &Path, id: &str) -> Vec<Found> {
    let options = ReadOptions::default();
    let source = file.display().to_string();
    let reader = match std::fs::File::open(file) {
        Ok(f) => f,
        Err(e) => return vec![Err(failure(id, &source, e.to_string()))],
    };
    let mut warc = Warc::new(&source, reader, &options);
    let mut docs: Vec<Found> = Vec::new();
    let mut last_page = None;
    while let Some((record, (record_source, page), _)) = warc.next_page() {
        let doc_id = format!("{id}/{record:06}");
        // A salvaged page (its body cut short) is followed by an error for the same record:
        // the page stays a document, and what is wrong with it goes into its metadata.
        if let (Err(e), Some((at, Ok(doc)))) = (&page, last_page.zip(docs.last_mut())) {
            if at == record {
                let doc: &mut DocSpec = doc;
                doc.meta.insert("damage".into(), Value::from(e.to_string()));
                continue;
            }
        }
        last_page = page.is_ok().then_some(record);
        docs.push(match page {
            Ok(page) => Ok(DocSpec {
                id: doc_id,
                source: record_source,
                french: Origin::WarcRecord {
                    path: file.to_path_buf(),
                    record,
                },
                english: None,
                meta: url_meta(page.url.as_deref()),
            }),
            Err(e) => Err(failure(&doc_id, &record_source, e.to_string())),
        });
    }
    docs
}

/// One document per URL of the list, each fetched now (once per run).
fn url_documents(file: &Path, id: &str) -> Vec<Found> {
    let options = ReadOptions::default();
    let mut skipped = 0;
    let input = file.display().to_string();
    sources::read_input(&input, &options, &mut skipped)
        .enumerate()
        .map(|(n, (source, page))| {
            let doc_id = format!("{id}/{:05}", n + 1);
            let spooled = page.map_err(|e| e.to_string()).and_then(|page| {
                let meta = url_meta(page.url.as_deref());
                let spooled = Spooled::new(page).map_err(|e| {
                    format!("cannot keep the fetched page in a temporary file: {e}")
                })?;
                Ok((meta, spooled))
            });
            match spooled {
                Ok((meta, spooled)) => Ok(DocSpec {
                    id: doc_id,
                    meta,
                    source,
                    french: Origin::Fetched(std::sync::Arc::new(spooled)),
                    english: None,
                }),
                Err(e) => Err(failure(&doc_id, &source, e)),
            }
        })
        .collect()
}

fn url_meta(url: Option<&str>) -> Map<String, Value> {
    url.map(|u| Map::from_iter([("url".to_string(), Value::from(u))]))
        .unwrap_or_default()
}

fn failure(id: &str, source: &str, error: String) -> Failure {
    Failure {
        id: id.to_string(),
        source: source.to_string(),
        error,
    }
}

/// The article of an origin.
pub(super) fn read_article(origin: &Origin, lossy: bool) -> Result<Article, ArticleError> {
    let document = |source: &str, html: bool, bytes: Vec<u8>| Document {
        source: source.to_string(),
        url: None,
        content_type: None,
        origin: if html {
            sources::Origin::Html
        } else {
            sources::Origin::Text
        },
        bytes,
    };
    let article = match origin {
        Origin::Inline(text) if text.trim().is_empty() => Err(ArticleError::Empty),
        Origin::Inline(text) => Article::from_text(text, ""),
        Origin::InlineHtml(html) => Article::from_html(html.as_bytes(), "", None, None),
        Origin::File(path) => read_file(path, lossy),
        Origin::Bytes { name, bytes } => {
            let html = looks_like_markup(bytes);
            document(name, html, bytes.clone()).article(lossy)
        }
        Origin::Fetched(spooled) => spooled
            .page()
            .map_err(|source| ArticleError::Io {
                path: "the fetched page's temporary file".into(),
                source,
            })
            .and_then(|page| page.article(lossy)),
        Origin::WarcRecord { path, record } => {
            warc_record(path, *record).and_then(|d| d.article(lossy))
        }
    }?;
    Ok(article)
}

fn read_file(path: &Path, lossy: bool) -> Result<Article, ArticleError> {
    if let Some(format) = office_format(path) {
        return read_office(path, format);
    }
    let options = ReadOptions {
        lossy,
        ..ReadOptions::default()
    };
    let input = path.display().to_string();
    let mut skipped = 0;
    let (_, document) = sources::read_input(&input, &options, &mut skipped)
        .next()
        .ok_or(ArticleError::Empty)?;
    document.and_then(|d| d.article(lossy))
}

/// The document format of a file the pipeline reads as a whole document (not HTML, which is
/// read as a page).
pub(super) fn office_format(path: &Path) -> Option<crate::document::Format> {
    crate::document::Format::from_path(path).filter(|f| *f != crate::document::Format::Html)
}

/// A DOCX, ODT, ODP, PPTX or EPUB file as an article: its blocks, one per line, typed by the
/// plain-text rules; the translated file is written beside the pipeline's outputs.
fn read_office(path: &Path, format: crate::document::Format) -> Result<Article, ArticleError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| ArticleError::Io {
        path: name.clone(),
        source,
    })?;
    let blocks = crate::document::plain_blocks(&bytes, format)
        .map_err(|e| ArticleError::Corrupt(format!("{name}: {e}")))?;
    Article::from_text(&blocks.join("\n"), &name)
}

fn looks_like_markup(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]);
    head.trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('<')
}

thread_local! {
    /// The crawl being read, where it stands: records are asked for in order, so each pass over
    /// a crawl reads it once.
    static CURSOR: RefCell<Option<(PathBuf, usize, Warc<'static>)>> = const { RefCell::new(None) };
}

/// The page of record `record` of the crawl at `path`.
fn warc_record(path: &Path, record: usize) -> Result<Document, crate::article::ArticleError> {
    CURSOR.with(|cursor| {
        let mut cursor = cursor.borrow_mut();
        let reusable = matches!(&*cursor, Some((p, at, _)) if p == path && *at < record);
        if !reusable {
            let file =
                std::fs::File::open(path).map_err(|source| crate::article::ArticleError::Io {
                    path: path.display().to_string(),
                    source,
                })?;
            let warc = Warc::new(&path.display().to_string(), file, &ReadOptions::default());
            *cursor = Some((path.to_path_buf(), 0, warc));
        }
        let (_, at, warc) = cursor.as_mut().expect("opened above");
        while let Some((n, (_, page), _)) = warc.next_page() {
            *at = n;
            if n == record {
                return page;
            }
            if n > record {
                break;
            }
        }
        Err(crate::article::ArticleError::Corrupt(format!(
            "record {record} is no longer in {}",
            path.display()
        )))
    })
}

/// (block, sentence, text) of each sentence of the article's prose, in order: what is
/// translated and aligned.
pub(super) fn prose_sentences(article: &Article) -> Vec<(usize, usize, String)> {
    let segmenter = Segmenter::default();
    let mut out = Vec::new();
    for (b, block) in article.blocks.iter().enumerate() {
        if !block.kind.is_prose() {
            continue;
        }
        for (n, s) in segmenter.segment(&block.text).iter().enumerate() {
            let text = crate::segment::single_line(s.text(&block.text)).into_owned();
            out.push((b, n, text));
        }
    }
    out
}

/// The article's metadata that the document does not set already.
pub(super) fn article_meta(article: &Article, meta: &mut Map<String, Value>) {
    let mut set = |key: &str, value: Option<Value>| {
        if let Some(value) = value {
            meta.entry(key.to_string()).or_insert(value);
        }
    };
    set("url", article.url.clone().map(Value::from));
    set("title", article.title.clone().map(Value::from));
    set("date", article.date.clone().map(Value::from));
    set(
        "authors",
        (!article.authors.is_empty()).then(|| Value::from(article.authors.clone())),
    );
    set("site", article.site.clone().map(Value::from));
    set("lang", article.lang.clone().map(Value::from));
}
