//! Office XML parts written back around a stand-in translation (upper-cased, each word aligned
//! with itself): runs, links and spans around their words, paragraph properties first, what is
//! not text kept whole, and entities that could expand refused.

use super::{XmlPart, DOCX, ODF, PPTX};
use crate::document::blocks::TranslatedBlock;
use crate::document::inline::words;
use crate::document::placement::place;

fn upper(source: &str, profile: &'static super::Profile) -> String {
    let part = XmlPart::parse(source, "part.xml", profile).unwrap();
    let blocks: Vec<TranslatedBlock> = part
        .blocks
        .iter()
        .map(|b| {
            let text = b.text.to_uppercase();
            let align: Vec<Option<usize>> = (0..words(&text).len()).map(Some).collect();
            let placement = place(b, &text, &align, part.tiles());
            TranslatedBlock { text, placement }
        })
        .collect();
    part.write(&blocks)
}

#[test]
fn docx_runs_keep_their_properties_around_their_words() {
    let src = r#"<w:document><w:body><w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:t xml:space="preserve">Le </w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>président</w:t></w:r><w:r><w:t xml:space="preserve"> a annoncé une </w:t></w:r><w:hyperlink r:id="rId5"><w:r><w:rPr><w:rStyle w:val="Hyperlink"/></w:rPr><w:t>réforme</w:t></w:r></w:hyperlink><w:r><w:t xml:space="preserve"> mardi.</w:t></w:r></w:p><w:sectPr/></w:body></w:document>"#;
    let part = XmlPart::parse(src, "word/document.xml", &DOCX).unwrap();
    assert_eq!(part.blocks.len(), 1);
    assert_eq!(
        part.blocks[0].text,
        "Le président a annoncé une réforme mardi."
    );
    let out = upper(src, &DOCX);
    assert_eq!(
        out,
        r#"<w:document><w:body><w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:t xml:space="preserve">LE </w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">PRÉSIDENT </w:t></w:r><w:r><w:t xml:space="preserve">A ANNONCÉ UNE </w:t></w:r><w:hyperlink r:id="rId5"><w:r><w:rPr><w:rStyle w:val="Hyperlink"/></w:rPr><w:t xml:space="preserve">RÉFORME </w:t></w:r></w:hyperlink><w:r><w:t xml:space="preserve">MARDI.</w:t></w:r></w:p><w:sectPr/></w:body></w:document>"#
    );
}

#[test]
fn docx_runs_that_are_not_only_text_stay_whole() {
    let src = r#"<w:p><w:r><w:t>Nom</w:t></w:r><w:r><w:tab/></w:r><w:bookmarkStart w:id="0"/><w:r><w:t xml:space="preserve"> et prénom &amp; co</w:t></w:r></w:p>"#;
    let part = XmlPart::parse(src, "word/document.xml", &DOCX).unwrap();
    assert_eq!(part.blocks[0].text, "Nom et prénom & co");
    let tabbed =
        r#"<w:p><w:r><w:t>Nom</w:t></w:r><w:r><w:tab/></w:r><w:r><w:t>Prénom</w:t></w:r></w:p>"#;
    let part = XmlPart::parse(tabbed, "word/document.xml", &DOCX).unwrap();
    assert_eq!(part.blocks[0].text, "Nom Prénom", "a tab separates words");
    let out = upper(src, &DOCX);
    assert!(out.contains("<w:r><w:tab/></w:r>"), "{out}");
    assert!(out.contains(r#"<w:bookmarkStart w:id="0"/>"#), "{out}");
    assert!(out.contains("PRÉNOM &amp; CO"), "{out}");
}

#[test]
fn odf_spans_nest_and_spaces_are_text() {
    let src = r#"<office:text><text:h text:outline-level="1">Titre</text:h><text:p text:style-name="P1">Un<text:s/>mot <text:span text:style-name="T1">en <text:a xlink:href="http://x">gras</text:a></text:span>.<text:line-break/>Fin</text:p><text:p/></office:text>"#;
    let part = XmlPart::parse(src, "content.xml", &ODF).unwrap();
    assert_eq!(part.blocks[0].text, "Titre");
    assert_eq!(part.blocks[1].text, "Un mot en gras. Fin");
    assert_eq!(
        upper(src, &ODF),
        r#"<office:text><text:h text:outline-level="1">TITRE</text:h><text:p text:style-name="P1">UN MOT <text:span text:style-name="T1">EN <text:a xlink:href="http://x">GRAS</text:a></text:span>. <text:line-break/>FIN</text:p><text:p/></office:text>"#
    );
}

#[test]
fn pptx_paragraph_properties_and_end_properties_stay_at_the_ends() {
    let src = r#"<p:txBody><a:p><a:pPr algn="ctr"/><a:r><a:rPr lang="fr-FR" b="1"/><a:t>Bonjour</a:t></a:r><a:r><a:rPr lang="fr-FR"/><a:t> le monde</a:t></a:r><a:endParaRPr lang="fr-FR"/></a:p></p:txBody>"#;
    assert_eq!(
        upper(src, &PPTX),
        r#"<p:txBody><a:p><a:pPr algn="ctr"/><a:r><a:rPr lang="en-US" b="1"/><a:t>BONJOUR </a:t></a:r><a:r><a:rPr lang="en-US"/><a:t>LE MONDE</a:t></a:r><a:endParaRPr lang="fr-FR"/></a:p></p:txBody>"#
    );
}

#[test]
fn declared_entities_are_refused_and_broken_xml_names_the_byte() {
    let laughs = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><w:p><w:r><w:t>&lol2;</w:t></w:r></w:p>"#;
    let err = XmlPart::parse(laughs, "word/document.xml", &DOCX)
        .err()
        .unwrap();
    assert!(err.to_string().contains("word/document.xml"), "{err}");
    assert!(err.to_string().contains("entities"), "{err}");
    let undeclared = "<w:p><w:r><w:t>&lol;</w:t></w:r></w:p>";
    let err = XmlPart::parse(undeclared, "word/document.xml", &DOCX)
        .err()
        .unwrap();
    assert!(err.to_string().contains("&lol;"), "{err}");
    let broken = "<w:p><w:r><w:t>x</w:r></w:p>";
    let err = XmlPart::parse(broken, "word/document.xml", &DOCX)
        .err()
        .unwrap();
    assert!(err.to_string().contains("byte"), "{err}");
}

#[test]
fn elements_nested_a_hundred_thousand_deep_are_read_without_recursion() {
    let depth = 100_000;
    let src = format!(
        "<text:p>{}mot{}</text:p>",
        "<text:span>".repeat(depth),
        "</text:span>".repeat(depth)
    );
    let out = upper(&src, &ODF);
    assert!(out.contains("MOT"));
    assert_eq!(out.len(), src.len());
}

#[test]
fn a_run_s_french_language_tag_becomes_english() {
    let src = r#"<w:p><w:r><w:rPr><w:lang w:val="fr-FR" w:eastAsia="ja-JP"/></w:rPr><w:t>Bonjour</w:t></w:r><w:r><w:rPr><w:lang w:val="de-DE"/></w:rPr><w:t> Welt</w:t></w:r></w:p>"#;
    let out = upper(src, &DOCX);
    assert!(
        out.contains(r#"<w:lang w:val="en-US" w:eastAsia="ja-JP"/>"#),
        "{out}"
    );
    assert!(out.contains(r#"<w:lang w:val="de-DE"/>"#), "{out}");
}

#[test]
fn a_run_with_a_tab_or_break_is_cut_into_runs_and_its_text_translated() {
    let src = r#"<w:p><w:r><w:rPr><w:i/></w:rPr><w:t>Nom</w:t><w:tab/><w:t>Prénom</w:t><w:br/><w:t xml:space="preserve">et fonction</w:t></w:r></w:p>"#;
    let part = XmlPart::parse(src, "word/document.xml", &DOCX).unwrap();
    assert_eq!(part.blocks[0].text, "Nom Prénom et fonction");
    assert_eq!(
        upper(src, &DOCX),
        r#"<w:p><w:r><w:rPr><w:i/></w:rPr><w:t xml:space="preserve">NOM </w:t></w:r><w:r><w:rPr><w:i/></w:rPr><w:tab/></w:r><w:r><w:rPr><w:i/></w:rPr><w:t xml:space="preserve">PRÉNOM </w:t></w:r><w:r><w:rPr><w:i/></w:rPr><w:br/></w:r><w:r><w:rPr><w:i/></w:rPr><w:t xml:space="preserve">ET FONCTION</w:t></w:r></w:p>"#
    );
}

/// Random office XML from fragments (runs, links, tabs, breaks, bookmarks, spans, entities,
/// multi-byte text, unbalanced ends): an error or a part written back, never a panic; when it
/// parses, every run and link comes back.
fn fragments() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let pieces = prop::sample::select(vec![
        "<w:p>",
        "</w:p>",
        "<w:r>",
        "</w:r>",
        "<w:t>",
        "</w:t>",
        "<w:rPr><w:b/></w:rPr>",
        "<w:tab/>",
        "<w:br/>",
        "<w:hyperlink r:id=\"a\">",
        "</w:hyperlink>",
        "<w:bookmarkStart/>",
        "<w:pPr/>",
        "<w:t xml:space=\"preserve\">",
        "mot ",
        "é",
        "日本",
        "&amp;",
        "&#233;",
        " ",
        "<w:drawing><w:p><w:r><w:t>x</w:t></w:r></w:p></w:drawing>",
        "<w:lang w:val=\"fr-FR\"/>",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|v| format!("<w:body>{}</w:body>", v.concat()))
}

proptest::proptest! {
    #[test]
    fn any_office_xml_is_refused_or_written_back_without_a_panic(src in fragments()) {
        if XmlPart::parse(&src, "word/document.xml", &DOCX).is_ok() {
            let out = upper(&src, &DOCX);
            for tag in ["<w:p>", "</w:p>", "<w:hyperlink r:id=\"a\">", "<w:tab/>", "<w:bookmarkStart/>"] {
                proptest::prop_assert_eq!(out.matches(tag).count(), src.matches(tag).count(), "{}", tag);
            }
        }
    }
}
