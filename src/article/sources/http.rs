//! HTTP messages as pages arrive in them (over the network or stored in a WARC response):
//! the head, and the body with chunking and gzip undone.

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

/// An HTTP body with its transfer and content encodings undone (chunks joined, gzip inflated).
pub fn http_body(
    headers: &[(String, String)],
    body: &[u8],
    max: usize,
) -> Result<Vec<u8>, ArticleError> {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.to_ascii_lowercase())
    };
    let mut body = if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        dechunk(body)?
    } else {
        body.to_vec()
    };
    if header("content-encoding").is_some_and(|v| v.contains("gzip")) && decode::is_gzip(&body) {
        body = decode::gunzip(&body, max)?;
    }
    Ok(body)
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, ArticleError> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| ArticleError::Corrupt("a chunked body without its last chunk".into()))?;
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| ArticleError::Corrupt(format!("bad chunk size {size_text:?}")))?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if data.len() < size {
            return Err(ArticleError::Corrupt("a chunk is cut short".into()));
        }
        out.extend_from_slice(&data[..size]);
        data = data.get(size + 2..).unwrap_or(&[]);
    }
}

/// Whether a `Content-Type` is a web page.
pub fn is_html_type(content_type: &str) -> bool {
    let t = content_type.to_ascii_lowercase();
    t.starts_with("text/html") || t.starts_with("application/xhtml")
}
