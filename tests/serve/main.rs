//! `entente serve` over real HTTP on a loopback port, with the self-contained checkpoint: the
//! LibreTranslate API and entente's `/v1/`, every error status, concurrent requests whose
//! outputs equal the CLI's, and shutdown with requests in flight.

#[path = "../common/mod.rs"]
mod common;
mod overload;

use common::server::{answer, cli_article, Server};

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The CLI ends its output with a newline; a translated text ends as the request did.
fn same_as_cli(served: &str, cli: &str) -> bool {
    served == cli || format!("{served}\n") == cli
}

/// Articles cut from the repository's sample article: a few paragraphs each, line breaks kept.
fn articles() -> Vec<String> {
    let text =
        std::fs::read_to_string(Path::new(ROOT).join("corpora/000_5241068be115698e.txt")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    lines
        .chunks(3)
        .map(|c| c.join("\n").trim().to_string())
        .filter(|a| !a.is_empty())
        .collect()
}

#[test]
fn libretranslate_requests_translate_as_the_cli_does() {
    let server = Server::start(&[]);
    let article = articles()
        .into_iter()
        .take(3)
        .collect::<Vec<_>>()
        .join("\n\n");
    let cli = cli_article(&article);

    // JSON body, one text.
    let (status, answer) = server.post_json(
        "/translate",
        &json!({"q": article, "source": "fr", "target": "en", "format": "text"}),
    );
    assert_eq!(status, 200, "{answer}");
    let served = answer["translatedText"].as_str().unwrap();
    assert!(same_as_cli(served, &cli), "served {served:?}\ncli {cli:?}");
    assert!(served.contains('\n'), "line breaks kept: {served:?}");

    // A form body, as libretranslatepy sends it.
    let form =
        serde_urlencoded::to_string([("q", article.as_str()), ("source", "fr"), ("target", "en")])
            .unwrap();
    let (status, _, text) = server.post(
        "/translate",
        "application/x-www-form-urlencoded",
        form.as_bytes(),
    );
    assert_eq!(status, 200, "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(answer["translatedText"].as_str().unwrap(), served);

    // A list of texts: a list back, each as the CLI translates it alone.
    let (status, answer) = server.post_json(
        "/translate",
        &json!({"q": ["Le chat dort.", article], "source": "fr", "target": "en"}),
    );
    assert_eq!(status, 200, "{answer}");
    let list = answer["translatedText"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert!(same_as_cli(
        list[0].as_str().unwrap(),
        &cli_article("Le chat dort.")
    ));
    assert_eq!(list[1].as_str().unwrap(), served);

    // source "auto": French is detected and translated; English comes back as it was.
    let (status, answer) = server.post_json(
        "/translate",
        &json!({"q": ["Le président russe a condamné l'influence des États-Unis sur la paix.",
                      "The Russian president condemned the influence of the United States."],
                "source": "auto", "target": "en"}),
    );
    assert_eq!(status, 200, "{answer}");
    let detected = answer["detectedLanguage"].as_array().unwrap();
    assert_eq!(detected[0]["language"], "fr");
    assert_eq!(detected[1]["language"], "en");
    assert!(detected[0]["confidence"].as_f64().unwrap() > 0.0);
    assert_eq!(
        answer["translatedText"][1],
        "The Russian president condemned the influence of the United States."
    );

    // HTML: the paragraph goes to the model whole (its two sentences as an article), the bold
    // comes back around the words its sentence became, the script as it was.
    let html = "<p class=\"lead\">Le chat dort. <b>Le chien aboie.</b></p><script>var x = \"Le chat\";</script>";
    let (status, answer) = server.post_json(
        "/translate",
        &json!({"q": html, "source": "fr", "target": "en", "format": "html"}),
    );
    assert_eq!(status, 200, "{answer}");
    let out = answer["translatedText"].as_str().unwrap();
    let first = cli_article("Le chat dort.");
    let second = cli_article("Le chien aboie.");
    let escape = |s: &str| {
        s.trim_end()
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    assert_eq!(
        out,
        format!(
            "<p class=\"lead\">{} <b>{}</b></p><script>var x = \"Le chat\";</script>",
            escape(&first),
            escape(&second)
        )
    );

    // /languages and /detect.
    let (status, text) = server.get("/languages");
    assert_eq!(status, 200);
    let languages: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        languages[0],
        json!({"code": "fr", "name": "French", "targets": ["en"]})
    );
    let (status, answer) = server.post_json(
        "/detect",
        &json!({"q": "Bonjour, comment allez-vous aujourd'hui ?"}),
    );
    assert_eq!(status, 200);
    assert_eq!(answer[0]["language"], "fr");
}

#[test]
fn concurrent_requests_share_batches_and_each_equals_the_cli() {
    // Batches of 8 that wait up to 50 ms to fill: concurrent requests' sentences share them.
    let server = Arc::new(Server::start(&[
        "--batch-size",
        "8",
        "--batch-wait-ms",
        "50",
    ]));
    let articles = articles();
    assert!(articles.len() >= 8);
    let handles: Vec<_> = articles
        .iter()
        .cloned()
        .map(|article| {
            let server = Arc::clone(&server);
            std::thread::spawn(move || {
                let (status, answer) = server.post_json(
                    "/translate",
                    &json!({"q": article, "source": "fr", "target": "en"}),
                );
                assert_eq!(status, 200, "{answer}");
                (
                    article,
                    answer["translatedText"].as_str().unwrap().to_string(),
                )
            })
        })
        .collect();
    let results: Vec<(String, String)> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    for (article, served) in &results {
        let cli = cli_article(article);
        assert!(
            same_as_cli(served, &cli),
            "{article:?}\nserved {served:?}\ncli {cli:?}"
        );
    }
    let shared = server.metric("entente_shared_batches_total");
    assert!(shared >= 1.0, "no batch mixed requests: {shared}");
    let sentences = server.metric("entente_sentences_translated_total");
    let batches = server.metric("entente_batches_total");
    assert!(
        batches < sentences,
        "{batches} batches for {sentences} sentences"
    );
}

#[test]
fn v1_endpoints_match_the_cli() {
    let server = Server::start(&[]);
    let model = common::selfcontained();
    let model = model.to_str().unwrap();

    // /v1/translate: segments with ids and log-probabilities, as `translate --format jsonl`.
    let text = "Le chat dort. Le chien aboie.\nIl pleut.";
    let (status, answer) = server.post_json("/v1/translate", &json!({"text": text, "beams": 3}));
    assert_eq!(status, 200, "{answer}");
    let mut args = vec![
        "translate",
        "--model",
        model,
        "--input",
        "article",
        "--format",
        "jsonl",
    ];
    args.extend(["--beams", "3", "--max-new-tokens", "8"]);
    let out = common::entente_in(None, &args, text.as_bytes(), &[]);
    let cli: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let segments = answer["translations"][0]["segments"].as_array().unwrap();
    assert_eq!(segments.len(), 3);
    for (i, (s, c)) in segments.iter().zip(&cli).enumerate() {
        assert_eq!(s["id"], i);
        assert_eq!(s["src"], c["src"]);
        assert_eq!(s["ids"], c["ids"]);
        assert_eq!(s["text"], c["text"]);
        assert!((s["logprob"].as_f64().unwrap() - c["logprob"].as_f64().unwrap()).abs() < 1e-3);
    }
    assert_eq!(
        (segments[2]["para"].as_u64(), segments[2]["sent"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(answer["settings"]["beams"], 3);
    assert_eq!(answer["settings"]["precision"], "f32");
    // Options are checked: a clear 400.
    let (status, answer) = server.post_json("/v1/translate", &json!({"text": "Oui.", "beams": 0}));
    assert_eq!(status, 400);
    assert!(
        answer["error"].as_str().unwrap().contains("beams"),
        "{answer}"
    );

    // /v1/segment equals `entente segment --format jsonl`.
    let article = articles().join("\n");
    let (status, answer) = server.post_json("/v1/segment", &json!({"text": article}));
    assert_eq!(status, 200);
    let out = common::entente_in(None, &["segment"], article.as_bytes(), &[]);
    // (The CLI's text output marks paragraphs with blank lines.)
    let cli: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let served: Vec<String> = answer["sentences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(served, cli);

    // /v1/align without MT equals `entente align --no-mt --format jsonl`.
    let dir = tempfile::tempdir().unwrap();
    let (fr, en) = (
        "Le chat dort. Il a 3 ans. Paris est grand.",
        "The cat sleeps. He is 3 years old. Paris is big.",
    );
    std::fs::write(dir.path().join("a.fr"), fr).unwrap();
    std::fs::write(dir.path().join("a.en"), en).unwrap();
    let (status, answer) = server.post_json(
        "/v1/align",
        &json!({"source": fr, "target": en, "mt": false}),
    );
    assert_eq!(status, 200, "{answer}");
    let out = common::entente_in(
        Some(dir.path()),
        &["align", "a.fr", "a.en", "--no-mt", "--format", "jsonl"],
        b"",
        &[],
    );
    let cli: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let pairs = answer["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), cli.len());
    for (p, c) in pairs.iter().zip(&cli) {
        assert_eq!(
            (&p["src"], &p["tgt"], &p["score"]),
            (&c["src"], &c["tgt"], &c["score"])
        );
    }
    // With MT through the server's engine: every sentence in exactly one link.
    let (status, answer) = server.post_json("/v1/align", &json!({"source": fr, "target": en}));
    assert_eq!(status, 200, "{answer}");
    let links = answer["pairs"].as_array().unwrap();
    let covered: usize = links
        .iter()
        .map(|l| l["src_ids"].as_array().unwrap().len())
        .sum();
    assert_eq!(covered, 3);

    // /v1/bleu prints what `entente bleu` prints.
    let hyps = ["The cat sleeps on the mat.", "It is raining today."];
    let refs = ["The cat sleeps on a mat.", "Today it rains."];
    std::fs::write(dir.path().join("hyp"), hyps.join("\n") + "\n").unwrap();
    std::fs::write(dir.path().join("ref"), refs.join("\n") + "\n").unwrap();
    let out = common::entente_in(
        Some(dir.path()),
        &[
            "bleu", "-r", "ref", "-i", "hyp", "-m", "bleu", "chrf", "ter",
        ],
        b"",
        &[],
    );
    let (status, answer) = server.post_json(
        "/v1/bleu",
        &json!({"hypotheses": hyps, "references": refs, "metrics": ["bleu", "chrf", "ter"]}),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["output"].as_str().unwrap(),
        String::from_utf8(out.stdout).unwrap()
    );
    let (status, answer) = server.post_json(
        "/v1/bleu",
        &json!({"hypotheses": ["a"], "references": ["a", "b"]}),
    );
    assert_eq!(status, 400);
    assert!(
        answer["error"].as_str().unwrap().contains("line-aligned"),
        "{answer}"
    );

    // /health.
    let (status, text) = server.get("/health");
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["status"],
        "ok"
    );
}

#[test]
fn bad_requests_get_clear_errors_and_the_server_stays_up() {
    let server = Server::start(&["--char-limit", "200", "--body-limit", "2K"]);
    let error = |status: u16, text: &str, want: &str, expect: u16| {
        assert_eq!(status, expect, "{text}");
        let v: Value = serde_json::from_str(text).unwrap_or_else(|_| panic!("not JSON: {text}"));
        let message = v["error"].as_str().unwrap();
        assert!(message.contains(want), "{message:?} lacks {want:?}");
    };
    let cases: Vec<(&str, &str, Vec<u8>, &str, u16)> = vec![
        ("/translate", "application/json", b"{\"q\": \"Oui\", ".to_vec(), "invalid JSON", 400),
        ("/translate", "application/json", b"[1, 2]".to_vec(), "JSON object", 400),
        ("/translate", "application/json", br#"{"q": 3, "source": "fr", "target": "en"}"#.to_vec(), "q must be a string", 400),
        ("/translate", "application/json", br#"{"q": ["a", 2], "source": "fr", "target": "en"}"#.to_vec(), "q[1] must be a string", 400),
        ("/translate", "application/json", br#"{"source": "fr", "target": "en"}"#.to_vec(), "missing q", 400),
        ("/translate", "application/json", br#"{"q": "", "source": "fr", "target": "en"}"#.to_vec(), "q is empty", 400),
        ("/translate", "application/json", br#"{"q": [], "source": "fr", "target": "en"}"#.to_vec(), "q is empty", 400),
        ("/translate", "application/json", br#"{"q": "Oui", "source": "de", "target": "en"}"#.to_vec(), "not supported", 400),
        ("/translate", "application/json", br#"{"q": "Oui", "source": "fr", "target": "es"}"#.to_vec(), "not supported", 400),
        ("/translate", "application/json", br#"{"q": "Oui", "target": "en"}"#.to_vec(), "missing source", 400),
        ("/translate", "application/json", br#"{"q": "Oui", "source": "fr", "target": "en", "format": "pdf"}"#.to_vec(), "format", 400),
        ("/translate", "application/json", b"{\"q\": \"caf\xe9\"}".to_vec(), "not valid UTF-8 (byte offset 10)", 400),
        ("/translate", "application/x-www-form-urlencoded", b"q=%FF&source=fr&target=en".to_vec(), "invalid form body", 400),
        ("/translate", "multipart/form-data; boundary=x", b"--x--".to_vec(), "multipart", 415),
        ("/translate", "application/json", json!({"q": "é".repeat(201), "source": "fr", "target": "en"}).to_string().into_bytes(), "exceeds text limit (200)", 400),
        ("/translate", "application/json", json!({"q": "a".repeat(3000), "source": "fr", "target": "en"}).to_string().into_bytes(), "larger than the server's limit", 413),
        ("/v1/translate", "application/json", br#"{"text": "Oui.", "max_new_tokens": "many"}"#.to_vec(), "max_new_tokens must be a whole number", 400),
        ("/v1/translate", "application/json", br#"{"text": "Oui.", "repetition_penalty": -1}"#.to_vec(), "repetition_penalty", 400),
        ("/v1/bleu", "application/json", br#"{"hypotheses": "a", "references": ["a"]}"#.to_vec(), "hypotheses must be a list", 400),
        ("/v1/bleu", "application/json", br#"{"hypotheses": ["a"], "references": ["a"], "metrics": ["meteor"]}"#.to_vec(), "unknown metric", 400),
        ("/v1/bleu", "application/json", br#"{"hypotheses": ["a"], "references": ["a"], "confidence": true, "confidence_n": 100000000}"#.to_vec(), "confidence_n", 400),
        ("/v1/segment", "application/json", br#"{"text": null}"#.to_vec(), "missing text", 400),
        ("/nowhere", "application/json", b"{}".to_vec(), "no such endpoint", 404),
    ];
    for (path, content_type, body, want, expect) in cases {
        let (status, _, text) = server.post(path, content_type, &body);
        error(status, &text, want, expect);
    }
    // Still serving.
    let (status, answer) = server.post_json(
        "/translate",
        &json!({"q": "Oui.", "source": "fr", "target": "en"}),
    );
    assert_eq!(status, 200, "{answer}");
    assert!(
        server.metric("entente_http_requests_total{endpoint=\"translate\",status=\"400\"}") >= 10.0
    );
}

#[test]
fn api_keys_and_rate_limits() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.txt");
    std::fs::write(&keys, "# newsroom\nnewsroom-key\nintern-key 2\n").unwrap();
    let server = Server::start(&["--api-keys", keys.to_str().unwrap(), "--req-limit", "100"]);
    let request = |key: Option<&str>| {
        let mut body = json!({"q": "Oui.", "source": "fr", "target": "en"});
        if let Some(k) = key {
            body["api_key"] = k.into();
        }
        server.post(
            "/translate",
            "application/json",
            body.to_string().as_bytes(),
        )
    };
    let (status, _, text) = request(None);
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("API key is required"), "{text}");
    let (status, _, text) = request(Some("guess"));
    assert_eq!(
        (status, text.as_str()),
        (403, "{\"error\":\"Invalid API key\"}")
    );
    for _ in 0..3 {
        assert_eq!(request(Some("newsroom-key")).0, 200);
    }
    // The intern's own limit: 2 per minute; the third gets 429 with Retry-After.
    assert_eq!(request(Some("intern-key")).0, 200);
    assert_eq!(request(Some("intern-key")).0, 200);
    let (status, retry, text) = request(Some("intern-key"));
    assert_eq!(status, 429, "{text}");
    let wait: u64 = retry.expect("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(text.contains("at most 2 per minute"), "{text}");
    // Others are not affected.
    assert_eq!(request(Some("newsroom-key")).0, 200);

    // A broken key file stops the server before it listens.
    std::fs::write(&keys, "k 0\n").unwrap();
    let model = common::selfcontained();
    let out = common::entente_in(
        None,
        &[
            "serve",
            "--model",
            model.to_str().unwrap(),
            "--port",
            "0",
            "--api-keys",
            keys.to_str().unwrap(),
        ],
        b"",
        &[],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("keys.txt:1"));
}
