//! The pipeline on web articles, with the self-contained test model: the sample scraped article
//! (its corpus holds no teaser, hashtag, credit or age line; its English article keeps them, in
//! place and untranslated), saved pages, a WARC crawl and a manifest record's `html`, with the
//! article's metadata in pairs.jsonl, the TMX and the report; and `translate --input page`.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Output;

use serde_json::Value;

fn pipeline(args: &[&str], out: &Path) -> Output {
    let model = common::selfcontained().display().to_string();
    let mut all = vec!["pipeline"];
    all.extend_from_slice(args);
    all.extend_from_slice(&[
        "-o",
        out.to_str().unwrap(),
        "--model",
        &model,
        "--beams",
        "1",
        "--max-new-tokens",
        "4",
        "--quiet",
    ]);
    common::entente_in(None, &all, b"", &[])
}

fn json_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn the_sample_articles_corpus_holds_only_its_prose() {
    // The sample article ships with the repository.
    let sample =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora/000_5241068be115698e.txt");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::copy(&sample, input.join("article.txt")).unwrap();
    let out = dir.path().join("out");
    let run = pipeline(&[input.to_str().unwrap()], &out);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let corpus = std::fs::read_to_string(out.join("corpus.fr")).unwrap();
    for furniture in [
        "il y a 2 ans",
        "#LaRussie",
        "ALEXEI DRUZININE/AP",
        "Lire aussi",
        "Recommandée",
    ] {
        assert!(
            !corpus.contains(furniture),
            "{furniture:?} entered the corpus"
        );
    }
    let tmx = std::fs::read_to_string(out.join("corpus.tmx")).unwrap();
    assert!(!tmx.contains("Lire aussi") && !tmx.contains("#LaRussie"));
    // The prose is there, the headline and the caption included.
    assert!(corpus.contains("La Russie et la Chine s'opposent conjointement"));
    assert!(corpus.contains("à Pékin le 4 février 2022."));
    // The English article keeps the furniture verbatim, where it was.
    let english = std::fs::read_to_string(out.join("docs/article.en.txt")).unwrap();
    let blocks: Vec<&str> = english.trim_end().split("\n\n").collect();
    assert_eq!(blocks[1], "• il y a 2 ans");
    assert_eq!(
        blocks[3],
        "#LaRussie #Chinesopposent #conjointementlélargissement #lOTAN"
    );
    assert_eq!(blocks[5], "ALEXEI DRUZININE/AP");
    assert!(blocks[8].starts_with("Lire aussi l'article réservé à nos abonnés"));
    assert_eq!(*blocks.last().unwrap(), "Recommandée");
    // Each kind removed, counted; the cut last paragraph flagged.
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let removed = &report["documents"][0]["removed"];
    assert_eq!(removed["teaser"], 3);
    assert_eq!(
        (
            removed["tags"].as_u64(),
            removed["credit"].as_u64(),
            removed["dateline"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    let pairs = json_lines(&out.join("pairs.jsonl"));
    let last = pairs.last().unwrap();
    assert!(last["fr"].as_str().unwrap().ends_with("(7 % de la de"));
    assert!(last["flags"]
        .as_array()
        .unwrap()
        .contains(&Value::from("truncated")));
    assert_eq!(pairs[0]["kind"], "title");
    assert_eq!(
        pairs[0]["title"],
        "La Russie et la Chine s'opposent conjointement à l'élargissement de l'OTAN"
    );
}

const PAGE: &str = r#"<html lang="fr"><head><title>Le budget – Le Journal</title>
<link rel="canonical" href="https://journal.example/budget">
<meta property="og:site_name" content="Le Journal"><meta name="date" content="2024-03-05"></head>
<body><h1>Le conseil vote le budget</h1><article>
<p>Le conseil municipal a voté mardi soir un budget en hausse, après un long débat.</p>
<p>À lire aussi : Les écoles attendent leurs travaux</p>
<p>L'opposition a dénoncé une hausse des impôts locaux, que la majorité conteste.</p>
</article></body></html>"#;

fn record(uri: &str, page: &str) -> Vec<u8> {
    let payload =
        format!("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{page}");
    let mut r = format!(
        "WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: {uri}\r\nContent-Type: application/http; msgtype=response\r\nContent-Length: {}\r\n\r\n",
        payload.len()
    )
    .into_bytes();
    r.extend_from_slice(payload.as_bytes());
    r.extend_from_slice(b"\r\n\r\n");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&r).unwrap();
    gz.finish().unwrap()
}

#[test]
fn pages_crawls_and_manifest_html_go_through_with_their_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::write(input.join("budget.html"), PAGE).unwrap();
    let mut crawl = record("https://journal.example/a", PAGE);
    crawl.extend(record(
        "https://journal.example/b",
        &PAGE.replace("budget en hausse", "budget en baisse"),
    ));
    std::fs::write(input.join("crawl.warc.gz"), crawl).unwrap();
    let manifest = dir.path().join("articles.jsonl");
    std::fs::write(
        &manifest,
        serde_json::json!({"id": "m1", "html": PAGE, "outlet": "Le Journal"}).to_string() + "\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = pipeline(
        &[
            input.to_str().unwrap(),
            "--manifest",
            manifest.to_str().unwrap(),
        ],
        &out,
    );
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{err}");
    assert!(err.contains("4 documents: 4 processed"), "{err}");
    let pairs = json_lines(&out.join("pairs.jsonl"));
    let docs: std::collections::BTreeSet<&str> =
        pairs.iter().map(|p| p["doc"].as_str().unwrap()).collect();
    assert_eq!(
        docs.into_iter().collect::<Vec<_>>(),
        ["budget", "crawl/000001", "crawl/000002", "m1"]
    );
    for p in &pairs {
        assert!(!p["fr"].as_str().unwrap().contains("lire aussi"), "{p}");
        assert_eq!(p["title"], "Le conseil vote le budget");
        assert_eq!(p["site"], "Le Journal");
    }
    let crawl_b = pairs.iter().find(|p| p["doc"] == "crawl/000002").unwrap();
    // A crawl record's URL is where it was captured, not what the page calls itself.
    assert_eq!(crawl_b["url"], "https://journal.example/b");
    let crawl_b_says = |text: &str| {
        pairs
            .iter()
            .any(|p| p["doc"] == "crawl/000002" && p["fr"].as_str().unwrap().contains(text))
    };
    assert!(crawl_b_says("budget en baisse") && !crawl_b_says("budget en hausse"));
    // The headline, outside the page's <article>, is translated too, first.
    for doc in ["budget", "crawl/000001", "m1"] {
        let first = pairs.iter().find(|p| p["doc"] == doc).unwrap();
        assert_eq!(
            (first["kind"].as_str(), first["fr"].as_str()),
            (Some("title"), Some("Le conseil vote le budget"))
        );
    }
    let m1 = pairs.iter().find(|p| p["doc"] == "m1").unwrap();
    assert_eq!(m1["outlet"], "Le Journal");
    let tmx = std::fs::read_to_string(out.join("corpus.tmx")).unwrap();
    assert!(
        tmx.contains(r#"<prop type="x-title">Le conseil vote le budget</prop>"#),
        "{tmx}"
    );
    assert!(tmx.contains(r#"<prop type="x-date">2024-03-05</prop>"#));
    let english = std::fs::read_to_string(out.join("docs/budget.en.txt")).unwrap();
    assert!(
        english.contains("À lire aussi : Les écoles attendent leurs travaux"),
        "{english}"
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let budget = report["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == "budget")
        .unwrap();
    assert_eq!(budget["removed"]["teaser"], 1);
    assert_eq!(budget["article"]["url"], "https://journal.example/budget");
}

/// `entente translate --input page` is `extract` then `translate --input article` on the
/// article's blocks, one per line: the same code, so the same output.
#[test]
fn translate_reads_a_page_as_extract_then_article_mode() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("budget.html");
    std::fs::write(&page, PAGE).unwrap();
    let model = common::selfcontained().display().to_string();
    let search = [
        "--model",
        model.as_str(),
        "--beams",
        "1",
        "--max-new-tokens",
        "4",
    ];
    let mut args = vec!["translate", "--input", "page", page.to_str().unwrap()];
    args.extend_from_slice(&search);
    let paged = common::entente_in(None, &args, b"", &[]);
    assert!(
        paged.status.success(),
        "{}",
        String::from_utf8_lossy(&paged.stderr)
    );
    let english = String::from_utf8(paged.stdout).unwrap();

    let extracted = common::entente_in(None, &["extract", page.to_str().unwrap()], b"", &[]);
    let article: Value = serde_json::from_slice(&extracted.stdout).unwrap();
    let blocks: Vec<&str> = article["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["text"].as_str().unwrap())
        .collect();
    assert_eq!(blocks.len(), 4, "{article}");
    let mut args = vec!["translate", "--input", "article", "-"];
    args.extend_from_slice(&search);
    let by_lines = common::entente_in(None, &args, blocks.join("\n").as_bytes(), &[]);
    assert!(by_lines.status.success());
    assert_eq!(english, String::from_utf8(by_lines.stdout).unwrap());
    let lines: Vec<&str> = english.lines().collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(
        lines[2],
        "À lire aussi : Les écoles attendent leurs travaux"
    );
    assert_ne!(lines[0], blocks[0], "the headline is translated");

    // A page with no article, and a crawl of two pages, are refused with what to do.
    std::fs::write(
        dir.path().join("empty.html"),
        "<html><body><nav>Menu</nav></body></html>",
    )
    .unwrap();
    let mut args = vec!["translate", "--input", "page", "empty.html"];
    args.extend_from_slice(&search);
    let empty = common::entente_in(Some(dir.path()), &args, b"", &[]);
    let err = String::from_utf8_lossy(&empty.stderr);
    assert!(
        !empty.status.success() && err.contains("empty.html") && err.contains("no article"),
        "{err}"
    );
    let mut crawl = record("https://journal.example/a", PAGE);
    crawl.extend(record("https://journal.example/b", PAGE));
    std::fs::write(dir.path().join("crawl.warc.gz"), crawl).unwrap();
    args[3] = "crawl.warc.gz";
    let several = common::entente_in(Some(dir.path()), &args, b"", &[]);
    let err = String::from_utf8_lossy(&several.stderr);
    assert!(
        !several.status.success() && err.contains("entente pipeline"),
        "{err}"
    );
}

fn respond(path: &str, stream: &mut std::net::TcpStream) {
    let (head, body) = match path {
        "/budget" => (
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

/// A URL list: each URL a document, fetched once when the run starts; one that fails is
/// reported and skipped, the others finish (exit 3).
#[test]
fn a_url_list_gives_a_document_per_url_and_a_failure_is_named() {
    let base = common::page_server(respond);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::write(
        input.join("news.urls"),
        format!("# a comment\n{base}/budget\n{base}/gone\n"),
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = pipeline(&[input.to_str().unwrap()], &out);
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(3), "{err}");
    assert!(err.contains("404") && err.contains("/gone"), "{err}");
    let pairs = json_lines(&out.join("pairs.jsonl"));
    assert!(!pairs.is_empty());
    for p in &pairs {
        assert_eq!(p["doc"], "news/00001");
        assert_eq!(p["url"], format!("{base}/budget"));
    }
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let failed = report["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{report}");
    assert_eq!(failed[0]["error"], "HTTP 404 Not Found");
    assert_eq!(failed[0]["id"], "news/00002");
}
