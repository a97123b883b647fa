//! HTML documents written back around a stand-in translation (the text upper-cased, each word
//! aligned with itself), so that what the markup does is seen without a model.

use super::HtmlDocument;
use crate::document::blocks::TranslatedBlock;
use crate::document::inline::words;
use crate::document::placement::place;

/// The document with every block "translated" by `f`, words aligned one to one.
fn translated_with(source: &str, f: impl Fn(&str) -> String) -> String {
    let doc = HtmlDocument::parse(source);
    let blocks: Vec<TranslatedBlock> = doc
        .blocks
        .iter()
        .map(|b| {
            let text = f(&b.text);
            let align: Vec<Option<usize>> = (0..words(&text).len()).map(Some).collect();
            let placement = place(b, &text, &align, false);
            TranslatedBlock { text, placement }
        })
        .collect();
    doc.write(&blocks)
}

fn upper(source: &str) -> String {
    translated_with(source, str::to_uppercase)
}

#[test]
fn a_sentence_with_inline_markup_is_one_block() {
    let src = "<p class=\"x\">Le <b>président</b> a annoncé une <a href=\"/r?a=1&amp;b=2\">réforme</a> mardi.</p>";
    let doc = HtmlDocument::parse(src);
    assert_eq!(doc.blocks.len(), 1);
    assert_eq!(
        doc.blocks[0].text,
        "Le président a annoncé une réforme mardi."
    );
    assert_eq!(
        upper(src),
        "<p class=\"x\">LE <b>PRÉSIDENT</b> A ANNONCÉ UNE <a href=\"/r?a=1&amp;b=2\">RÉFORME</a> MARDI.</p>"
    );
}

#[test]
fn untranslated_parts_stay_byte_for_byte() {
    let src = "<!DOCTYPE html>\n<html lang=\"fr\"><head><title>Titre</title>\
<style>p { color: red }</style><script>if (a < b) {}</script></head>\n<body>\
<pre>Garde  ceci</pre><p translate=\"no\">Non traduit</p>\
<div class=\"notranslate\"><p>Pas plus</p></div>\
<p>Tapez <code>ls  -l</code> puis <span class=\"notranslate\">Entrée</span>.</p>\
<!-- commentaire --></body></html>";
    let out = upper(src);
    assert_eq!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><title>TITRE</title>\
<style>p { color: red }</style><script>if (a < b) {}</script></head>\n<body>\
<pre>Garde  ceci</pre><p translate=\"no\">Non traduit</p>\
<div class=\"notranslate\"><p>Pas plus</p></div>\
<p>TAPEZ <code>ls  -l</code> PUIS <span class=\"notranslate\">Entrée</span>.</p>\
<!-- commentaire --></body></html>"
    );
}

#[test]
fn entities_are_decoded_for_the_model_and_escaped_again() {
    let src = "<p>Tom &amp; Jerry &lt;3 caf&eacute;&nbsp;!</p>";
    let doc = HtmlDocument::parse(src);
    assert_eq!(doc.blocks[0].text, "Tom & Jerry <3 café\u{a0}!");
    assert_eq!(upper(src), "<p>TOM &amp; JERRY &lt;3 CAFÉ&#160;!</p>");
}

#[test]
fn whitespace_around_blocks_and_line_breaks_inside_survive() {
    let src = "<ul>\n  <li> un <br>deux </li>\n  <li>trois</li>\n</ul>";
    assert_eq!(
        upper(src),
        "<ul>\n  <li> UN <br>DEUX </li>\n  <li>TROIS</li>\n</ul>"
    );
}

#[test]
fn markup_that_does_not_nest_falls_back_to_text_runs() {
    let src = "<p>un <b>deux <i>trois</b> quatre</i> cinq</p>";
    let doc = HtmlDocument::parse(src);
    assert_eq!(doc.blocks.len(), 5);
    assert_eq!(upper(src), "<p>UN <b>DEUX <i>TROIS</b> QUATRE</i> CINQ</p>");
}

#[test]
fn elements_follow_their_words_and_none_comes_back_empty() {
    // "une réforme importante" → "an important reform": the bold moves with its word.
    let src = "<p>une réforme <b>importante</b></p>";
    let doc = HtmlDocument::parse(src);
    let b = &doc.blocks[0];
    let text = "an important reform".to_string();
    let placement = place(b, &text, &[Some(0), Some(2), Some(1)], false);
    let out = doc.write(&[TranslatedBlock { text, placement }]);
    assert_eq!(out, "<p>an <b>important</b> reform</p>");
}

#[test]
fn markup_nested_a_hundred_thousand_deep_is_handled() {
    let depth = 100_000;
    let src = format!(
        "<p>{}mot{}</p>",
        "<span>".repeat(depth),
        "</span>".repeat(depth)
    );
    let out = upper(&src);
    assert_eq!(out.len(), src.len());
    assert!(out.contains("MOT"));
}

#[test]
fn tens_of_thousands_of_elements_in_one_block_are_placed() {
    // Placement is near-linear: a quadratic step here would take minutes.
    let n = 30_000;
    let mut src = String::from("<p>");
    for i in 0..n {
        src.push_str(&format!("mot{i} <b>gras{i}</b><br>"));
    }
    src.push_str("</p>");
    let out = translated_with(&src, |t| t.to_uppercase().replace("GRAS", "G R A S"));
    assert_eq!(out.matches("<b>").count(), n);
    assert_eq!(out.matches("<br>").count(), n);
    let divs = format!("{}texte{}", "<div>".repeat(n), "</div>".repeat(n));
    assert!(upper(&divs).contains("TEXTE"));
    // Unclosed code elements: code to the end of their block, as a browser reads it; the next
    // block is prose again.
    let code = format!("<p>{}fin</p><p>suite</p>", "<code>x ".repeat(n));
    let out = upper(&code);
    assert!(
        out.contains("fin</p><p>SUITE</p>"),
        "{}",
        &out[out.len() - 40..]
    );
}

#[test]
fn an_icon_and_an_image_link_stay_empty() {
    let src = "<p><i class=\"icon\"></i> Voir <a href=\"/x\"><img src=\"a.png\"></a> ici</p>";
    assert_eq!(
        upper(src),
        "<p><i class=\"icon\"></i> VOIR <a href=\"/x\"><img src=\"a.png\"></a> ICI</p>"
    );
}

/// Random markup from fragments that break parsers (unclosed tags and comments, quotes, stray
/// ends, entities, multi-byte text, raw-text elements): never a panic, every tag written back.
fn fragments() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let pieces = prop::sample::select(vec![
        "<p>",
        "</p>",
        "<b>",
        "</b>",
        "<i>",
        "</i>",
        "<a href=\"x\">",
        "</a>",
        "<br>",
        "<br/>",
        "<code>",
        "</code>",
        "<pre>",
        "</pre>",
        "<script>",
        "</script>",
        "<!--",
        "-->",
        "<!x>",
        "<span translate=\"no\">",
        "</span>",
        "<div lang='fr'>",
        "</div>",
        "&amp;",
        "&eacute;",
        "&#x263a;",
        "&",
        "<",
        ">",
        "\"",
        "'",
        " ",
        "\n",
        "é",
        "日本",
        "mot",
        "Le chat. ",
        "</",
        "<?x?>",
        "<img alt=é>",
        "<td>",
        "<li>",
        "<![CDATA[",
        "]]>",
        "<textarea>",
        "</textarea>",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
}

proptest::proptest! {
    #[test]
    fn any_markup_is_written_back_without_a_panic(src in fragments()) {
        let out = upper(&src);
        // Every tag of the source comes back (text upper-cased, escaped again).
        for tag in ["<p>", "</p>", "<b>", "</b>", "<a href=\"x\">", "</a>", "<br>", "<script>"] {
            proptest::prop_assert_eq!(out.matches(tag).count(), src.matches(tag).count(), "{}", tag);
        }
    }
}
