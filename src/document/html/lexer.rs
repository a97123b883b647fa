//! The tokens of an HTML (or XHTML) document as byte ranges of the source, so that everything
//! the translation does not touch is written back byte for byte: text, tags (name, whether
//! closing or self-closing, the attributes the translation reads), and the rest (comments,
//! doctypes, CDATA, processing instructions, the contents of script and style).

use std::ops::Range;

/// Elements whose content is not markup (it runs to their end tag).
const RAW_TEXT: &[&str] = &[
    "script",
    "style",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "textarea",
    "plaintext",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Text(Range<usize>),
    Tag(Tag),
    Other(Range<usize>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub range: Range<usize>,
    /// Lower-cased, a namespace prefix kept (`epub:type` stays whole).
    pub name: String,
    pub closing: bool,
    pub self_closing: bool,
    /// `translate="no"` or a `notranslate` class.
    pub no_translate: bool,
    /// The value of `lang` / `xml:lang` (bytes of the source, quotes excluded).
    pub lang: Vec<Range<usize>>,
}

/// Tokens of `source`, in order, covering it whole.
pub fn tokens(source: &str) -> Vec<Token> {
    let bytes = source.as_bytes();
    let mut out = Vec::new();
    let mut text_start = 0;
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'<', &bytes[i..]) {
        let at = i + off;
        let Some((token, end)) = markup_at(source, at) else {
            i = at + 1;
            continue;
        };
        if at > text_start {
            out.push(Token::Text(text_start..at));
        }
        let raw = match &token {
            Token::Tag(t)
                if !t.closing && !t.self_closing && RAW_TEXT.contains(&t.name.as_str()) =>
            {
                Some(t.name.clone())
            }
            _ => None,
        };
        out.push(token);
        i = end;
        if let Some(name) = raw {
            let close = find_end_tag(bytes, end, &name);
            if close > end {
                out.push(Token::Other(end..close));
            }
            i = close;
        }
        text_start = i;
    }
    if text_start < source.len() {
        out.push(Token::Text(text_start..source.len()));
    }
    out
}

/// Where `</name` starts after `from` (case-insensitive), else the end.
fn find_end_tag(bytes: &[u8], from: usize, name: &str) -> usize {
    let mut i = from;
    while let Some(off) = memchr::memchr(b'<', &bytes[i..]) {
        let at = i + off;
        let rest = &bytes[at..];
        if rest.len() > name.len() + 1
            && rest[1] == b'/'
            && rest[2..2 + name.len()].eq_ignore_ascii_case(name.as_bytes())
            && !rest
                .get(2 + name.len())
                .is_some_and(|c| c.is_ascii_alphanumeric())
        {
            return at;
        }
        i = at + 1;
    }
    bytes.len()
}

/// The markup starting at `at` (a `<`) and where it ends, or `None` when the `<` is text.
fn markup_at(source: &str, at: usize) -> Option<(Token, usize)> {
    let bytes = source.as_bytes();
    let next = *bytes.get(at + 1)?;
    let rest = &source[at..];
    if let Some(comment) = rest.strip_prefix("<!--") {
        let end = comment.find("-->").map_or(source.len(), |e| at + 4 + e + 3);
        return Some((Token::Other(at..end), end));
    }
    if rest.starts_with("<![CDATA[") {
        let end = rest.find("]]>").map_or(source.len(), |e| at + e + 3);
        return Some((Token::Other(at..end), end));
    }
    if next == b'!' || next == b'?' {
        let end = rest.find('>').map_or(source.len(), |e| at + e + 1);
        return Some((Token::Other(at..end), end));
    }
    let closing = next == b'/';
    let name_start = at + 1 + usize::from(closing);
    if !bytes.get(name_start)?.is_ascii_alphabetic() {
        return None;
    }
    let name_end = name_start
        + bytes[name_start..]
            .iter()
            .position(|&c| c.is_ascii_whitespace() || c == b'/' || c == b'>')
            .unwrap_or(bytes.len() - name_start);
    let name = source[name_start..name_end].to_ascii_lowercase();
    let mut tag = Tag {
        range: at..at,
        name,
        closing,
        self_closing: false,
        no_translate: false,
        lang: Vec::new(),
    };
    let end = attributes(source, name_end, &mut tag);
    tag.range = at..end;
    Some((Token::Tag(tag), end))
}

/// Read attributes from `i` to the tag's `>`; returns the byte after it.
fn attributes(source: &str, mut i: usize, tag: &mut Tag) -> usize {
    let bytes = source.as_bytes();
    loop {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'>') {
                tag.self_closing = true;
            }
            i += 1;
        }
        match bytes.get(i) {
            None => return bytes.len(),
            Some(b'>') => return i + 1,
            _ => {}
        }
        let name_start = i;
        while i < bytes.len()
            && !matches!(bytes[i], b'=' | b'>' | b'/')
            && !bytes[i].is_ascii_whitespace()
        {
            i += 1;
        }
        let name = source[name_start..i].to_ascii_lowercase();
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if bytes.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let value = match bytes.get(i) {
            Some(&q @ (b'"' | b'\'')) => {
                let end = memchr::memchr(q, &bytes[i + 1..]).map_or(bytes.len(), |e| i + 1 + e);
                let value = i + 1..end;
                i = (end + 1).min(bytes.len());
                value
            }
            _ => {
                let start = i;
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                    i += 1;
                }
                start..i
            }
        };
        let text = &source[value.clone()];
        match name.as_str() {
            "lang" | "xml:lang" => tag.lang.push(value),
            "translate" if text.eq_ignore_ascii_case("no") => tag.no_translate = true,
            "class" if text.split_ascii_whitespace().any(|c| c == "notranslate") => {
                tag.no_translate = true
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_cover_the_source_and_read_what_translation_needs() {
        let src = "<p lang=fr class='a notranslate'>a < b<!-- c --><script>x<y</script><br/>é</P>";
        let toks = tokens(src);
        let mut covered = String::new();
        for t in &toks {
            let r = match t {
                Token::Text(r) | Token::Other(r) => r.clone(),
                Token::Tag(t) => t.range.clone(),
            };
            covered.push_str(&src[r]);
        }
        assert_eq!(covered, src);
        let Token::Tag(p) = &toks[0] else { panic!() };
        assert!(p.no_translate && !p.closing);
        assert_eq!(&src[p.lang[0].clone()], "fr");
        assert_eq!(toks[1], Token::Text(33..38));
        assert!(matches!(&toks[4], Token::Other(r) if &src[r.clone()] == "x<y"));
        assert!(matches!(&toks[6], Token::Tag(t) if t.name == "br" && t.self_closing));
        assert!(matches!(&toks[8], Token::Tag(t) if t.name == "p" && t.closing));
    }
}
