//! `serve` under load and at its limits: a full queue answers 503 and recovers, a request
//! over its time is answered 503 with its sentences dropped, SIGTERM answers the requests in
//! flight before exiting.

use super::*;

#[test]
fn a_full_queue_answers_503_and_the_server_recovers() {
    // Sentences wait up to 2 s for a batch of 64 to fill, and at most 3 may wait.
    let server = Arc::new(Server::start(&[
        "--batch-size",
        "64",
        "--batch-wait-ms",
        "2000",
        "--max-queue",
        "3",
        "--timeout",
        "30",
    ]));
    let three = "Le chat dort. Le chien aboie. Il pleut.";
    let first = {
        let server = Arc::clone(&server);
        std::thread::spawn(move || {
            server.post_json(
                "/translate",
                &json!({"q": three, "source": "fr", "target": "en"}),
            )
        })
    };
    // Wait until its sentences are queued.
    let start = Instant::now();
    while server.metric("entente_queue_depth") < 3.0 {
        assert!(start.elapsed() < Duration::from_secs(10), "never queued");
        std::thread::sleep(Duration::from_millis(20));
    }
    let (status, retry, text) = server.post(
        "/translate",
        "application/json",
        json!({"q": "Oui.", "source": "fr", "target": "en"})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(status, 503, "{text}");
    assert_eq!(retry.as_deref(), Some("1"));
    assert!(text.contains("queue is full"), "{text}");
    // More sentences than the queue can ever hold: 413, not a retry loop.
    let (status, _, text) = server.post(
        "/translate",
        "application/json",
        json!({"q": "Un. Deux. Trois. Quatre.", "source": "fr", "target": "en"})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(status, 413, "{text}");
    let (status, answer) = first.join().unwrap();
    assert_eq!(status, 200, "{answer}");
    assert!(same_as_cli(
        answer["translatedText"].as_str().unwrap(),
        &cli_article(three)
    ));
    // Recovered.
    let (status, _) = server.post_json(
        "/translate",
        &json!({"q": "Oui.", "source": "fr", "target": "en"}),
    );
    assert_eq!(status, 200);
}

#[test]
fn a_request_over_its_time_gets_503_and_its_sentences_are_dropped() {
    let server = Server::start(&[
        "--batch-size",
        "64",
        "--batch-wait-ms",
        "3000",
        "--timeout",
        "0.3",
    ]);
    let start = Instant::now();
    let (status, retry, text) = server.post(
        "/translate",
        "application/json",
        json!({"q": "Le chat dort.", "source": "fr", "target": "en"})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(status, 503, "{text}");
    assert!(
        text.contains("longer than the server's limit of 0.3 s"),
        "{text}"
    );
    assert!(retry.is_some());
    assert!(start.elapsed() < Duration::from_secs(2));
    // The abandoned sentence is dropped, not translated: wait for the drop itself (the engine
    // looks at the queue again when the batch wait ends), then nothing was translated.
    let waiting = Instant::now();
    while server.metric("entente_sentences_dropped_total") < 1.0 {
        assert!(
            waiting.elapsed() < Duration::from_secs(20),
            "the abandoned sentence was never dropped"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(server.metric("entente_sentences_dropped_total"), 1.0);
    assert_eq!(server.metric("entente_sentences_translated_total"), 0.0);
    assert_eq!(server.metric("entente_queue_depth"), 0.0);
}

#[test]
fn sigterm_answers_the_requests_in_flight_then_exits() {
    // Batches wait (up to 5 s) to fill, so every request's sentences are still queued when the
    // last one has arrived: that, not a guessed delay, is when SIGTERM is sent.
    let mut server = Server::start(&["--batch-size", "1024", "--batch-wait-ms", "5000"]);
    let base = server.base.clone();
    let articles = articles();
    let handles: Vec<_> = articles
        .iter()
        .take(6)
        .cloned()
        .map(|article| {
            let base = base.clone();
            std::thread::spawn(move || {
                let body = json!({"q": article, "source": "fr", "target": "en"}).to_string();
                let (status, _, text) = answer(
                    ureq::post(&format!("{base}/translate"))
                        .set("Content-Type", "application/json")
                        .send_string(&body),
                );
                (status, text)
            })
        })
        .collect();
    // The sentences the six requests queue: the prose of each article, as the server plans it.
    let queued: usize = articles
        .iter()
        .take(6)
        .map(|a| {
            entente::translate::ArticlePlan::new(a)
                .sources()
                .iter()
                .filter(|s| !s.trim().is_empty())
                .count()
        })
        .sum();
    let waiting = Instant::now();
    while server.metric("entente_queue_depth") < queued as f64 {
        assert!(
            waiting.elapsed() < Duration::from_secs(20),
            "the six requests never all queued ({queued} sentences)"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let pid = server.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    for h in handles {
        let (status, text) = h.join().unwrap();
        assert_eq!(status, 200, "{text}");
        let v: Value = serde_json::from_str(&text).unwrap();
        assert!(!v["translatedText"].as_str().unwrap().is_empty());
    }
    let start = Instant::now();
    let code = loop {
        if let Some(code) = server.child.try_wait().unwrap() {
            break code;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "still running after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(code.success(), "{code:?}");
    // The reader thread collects the last lines: wait for them, not for a guessed delay.
    let waiting = Instant::now();
    let log = loop {
        let log = server.stderr.lock().unwrap().clone();
        if log.contains("stopped") || waiting.elapsed() > Duration::from_secs(10) {
            break log;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(
        log.contains("shutting down") && log.contains("stopped"),
        "{log}"
    );
    // No longer listening.
    assert!(ureq::get(&format!("{base}/health")).call().is_err());
}
