//! Corpus writers shared by the commands (`align` today; the pipeline and the server next):
//! TSV, JSONL, Moses line-aligned pairs and TMX 1.4b, with one set of escaping rules.
//!
//! - TSV: a field's backslash, tab, newline and carriage return are written `\\`, `\t`, `\n`,
//!   `\r` (the convention of PostgreSQL's text format and of `cut`-safe corpora), so a row is
//!   always one line of exactly as many fields as declared; [`tsv_unescape`] reverses it.
//! - Moses: one segment per line, so a line break inside a segment becomes a space.
//! - TMX: XML-escaped by `quick-xml`; characters XML 1.0 forbids (C0 controls other than tab,
//!   newline and carriage return, lone surrogates cannot occur in Rust strings, U+FFFE/U+FFFF)
//!   are dropped, as TMX has no way to carry them — the count is reported.

use std::borrow::Cow;
use std::io::{self, Write};

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

/// One aligned pair as the writers see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair<'a> {
    pub src_ids: &'a [usize],
    pub tgt_ids: &'a [usize],
    pub src: &'a str,
    pub tgt: &'a str,
    pub score: f64,
    /// The document the pair comes from and its URL, written as TMX properties when known.
    pub doc: Option<&'a str>,
    pub url: Option<&'a str>,
    /// More of the document's metadata (title, date, site, the pair's block kind), written as
    /// `x-NAME` properties.
    pub props: &'a [(&'a str, &'a str)],
}

/// A TSV field with backslash, tab and line breaks escaped.
pub fn tsv_escape(field: &str) -> Cow<'_, str> {
    if !field.contains(['\\', '\t', '\n', '\r']) {
        return Cow::Borrowed(field);
    }
    let mut out = String::with_capacity(field.len() + 8);
    for c in field.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The inverse of [`tsv_escape`] (an unknown escape is kept as written).
pub fn tsv_unescape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// `src<TAB>tgt<TAB>score` rows.
pub fn write_tsv(out: &mut impl Write, pairs: &[Pair]) -> io::Result<()> {
    for p in pairs {
        writeln!(
            out,
            "{}\t{}\t{:.4}",
            tsv_escape(p.src),
            tsv_escape(p.tgt),
            p.score
        )?;
    }
    Ok(())
}

/// `{"src_ids", "tgt_ids", "src", "tgt", "score"}` per pair.
pub fn write_jsonl(out: &mut impl Write, pairs: &[Pair]) -> io::Result<()> {
    for p in pairs {
        let record = serde_json::json!({
            "src_ids": p.src_ids, "tgt_ids": p.tgt_ids, "src": p.src, "tgt": p.tgt,
            "score": p.score,
        });
        writeln!(out, "{record}")?;
    }
    Ok(())
}

/// A segment as one Moses line: line breaks become spaces.
pub fn moses_line(segment: &str) -> Cow<'_, str> {
    if segment.contains(['\n', '\r']) {
        Cow::Owned(segment.replace(['\n', '\r'], " "))
    } else {
        Cow::Borrowed(segment)
    }
}

/// The two sides of the pairs with both sides non-empty, one segment per line.
pub fn moses_sides(pairs: &[Pair]) -> (String, String) {
    let (mut src, mut tgt) = (String::new(), String::new());
    for p in pairs.iter().filter(|p| is_two_sided(p)) {
        src.push_str(&moses_line(p.src));
        src.push('\n');
        tgt.push_str(&moses_line(p.tgt));
        tgt.push('\n');
    }
    (src, tgt)
}

fn is_two_sided(p: &Pair) -> bool {
    !p.src_ids.is_empty() && !p.tgt_ids.is_empty()
}

/// Is `c` allowed in an XML 1.0 document?
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// `text` without the characters XML 1.0 forbids, and how many were dropped.
pub fn xml_clean(text: &str) -> (Cow<'_, str>, usize) {
    let dropped = text.chars().filter(|&c| !is_xml_char(c)).count();
    if dropped == 0 {
        (Cow::Borrowed(text), 0)
    } else {
        (
            Cow::Owned(text.chars().filter(|&c| is_xml_char(c)).collect()),
            dropped,
        )
    }
}

/// The TMX header's fields.
#[derive(Debug, Clone)]
pub struct TmxHeader<'a> {
    pub srclang: &'a str,
    pub tgtlang: &'a str,
    pub creationtool: &'a str,
    pub creationtoolversion: &'a str,
}

impl Default for TmxHeader<'_> {
    fn default() -> Self {
        TmxHeader {
            srclang: "fr",
            tgtlang: "en",
            creationtool: "entente",
            creationtoolversion: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// A TMX 1.4b document of the two-sided pairs: one `<tu tuid>` each, with the document id, URL
/// and score as `<prop type="x-doc|x-url|x-score">` (and `x-title`, `x-date`… when given). Returns the number of characters dropped by
/// [`xml_clean`].
pub fn write_tmx(out: &mut impl Write, header: &TmxHeader, pairs: &[Pair]) -> io::Result<usize> {
    let mut tmx = TmxWriter::new(out, header)?;
    for p in pairs {
        tmx.pair(p)?;
    }
    Ok(tmx.finish()?.1)
}

/// A TMX document written pair by pair, for corpora too large to hold in memory.
pub struct TmxWriter<'h, W: Write> {
    writer: Writer<W>,
    header: &'h TmxHeader<'h>,
    units: usize,
    dropped: usize,
}

impl<'h, W: Write> TmxWriter<'h, W> {
    /// Write the declaration, the header and the opening of the body.
    pub fn new(out: W, header: &'h TmxHeader<'h>) -> io::Result<Self> {
        let mut writer = Writer::new_with_indent(out, b' ', 2);
        writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        writer.write_event(Event::Start(
            BytesStart::new("tmx").with_attributes([("version", "1.4")]),
        ))?;
        writer
            .create_element("header")
            .with_attributes([
                ("creationtool", header.creationtool),
                ("creationtoolversion", header.creationtoolversion),
                ("segtype", "sentence"),
                ("o-tmf", "entente"),
                ("adminlang", "en"),
                ("srclang", header.srclang),
                ("datatype", "plaintext"),
            ])
            .write_empty()?;
        writer.write_event(Event::Start(BytesStart::new("body")))?;
        Ok(TmxWriter {
            writer,
            header,
            units: 0,
            dropped: 0,
        })
    }

    /// One translation unit (pairs with an empty side are left out).
    pub fn pair(&mut self, p: &Pair) -> io::Result<()> {
        if !is_two_sided(p) {
            return Ok(());
        }
        self.units += 1;
        let tuid = self.units.to_string();
        let score = format!("{:.4}", p.score);
        let (src, a) = xml_clean(p.src);
        let (tgt, b) = xml_clean(p.tgt);
        self.dropped += a + b;
        let header = self.header;
        self.writer
            .create_element("tu")
            .with_attribute(("tuid", tuid.as_str()))
            .write_inner_content(|w| {
                let extra: Vec<(String, Option<&str>)> = p
                    .props
                    .iter()
                    .map(|(k, v)| (format!("x-{k}"), Some(*v)))
                    .collect();
                let props = [
                    ("x-doc".to_string(), p.doc),
                    ("x-url".to_string(), p.url),
                    ("x-score".to_string(), Some(score.as_str())),
                ];
                for (kind, value) in props.into_iter().chain(extra) {
                    let kind = kind.as_str();
                    if let Some(value) = value {
                        let (value, _) = xml_clean(value);
                        w.create_element("prop")
                            .with_attribute(("type", kind))
                            .write_text_content(BytesText::new(&value))?;
                    }
                }
                for (lang, seg) in [(header.srclang, &src), (header.tgtlang, &tgt)] {
                    w.create_element("tuv")
                        .with_attribute(("xml:lang", lang))
                        .write_inner_content(|w| {
                            // Only <, > and & need escaping in text.
                            let escaped = quick_xml::escape::partial_escape(seg.as_ref());
                            w.create_element("seg")
                                .write_text_content(BytesText::from_escaped(escaped))?;
                            Ok(())
                        })?;
                }
                Ok(())
            })?;
        Ok(())
    }

    /// Close the document; returns the output and the number of characters dropped by
    /// [`xml_clean`].
    pub fn finish(mut self) -> io::Result<(W, usize)> {
        self.writer.write_event(Event::End(BytesEnd::new("body")))?;
        self.writer.write_event(Event::End(BytesEnd::new("tmx")))?;
        self.writer.get_mut().write_all(b"\n")?;
        Ok((self.writer.into_inner(), self.dropped))
    }
}

/// `text` escaped for HTML text and attribute values.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if !is_xml_char(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// One row of a bilingual page: a paragraph's French sentences beside their English, each a
/// numbered pair; or a line kept as it is (`kept`: its kind, e.g. a credit or a teaser), shown
/// on both sides, dimmed.
pub struct HtmlParagraph<'a> {
    pub pairs: Vec<(usize, &'a str, &'a str)>,
    pub kept: Option<&'a str>,
}

/// The look of a side-by-side table, for the pipeline's pages and the server's page alike.
pub const SIDE_BY_SIDE_CSS: &str = r#"table.side-by-side { border-collapse: collapse; width: 100%; table-layout: fixed; }
table.side-by-side th { font: 600 12px system-ui, sans-serif; text-transform: uppercase; letter-spacing: .08em; color: #888; text-align: left; padding: .8em 2em .3em; }
table.side-by-side td { vertical-align: top; padding: .5em 2em .9em; border-bottom: 1px solid rgba(127,127,127,.2); overflow-wrap: anywhere; }
table.side-by-side td.en { border-left: 1px solid rgba(127,127,127,.2); }
table.side-by-side tr.kept td { color: #888; font-size: .9em; }
table.side-by-side span.s { border-radius: 3px; padding: 1px 0; transition: background .1s; }
table.side-by-side span.s.on, table.side-by-side span.s:focus { background: #ffe58a; color: #1d1d1f; outline: none; }
@media (max-width: 640px) { table.side-by-side td, table.side-by-side th { padding-left: .6em; padding-right: .6em; } }"#;

/// Pairs lit together on hover and on keyboard focus; listens on the document, so that tables
/// added later (the server's page) work too.
pub const SIDE_BY_SIDE_SCRIPT: &str = r#"(function () {
  function mates(span, on) {
    var table = span.closest("table.side-by-side");
    if (!table) return;
    table.querySelectorAll('span.s[data-pair="' + span.dataset.pair + '"]').forEach(function (m) {
      m.classList.toggle("on", on);
    });
  }
  ["mouseover", "focusin"].forEach(function (type) {
    document.addEventListener(type, function (e) { if (e.target.matches && e.target.matches("span.s")) mates(e.target, true); });
  });
  ["mouseout", "focusout"].forEach(function (type) {
    document.addEventListener(type, function (e) { if (e.target.matches && e.target.matches("span.s")) mates(e.target, false); });
  });
})();"#;

/// The side-by-side table alone: paragraph by paragraph, French left, English right, each
/// sentence focusable and lit with its pair.
pub fn write_side_by_side(out: &mut impl Write, paragraphs: &[HtmlParagraph]) -> io::Result<()> {
    writeln!(
        out,
        r#"<table class="side-by-side">
<thead><tr><th scope="col">Français</th><th scope="col">English</th></tr></thead>
<tbody>"#
    )?;
    for paragraph in paragraphs {
        let side = |english: bool| -> String {
            paragraph
                .pairs
                .iter()
                .map(|&(n, fr, en)| {
                    let text = if english { en } else { fr };
                    format!(
                        r#"<span class="s" tabindex="0" data-pair="{n}">{}</span>"#,
                        html_escape(text)
                    )
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        let row = match paragraph.kept {
            Some(kind) => format!(
                r#"<tr class="kept" title="kept as it is: {}">"#,
                html_escape(kind)
            ),
            None => "<tr>".to_string(),
        };
        writeln!(
            out,
            r#"{row}<td class="fr" lang="fr">{}</td><td class="en" lang="en">{}</td></tr>"#,
            side(false),
            side(true)
        )?;
    }
    writeln!(out, "</tbody>\n</table>")
}

/// A self-contained bilingual side-by-side page (inline style and script, no external assets,
/// usable offline): paragraph by paragraph, French left, English right; hovering or focusing
/// a sentence highlights its pair on both sides.
pub fn write_html(
    out: &mut impl Write,
    title: &str,
    subtitle: &str,
    paragraphs: &[HtmlParagraph],
) -> io::Result<()> {
    let title = html_escape(title);
    writeln!(
        out,
        r#"<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="entente {version}">
<title>{title}</title>
<style>
body {{ font: 16px/1.55 Georgia, "Times New Roman", serif; margin: 0; color: #1d1d1f; background: #fafaf7; }}
header {{ padding: 1.2em 2em; border-bottom: 1px solid #ddd; background: #fff; }}
h1 {{ font-size: 1.3em; margin: 0 0 .2em; }}
header p {{ margin: 0; color: #666; font: 13px/1.4 system-ui, sans-serif; }}
{SIDE_BY_SIDE_CSS}
</style>
</head>
<body>
<header><h1>{title}</h1><p>{subtitle}</p></header>"#,
        version = env!("CARGO_PKG_VERSION"),
        subtitle = html_escape(subtitle),
    )?;
    write_side_by_side(out, paragraphs)?;
    writeln!(
        out,
        "<script>\n{SIDE_BY_SIDE_SCRIPT}\n</script>\n</body>\n</html>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair<'a>(src: &'a str, tgt: &'a str) -> Pair<'a> {
        Pair {
            src_ids: &[0],
            tgt_ids: &[0],
            src,
            tgt,
            score: 0.5,
            doc: Some("d/1"),
            url: None,
            props: &[],
        }
    }

    #[test]
    fn tsv_rows_stay_one_line_of_three_fields() {
        let hostile = "a\tb\\n\nc\rd";
        let mut out = Vec::new();
        write_tsv(&mut out, &[pair(hostile, "ok")]).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 1);
        let fields: Vec<&str> = text.trim_end_matches('\n').split('\t').collect();
        assert_eq!(fields.len(), 3, "{text:?}");
        assert_eq!(tsv_unescape(fields[0]), hostile);
        assert_eq!(tsv_escape("plain"), "plain");
    }

    #[test]
    fn tmx_is_well_formed_with_controls_and_markup() {
        let mut out = Vec::new();
        let dropped = write_tmx(
            &mut out,
            &TmxHeader::default(),
            &[
                pair("<b>&\"x\"</b> \u{0}nul \u{1b}[31m", "bell\u{7}"),
                Pair {
                    src_ids: &[1],
                    tgt_ids: &[],
                    src: "unaligned",
                    tgt: "",
                    score: 0.0,
                    doc: None,
                    url: None,
                    props: &[],
                },
            ],
        )
        .unwrap();
        assert_eq!(dropped, 3);
        // Parse it back with an XML parser, to the end, without an error.
        let text = String::from_utf8(out).unwrap();
        let mut reader = quick_xml::Reader::from_str(&text);
        let (mut tus, mut texts) = (0, String::new());
        loop {
            match reader.read_event().unwrap() {
                Event::Eof => break,
                Event::Start(e) if e.name().as_ref() == "tu" => tus += 1,
                Event::Text(t) => texts.push_str(&t.xml10_content()),
                Event::GeneralRef(r) => texts.push_str(&format!("&{};", r.xml10_content())),
                _ => {}
            }
        }
        assert_eq!(tus, 1, "one-sided links are not translation units");
        assert!(texts.contains("&lt;b&gt;&amp;\"x\"&lt;/b&gt;"), "{texts}");
        assert!(texts.contains("bell"), "{texts}");
        assert!(!text.contains(['\u{0}', '\u{7}', '\u{1b}']), "{text}");
        assert!(text.contains("srclang=\"fr\"") && text.contains("xml:lang=\"en\""));
    }

    #[test]
    fn html_pages_escape_and_stand_alone() {
        let mut out = Vec::new();
        let paragraphs = [HtmlParagraph {
            pairs: vec![
                (0, "<b>« Oui » & non</b>", "\"Yes\" & no"),
                (1, "Deux.", "Two."),
            ],
            kept: None,
        }];
        write_html(&mut out, "Titre <script>", "doc 1", &paragraphs).unwrap();
        let page = String::from_utf8(out).unwrap();
        assert!(page.contains("&lt;b&gt;« Oui » &amp; non&lt;/b&gt;"));
        assert!(page.contains("&quot;Yes&quot; &amp; no"));
        assert!(page.contains("<title>Titre &lt;script&gt;</title>"));
        assert_eq!(page.matches(r#"data-pair="1""#).count(), 2);
        assert!(!page.contains("src=") && !page.contains("href=") && !page.contains("http"));
    }

    #[test]
    fn kept_lines_show_on_both_sides_marked_with_their_kind() {
        let mut out = Vec::new();
        let paragraphs = [HtmlParagraph {
            pairs: vec![(3, "Lire aussi <x>", "Lire aussi <x>")],
            kept: Some("teaser"),
        }];
        write_side_by_side(&mut out, &paragraphs).unwrap();
        let table = String::from_utf8(out).unwrap();
        assert!(
            table.contains(r#"<tr class="kept" title="kept as it is: teaser">"#),
            "{table}"
        );
        assert_eq!(table.matches("Lire aussi &lt;x&gt;").count(), 2);
        assert!(table.starts_with(r#"<table class="side-by-side">"#));
    }

    #[test]
    fn moses_lines_never_break_inside_a_segment() {
        let (src, tgt) = moses_sides(&[pair("a\nb", "c\r\nd"), pair("e", "f")]);
        assert_eq!(src, "a b\ne\n");
        assert_eq!(tgt, "c  d\nf\n");
    }
}
