//! Bytes to text for web pages: gzip inflated under a cap (a member that inflates to gigabytes
//! is an error naming the cap, not an exhausted machine), and the page's charset found the way a
//! browser finds it — a byte-order mark, the HTTP `Content-Type`, the `<meta>` prescan of the
//! first bytes — checked against the bytes (a page that declares UTF-8 but is not is guessed
//! again by `chardetng`, as are pages that declare nothing and are not UTF-8).

use std::io::Read;

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

use super::error::ArticleError;

/// The most bytes a page (or a WARC record, or a gzip member) may inflate to.
pub const DEFAULT_MAX_BYTES: usize = 64 << 20;

/// Whether `bytes` start with gzip's magic number.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Inflate gzip `bytes` (every member), refusing to produce more than `max` bytes.
pub fn gunzip(bytes: &[u8], max: usize) -> Result<Vec<u8>, ArticleError> {
    read_capped(flate2::read::MultiGzDecoder::new(bytes), max)
}

/// Read `reader` to its end, refusing more than `max` bytes.
pub fn read_capped(reader: impl Read, max: usize) -> Result<Vec<u8>, ArticleError> {
    let mut out = Vec::new();
    let read = reader
        .take(max as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| ArticleError::Corrupt(format!("cannot decompress: {e}")))?;
    if read > max {
        return Err(ArticleError::TooLarge { limit: max });
    }
    Ok(out)
}

/// The page's text and the name of the encoding it was decoded from. `content_type` is the
/// HTTP header, when the page came over HTTP or from a WARC response.
pub fn decode_html(bytes: &[u8], content_type: Option<&str>) -> (String, &'static str) {
    let declared = Encoding::for_bom(bytes)
        .map(|(e, _)| e)
        .or_else(|| content_type.and_then(charset_of_content_type))
        .or_else(|| meta_charset(bytes));
    let encoding = match declared {
        // A page that says UTF-8 but is not (a common misconfiguration) is guessed.
        Some(e) if e == UTF_8 && std::str::from_utf8(strip_bom(bytes)).is_err() => guess(bytes),
        // A page that says Latin-1 but is valid UTF-8 with non-ASCII bytes was saved as UTF-8.
        Some(e) if e == WINDOWS_1252 && looks_like_utf8(bytes) => UTF_8,
        Some(e) => e,
        None if std::str::from_utf8(bytes).is_ok() => UTF_8,
        None => guess(bytes),
    };
    let (text, used, _) = encoding.decode(bytes);
    (text.into_owned(), used.name())
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(&[0xef, 0xbb, 0xbf]).unwrap_or(bytes)
}

/// Valid UTF-8 with at least one multi-byte character.
fn looks_like_utf8(bytes: &[u8]) -> bool {
    !bytes.is_ascii() && std::str::from_utf8(strip_bom(bytes)).is_ok()
}

fn guess(bytes: &[u8]) -> &'static Encoding {
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    detector.guess(None, chardetng::Utf8Detection::Allow)
}

/// `charset=…` of a `Content-Type` value.
pub fn charset_of_content_type(value: &str) -> Option<&'static Encoding> {
    let lower = value.to_ascii_lowercase();
    let at = lower.find("charset=")? + "charset=".len();
    let name = lower[at..]
        .trim_start_matches(['"', '\''])
        .split(|c: char| c == ';' || c == '"' || c == '\'' || c.is_whitespace())
        .next()?;
    Encoding::for_label(name.as_bytes())
}

/// The charset a `<meta charset>` or `<meta http-equiv="Content-Type" content="…charset=…">`
/// in the first 4096 bytes declares (HTML's prescan, simplified: attributes are read from the
/// raw bytes, so the page need not be decoded first). UTF-16 declarations in an ASCII-compatible
/// page are taken as UTF-8, as browsers do.
fn meta_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(4096)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let mut at = 0;
    while let Some(offset) = find(&lower[at..], b"<meta") {
        let start = at + offset;
        let end = lower[start..]
            .iter()
            .position(|&b| b == b'>')
            .map_or(lower.len(), |e| start + e);
        let tag = String::from_utf8_lossy(&lower[start..end]);
        if let Some(found) = charset_in_meta(&tag) {
            return Some(if found.is_single_byte() || found == UTF_8 {
                found
            } else {
                UTF_8
            });
        }
        at = end.max(start + 5);
    }
    None
}

fn charset_in_meta(tag: &str) -> Option<&'static Encoding> {
    if let Some(at) = tag.find("charset") {
        let rest = tag[at + "charset".len()..].trim_start();
        if let Some(value) = rest.strip_prefix('=') {
            let name = value
                .trim_start()
                .trim_start_matches(['"', '\''])
                .split(|c: char| c == '"' || c == '\'' || c == ';' || c == '/' || c.is_whitespace())
                .next()
                .unwrap_or("");
            return Encoding::for_label(name.as_bytes());
        }
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_declared_charset_decodes_the_page() {
        let page = b"<html><head><meta charset=\"iso-8859-1\"></head><body>\xe9t\xe9</body></html>";
        let (text, name) = decode_html(page, None);
        assert!(text.contains("été"), "{text}");
        assert_eq!(name, "windows-1252");
        let page = b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1252\">\x93oui\x94";
        assert!(decode_html(page, None).0.contains("“oui”"));
        // The HTTP header wins over the page.
        let page = "<meta charset=\"windows-1252\">été".as_bytes();
        assert_eq!(
            decode_html(page, Some("text/html; charset=utf-8")).1,
            "UTF-8"
        );
    }

    #[test]
    fn a_wrong_or_missing_charset_is_guessed_from_the_bytes() {
        // Declared UTF-8, written in Latin-1.
        let page = b"<meta charset=\"utf-8\"><p>Le pr\xe9sident a d\xe9clar\xe9 que l'\xe9t\xe9 serait chaud.</p>";
        let (text, _) = decode_html(page, None);
        assert!(text.contains("président"), "{text}");
        // Nothing declared, not UTF-8.
        let page = b"<p>Fran\xe7ais, fen\xeatre, \xe0 c\xf4t\xe9 de la for\xeat.</p>";
        assert!(decode_html(page, None).0.contains("Français"));
        // Declared Latin-1, written in UTF-8.
        let page = "<meta charset=\"iso-8859-1\"><p>Déjà vu</p>".as_bytes();
        assert!(decode_html(page, None).0.contains("Déjà"));
    }

    #[test]
    fn gzip_is_inflated_under_a_cap() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&vec![b'a'; 100_000]).unwrap();
        let bytes = gz.finish().unwrap();
        assert!(is_gzip(&bytes));
        assert_eq!(gunzip(&bytes, 100_000).unwrap().len(), 100_000);
        assert!(matches!(
            gunzip(&bytes, 99_999),
            Err(ArticleError::TooLarge { limit: 99_999 })
        ));
        assert!(matches!(
            gunzip(&bytes[..bytes.len() / 2], 1 << 20),
            Err(ArticleError::Corrupt(_))
        ));
    }
}
