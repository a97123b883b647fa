//! Documents through the server: LibreTranslate's `POST /translate_file` (multipart) answers a
//! `translatedFileUrl` whose download is the same file `entente translate FILE -o OUT` writes,
//! byte for byte; `/frontend/settings` lists the formats; a bad file is a 400 naming it; and
//! `format: "html"` translates a sentence whole across its inline markup, every element back
//! once.

mod common;

use std::io::Read;
use std::path::Path;

use common::server::{cli_article, cli_translate_file, Server};
use serde_json::{json, Value};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A multipart body: text fields, then the file.
fn multipart(fields: &[(&str, &str)], filename: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "entente-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
    }
    body.extend(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend(bytes);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn upload(server: &Server, filename: &str, bytes: &[u8]) -> (u16, Value) {
    let (content_type, body) = multipart(&[("source", "fr"), ("target", "en")], filename, bytes);
    let (status, _, text) = server.post("/translate_file", &content_type, &body);
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}")),
    )
}

#[test]
fn translate_file_gives_the_cli_s_file_to_download() {
    let server = Server::start(&[]);
    let (status, settings) = server.get("/frontend/settings");
    assert_eq!(status, 200);
    let settings: Value = serde_json::from_str(&settings).unwrap();
    let formats = settings["supportedFilesFormat"].as_array().unwrap();
    for ext in [".txt", ".html", ".docx", ".odt", ".odp", ".pptx", ".epub"] {
        assert!(formats.contains(&json!(ext)), "{ext} in {settings}");
    }
    for file in ["sample.odt", "sample.docx"] {
        let input = Path::new(ROOT).join("tests/fixtures/documents").join(file);
        let bytes = std::fs::read(&input).unwrap();
        let (status, answer) = upload(&server, file, &bytes);
        assert_eq!(status, 200, "{answer}");
        let url = answer["translatedFileUrl"].as_str().unwrap();
        assert!(
            url.starts_with(&server.base) && url.ends_with(file),
            "{url}"
        );
        let response = ureq::get(url).call().unwrap();
        assert!(response
            .header("Content-Disposition")
            .unwrap()
            .starts_with("attachment"));
        let mut downloaded = Vec::new();
        response.into_reader().read_to_end(&mut downloaded).unwrap();
        // The same file as the command line's, with the same model and settings.
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join(file);
        assert!(
            downloaded == cli_translate_file(&input, &out),
            "{file}: the server's file differs"
        );
    }
    // A plain text file is translated as an article.
    let (status, answer) = upload(&server, "note.txt", "Le chat dort.".as_bytes());
    assert_eq!(status, 200, "{answer}");
    // Unknown formats and broken files are the client's error, named.
    let (status, answer) = upload(&server, "photo.jpg", b"\xff\xd8\xff");
    assert_eq!(status, 400);
    assert!(
        answer["error"].as_str().unwrap().contains(".docx"),
        "{answer}"
    );
    let (status, answer) = upload(&server, "broken.docx", b"not a zip");
    assert_eq!(status, 400);
    assert!(
        answer["error"].as_str().unwrap().contains("broken.docx"),
        "{answer}"
    );
    let (status, _) = server.get("/download_file/0000.nothing.docx");
    assert_eq!(status, 404);
}

#[test]
fn html_format_keeps_a_sentence_whole_and_every_element_once() {
    let server = Server::start(&[]);
    let html =
        "<p>Le <b>président</b> a annoncé une <a href=\"/r?a=1&amp;b=2\">réforme</a> mardi.</p>";
    let (status, answer) = server.post_json(
        "/translate",
        &json!({"q": html, "source": "fr", "target": "en", "format": "html"}),
    );
    assert_eq!(status, 200, "{answer}");
    let out = answer["translatedText"].as_str().unwrap();
    for tag in [
        "<p>",
        "</p>",
        "<b>",
        "</b>",
        "<a href=\"/r?a=1&amp;b=2\">",
        "</a>",
    ] {
        assert_eq!(out.matches(tag).count(), 1, "{tag} in {out}");
    }
    // Its text is the whole sentence's translation, as the command line gives it.
    let text =
        entente::document::plain_blocks(out.as_bytes(), entente::document::Format::Html).unwrap();
    let cli = cli_article("Le président a annoncé une réforme mardi.");
    assert_eq!(
        text[0].split_whitespace().collect::<Vec<_>>(),
        cli.split_whitespace().collect::<Vec<_>>()
    );
}
