//! Web pages through `entente serve`: `/v1/extract` (a page's HTML, scraped text, or a URL on a
//! server that fetches) and `/v1/translate`'s page mode, whose translation is the CLI's
//! `translate --input page`, byte for byte.

mod common;

use std::io::Write;

use common::server::{Server, SEARCH};
use serde_json::{json, Value};

/// A news page written for these tests: JSON-LD, a standfirst, a caption with its credit, a
/// teaser, a paywall line and a share prompt.
const PAGE: &str = include_str!("fixtures/web/conseil.html");

fn kinds(article: &Value) -> Vec<&str> {
    article["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["kind"].as_str().unwrap())
        .collect()
}

fn respond(path: &str, stream: &mut std::net::TcpStream) {
    let (head, body) = match path {
        "/conseil" => (
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\r\n",
                PAGE.len()
            ),
            PAGE,
        ),
        _ => ("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_string(), ""),
    };
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
}

#[test]
fn v1_extract_reads_html_text_and_fetched_urls() {
    let server = Server::start(&[]);
    let (status, body) = server.post_json("/v1/extract", &json!({ "html": PAGE }));
    assert_eq!(status, 200, "{body}");
    let article = &body["article"];
    assert_eq!(article["title"], "Le conseil vote le budget");
    assert_eq!(article["date"], "2024-03-05");
    assert_eq!(article["authors"], json!(["Jeanne Martin"]));
    assert_eq!(
        kinds(article),
        [
            "title",
            "lead",
            "paragraph",
            "caption",
            "credit",
            "teaser",
            "paragraph",
            "subscription"
        ]
    );
    // The same article as `entente extract` writes, but for where it came from.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("conseil.html"), PAGE).unwrap();
    let cli = common::entente_in(Some(dir.path()), &["extract", "conseil.html"], b"", &[]);
    let mut cli: Value = serde_json::from_slice(&cli.stdout).unwrap();
    cli["source"] = article["source"].clone();
    assert_eq!(&cli, article);

    // Scraped text is typed line by line.
    let text = "Le conseil vote le budget\n• il y a 2 ans\nLe conseil municipal a voté mardi soir \
                un budget en hausse, après un long débat.\nLire aussi : Les écoles attendent";
    let (status, body) = server.post_json("/v1/extract", &json!({ "text": text }));
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        kinds(&body["article"]),
        ["title", "dateline", "paragraph", "teaser"]
    );

    // No article, no field, and a URL on a server that does not fetch: each a clear error.
    let (status, body) = server.post_json("/v1/extract", &json!({ "html": "<nav>Menu</nav>" }));
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("no article"),
        "{body}"
    );
    let (status, body) = server.post_json("/v1/extract", &json!({ "page": PAGE }));
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().unwrap().contains("html"), "{body}");
    let pages = common::page_server(respond);
    let url = format!("{pages}/conseil");
    let (status, body) = server.post_json("/v1/extract", &json!({ "url": url }));
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("--fetch-urls"),
        "{body}"
    );

    let fetching = Server::start(&["--fetch-urls"]);
    let (status, body) = fetching.post_json("/v1/extract", &json!({ "url": url }));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["article"]["source"], url.as_str());
    assert_eq!(body["article"]["title"], "Le conseil vote le budget");
    let missing = format!("{pages}/missing");
    let (status, body) = fetching.post_json("/v1/extract", &json!({ "url": missing }));
    assert_eq!(status, 502, "{body}");
    assert!(body["error"].as_str().unwrap().contains("404"), "{body}");
    let (status, _) = fetching.post_json("/v1/extract", &json!({ "url": "file:///etc/passwd" }));
    assert_eq!(status, 400);
}

#[test]
fn page_mode_translates_a_page_as_the_cli_does() {
    let server = Server::start(&[]);
    let (status, body) = server.post_json(
        "/v1/translate",
        &json!({ "mode": "page", "text": [PAGE, PAGE.replace("en hausse de 3 %", "en baisse")] }),
    );
    assert_eq!(status, 200, "{body}");
    let translations = body["translations"].as_array().unwrap();
    assert_eq!(translations.len(), 2);

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("conseil.html"), PAGE).unwrap();
    let model = common::selfcontained().display().to_string();
    let mut args = vec![
        "translate",
        "--input",
        "page",
        "conseil.html",
        "--model",
        &model,
    ];
    args.extend_from_slice(&SEARCH);
    let cli = common::entente_in(Some(dir.path()), &args, b"", &[]);
    assert!(
        cli.status.success(),
        "{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    let cli = String::from_utf8(cli.stdout).unwrap();
    let first = &translations[0];
    assert_eq!(first["text"].as_str().unwrap(), cli.trim_end_matches('\n'));
    // Only prose went to the model; the furniture is in the text, verbatim and in place.
    let lines: Vec<&str> = cli.lines().collect();
    assert_eq!(
        lines[5],
        "Lire aussi : Les écoles de la ville attendent leurs travaux depuis dix ans"
    );
    assert_eq!(lines[7], "Article réservé à nos abonnés");
    let sources: Vec<&str> = first["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["src"].as_str().unwrap())
        .collect();
    assert_eq!(sources[0], "Le conseil vote le budget");
    assert!(
        sources
            .iter()
            .all(|s| !s.contains("Lire aussi") && !s.contains("abonnés")),
        "{sources:?}"
    );
    assert_eq!(first["article"]["title"], "Le conseil vote le budget");
    let second = translations[1]["segments"].as_array().unwrap();
    assert!(
        second
            .iter()
            .any(|s| s["src"].as_str().unwrap().contains("en baisse")),
        "each page is its own: {second:?}"
    );

    // A page with no article is a 422 naming it; other modes are unchanged.
    let (status, body) = server.post_json(
        "/v1/translate",
        &json!({ "mode": "page", "text": [PAGE, "<p>Menu</p>"] }),
    );
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("no article"),
        "{body}"
    );
    let (status, body) =
        server.post_json("/v1/translate", &json!({ "mode": "pages", "text": PAGE }));
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap().contains("\"page\""),
        "{body}"
    );
}

#[test]
fn a_streamed_translation_reports_progress_then_the_same_answer() {
    let server = Server::start(&["--max-queue", "64"]);
    let article = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/corpora/000_5241068be115698e.txt"
    ))
    .unwrap();
    let request = json!({ "text": article, "side_by_side": true });
    let (status, whole) = server.post_json("/v1/translate", &request);
    assert_eq!(status, 200, "{whole}");
    let mut streamed = request.clone();
    streamed["stream"] = json!(true);
    let (status, _, body) = server.post(
        "/v1/translate",
        "application/json",
        streamed.to_string().as_bytes(),
    );
    assert_eq!(status, 200, "{body}");
    let lines: Vec<Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (last, progress) = lines.split_last().unwrap();
    assert!(!progress.is_empty());
    let done: Vec<(u64, u64)> = progress
        .iter()
        .map(|p| {
            (
                p["progress"]["done"].as_u64().unwrap(),
                p["progress"]["total"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(done.windows(2).all(|w| w[0].0 <= w[1].0), "{done:?}");
    assert!(done.iter().all(|&(d, t)| t == 16 && d <= t), "{done:?}");
    assert_eq!(last["translations"], whole["translations"]);
    let table = whole["translations"][0]["side_by_side"].as_str().unwrap();
    assert!(table.starts_with(r#"<table class="side-by-side">"#));
    assert!(
        table.contains(r#"<tr class="kept" title="kept as it is: tags">"#),
        "{table}"
    );

    // Refused before the first line: an ordinary status, not a 200 with an error inside.
    let mut too_big = json!({ "text": "Une phrase. ".repeat(100), "stream": true });
    let (status, _, body) = server.post(
        "/v1/translate",
        "application/json",
        too_big.to_string().as_bytes(),
    );
    assert_eq!(status, 413, "{body}");
    too_big["mode"] = json!("nonsense");
    let (status, _, _) = server.post(
        "/v1/translate",
        "application/json",
        too_big.to_string().as_bytes(),
    );
    assert_eq!(status, 400);
}

#[test]
fn pairs_are_exported_by_the_corpus_writers() {
    let server = Server::start(&[]);
    let pairs = json!([
        {"src": "Le <chat> & moi.", "tgt": "The cat\tand me.", "score": 0.9},
        {"src": "Seul.", "tgt": "", "score": 0.0}
    ]);
    let (status, _, tmx) = server.post(
        "/v1/export",
        "application/json",
        json!({"pairs": pairs, "format": "tmx"})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(status, 200, "{tmx}");
    // The one-sided pair is not a translation unit.
    assert_eq!(tmx.matches("<tu ").count(), 1, "{tmx}");
    assert!(tmx.contains("Le &lt;chat&gt; &amp; moi."), "{tmx}");
    let (status, _, tsv) = server.post(
        "/v1/export",
        "application/json",
        json!({"pairs": pairs, "format": "tsv"})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(status, 200);
    assert_eq!(
        tsv,
        "Le <chat> & moi.\tThe cat\\tand me.\t0.9000\nSeul.\t\t0.0000\n"
    );
    let (status, _, body) = server.post(
        "/v1/export",
        "application/json",
        json!({"pairs": pairs, "format": "docx"})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(status, 400);
    assert!(body.contains("tmx"), "{body}");
    let (status, _, body) = server.post(
        "/v1/export",
        "application/json",
        json!({"pairs": [{"src": 1}]}).to_string().as_bytes(),
    );
    assert_eq!(status, 400);
    assert!(body.contains("pairs[0]"), "{body}");

    let (status, settings) = server.get("/v1/settings");
    assert_eq!(status, 200);
    let settings: Value = serde_json::from_str(&settings).unwrap();
    assert_eq!(
        (
            settings["beams"].as_u64(),
            settings["max_new_tokens"].as_u64()
        ),
        (Some(2), Some(8))
    );
    let (status, aligned) = server.post_json(
        "/v1/align",
        &json!({"source": ["Un.", "Deux.", "Trois, quatre, cinq, six, sept, huit, neuf."], "target": ["One."], "mt": false}),
    );
    assert_eq!(status, 200, "{aligned}");
    let flags: Vec<&Value> = aligned["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["flags"])
        .collect();
    assert!(flags.contains(&&json!(["unaligned"])), "{aligned}");
    let (status, page) = server.get("/");
    assert_eq!(status, 200);
    assert!(page.contains(r#"<label for="fr-text">French text</label>"#));
    for attr in [
        "src=\"http",
        "href=\"http",
        "src=\"//",
        "href=\"//",
        "@import",
    ] {
        assert!(
            !page.contains(attr),
            "nothing loaded from elsewhere: {attr}"
        );
    }
}
