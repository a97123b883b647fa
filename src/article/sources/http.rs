//! HTTP messages as pages arrive in them (over the network or stored in a WARC response):
//! the head, and the body with chunking and its content encoding (gzip, deflate, brotli) undone.
//! Crawlers store what servers sent, and servers lie: as warcio (the reference WARC reader)
//! does, a "chunked" body that is not chunked is taken as it is, a "gzip" body that is not gzip
//! likewise, and a body cut short (a truncated record, a wrong chunk size) is salvaged up to the
//! cut and said to be damaged.

use std::io::Read;

use crate::article::decode;
use crate::article::error::ArticleError;

/// HTTP headers, names lowercased, in order.
pub type Headers = Vec<(String, String)>;

/// Read an HTTP message's head (`HTTP/1.1 200 OK`, then headers up to a blank line) from the
/// start of `bytes`: the status code, the headers (names lowercased) and where the body starts.
pub fn http_head(bytes: &[u8]) -> Option<(u16, Headers, usize)> {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
        .or_else(|| bytes.windows(2).position(|w| w == b"\n\n").map(|p| p + 2))?;
    let head = String::from_utf8_lossy(&bytes[..end]);
    let mut lines = head.lines();
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Some((status, headers, end))
}

/// A body as decoded, and what was wrong with it where it could only be salvaged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    pub bytes: Vec<u8>,
    /// Why the body may be incomplete (a chunk or a compressed stream cut short).
    pub damage: Option<String>,
}

/// An HTTP body with its transfer and content encodings undone (chunks joined; gzip, deflate
/// or brotli inflated, under the cap of `max` bytes).
pub fn http_body(
    headers: &[(String, String)],
    body: &[u8],
    max: usize,
) -> Result<Body, ArticleError> {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.to_ascii_lowercase())
    };
    let (body, mut damage) = if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        dechunk(body)
    } else {
        (body.to_vec(), None)
    };
    let encoding = header("content-encoding").unwrap_or_default();
    let inflated = match encoding.trim() {
        "gzip" | "x-gzip" if decode::is_gzip(&body) => {
            inflate(flate2::read::MultiGzDecoder::new(&body[..]), max)?
        }
        // Servers send raw deflate under this name as often as zlib-wrapped data.
        "deflate" => match inflate(flate2::read::ZlibDecoder::new(&body[..]), max)? {
            Inflated::NotCompressed => inflate(flate2::read::DeflateDecoder::new(&body[..]), max)?,
            done => done,
        },
        "br" => inflate(brotli_decompressor::Decompressor::new(&body[..], 4096), max)?,
        // "identity", none, or a name that does not match the bytes: as they are.
        _ => Inflated::NotCompressed,
    };
    let (bytes, cut) = match inflated {
        Inflated::Whole(bytes) => (bytes, None),
        Inflated::Cut(bytes, why) => (bytes, Some(why)),
        Inflated::NotCompressed => (body, None),
    };
    damage = damage.or(cut);
    Ok(Body { bytes, damage })
}

/// What inflating gave.
enum Inflated {
    Whole(Vec<u8>),
    /// The stream was cut short: what came before the cut, and why.
    Cut(Vec<u8>, String),
    /// Not one byte decodes: the body was not compressed (warcio then takes it as it is).
    NotCompressed,
}

/// Inflate a compressed stream through `reader` under the cap of `max` bytes.
fn inflate(reader: impl Read, max: usize) -> Result<Inflated, ArticleError> {
    let mut out = Vec::new();
    let result = reader.take(max as u64 + 1).read_to_end(&mut out);
    if out.len() > max {
        return Err(ArticleError::TooLarge { limit: max });
    }
    Ok(match result {
        Ok(_) => Inflated::Whole(out),
        Err(_) if out.is_empty() => Inflated::NotCompressed,
        Err(e) => {
            let why = format!(
                "its compressed body is truncated ({e}); kept the {} bytes before the cut",
                out.len()
            );
            Inflated::Cut(out, why)
        }
    })
}

/// Join the chunks of a chunked body. Where the framing breaks (a size line that is not a size,
/// a chunk cut short, a missing terminator), what was joined so far is kept and the rest is
/// taken as it is: a body that says "chunked" but was stored de-chunked comes back whole.
fn dechunk(mut data: &[u8]) -> (Vec<u8>, Option<String>) {
    let mut out = Vec::new();
    loop {
        let Some(line_end) = data.windows(2).position(|w| w == b"\r\n") else {
            // After joined chunks, an end without the last chunk is a cut; with none joined,
            // the body was never chunked.
            let damage = (!out.is_empty())
                .then(|| "a chunked body is truncated: it ends without its last chunk".to_string());
            out.extend_from_slice(data);
            return (out, damage);
        };
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let Ok(size) = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
        else {
            // Not (or no longer) chunked: the rest as it is.
            out.extend_from_slice(data);
            return (out, None);
        };
        let rest = &data[line_end + 2..];
        if size == 0 {
            return (out, None);
        }
        if rest.len() < size {
            out.extend_from_slice(rest);
            return (out, Some("a chunk of the body is truncated".to_string()));
        }
        out.extend_from_slice(&rest[..size]);
        data = rest.get(size..).unwrap_or(&[]);
        data = data.strip_prefix(b"\r\n").unwrap_or(data);
    }
}

/// Whether a `Content-Type` is a web page.
pub fn is_html_type(content_type: &str) -> bool {
    let t = content_type.to_ascii_lowercase();
    t.starts_with("text/html") || t.starts_with("application/xhtml")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn headers(list: &[(&str, &str)]) -> Headers {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const PAGE: &[u8] = b"<html><body><p>Bonjour tout le monde.</p></body></html>";

    #[test]
    fn deflate_is_read_zlib_wrapped_or_raw() {
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        zlib.write_all(PAGE).unwrap();
        let mut raw =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        raw.write_all(PAGE).unwrap();
        let h = headers(&[("content-encoding", "deflate")]);
        for body in [zlib.finish().unwrap(), raw.finish().unwrap()] {
            let got = http_body(&h, &body, 1 << 20).unwrap();
            assert_eq!((got.bytes.as_slice(), got.damage), (PAGE, None));
        }
    }

    #[test]
    fn a_label_that_lies_leaves_the_body_as_it_is() {
        for h in [
            headers(&[("content-encoding", "gzip")]),
            headers(&[("content-encoding", "br")]),
            headers(&[("transfer-encoding", "chunked")]),
        ] {
            let got = http_body(&h, PAGE, 1 << 20).unwrap();
            assert_eq!((got.bytes.as_slice(), got.damage), (PAGE, None), "{h:?}");
        }
    }

    #[test]
    fn a_body_cut_short_is_kept_and_said_truncated() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&PAGE.repeat(50)).unwrap();
        let gz = gz.finish().unwrap();
        let h = headers(&[("content-encoding", "gzip")]);
        let got = http_body(&h, &gz[..gz.len() - 12], 1 << 20).unwrap();
        assert!(got.bytes.starts_with(PAGE), "{}", got.bytes.len());
        assert!(got.damage.unwrap().contains("truncated"));
        let h = headers(&[("transfer-encoding", "chunked")]);
        let got = http_body(&h, b"10\r\n<html><body><p>B", 1 << 20).unwrap();
        assert_eq!(got.bytes, b"<html><body><p>B");
        assert!(got.damage.unwrap().contains("truncated"));
        let whole = http_body(&h, b"5\r\n<html\r\n2\r\n>x\r\n0\r\n\r\n", 1 << 20).unwrap();
        assert_eq!(
            (whole.bytes.as_slice(), whole.damage),
            (&b"<html>x"[..], None)
        );
    }
}
