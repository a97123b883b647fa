//! A cap on nesting before parsing: html5ever checks its stack of open elements at every tag,
//! so a page nested 100,000 deep would take minutes to parse. Depth is counted as the parser
//! will build the tree: elements whose end tag HTML lets you omit (`<p>`, `<li>`, `<td>`, `<tr>`,
//! `<option>`, `<dd>`…) are closed by the start tags that close them, and an end tag closes
//! what is open inside its element, so 600 paragraphs without `</p>` are 600 siblings.

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

/// Start tags that close an open `<p>` (HTML's "close a p element" rule).
const CLOSES_P: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "details",
    "dialog",
    "div",
    "dl",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "main",
    "menu",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "ul",
];

/// For a start tag, the open elements it closes (when one of them is open within the
/// boundaries) and the boundaries: the elements whose end tags HTML lets you omit.
fn implied_ends(name: &str) -> Option<(&'static [&'static str], &'static [&'static str])> {
    const LIST: &[&str] = &["ul", "ol", "menu", "table", "div"];
    const TABLE: &[&str] = &["table"];
    let is = |t: &str| t.eq_ignore_ascii_case(name);
    Some(if is("li") {
        (&["li", "p"], LIST)
    } else if is("dt") || is("dd") {
        (&["dt", "dd", "p"], &["dl", "div"])
    } else if is("tr") {
        (&["tr", "td", "th"], TABLE)
    } else if is("td") || is("th") {
        (&["td", "th"], &["tr", "table"])
    } else if is("tbody") || is("thead") || is("tfoot") {
        (&["tbody", "thead", "tfoot", "tr", "td", "th"], TABLE)
    } else if is("option") {
        (&["option"], &["select", "datalist"])
    } else if is("optgroup") {
        (&["option", "optgroup"], &["select"])
    } else if CLOSES_P.iter().any(|t| is(t)) {
        (
            &["p"],
            &[
                "div",
                "section",
                "article",
                "td",
                "th",
                "li",
                "blockquote",
                "button",
            ],
        )
    } else {
        return None;
    })
}

/// The elements open at this point of the scan, as the parser will nest them (names borrowed
/// from the page), and how many start tags beyond the cap are open.
struct Open<'a> {
    stack: Vec<&'a str>,
    cut_open: usize,
}

impl<'a> Open<'a> {
    /// A start tag: close what it implies, then open it unless the cap is reached (`false`).
    fn start(&mut self, name: &'a str) -> bool {
        if let Some((closes, boundaries)) = implied_ends(name) {
            let mut cut_to = None;
            for (k, open) in self.stack.iter().enumerate().rev() {
                // The outermost such element within the boundaries: a new `<tr>` closes the
                // open `<tr>` and the `<td>` inside it.
                if closes.iter().any(|c| c.eq_ignore_ascii_case(open)) {
                    cut_to = Some(k);
                }
                if boundaries.iter().any(|b| b.eq_ignore_ascii_case(open)) {
                    break;
                }
            }
            if let Some(k) = cut_to {
                self.stack.truncate(k);
            }
        }
        if self.stack.len() >= MAX_DEPTH {
            self.cut_open += 1;
            return false;
        }
        self.stack.push(name);
        true
    }

    /// An end tag: it closes a start tag cut beyond the cap first (a nesting bomb closes
    /// innermost first), else its element and everything open inside it; a stray one nothing.
    fn end(&mut self, name: &str) {
        if self.cut_open > 0 {
            self.cut_open -= 1;
            return;
        }
        if let Some(k) = self
            .stack
            .iter()
            .rposition(|o| o.eq_ignore_ascii_case(name))
        {
            self.stack.truncate(k);
        }
    }
}

/// `html` with the start tags beyond [`MAX_DEPTH`] removed (borrowed when none are). The scan
/// is a tokenizer's approximation: comments and raw-text elements are skipped, quoted attribute
/// values may hold `>`.
pub fn limit_depth(html: &str) -> std::borrow::Cow<'_, str> {
    let bytes = html.as_bytes();
    let mut open = Open {
        stack: Vec::new(),
        cut_open: 0,
    };
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
            open.end(name);
        } else if !is(VOID) && bytes[end - 2] != b'/' {
            if is(RAW) {
                i = end_tag_of(bytes, end, name.as_bytes()).unwrap_or(bytes.len());
                continue;
            }
            if !open.start(name) {
                cut.push(start..end);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_and_items_without_end_tags_do_not_nest() {
        for (open, n) in [
            ("<p>", 600),
            ("<li>", 600),
            ("<dd>", 600),
            ("<option>", 600),
        ] {
            let html = format!(
                "<body><div>{}</div><p>end</p>",
                format!("{open}x").repeat(n)
            );
            assert!(
                matches!(limit_depth(&html), std::borrow::Cow::Borrowed(_)),
                "{open} × {n} cut"
            );
        }
        let rows = format!("<table>{}</table>", "<tr><td>a<td>b".repeat(1000));
        assert!(matches!(limit_depth(&rows), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn true_nesting_is_still_capped_and_its_end_tags_balance() {
        let n = 100_000;
        let html = "<div>".repeat(n) + "deep" + &"</div>".repeat(n) + "<div><p>after</div>";
        let limited = limit_depth(&html);
        assert_eq!(limited.matches("<div>").count(), MAX_DEPTH + 1);
        assert!(limited.contains("deep</div>") && limited.ends_with("<div><p>after</div>"));
        // Paragraphs nested in real elements count those elements.
        let html = "<section>".repeat(600) + &"<p>x".repeat(10);
        let limited = limit_depth(&html);
        assert_eq!(limited.matches("<section>").count(), MAX_DEPTH);
    }

    #[test]
    fn an_end_tag_closes_what_is_open_inside_it() {
        // 600 lists whose items are never closed, one after another: depth stays small.
        let html = "<ul><li>a<li>b<p>c</ul>".repeat(600);
        assert!(matches!(limit_depth(&html), std::borrow::Cow::Borrowed(_)));
        // A stray end tag closes nothing.
        let html = "</span>".repeat(10) + &"<div>".repeat(MAX_DEPTH + 1);
        assert_eq!(limit_depth(&html).matches("<div>").count(), MAX_DEPTH);
    }
}
