//! `entente pipeline` over a folder of documents (DOCX, ODT, PPTX, EPUB beside a text article):
//! each document's prose goes into the corpus, its translated file is written among the outputs
//! (`docs/ID.en.EXT`, the same bytes `entente translate FILE -o OUT` writes with the same
//! settings), and a broken document is reported and skipped while the rest finish.

mod common;

use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const SEARCH: [&str; 4] = ["--beams", "1", "--max-new-tokens", "6"];

#[test]
fn documents_go_into_the_corpus_and_come_back_translated() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    let fixtures = Path::new(ROOT).join("tests/fixtures/documents");
    for name in ["sample.docx", "sample.odt", "sample.pptx", "sample.epub"] {
        std::fs::copy(
            fixtures.join(name),
            input.join(name.replace("sample", &name[7..])),
        )
        .unwrap();
    }
    std::fs::write(input.join("article.txt"), "Le chat dort. Le chien aboie.\n").unwrap();
    std::fs::write(input.join("broken.docx"), "pas un document").unwrap();
    let out = dir.path().join("out");
    let model = common::selfcontained();
    let mut args = vec![
        "pipeline",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend(["--model", model.to_str().unwrap()]);
    args.extend(SEARCH);
    let run = common::entente_in(None, &args, b"", &[]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    // One bad document: reported, exit 3, the others done.
    assert_eq!(run.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("broken.docx"), "{stderr}");
    let pairs = std::fs::read_to_string(out.join("pairs.jsonl")).unwrap();
    for (doc, ext) in [
        ("docx", "docx"),
        ("odt", "odt"),
        ("pptx", "pptx"),
        ("epub", "epub"),
    ] {
        assert!(
            pairs.contains(&format!("\"doc\":\"{doc}\"")),
            "{doc} in the corpus"
        );
        let translated = out.join(format!("docs/{doc}.en.{ext}"));
        let bytes = std::fs::read(&translated)
            .unwrap_or_else(|_| panic!("{} written", translated.display()));
        // The same file as the command line writes.
        let cli_out = dir.path().join(format!("cli.{ext}"));
        let source = input.join(format!("{doc}.{ext}"));
        let mut cli = vec!["translate", "--model", model.to_str().unwrap()];
        cli.extend(SEARCH);
        cli.extend([source.to_str().unwrap(), "-o", cli_out.to_str().unwrap()]);
        let done = common::entente_in(None, &cli, b"", &[]);
        assert!(
            done.status.success(),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
        assert!(
            bytes == std::fs::read(&cli_out).unwrap(),
            "{doc}: differs from the CLI's"
        );
        let report = std::fs::read_to_string(out.join(format!("docs/{doc}.report.json"))).unwrap();
        assert!(
            report.contains(&format!("\"document\": \"{doc}.en.{ext}\"")),
            "{report}"
        );
    }
    assert!(pairs.contains("Le chat dort."));
    assert!(!out.join("docs/broken.en.docx").exists());
}
