//! WARC crawls (ISO 28500, `.warc` or `.warc.gz` with one gzip member per record) read record
//! by record: each `response` record whose HTTP payload is a web page is a document (its
//! `WARC-Target-URI` its URL, `file#record=N` its source); other records are skipped and
//! counted. A record is capped at the page size limit; a truncated record is an error naming
//! its number and offset, and ends the file (nothing after it can be trusted).

use std::io::{BufRead, BufReader, Read};

use super::document::{Document, Item, Origin, ReadOptions};
use super::http::{http_body, http_head, is_html_type};
use crate::article::decode;
use crate::article::error::ArticleError;

/// The documents of a WARC file (gzipped or not) read from `reader`.
pub fn records<'a, R: Read + 'a>(
    name: &'a str,
    reader: R,
    options: &'a ReadOptions,
    skipped: &'a mut usize,
) -> impl Iterator<Item = Item> + 'a {
    let mut warc = Warc::new(name, reader, options);
    std::iter::from_fn(move || {
        let (_, item, others) = warc.next_page()?;
        *skipped += others;
        Some(item)
    })
}

/// A WARC file read record by record, in order.
pub struct Warc<'a> {
    name: String,
    stream: Box<dyn BufRead + 'a>,
    options: ReadOptions,
    /// Bytes of the (decompressed) stream read so far.
    offset: u64,
    /// Records started so far.
    record: usize,
    done: bool,
}

enum Record {
    Page(Document),
    /// A page response whose body cannot be decoded.
    Bad(ArticleError),
    Other,
}

impl<'a> Warc<'a> {
    /// Read the WARC file (gzipped or not) named `name` from `reader`.
    pub fn new<R: Read + 'a>(name: &str, reader: R, options: &ReadOptions) -> Self {
        let mut buffered = BufReader::new(reader);
        let gzip = buffered.fill_buf().is_ok_and(decode::is_gzip);
        let stream: Box<dyn BufRead + 'a> = if gzip {
            Box::new(BufReader::new(flate2::bufread::MultiGzDecoder::new(
                buffered,
            )))
        } else {
            Box::new(buffered)
        };
        Warc {
            name: name.to_string(),
            stream,
            options: options.clone(),
            offset: 0,
            record: 0,
            done: false,
        }
    }

    /// The next page record (or error), its record number, and how many records that were not
    /// pages were skipped before it; `None` at the end of the file.
    pub fn next_page(&mut self) -> Option<(usize, super::document::Item, usize)> {
        let mut others = 0;
        loop {
            if self.done {
                return None;
            }
            match self.next_record() {
                Ok(None) => return None,
                Ok(Some(Record::Page(doc))) => {
                    return Some((self.record, (doc.source.clone(), Ok(doc)), others))
                }
                Ok(Some(Record::Bad(e))) => {
                    return Some((self.record, (self.source(), Err(e)), others))
                }
                Ok(Some(Record::Other)) => others += 1,
                Err((source, e)) => return Some((self.record, (source, Err(e)), others)),
            }
        }
    }

    fn source(&self) -> String {
        format!("{}#record={}", self.name, self.record)
    }

    fn fail(&mut self, message: String) -> (String, ArticleError) {
        self.done = true;
        (
            self.source(),
            ArticleError::Corrupt(format!(
                "WARC record {} (byte {} of the uncompressed stream): {message}",
                self.record, self.offset
            )),
        )
    }

    fn line(&mut self) -> Result<Option<String>, (String, ArticleError)> {
        let mut line = Vec::new();
        let read = (&mut self.stream)
            .take(64 << 10)
            .read_until(b'\n', &mut line)
            .map_err(|e| self.fail(format!("cannot read: {e}")))?;
        self.offset += read as u64;
        if read == 0 {
            return Ok(None);
        }
        Ok(Some(String::from_utf8_lossy(&line).trim_end().to_string()))
    }

    fn next_record(&mut self) -> Result<Option<Record>, (String, ArticleError)> {
        let version = loop {
            match self.line()? {
                None => return Ok(None),
                Some(l) if l.is_empty() => continue,
                Some(l) => break l,
            }
        };
        self.record += 1;
        if !version.starts_with("WARC/") {
            return Err(self.fail(format!("not a record header: {:?}", truncate(&version))));
        }
        let mut headers = Vec::new();
        loop {
            match self.line()? {
                None => return Err(self.fail("the file ends inside the record's headers".into())),
                Some(l) if l.is_empty() => break,
                Some(l) => {
                    if let Some((k, v)) = l.split_once(':') {
                        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
                    }
                }
            }
        }
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let length: u64 = header("content-length")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| self.fail("no Content-Length".into()))?;
        let is_response = header("warc-type").is_some_and(|t| t == "response")
            && header("content-type").is_some_and(|t| t.starts_with("application/http"));
        if length > self.options.max_bytes as u64 {
            self.skip(length)?;
            return Err((
                self.source(),
                ArticleError::TooLarge {
                    limit: self.options.max_bytes,
                },
            ));
        }
        let mut payload = Vec::with_capacity(length as usize);
        let read = (&mut self.stream)
            .take(length)
            .read_to_end(&mut payload)
            .map_err(|e| self.fail(format!("cannot read its content: {e}")))?;
        self.offset += read as u64;
        if (read as u64) < length {
            return Err(self.fail(format!("truncated: {read} of its {length} bytes")));
        }
        if !is_response {
            return Ok(Some(Record::Other));
        }
        let uri = header("warc-target-uri").map(|u| u.trim_matches(['<', '>']).to_string());
        Ok(Some(self.page(&payload, uri)))
    }

    /// Skip `length` bytes of content.
    fn skip(&mut self, length: u64) -> Result<(), (String, ArticleError)> {
        let skipped = std::io::copy(&mut (&mut self.stream).take(length), &mut std::io::sink())
            .map_err(|e| self.fail(format!("cannot read its content: {e}")))?;
        self.offset += skipped;
        if skipped < length {
            return Err(self.fail(format!("truncated: {skipped} of its {length} bytes")));
        }
        Ok(())
    }

    /// A response record's page, or `Other` when its payload is not an HTML page.
    fn page(&self, payload: &[u8], uri: Option<String>) -> Record {
        let Some((status, headers, body_at)) = http_head(payload) else {
            return Record::Other;
        };
        let content_type = headers
            .iter()
            .find(|(k, _)| k == "content-type")
            .map(|(_, v)| v.clone());
        if !(200..300).contains(&status) || !content_type.as_deref().is_some_and(is_html_type) {
            return Record::Other;
        }
        match http_body(&headers, &payload[body_at..], self.options.max_bytes) {
            Ok(bytes) => Record::Page(Document {
                source: self.source(),
                url: uri,
                content_type,
                origin: Origin::Html,
                bytes,
            }),
            Err(e) => Record::Bad(e),
        }
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(60).collect()
}
