//! Documents translated whole (`entente translate FILE -o OUT`): for HTML, DOCX, ODT, ODP, PPTX
//! and EPUB files made by the libraries people make them with (`tests/fixtures/documents`, by
//! `scripts/make_document_fixtures.py`) and a real French page, every block of the output, its
//! markup stripped, is exactly `translate --input article` of the input block's plain text; the
//! package keeps its structure and every entry the translation does not touch, byte for byte;
//! and bad files (not what their extension says, encrypted, corrupt, zip bombs, entities that
//! expand, too large) fail with an error naming the file and part, leaving no output behind.

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use entente::document::{plain_blocks, Format};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// The same limit on both sides: the tiny random models never stop on their own.
const MAX_NEW: &str = "16";

fn fixture(name: &str) -> PathBuf {
    Path::new(ROOT).join("tests/fixtures/documents").join(name)
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Translate `input` with the CLI into a file in `dir`; the output's bytes.
fn translate_file(model: &Path, input: &Path, dir: &Path) -> Vec<u8> {
    let out = dir.join(format!(
        "out.{}",
        input.extension().unwrap().to_str().unwrap()
    ));
    let run = common::entente_in(
        None,
        &[
            "translate",
            "--model",
            model.to_str().unwrap(),
            "--max-new-tokens",
            MAX_NEW,
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        b"",
        &[],
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{}: {stderr}", input.display());
    assert!(stderr.contains("sentences translated"), "{stderr}");
    std::fs::read(out).unwrap()
}

/// `translate --input article` of one block's plain text.
fn article(model: &Path, text: &str) -> String {
    let run = common::entente_in(
        None,
        &[
            "translate",
            "--model",
            model.to_str().unwrap(),
            "--max-new-tokens",
            MAX_NEW,
            "--input",
            "article",
        ],
        text.as_bytes(),
        &[],
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    String::from_utf8(run.stdout).unwrap()
}

/// Every block of `input`'s translation equals the article translation of its plain text.
fn check_equality(model: &Path, input: &Path, format: Format) {
    let dir = tempfile::tempdir().unwrap();
    let source = std::fs::read(input).unwrap();
    let translated = translate_file(model, input, dir.path());
    let before = plain_blocks(&source, format).unwrap();
    let after = plain_blocks(&translated, format).unwrap();
    assert!(
        before.len() >= 4,
        "{}: {} blocks",
        input.display(),
        before.len()
    );
    assert_eq!(
        before.len(),
        after.len(),
        "{}: the same blocks come back",
        input.display()
    );
    for (fr, en) in before.iter().zip(&after) {
        assert_eq!(
            collapse(en),
            collapse(&article(model, fr)),
            "{}: the block {fr:?}",
            input.display()
        );
    }
}

#[test]
fn every_block_is_the_translation_of_its_plain_text_in_every_format() {
    let Some((_keep, model)) = common::model_dir("tiny-fr-en-swish", "opus-mt-fr-en") else {
        return;
    };
    for (file, format) in [
        ("sample.docx", Format::Docx),
        ("sample.odt", Format::Odt),
        ("sample.odp", Format::Odp),
        ("sample.pptx", Format::Pptx),
        ("sample.epub", Format::Epub),
    ] {
        check_equality(&model, &fixture(file), format);
    }
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("issue.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html lang=\"fr\"><body><h1>Réforme</h1>\n<p class=\"x\">Le <b>président</b> a \
         annoncé une <a href=\"/r?a=1&amp;b=2\">réforme</a> mardi.</p><p>Deux phrases ici. Et <i>une \
         autre</i> là.</p><ul><li>Un</li><li>Deux <code>x &lt; 3</code> trois.</li></ul></body></html>",
    )
    .unwrap();
    check_equality(&model, &page, Format::Html);
}

#[test]
fn a_real_french_page_keeps_its_markup_and_translates_block_for_block() {
    let Some((_keep, model)) = common::model_dir("tiny-fr-en-swish", "opus-mt-fr-en") else {
        return;
    };
    let Some(page) =
        entente::testdata::require("eval/web/trafilatura-fr/pages/bondyblog.fr.paris-8.html")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("page.html");
    std::fs::copy(&page, &html).unwrap();
    let source = std::fs::read(&html).unwrap();
    let translated = translate_file(&model, &html, dir.path());
    let out = String::from_utf8(translated).unwrap();
    // Scripts and styles come back byte for byte, and as many as there were.
    let src = String::from_utf8_lossy(&source);
    for tag in [
        "<script",
        "</script>",
        "<style",
        "<a ",
        "</a>",
        "<p",
        "</p>",
        "<img",
    ] {
        assert_eq!(out.matches(tag).count(), src.matches(tag).count(), "{tag}");
    }
    let scripts = |s: &str| -> Vec<String> {
        s.split("<script")
            .skip(1)
            .map(|x| x.split("</script>").next().unwrap().to_string())
            .collect()
    };
    assert_eq!(scripts(&out), scripts(&src));
    check_equality(&model, &html, Format::Html);
}

#[test]
fn entries_the_translation_does_not_touch_are_copied_byte_for_byte() {
    let Some((_keep, model)) = common::model_dir("tiny-fr-en-swish", "opus-mt-fr-en") else {
        return;
    };
    for file in ["sample.docx", "sample.odt", "sample.pptx", "sample.epub"] {
        let dir = tempfile::tempdir().unwrap();
        let input = fixture(file);
        let out = translate_file(&model, &input, dir.path());
        let mut a = zip::ZipArchive::new(std::fs::File::open(&input).unwrap()).unwrap();
        let mut b = zip::ZipArchive::new(std::io::Cursor::new(out)).unwrap();
        assert_eq!(a.len(), b.len(), "{file}");
        let mut changed = 0;
        for i in 0..a.len() {
            let (mut x, mut y) = (a.by_index_raw(i).unwrap(), b.by_index_raw(i).unwrap());
            assert_eq!(x.name(), y.name(), "{file}: entry {i} in its place");
            assert_eq!(x.compression(), y.compression(), "{file}: {}", x.name());
            let (mut xb, mut yb) = (Vec::new(), Vec::new());
            x.read_to_end(&mut xb).unwrap();
            y.read_to_end(&mut yb).unwrap();
            let name = x.name().to_string();
            drop((x, y));
            if xb != yb {
                changed += 1;
                assert!(
                    name.ends_with(".xml") || name.ends_with("html") || name.ends_with(".opf"),
                    "{file}: {name} changed"
                );
                if name.ends_with(".opf") {
                    // The book's language is English now; only that changed.
                    let (x, y) = (read_entry(&mut a, &name), read_entry(&mut b, &name));
                    assert!(y.contains("<dc:language>en</dc:language>"), "{y}");
                    assert_eq!(
                        x.replace("<dc:language>fr</dc:language>", ""),
                        y.replace("<dc:language>en</dc:language>", "")
                    );
                }
            }
        }
        assert!(changed >= 1, "{file}: something was translated");
    }
}

/// An entry's text.
fn read_entry<R: std::io::Read + std::io::Seek>(
    archive: &mut zip::ZipArchive<R>,
    name: &str,
) -> String {
    let mut text = String::new();
    archive
        .by_name(name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// Run `translate` on a file named `name` holding `bytes`: the exit status and stderr, and
/// whether an output file appeared.
fn bad_file(name: &str, bytes: &[u8]) -> (bool, String, bool) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join(name);
    std::fs::write(&input, bytes).unwrap();
    let out = dir.path().join(format!("out-{name}"));
    let model = Path::new(ROOT).join("models/test/tiny-selfcontained");
    let run = common::entente_in(
        None,
        &[
            "translate",
            "--model",
            model.to_str().unwrap(),
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        b"",
        &[],
    );
    let leftovers = std::fs::read_dir(dir.path()).unwrap().count() > 1;
    (
        run.status.success(),
        String::from_utf8_lossy(&run.stderr).into_owned(),
        leftovers,
    )
}

fn zip_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(data.len() > u32::MAX as usize / 2);
        w.start_file(*name, options).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn bad_files_fail_naming_the_file_and_part_and_leave_nothing() {
    let docx = std::fs::read(fixture("sample.docx")).unwrap();
    let laughs = b"<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;\">]><w:document><w:body><w:p><w:r><w:t>&b;</w:t></w:r></w:p></w:body></w:document>";
    let bomb = vec![b' '; 130 << 20];
    let cases: Vec<(&str, Vec<u8>, &[&str])> = vec![
        (
            "plain.docx",
            b"Ceci n'est pas un document.".to_vec(),
            &["plain.docx", "not a DOCX", "zip"],
        ),
        (
            "secret.docx",
            [
                &[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1][..],
                &[0; 512],
            ]
            .concat(),
            &["secret.docx", "password"],
        ),
        (
            "cut.docx",
            docx[..docx.len() / 2].to_vec(),
            &["cut.docx", "not a zip"],
        ),
        (
            "empty.docx",
            zip_with(&[("readme.txt", b"x")]),
            &["empty.docx", "word/document.xml"],
        ),
        (
            "laughs.docx",
            zip_with(&[("word/document.xml", laughs)]),
            &["laughs.docx", "word/document.xml", "entities"],
        ),
        (
            "bomb.docx",
            zip_with(&[("word/document.xml", &bomb)]),
            &["bomb.docx", "word/document.xml", "limit"],
        ),
        (
            "wrong.odt",
            zip_with(&[("mimetype", b"application/epub+zip")]),
            &["wrong.odt", "mimetype"],
        ),
        ("zip.html", docx.clone(), &["zip.html", "zip package"]),
        (
            "huge.html",
            vec![b'a'; (32 << 20) + 1],
            &["huge.html", "larger than"],
        ),
    ];
    for (name, bytes, says) in cases {
        let (ok, stderr, leftovers) = bad_file(name, &bytes);
        assert!(!ok, "{name} must fail");
        for s in says {
            assert!(stderr.contains(s), "{name}: {s:?} not in {stderr}");
        }
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        assert!(!leftovers, "{name}: an output file was left behind");
    }
}
