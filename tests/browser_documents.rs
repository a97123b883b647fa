//! A document through the server's page in a real browser (headless Chromium over WebDriver): a
//! DOCX as Word leaves it after a person edited it by hand — words split across runs, spelling
//! marks, a bookmark, revision ids — dropped on the page, translated, and offered for download;
//! the file the browser downloads is the one `entente translate FILE -o OUT` writes, byte for
//! byte. Without a browser the test says SKIPPED and passes (`ENTENTE_REQUIRE_BROWSER=1` makes
//! that a failure).

mod common;

use std::io::{Read, Write};
use std::path::Path;

use common::browser::{browser, screenshot, until};
use common::server::{cli_translate_file, Server};
use serde_json::json;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A paragraph as Word writes one after a hand edit: a word split over two runs (one bold),
/// spelling marks around a word, a bookmark, revision ids on every run.
const EDITED: &str = r#"<w:p w:rsidR="00A1" w:rsidRDefault="00B2"><w:r w:rsidRPr="00C3"><w:t xml:space="preserve">Le ministre a </w:t></w:r><w:r w:rsidR="00D4"><w:rPr><w:b/></w:rPr><w:t>pré</w:t></w:r><w:r w:rsidR="00D4"><w:rPr><w:b/></w:rPr><w:t>senté</w:t></w:r><w:r><w:t xml:space="preserve"> le </w:t></w:r><w:proofErr w:type="spellStart"/><w:r><w:t>budjet</w:t></w:r><w:proofErr w:type="spellEnd"/><w:bookmarkStart w:id="0" w:name="vote"/><w:r><w:t xml:space="preserve"> hier soir.</w:t></w:r><w:bookmarkEnd w:id="0"/></w:p>"#;

/// The fixture DOCX with the hand-edited paragraph put before the document's last section.
fn edited_docx() -> Vec<u8> {
    let input =
        std::fs::read(Path::new(ROOT).join("tests/fixtures/documents/sample.docx")).unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(input)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let name = file.name().to_string();
        let mut data = Vec::new();
        file.read_to_end(&mut data).unwrap();
        if name == "word/document.xml" {
            let text = String::from_utf8(data).unwrap();
            let at = text.rfind("<w:sectPr").unwrap();
            data = format!("{}{EDITED}{}", &text[..at], &text[at..]).into_bytes();
        }
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        out.start_file(name, options).unwrap();
        out.write_all(&data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_document_comes_back_to_download_as_the_cli_writes_it() {
    let Some(b) = browser("a_dropped_document_comes_back_to_download_as_the_cli_writes_it").await
    else {
        return;
    };
    let server = Server::start(&[]);
    let c = &b.client;
    c.goto(&format!("{}/", server.base)).await.unwrap();
    let docx = edited_docx();
    c.execute(
        "const file = new File([new Uint8Array(arguments[0])], 'rapport.docx'); \
         const data = new DataTransfer(); data.items.add(file); \
         const zone = document.querySelector('.drop[data-target=doc]'); \
         zone.dispatchEvent(new DragEvent('dragover', {dataTransfer: data, bubbles: true, cancelable: true})); \
         zone.dispatchEvent(new DragEvent('drop', {dataTransfer: data, bubbles: true, cancelable: true}));",
        vec![json!(docx)],
    )
    .await
    .unwrap();
    until(c, "!document.getElementById('doc-download').hidden").await;
    let label = until(c, "document.getElementById('doc-download').textContent").await;
    assert_eq!(label, json!("Download rapport.en.docx"));
    screenshot(c, "document").await;
    // What the link gives is what a download saves.
    let bytes = c
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             fetch(document.getElementById('doc-download').href) \
               .then(r => r.arrayBuffer()) \
               .then(b => done(Array.from(new Uint8Array(b))));",
            vec![],
        )
        .await
        .unwrap();
    let downloaded: Vec<u8> = serde_json::from_value::<Vec<u8>>(bytes).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (
        dir.path().join("rapport.docx"),
        dir.path().join("rapport.en.docx"),
    );
    std::fs::write(&input, &docx).unwrap();
    assert!(
        downloaded == cli_translate_file(&input, &output),
        "the download differs from the CLI's file"
    );
    // The hand-edited paragraph came through: one block, its bookmark and bold run kept.
    let blocks = entente::document::plain_blocks(&docx, entente::document::Format::Docx).unwrap();
    assert!(
        blocks.contains(&"Le ministre a présenté le budjet hier soir.".to_string()),
        "{blocks:?}"
    );
    let mut out = zip::ZipArchive::new(std::io::Cursor::new(downloaded)).unwrap();
    let mut xml = String::new();
    out.by_name("word/document.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    assert!(xml.contains(r#"<w:bookmarkStart w:id="0" w:name="vote"/>"#));
    assert!(xml.contains("<w:b/>"));
}
