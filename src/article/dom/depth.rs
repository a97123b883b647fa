//! A cap on nesting before parsing: html5ever checks its stack of open elements at every tag,
//! so a page nested 100,000 deep would take minutes to parse.

/// The deepest nesting kept: the parser checks its stack of open elements at every tag, so a
/// page nested 100,000 deep would take minutes; deeper start tags are dropped (their content
/// stays, one level up), as browsers cap the depth of the trees they build (Blink at 512).
pub const MAX_DEPTH: usize = 512;

/// Elements without an end tag.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "keygen",
];

/// Elements whose content is raw text up to their end tag.
const RAW: &[&str] = &[
    "script",
    "style",
    "textarea",
    "title",
    "xmp",
    "plaintext",
    "noscript",
];

/// `html` with the start tags beyond [`MAX_DEPTH`] removed (borrowed when none are). The scan
/// is a tokenizer's approximation: comments and raw-text elements are skipped, quoted attribute
/// values may hold `>`.
pub fn limit_depth(html: &str) -> std::borrow::Cow<'_, str> {
    let bytes = html.as_bytes();
    let mut depth = 0usize;
    let mut cut: Vec<std::ops::Range<usize>> = Vec::new();
    let mut i = 0;
    while let Some(offset) = memchr::memchr(b'<', &bytes[i..]) {
        let start = i + offset;
        if bytes[start..].starts_with(b"<!--") {
            i = find_from(bytes, start + 4, b"-->").map_or(bytes.len(), |e| e + 3);
            continue;
        }
        let closing = bytes.get(start + 1) == Some(&b'/');
        let name_at = start + 1 + usize::from(closing);
        let name_end = bytes[name_at..]
            .iter()
            .position(|b| !b.is_ascii_alphanumeric() && *b != b'-')
            .map_or(bytes.len(), |p| name_at + p);
        if name_end == name_at || !bytes[name_at].is_ascii_alphabetic() {
            i = start + 1;
            continue;
        }
        let end = tag_end(bytes, name_end);
        let name = &html[name_at..name_end];
        let is = |list: &[&str]| list.iter().any(|t| t.eq_ignore_ascii_case(name));
        if closing {
            depth = depth.saturating_sub(1);
        } else if !is(VOID) && bytes[end - 2] != b'/' {
            if is(RAW) {
                i = end_tag_of(bytes, end, name.as_bytes()).unwrap_or(bytes.len());
                continue;
            }
            depth += 1;
            if depth > MAX_DEPTH {
                cut.push(start..end);
                depth -= 1;
            }
        }
        i = end;
    }
    if cut.is_empty() {
        return std::borrow::Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut at = 0;
    for range in cut {
        out.push_str(&html[at..range.start]);
        at = range.end;
    }
    out.push_str(&html[at..]);
    std::borrow::Cow::Owned(out)
}

/// One past the `>` that ends the tag whose name ends at `from` (quotes respected).
fn tag_end(bytes: &[u8], from: usize) -> usize {
    let mut quote = None;
    for (k, &b) in bytes[from..].iter().enumerate() {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if b == q => quote = None,
            (None, b'>') => return from + k + 1,
            _ => {}
        }
    }
    bytes.len()
}

fn find_from(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(bytes.get(from..)?, needle).map(|p| from + p)
}

/// Where the end tag of the raw-text element `name` starts, from `from` on.
fn end_tag_of(bytes: &[u8], mut from: usize, name: &[u8]) -> Option<usize> {
    while let Some(offset) = memchr::memmem::find(&bytes[from..], b"</") {
        let at = from + offset;
        let candidate = bytes.get(at + 2..at + 2 + name.len())?;
        if candidate.eq_ignore_ascii_case(name) {
            return Some(at);
        }
        from = at + 2;
    }
    None
}
