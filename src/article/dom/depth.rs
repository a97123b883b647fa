//! A cap on nesting before parsing: html5ever checks its stack of open elements at every tag,
//! so a page nested 100,000 deep would take minutes to parse. Depth is counted as the parser
//! will build the tree: elements whose end tag HTML lets you omit (`<p>`, `<li>`, `<td>`, `<tr>`,
//! `<option>`, `<dd>`…) are closed by the start tags that close them, and an end tag closes
//! what is open inside its element, so 600 paragraphs without `</p>` are 600 siblings.

/// The deepest nesting kept: the parser checks its stack of open elements at every tag, so a
/// page nested 100,000 deep would take minutes; deeper start tags are dropped (their content
/// stays, one level up), as browsers cap the depth of the trees they build (Blink at 512).
pub const MAX_DEPTH: usize = 512;

/// Elements without an end tag (HTML's void elements; the document translator reads them too).
pub const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "keygen",
];

/// Elements whose content is raw text up to their end tag.
pub(super) const RAW: &[&str] = &[
    "script",
    "style",
    "textarea",
    "title",
    "xmp",
    "plaintext",
    "noscript",
    "iframe",
    "noembed",
    "noframes",
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
#[derive(Default)]
pub(super) struct Open<'a> {
    stack: Vec<&'a str>,
    cut_open: usize,
}

impl<'a> Open<'a> {
    /// A start tag: close what it implies, then open it unless the cap is reached (`false`).
    pub(super) fn start(&mut self, name: &'a str) -> bool {
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
    pub(super) fn end(&mut self, name: &str) {
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

#[cfg(test)]
mod tests {
    use super::super::trim::trim_for_parse;

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
                matches!(trim_for_parse(&html), std::borrow::Cow::Borrowed(_)),
                "{open} × {n} cut"
            );
        }
        let rows = format!("<table>{}</table>", "<tr><td>a<td>b".repeat(1000));
        assert!(matches!(
            trim_for_parse(&rows),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn true_nesting_is_still_capped_and_its_end_tags_balance() {
        let n = 100_000;
        let html = "<div>".repeat(n) + "deep" + &"</div>".repeat(n) + "<div><p>after</div>";
        let limited = trim_for_parse(&html);
        assert_eq!(limited.matches("<div>").count(), MAX_DEPTH + 1);
        assert!(limited.contains("deep</div>") && limited.ends_with("<div><p>after</div>"));
        // Paragraphs nested in real elements count those elements.
        let html = "<section>".repeat(600) + &"<p>x".repeat(10);
        let limited = trim_for_parse(&html);
        assert_eq!(limited.matches("<section>").count(), MAX_DEPTH);
    }

    #[test]
    fn an_end_tag_closes_what_is_open_inside_it() {
        // 600 lists whose items are never closed, one after another: depth stays small.
        let html = "<ul><li>a<li>b<p>c</ul>".repeat(600);
        assert!(matches!(
            trim_for_parse(&html),
            std::borrow::Cow::Borrowed(_)
        ));
        // A stray end tag closes nothing.
        let html = "</span>".repeat(10) + &"<div>".repeat(MAX_DEPTH + 1);
        assert_eq!(trim_for_parse(&html).matches("<div>").count(), MAX_DEPTH);
    }
}
