//! Where articles come from, as a stream of documents: a saved page (`.html`, `.htm`, gzipped
//! or not), a WARC crawl (`.warc`, `.warc.gz`: each HTML response record a document, its
//! `WARC-Target-URI` its URL; other records skipped and counted), an `http(s)://` URL (fetched
//! with timeouts, a size cap and a redirect limit), a list of URLs (a file holding only URLs),
//! or plain text. One bad document is an error for that document; the stream goes on.

use std::io::{BufRead, BufReader};
use std::path::Path;

use super::decode;
use super::error::ArticleError;

mod document;
mod fetch;
mod http;
mod warc;

pub use document::{Document, Item, Origin, ReadOptions};
pub use fetch::fetch;
pub use http::{http_body, http_head, is_html_type, Body};
pub use warc::Warc;

/// Whether `input` names a URL rather than a file.
pub fn is_url(input: &str) -> bool {
    input.starts_with("http://") || input.starts_with("https://")
}

/// The documents of one input (a path or a URL), read lazily. `skipped` counts the WARC
/// records that were not HTML responses.
pub fn read_input<'a>(
    input: &'a str,
    options: &'a ReadOptions,
    skipped: &'a mut usize,
) -> Box<dyn Iterator<Item = Item> + 'a> {
    if is_url(input) {
        return Box::new(std::iter::once((input.to_string(), fetch(input, options))));
    }
    let path = Path::new(input);
    let lower = input.to_ascii_lowercase();
    if lower.ends_with(".warc") || lower.ends_with(".warc.gz") {
        return match std::fs::File::open(path) {
            Ok(file) => Box::new(warc::records(input, file, options, skipped)),
            Err(source) => Box::new(std::iter::once((
                input.to_string(),
                Err(ArticleError::Io {
                    path: input.to_string(),
                    source,
                }),
            ))),
        };
    }
    match read_file(path, options) {
        Err(e) => Box::new(std::iter::once((input.to_string(), Err(e)))),
        Ok(bytes) if bytes.starts_with(b"WARC/") => Box::new(warc::records(
            input,
            std::io::Cursor::new(bytes),
            options,
            skipped,
        )),
        Ok(bytes) => match url_list(&bytes) {
            Some(urls) => Box::new(urls.into_iter().map(move |url| {
                let fetched = fetch(&url, options);
                (url, fetched)
            })),
            None => Box::new(std::iter::once((
                input.to_string(),
                Ok(document_of(input, bytes)),
            ))),
        },
    }
}

/// A document held in memory (a page's HTML or scraped text, as `/v1/extract` or the Python
/// package receive it), named `source`: a page when its name or its first markup says so, else
/// text.
pub fn document_of(source: &str, bytes: Vec<u8>) -> Document {
    let html = looks_like_html(&source.to_ascii_lowercase(), &bytes);
    Document {
        source: source.to_string(),
        url: None,
        content_type: None,
        origin: if html { Origin::Html } else { Origin::Text },
        bytes,
    }
}

/// A file's bytes, gunzipped when it is gzip, under the size cap.
fn read_file(path: &Path, options: &ReadOptions) -> Result<Vec<u8>, ArticleError> {
    let io = |source| ArticleError::Io {
        path: path.display().to_string(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(ArticleError::Corrupt("not a regular file".into()));
    }
    let file = std::fs::File::open(path).map_err(io)?;
    let mut reader = BufReader::new(file);
    let gzip = decode::is_gzip(reader.fill_buf().map_err(io)?);
    let bytes = if gzip {
        decode::read_capped(
            flate2::bufread::MultiGzDecoder::new(reader),
            options.max_bytes,
        )?
    } else {
        decode::read_capped(reader, options.max_bytes)?
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ArticleError::Empty);
    }
    Ok(bytes)
}

/// The URLs of a file that holds nothing else (blank lines and `#` comments aside).
fn url_list(bytes: &[u8]) -> Option<Vec<String>> {
    let text = std::str::from_utf8(bytes).ok()?;
    let urls: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    (!urls.is_empty()
        && urls
            .iter()
            .all(|u| is_url(u) && !u.contains(char::is_whitespace)))
    .then_some(urls)
}

/// A page by its name, or by markup at its start.
fn looks_like_html(name: &str, bytes: &[u8]) -> bool {
    let name = name.trim_end_matches(".gz");
    if [".html", ".htm", ".xhtml", ".shtml", ".php", ".asp", ".aspx"]
        .iter()
        .any(|e| name.ends_with(e))
    {
        return true;
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]).to_ascii_lowercase();
    let head = head.trim_start_matches('\u{feff}').trim_start();
    head.starts_with('<')
        && [
            "<html",
            "<!doctype html",
            "<head",
            "<body",
            "<meta",
            "<div",
            "<p",
        ]
        .iter()
        .any(|t| head.contains(t))
}
