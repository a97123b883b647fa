//! WARC files written by real crawlers (`../shared/eval/warc/`: warcio's and
//! webarchive-discovery's test files: warcprox, wget, Heritrix, a browser capture; chunked
//! bodies, gzip, deflate and brotli content-encodings, revisits, wrong chunk sizes, truncated
//! files) held to warcio, the reference reader: every HTML response record warcio reads
//! (`tests/fixtures/warc/warcio.jsonl`, made by `scripts/warc_fixtures.py`), entente reads too,
//! with the same body bytes, and makes it an article or says "no article found".

use std::path::Path;

use entente::article::sources::{read_input, ReadOptions};
use entente::article::ArticleError;
use serde_json::Value;
use sha2::{Digest, Sha256};

fn fixture() -> Vec<Value> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/warc/warcio.jsonl"),
    )
    .unwrap();
    text.lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v.get("file").is_some())
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One item entente reads: the page's URL and its body's digest and length, or the error.
type PageRead = (Option<String>, Result<(String, usize), ArticleError>);

/// What entente reads from one file, item by item.
fn entente_pages(path: &Path) -> Vec<PageRead> {
    let options = ReadOptions::default();
    let mut skipped = 0;
    let name = path.to_str().unwrap().to_string();
    read_input(&name, &options, &mut skipped)
        .map(|(_, item)| match item {
            Ok(doc) => (doc.url.clone(), Ok((hex(&doc.bytes), doc.bytes.len()))),
            Err(e) => (None, Err(e)),
        })
        .collect()
}

#[test]
fn every_html_response_warcio_reads_entente_reads_with_the_same_body() {
    let Some(shared) = entente::testdata::require("eval/warc") else {
        return;
    };
    let shared = shared.parent().unwrap().parent().unwrap();
    let files = fixture();
    assert!(files.len() >= 20, "{} files", files.len());
    let mut failures = Vec::new();
    let mut compared = 0;
    for file in &files {
        let name = file["file"].as_str().unwrap();
        let pages = entente_pages(&shared.join(name));
        let read: Vec<(&str, &str)> = pages
            .iter()
            .filter_map(|(url, r)| Some((url.as_deref()?, r.as_ref().ok()?.0.as_str())))
            .collect();
        for record in file["records"].as_array().unwrap() {
            let Some(html) = record.get("html") else {
                continue;
            };
            let Some(want) = html["sha256"].as_str() else {
                continue; // a body warcio itself could not read
            };
            let uri = record["uri"].as_str().unwrap_or("");
            compared += 1;
            // Where warcio's framing lost the body (wrong chunk sizes: it reads 0 bytes, then
            // fails on the page's own text as the next record), entente must still read the
            // record; it may read more than nothing.
            let lost_by_warcio = html["len"] == 0;
            if !read
                .iter()
                .any(|(u, digest)| *u == uri && (*digest == want || lost_by_warcio))
            {
                let got: Vec<String> = pages
                    .iter()
                    .map(|(u, r)| match r {
                        Ok((d, n)) => format!("{u:?} {n} bytes {}", &d[..8]),
                        Err(e) => format!("error: {e}"),
                    })
                    .collect();
                failures.push(format!(
                    "{name}: {uri} ({} bytes) not read alike; entente read {got:#?}",
                    html["len"]
                ));
            }
        }
    }
    assert!(compared >= 20, "{compared} pages compared");
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn every_page_read_is_an_article_or_no_article_found_and_errors_name_the_record() {
    let Some(shared) = entente::testdata::require("eval/warc") else {
        return;
    };
    let shared = shared.parent().unwrap().parent().unwrap();
    let mut articles = 0;
    for file in fixture() {
        let name = file["file"].as_str().unwrap();
        let path = shared.join(name);
        let options = ReadOptions::default();
        let mut skipped = 0;
        let input = path.to_str().unwrap().to_string();
        for (source, item) in read_input(&input, &options, &mut skipped) {
            match item {
                Ok(doc) => match doc.article(false) {
                    Ok(_) => articles += 1,
                    Err(ArticleError::NoArticle) => {}
                    Err(e) => panic!("{source}: {e}"),
                },
                // Errors (a truncated record) say where.
                Err(e) => assert!(
                    source.contains("#record=") && e.to_string().contains("WARC record"),
                    "{source}: {e}"
                ),
            }
        }
    }
    assert!(articles >= 10, "{articles} articles");
}

#[test]
fn a_truncated_record_is_salvaged_and_said_truncated() {
    let Some(dir) = entente::testdata::require("eval/warc/warcio") else {
        return;
    };
    let options = ReadOptions::default();
    let mut skipped = 0;
    let input = dir.join("example-trunc.warc").display().to_string();
    let items: Vec<_> = read_input(&input, &options, &mut skipped).collect();
    let pages = items.iter().filter(|(_, r)| r.is_ok()).count();
    let said: Vec<String> = items
        .iter()
        .filter_map(|(s, r)| r.as_ref().err().map(|e| format!("{s}: {e}")))
        .collect();
    assert!(pages >= 1, "the page before the cut is read: {said:?}");
    assert!(
        said.iter().any(|e| e.contains("truncated")),
        "the cut is said: {said:?}"
    );
}

#[test]
fn the_pipeline_keeps_a_salvaged_page_and_records_its_damage() {
    let Some(dir) = entente::testdata::require("eval/warc/warcio") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/test/tiny-selfcontained");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_entente"))
        .args([
            "pipeline",
            "--model",
            model.to_str().unwrap(),
            "--beams",
            "1",
        ])
        .args(["--max-new-tokens", "4", "-o", out.path().to_str().unwrap()])
        .arg(dir.join("example-trunc.warc"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{err}");
    assert!(err.contains("1 processed, 0 resumed, 0 failed"), "{err}");
    let pairs = std::fs::read_to_string(out.path().join("pairs.jsonl")).unwrap();
    assert!(
        pairs.contains("\"damage\"") && pairs.contains("truncated"),
        "{pairs}"
    );
}
