//! What the page loses before html5ever sees it: what no later pass reads and the tokenizer
//! would otherwise walk character by character — the contents of scripts and style sheets,
//! comments, the attributes the arena does not keep — and nesting beyond [`super::depth::MAX_DEPTH`]
//! ([`super::depth`]). Half the bytes of a news page are scripts and styles, a third of the rest
//! attributes such as `srcset` and `data-*`.
//!
//! The content of inline SVG (never text; a tenth of the markup left) goes too when nothing in
//! it steers HTML out of foreign content.
//!
//! The tree html5ever builds from the trimmed page has the same elements, in the same places,
//! with the same kept attributes and text: only the nodes and attributes dropped are missing.
//! For that the scan follows HTML's tokenizer where it matters: tag names run to whitespace,
//! `/` or `>`; attribute values end where the tokenizer ends them (quoted or not); comments end
//! at `-->`, `--!>` or abruptly at `<!-->`; raw-text elements end at their appropriate end tag;
//! attributes that steer tree building (`type`, `encoding`, `color`, `face`, `size`) are kept.

use std::borrow::Cow;
use std::ops::Range;

use super::depth::{Open, RAW, VOID};
use super::sink::KEPT_ATTRIBUTES;

/// Attributes that change how HTML builds the tree (an `<input type=hidden>` in a table, a
/// `<font color>` leaving foreign content, MathML's `annotation-xml encoding`): kept whatever
/// the arena reads.
const TREE_ATTRIBUTES: &[&str] = &["type", "encoding", "color", "face", "size"];

fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// A start or end tag as the tokenizer reads it.
struct Tag {
    /// One past its `>` (the input's end when it has none).
    end: usize,
    /// Whether it ends with `/>`.
    self_closing: bool,
}

/// Read the tag whose name ends at `from`, recording in `cut` the attributes not kept.
fn scan_tag(bytes: &[u8], from: usize, cut: &mut Vec<Range<usize>>) -> Tag {
    let mut i = from;
    let mut self_closing = false;
    loop {
        while i < bytes.len() && (is_space(bytes[i]) || bytes[i] == b'/') {
            self_closing = bytes[i] == b'/';
            i += 1;
        }
        if i >= bytes.len() {
            return Tag {
                end: bytes.len(),
                self_closing: false,
            };
        }
        if bytes[i] == b'>' {
            return Tag {
                end: i + 1,
                self_closing,
            };
        }
        self_closing = false;
        // The name: its first character may be `=`; then up to whitespace, `/`, `>` or `=`.
        let name_start = i;
        i += 1;
        while i < bytes.len() && !is_space(bytes[i]) && !matches!(bytes[i], b'/' | b'>' | b'=') {
            i += 1;
        }
        let name = &bytes[name_start..i];
        let mut j = i;
        while j < bytes.len() && is_space(bytes[j]) {
            j += 1;
        }
        if j < bytes.len() && bytes[j] == b'=' {
            j += 1;
            while j < bytes.len() && is_space(bytes[j]) {
                j += 1;
            }
            i = match bytes.get(j) {
                Some(&q @ (b'"' | b'\'')) => {
                    memchr::memchr(q, &bytes[j + 1..]).map_or(bytes.len(), |p| j + 1 + p + 1)
                }
                _ => {
                    let mut k = j;
                    while k < bytes.len() && !is_space(bytes[k]) && bytes[k] != b'>' {
                        k += 1;
                    }
                    k
                }
            };
        }
        // The whitespace before the attribute stays: it ends an unquoted value before it, and
        // parts the tag name from the next attribute.
        if !kept(name) {
            cut.push(name_start..i);
        }
    }
}

fn kept(name: &[u8]) -> bool {
    // A namespaced attribute (`xlink:href` in SVG) is read by its local name.
    let name = match memchr::memrchr(b':', name) {
        Some(colon) => &name[colon + 1..],
        None => name,
    };
    let is = |list: &[&str]| list.iter().any(|k| k.as_bytes().eq_ignore_ascii_case(name));
    name.eq_ignore_ascii_case(b"id")
        || name.eq_ignore_ascii_case(b"class")
        || is(KEPT_ATTRIBUTES)
        || is(TREE_ATTRIBUTES)
}

/// Where the comment opened at `start` (`<!--`) ends, one past its `>`.
fn comment_end(bytes: &[u8], start: usize) -> usize {
    let body = start + 4;
    // `<!-->` and `<!--->` close at once.
    if bytes[body..].starts_with(b">") {
        return body + 1;
    }
    if bytes[body..].starts_with(b"->") {
        return body + 2;
    }
    // The first `--` followed by `>` or `!>` (each `--` looked at once: the scan is linear).
    let mut from = body;
    while let Some(p) = memchr::memmem::find(&bytes[from..], b"--") {
        let dashes = from + p;
        match bytes.get(dashes + 2) {
            Some(b'>') => return dashes + 3,
            Some(b'!') if bytes.get(dashes + 3) == Some(&b'>') => return dashes + 4,
            _ => from = dashes + 1,
        }
    }
    bytes.len()
}

/// The container whose whole content is left out when the scan can tell where HTML ends it:
/// inline SVG (never text). Not `<nav>`: a nav is HTML whose end the tree builder may move (a
/// stray `</div>` inside closes it, a formatting element open outside is reopened inside), and
/// on two pages of 2,485 the scan could not tell, for 5% of the parse.
const ELIDED: &str = "svg";

/// Tags that, inside SVG, end the foreign content (HTML's "breakout" start tags), or that the
/// scan would read as raw text where SVG does not.
const SVG_UNSAFE: &[&str] = &[
    "b",
    "big",
    "blockquote",
    "body",
    "br",
    "center",
    "code",
    "dd",
    "div",
    "dl",
    "dt",
    "em",
    "embed",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "hr",
    "i",
    "img",
    "li",
    "listing",
    "menu",
    "meta",
    "nobr",
    "ol",
    "p",
    "pre",
    "ruby",
    "s",
    "small",
    "span",
    "strong",
    "strike",
    "sub",
    "sup",
    "table",
    "tt",
    "u",
    "ul",
    "var",
    "font",
    "script",
    "style",
    "foreignobject",
    "math",
    "textarea",
    "title",
    "noscript",
    "iframe",
    "xmp",
    "noembed",
    "noframes",
    "plaintext",
];

/// Formatting elements: left open across a container's end, HTML reopens them after it.
const FORMATTING: &[&str] = &[
    "a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u",
];

/// A container whose content is being considered for leaving out.
struct Elision {
    /// Where its content starts (one past its start tag).
    content: usize,
    /// How many of it are open (it may nest).
    depth: usize,
    /// Formatting elements opened minus closed inside it.
    formatting: isize,
    /// Start tags seen inside it, by name, less their end tags: an end tag with none open
    /// inside may close the container itself (`</div>` closes what is inside that div).
    opened: Vec<(String, usize)>,
    /// Whether nothing inside it forbids leaving it out.
    safe: bool,
}

impl Elision {
    fn start_tag(&mut self, name: &str, self_closing: bool) {
        let is = |list: &[&str]| list.iter().any(|t| t.eq_ignore_ascii_case(name));
        if name.eq_ignore_ascii_case(ELIDED) {
            // In SVG `<svg/>` closes itself.
            self.depth += usize::from(!self_closing);
        } else if is(SVG_UNSAFE) {
            self.safe = false;
        }
        if is(FORMATTING) {
            self.formatting += 1;
        }
        let name = name.to_ascii_lowercase();
        match self.opened.iter_mut().find(|(n, _)| *n == name) {
            Some((_, count)) => *count += 1,
            None => self.opened.push((name, 1)),
        }
    }

    /// An end tag: whether it closes the container.
    fn end_tag(&mut self, name: &str) -> bool {
        let is = |list: &[&str]| list.iter().any(|t| t.eq_ignore_ascii_case(name));
        if is(FORMATTING) {
            self.formatting -= 1;
        }
        if name.eq_ignore_ascii_case("p") || name.eq_ignore_ascii_case("br") {
            self.safe = false;
        }
        if name.eq_ignore_ascii_case(ELIDED) {
            self.depth -= 1;
            return self.depth == 0;
        }
        let open = self
            .opened
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name));
        match open {
            Some((_, count)) if *count > 0 => *count -= 1,
            _ => self.safe = false,
        }
        false
    }
}

/// `html` trimmed as the module says (borrowed when nothing is cut).
pub fn trim_for_parse(html: &str) -> Cow<'_, str> {
    let bytes = html.as_bytes();
    let mut open = Open::default();
    let mut cut: Vec<Range<usize>> = Vec::new();
    let mut elision: Option<Elision> = None;
    let mut i = 0;
    while let Some(offset) = memchr::memchr(b'<', &bytes[i..]) {
        let start = i + offset;
        if bytes[start..].starts_with(b"<!--") {
            i = comment_end(bytes, start);
            // Not after a `<`, which would open a tag with what follows the comment.
            if start == 0 || bytes[start - 1] != b'<' {
                cut.push(start..i);
            }
            continue;
        }
        let closing = bytes.get(start + 1) == Some(&b'/');
        let name_at = start + 1 + usize::from(closing);
        if !bytes.get(name_at).is_some_and(u8::is_ascii_alphabetic) {
            // `<!…>` (not a comment), `<?…>` and `</` before anything but a letter are bogus
            // comments up to the next `>`: nothing in them is a tag.
            let bogus = matches!(bytes.get(start + 1), Some(b'!' | b'?'))
                || (closing && bytes.get(name_at).is_some_and(|&b| b != b'>'));
            i = if bogus {
                memchr::memchr(b'>', &bytes[start..]).map_or(bytes.len(), |p| start + p + 1)
            } else {
                start + 1
            };
            continue;
        }
        let name_end = bytes[name_at..]
            .iter()
            .position(|&b| is_space(b) || b == b'/' || b == b'>')
            .map_or(bytes.len(), |p| name_at + p);
        let name = &html[name_at..name_end];
        let is = |list: &[&str]| list.iter().any(|t| t.eq_ignore_ascii_case(name));
        // (An end tag's attributes are dropped by the tokenizer: cutting them changes nothing.)
        let tag = scan_tag(bytes, name_end, &mut cut);
        let end = tag.end;
        if closing {
            open.end(name);
            end_in_elision(&mut elision, name, start, &mut cut);
        } else if let Some(e) = &mut elision {
            e.start_tag(name, tag.self_closing);
        } else if name.eq_ignore_ascii_case(ELIDED) && !tag.self_closing {
            elision = Some(Elision {
                content: end,
                depth: 1,
                formatting: 0,
                opened: Vec::new(),
                safe: true,
            });
        }
        if !closing && !is(VOID) && !tag.self_closing {
            if is(RAW) {
                let close = end_tag_of(bytes, end, name.as_bytes()).unwrap_or(bytes.len());
                if never_text(name, &html[start..end], &bytes[end..close]) {
                    cut.push(end..close);
                }
                i = close;
                continue;
            }
            if !open.start(name) {
                // The whole tag goes: forget the attributes cut inside it.
                while cut.last().is_some_and(|r| r.start >= start) {
                    cut.pop();
                }
                cut.push(start..end);
            }
        }
        i = end;
    }
    without(html, &cut)
}

/// `html` without the ranges of `cut` (in order, disjoint); borrowed when there are none.
fn without<'a>(html: &'a str, cut: &[Range<usize>]) -> Cow<'a, str> {
    if cut.is_empty() {
        return Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut at = 0;
    for range in cut {
        out.push_str(&html[at..range.start]);
        at = range.end;
    }
    out.push_str(&html[at..]);
    Cow::Owned(out)
}

/// An end tag at `start` inside the container being considered: when it closes the container,
/// its content goes (replacing the cuts made inside it) if nothing forbade it.
fn end_in_elision(
    elision: &mut Option<Elision>,
    name: &str,
    start: usize,
    cut: &mut Vec<Range<usize>>,
) {
    let Some(e) = elision else { return };
    if !e.end_tag(name) {
        return;
    }
    if e.safe && e.formatting == 0 {
        while cut.last().is_some_and(|r| r.start >= e.content) {
            cut.pop();
        }
        cut.push(e.content..start);
    }
    *elision = None;
}

/// Whether the content of a raw-text element can be left out: a style sheet's or a script's
/// (not JSON-LD, which the metadata reads), kept by the tree as one text node no later pass
/// reads. A script holding `<!--` is parsed whole: there HTML's escaped script states may end
/// it past its first `</script>`, where this scan does not follow.
fn never_text(name: &str, start_tag: &str, content: &[u8]) -> bool {
    if name.eq_ignore_ascii_case("style") {
        return true;
    }
    name.eq_ignore_ascii_case("script")
        && !start_tag.to_ascii_lowercase().contains("json")
        && memchr::memmem::find(content, b"<!--").is_none()
}

/// Where the end tag of the raw-text element `name` starts, from `from` on: `</name` followed
/// by whitespace, `/` or `>` (HTML's "appropriate end tag"; `</scripts` does not end a script).
fn end_tag_of(bytes: &[u8], mut from: usize, name: &[u8]) -> Option<usize> {
    while let Some(offset) = memchr::memmem::find(&bytes[from..], b"</") {
        let at = from + offset;
        let candidate = bytes.get(at + 2..at + 2 + name.len())?;
        let after = bytes.get(at + 2 + name.len()).copied().unwrap_or(b'>');
        if candidate.eq_ignore_ascii_case(name) && (is_space(after) || matches!(after, b'/' | b'>'))
        {
            return Some(at);
        }
        from = at + 2;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::trim_difference;
    use super::*;

    /// Trimming cuts something from `page` and the tree read from it is the same.
    fn cuts_and_keeps_the_tree(page: &str) -> String {
        let trimmed = trim_for_parse(page).into_owned();
        assert!(trimmed.len() < page.len(), "nothing cut from {page}");
        assert_eq!(trim_difference(page), None, "{page}\n→ {trimmed}");
        trimmed
    }

    #[test]
    fn attributes_not_read_are_cut_and_the_rest_parse_the_same() {
        let t = cuts_and_keeps_the_tree(
            r#"<img class=flag src="x.png" alt="De flag"/><p data-x="1"href="2" id=a>texte</p>"#,
        );
        assert_eq!(t, r#"<img class=flag  /><p href="2" id=a>texte</p>"#);
        // SVG's xlink:href is read as href; a tag name runs to whitespace, `/` or `>`.
        assert!(kept(b"xlink:href") && !kept(b"xlink:title"));
        let t = cuts_and_keeps_the_tree(r#"<fb:like data-a="b">x</fb:like>"#);
        assert_eq!(t, "<fb:like >x</fb:like>");
        // Attributes that steer tree building stay.
        let t = cuts_and_keeps_the_tree(r#"<table><input type=hidden value=1><tr><td>x</table>"#);
        assert!(t.contains("type=hidden"), "{t}");
    }

    #[test]
    fn svg_content_goes_unless_it_breaks_out_of_foreign_content() {
        let t = cuts_and_keeps_the_tree(
            r#"<p>a<svg viewBox="0 0 9 9"><g><path d="M0 0L9 9"/><svg/></g></svg>b</p>"#,
        );
        assert_eq!(t, "<p>a<svg ></svg>b</p>");
        // A <p> inside SVG closes the SVG and is HTML text: left as it is.
        let page = "<div><svg><g><p>visible</p></g></svg></div>";
        assert_eq!(trim_for_parse(page), page);
        assert_eq!(trim_difference(page), None);
    }

    #[test]
    fn comments_end_where_the_tokenizer_ends_them() {
        for page in [
            "<p>a<!-->b</p>",
            "<p>a<!--->b</p>",
            "<p>a<!-- x --!>b</p>",
            "<p>a<!-- <p>pas un paragraphe</p> -->b</p>",
        ] {
            cuts_and_keeps_the_tree(page);
        }
        // Bogus comments hide what looks like tags; a comment after `<` stays (cutting it
        // would make a tag of `<` and what follows).
        for page in [
            "<p>a</<!-- x --><b data-a=1>b</p>",
            "<p>a<! <!-- --> <i data-a=1>b</p>",
            "<p>a<? <svg data-a=1>?>b</p>",
            "<p>x<<!-->span data-a=1>b</p>",
        ] {
            assert_eq!(trim_difference(page), None, "{page}");
        }
    }

    #[test]
    fn raw_text_is_cut_only_where_it_is_never_read() {
        let t = cuts_and_keeps_the_tree(
            "<script>if (a<b) x = '</scripts>';</script><style>p{}</style><p>texte</p>",
        );
        assert_eq!(t, "<script></script><style></style><p>texte</p>");
        // A script that may hold HTML's escaped states is left whole; JSON-LD is read.
        let escaped = "<script><!-- document.write('<script></script>') --></script><p>x</p>";
        assert_eq!(trim_for_parse(escaped), escaped);
        let jsonld = r#"<script type="application/ld+json">{"headline":"Titre"}</script>"#;
        assert_eq!(trim_for_parse(jsonld), jsonld);
        // Markup inside textarea, iframe, noframes is text, never tags to trim.
        for page in [
            "<textarea><b data-a=1>x</b></textarea><p>y</p>",
            "<iframe><p data-a=1>x</p></iframe><p>y</p>",
            "<noframes><p data-a=1>x</p></noframes><p>y</p>",
        ] {
            assert_eq!(trim_for_parse(page), page);
        }
    }
}
