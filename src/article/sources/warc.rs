//! WARC crawls (ISO 28500, WARC/0.18 to 1.1, `.warc` or `.warc.gz` with one gzip member per
//! record, or the whole file one member) read record by record: each `response` record whose
//! HTTP payload is a web page is a document (its `WARC-Target-URI` its URL, `file#record=N` its
//! source); other records (requests, metadata, revisits: a revisit holds no body) are skipped
//! and counted. A record is capped at the page size limit. What real crawlers write is read as
//! warcio reads it (`tests/warc_real.rs`): bytes between records that a wrong Content-Length
//! left are skipped up to the next record; a page whose body is damaged (cut short, a wrong
//! chunk size) is kept as far as it goes and followed by an error saying so; a file that ends
//! inside a record gives what the record holds, then an error naming the record and offset.

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
    /// An error to report after the page just returned (its damage).
    pending: Option<super::document::Item>,
}

/// Bytes between records skipped at most while looking for the next record's header.
const MAX_RESYNC: u64 = 64 << 10;

enum Record {
    /// A page, and what is wrong with it where it could only be salvaged.
    Page(Document, Option<String>),
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
            pending: None,
        }
    }

    /// The next page record (or error), its record number, and how many records that were not
    /// pages were skipped before it; `None` at the end of the file.
    pub fn next_page(&mut self) -> Option<(usize, super::document::Item, usize)> {
        let mut others = 0;
        if let Some(item) = self.pending.take() {
            return Some((self.record, item, others));
        }
        loop {
            if self.done {
                return None;
            }
            match self.next_record() {
                Ok(None) => return None,
                Ok(Some(Record::Page(doc, damage))) => {
                    if let Some(damage) = damage {
                        let error =
                            ArticleError::Corrupt(format!("WARC record {}: {damage}", self.record));
                        self.pending = Some((doc.source.clone(), Err(error)));
                    }
                    return Some((self.record, (doc.source.clone(), Ok(doc)), others));
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

    /// Move to the next record's version line (`WARC/1.0`); `false` at the end of the file. A
    /// file that does not start with a record is not a WARC file; between records, bytes that a
    /// wrong Content-Length left behind are skipped (up to [`MAX_RESYNC`]).
    fn find_record(&mut self) -> Result<bool, (String, ArticleError)> {
        let started = self.offset;
        loop {
            match self.line()? {
                None => return Ok(false),
                Some(l) if l.starts_with("WARC/") => return Ok(true),
                Some(l) if self.record == 0 && !l.is_empty() => {
                    self.record = 1;
                    return Err(self.fail(format!("not a record header: {:?}", truncate(&l))));
                }
                Some(l) if self.offset - started > MAX_RESYNC => {
                    self.record += 1;
                    return Err(self.fail(format!(
                        "no record header in the {MAX_RESYNC} bytes after record {} (last line \
                         read: {:?})",
                        self.record - 1,
                        truncate(&l)
                    )));
                }
                Some(_) => continue,
            }
        }
    }

    fn next_record(&mut self) -> Result<Option<Record>, (String, ArticleError)> {
        if !self.find_record()? {
            return Ok(None);
        }
        self.record += 1;
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
        // What a cut file (or a cut gzip member) holds of the record is kept: `read_to_end`
        // leaves the bytes read before an error in the buffer.
        let cut = match (&mut self.stream).take(length).read_to_end(&mut payload) {
            Ok(_) if payload.len() as u64 == length => None,
            Ok(_) => Some(format!(
                "truncated: the file ends after {} of its {length} bytes",
                payload.len()
            )),
            Err(e) => Some(format!(
                "truncated: {e} after {} of its {length} bytes",
                payload.len()
            )),
        };
        self.offset += payload.len() as u64;
        let uri = header("warc-target-uri").map(|u| u.trim_matches(['<', '>']).to_string());
        let Some(cut) = cut else {
            return Ok(Some(if is_response {
                self.page(&payload, uri)
            } else {
                Record::Other
            }));
        };
        // Nothing after a cut can be trusted: the page (if any) is salvaged, then the error.
        let error = self.fail(cut);
        match is_response.then(|| self.page(&payload, uri)) {
            Some(Record::Page(doc, _)) => {
                self.pending = Some((error.0, Err(error.1)));
                Ok(Some(Record::Page(doc, None)))
            }
            _ => Err(error),
        }
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
            Ok(body) => Record::Page(
                Document {
                    source: self.source(),
                    url: uri,
                    content_type,
                    origin: Origin::Html,
                    bytes: body.bytes,
                },
                body.damage,
            ),
            Err(e) => Record::Bad(e),
        }
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(60).collect()
}
