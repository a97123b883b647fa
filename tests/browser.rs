//! The server's page in a real browser: headless Chromium driven over WebDriver (Debian's
//! `chromium` and `chromium-driver`), against `entente serve` on a loopback port with the
//! self-contained test model. What the page shows is checked against the CLI on the same input:
//! the English of a pasted article against `translate --input article`, a picked page against
//! `translate --input page`, the pairs of two texts against `align`, the scores against `bleu`;
//! and errors (a 413, a stopped server) are shown in words. Each test saves a screenshot under
//! `target/browser-screenshots/`.
//!
//! Without a browser the tests say SKIPPED and pass; `ENTENTE_REQUIRE_BROWSER=1` (set by
//! `.ci/run`) makes that a failure. `CHROMIUM` and `CHROMEDRIVER` name the binaries when they are
//! not `/usr/bin/chromium` and `chromedriver` on the PATH.

mod common;

use std::path::Path;

use common::browser::{browser, browser_with, screenshot, until};
use common::server::{Server, SEARCH};
use fantoccini::actions::{InputSource, MouseActions, PointerAction};
use fantoccini::{Client, Locator};
use serde_json::json;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const SAMPLE: &str = "corpora/000_5241068be115698e.txt";

async fn text_of(client: &Client, id: &str) -> String {
    client
        .find(Locator::Id(id))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Put `text` into a field the way a paste does: all at once, then an `input` event.
async fn paste(client: &Client, id: &str, text: &str) {
    client
        .execute(
            "const f = document.getElementById(arguments[0]); f.focus(); f.value = arguments[1]; \
             f.dispatchEvent(new Event('input', {bubbles: true}));",
            vec![json!(id), json!(text)],
        )
        .await
        .unwrap();
}

/// The English column of the side-by-side table, a row per line.
async fn english_rows(client: &Client) -> Vec<String> {
    let rows = client
        .execute(
            "return Array.from(document.querySelectorAll('#side-by-side td.en')).map(td => td.textContent);",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(rows).unwrap()
}

fn cli(args: &[&str], stdin: &[u8]) -> String {
    let out = common::entente_in(Some(Path::new(ROOT)), args, stdin, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn cli_translate(mode: &str, input: &str) -> String {
    let model = common::selfcontained().display().to_string();
    let mut args = vec!["translate", "--input", mode, input, "--model", &model];
    args.extend_from_slice(&SEARCH);
    cli(&args, b"")
}

fn non_blank(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

async fn translate_and_wait(client: &Client) {
    client
        .find(Locator::Css("button#translate"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(
        client,
        "!document.getElementById('english').hidden || !document.getElementById('translate-error').hidden",
    )
    .await;
    let error = text_of(client, "translate-error").await;
    assert!(error.is_empty(), "the page shows an error: {error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_article_pasted_is_translated_side_by_side_as_the_cli_does() {
    let Some(b) = browser("an_article_pasted_is_translated_side_by_side_as_the_cli_does").await
    else {
        return;
    };
    let server = Server::start(&[]);
    let c = &b.client;
    c.goto(&format!("{}/", server.base)).await.unwrap();
    // The controls are found by their accessible names.
    let label = c.find(Locator::Css("label[for=fr-text]")).await.unwrap();
    assert_eq!(label.text().await.unwrap(), "French text");
    let region = c
        .find(Locator::Css("[aria-label='English translation']"))
        .await
        .unwrap();
    assert_eq!(region.attr("id").await.unwrap().as_deref(), Some("english"));
    until(c, "document.getElementById('opt-beams').value === '2'").await;

    let article = std::fs::read_to_string(Path::new(ROOT).join(SAMPLE)).unwrap();
    paste(c, "fr-text", &article).await;
    translate_and_wait(c).await;
    let expected = cli_translate("article", SAMPLE);
    assert_eq!(english_rows(c).await, non_blank(&expected));
    let english = c
        .execute("return window.entente.english;", vec![])
        .await
        .unwrap();
    assert_eq!(english.as_str().unwrap(), expected.trim_end_matches('\n'));
    let shown = text_of(c, "progress-text").await;
    assert!(shown.ends_with("/ 16 sentences"), "{shown}");
    // Kept lines are marked, never paired with a translation.
    let kept = c
        .execute("return Array.from(document.querySelectorAll('#side-by-side tr.kept td.en')).map(t => t.textContent);", vec![])
        .await
        .unwrap();
    assert!(
        kept.as_array().unwrap().contains(&json!("• il y a 2 ans")),
        "{kept}"
    );

    // A French sentence lit with its English on hover, and on keyboard focus.
    let french = c
        .find(Locator::Css("#side-by-side td.fr span.s[data-pair='2']"))
        .await
        .unwrap();
    let hover = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
        element: french.clone(),
        duration: None,
        x: 0.0,
        y: 0.0,
    });
    c.perform_actions(hover).await.unwrap();
    let lit = "document.querySelector(\"#side-by-side td.en span.s[data-pair='2']\").classList.contains('on')";
    assert_eq!(until(c, lit).await, json!(true));
    screenshot(c, "translate").await;
    c.execute(
        "document.querySelector(\"#side-by-side td.fr span.s[data-pair='5']\").focus();",
        vec![],
    )
    .await
    .unwrap();
    let lit = lit.replace("'2'", "'5'");
    assert_eq!(until(c, &lit).await, json!(true));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_file_and_a_picked_page_are_translated() {
    let Some(b) = browser("a_dropped_file_and_a_picked_page_are_translated").await else {
        return;
    };
    let server = Server::start(&[]);
    let c = &b.client;
    c.goto(&format!("{}/", server.base)).await.unwrap();
    // A text file dropped on the French field: the browser builds the File, the page's drop
    // handler reads it.
    let article = std::fs::read_to_string(Path::new(ROOT).join(SAMPLE)).unwrap();
    c.execute(
        "const data = new DataTransfer(); \
         data.items.add(new File([arguments[0]], 'article.txt', {type: 'text/plain'})); \
         const zone = document.querySelector('.drop[data-target=fr-text]'); \
         zone.dispatchEvent(new DragEvent('dragover', {dataTransfer: data, bubbles: true, cancelable: true})); \
         zone.dispatchEvent(new DragEvent('drop', {dataTransfer: data, bubbles: true, cancelable: true}));",
        vec![json!(article)],
    )
    .await
    .unwrap();
    until(c, "document.getElementById('fr-text').value.length > 1000").await;
    translate_and_wait(c).await;
    assert_eq!(
        english_rows(c).await,
        non_blank(&cli_translate("article", SAMPLE))
    );

    // A saved page picked with the file control: its article extracted, furniture kept.
    let page = Path::new(ROOT).join("tests/fixtures/web/conseil.html");
    let picker = c.find(Locator::Id("fr-file")).await.unwrap();
    picker.send_keys(page.to_str().unwrap()).await.unwrap();
    until(
        c,
        "document.getElementById('fr-file-name').textContent.includes('conseil.html')",
    )
    .await;
    c.execute("document.getElementById('english').hidden = true;", vec![])
        .await
        .unwrap();
    translate_and_wait(c).await;
    let expected = cli_translate("page", "tests/fixtures/web/conseil.html");
    let rows = english_rows(c).await;
    assert_eq!(rows, non_blank(&expected));
    assert!(rows.contains(
        &"Lire aussi : Les écoles de la ville attendent leurs travaux depuis dix ans".to_string()
    ));
    screenshot(c, "page").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_texts_aligned_and_scored_as_the_cli_does() {
    let Some(b) = browser("two_texts_aligned_and_scored_as_the_cli_does").await else {
        return;
    };
    let server = Server::start(&[]);
    let c = &b.client;
    c.goto(&format!("{}/", server.base)).await.unwrap();
    let fr = "Le conseil a voté le budget mardi. Les débats ont duré six heures.\n\
              L'opposition a voté contre. Le maire s'est félicité du résultat.\n";
    let en = "The council passed the budget on Tuesday. The debate lasted six hours.\n\
              The opposition voted against. The mayor welcomed the result.\n";
    let dir = tempfile::tempdir().unwrap();
    let (fr_path, en_path) = (dir.path().join("a.fr"), dir.path().join("a.en"));
    std::fs::write(&fr_path, fr).unwrap();
    std::fs::write(&en_path, en).unwrap();

    c.find(Locator::Id("tab-align"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    paste(c, "al-fr", fr).await;
    paste(c, "al-en", en).await;
    c.find(Locator::Id("al-mt"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap(); // no MT: as --no-mt
    c.find(Locator::Css("button#align"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(c, "!document.getElementById('align-result').hidden").await;
    let tsv = cli(
        &[
            "align",
            "--no-mt",
            fr_path.to_str().unwrap(),
            en_path.to_str().unwrap(),
        ],
        b"",
    );
    let rows = c.find_all(Locator::Css("#align-rows tr")).await.unwrap();
    assert_eq!(rows.len(), tsv.lines().count());
    assert_eq!(rows.len(), 4);
    let first = rows[0].find_all(Locator::Css("td")).await.unwrap();
    let cells = [
        first[1].text().await.unwrap(),
        first[2].text().await.unwrap(),
    ];
    let tsv_first: Vec<&str> = tsv.lines().next().unwrap().split('\t').collect();
    assert_eq!(cells, [tsv_first[0], tsv_first[1]]);
    screenshot(c, "align").await;

    c.find(Locator::Id("tab-score"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let hyps = "The council voted the budget Tuesday.\nDebates lasted six hours.\n";
    let refs = "The council passed the budget on Tuesday.\nThe debate lasted six hours.\n";
    paste(c, "sc-hyp", hyps).await;
    paste(c, "sc-ref", refs).await;
    c.find(Locator::Css("button#score"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(c, "!document.getElementById('score-output').hidden").await;
    let (hyp_path, ref_path) = (dir.path().join("h.en"), dir.path().join("r.en"));
    std::fs::write(&hyp_path, hyps).unwrap();
    std::fs::write(&ref_path, refs).unwrap();
    let printed = cli(
        &[
            "bleu",
            "-r",
            ref_path.to_str().unwrap(),
            "-i",
            hyp_path.to_str().unwrap(),
            "-m",
            "bleu",
            "chrf",
            "ter",
        ],
        b"",
    );
    let shown = c
        .execute(
            "return document.getElementById('score-output').textContent;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(shown.as_str().unwrap().trim_end(), printed.trim_end());
    screenshot(c, "score").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_are_shown_in_words() {
    let Some(b) = browser("errors_are_shown_in_words").await else {
        return;
    };
    let mut server = Server::start(&["--body-limit", "2000"]);
    let c = &b.client;
    c.goto(&format!("{}/", server.base)).await.unwrap();
    let button = c.find(Locator::Css("button#translate")).await.unwrap();
    button.click().await.unwrap();
    let nothing = text_of(c, "translate-error").await;
    assert!(nothing.contains("Paste a French text"), "{nothing}");

    paste(c, "fr-text", &"Le conseil a voté le budget. ".repeat(200)).await;
    button.click().await.unwrap();
    let shown = until(c, "document.getElementById('translate-error').textContent").await;
    assert!(shown.as_str().unwrap().contains("too large"), "{shown}");
    screenshot(c, "too-large").await;

    let _ = server.child.kill();
    let _ = server.child.wait();
    paste(c, "fr-text", "Le conseil a voté le budget.").await;
    c.execute(
        "document.getElementById('translate-error').textContent = '';",
        vec![],
    )
    .await
    .unwrap();
    button.click().await.unwrap();
    let shown = until(c, "document.getElementById('translate-error').textContent").await;
    assert!(
        shown.as_str().unwrap().contains("does not answer"),
        "{shown}"
    );
    screenshot(c, "server-stopped").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn with_a_slow_network_progress_shows_and_one_request_goes() {
    let Some(b) = browser("with_a_slow_network_progress_shows_and_one_request_goes").await else {
        return;
    };
    let server = Server::start(&[]);
    let c = &b.client;
    c.goto(&format!("{}/", server.base)).await.unwrap();
    // Every network call of the page held back 2 s, and the translation requests counted.
    c.execute(
        "window.sent = 0; const real = window.fetch; \
         window.fetch = function (url, options) { \
           if (String(url).includes('/v1/translate')) window.sent += 1; \
           return new Promise(r => setTimeout(r, 2000)).then(() => real(url, options)); };",
        vec![],
    )
    .await
    .unwrap();
    paste(
        c,
        "fr-text",
        "Le conseil a voté le budget mardi soir. L'opposition a voté contre.",
    )
    .await;
    let button = c.find(Locator::Css("button#translate")).await.unwrap();
    button.click().await.unwrap();
    // Pressed again, and Ctrl+Enter in the text: still one request.
    let _ = button.click().await;
    c.execute(
        "document.getElementById('fr-text').dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', ctrlKey: true}));",
        vec![],
    )
    .await
    .unwrap();
    let busy = c
        .execute(
            "return [document.getElementById('translate').disabled, !document.getElementById('progress-box').hidden, document.getElementById('progress-text').textContent];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(busy[0], json!(true), "{busy}");
    assert_eq!(busy[1], json!(true), "{busy}");
    screenshot(c, "slow-progress").await;
    until(c, "!document.getElementById('english').hidden").await;
    let sent = c.execute("return window.sent;", vec![]).await.unwrap();
    assert_eq!(sent, json!(1));
    assert_eq!(text_of(c, "progress-text").await, "2 / 2 sentences");

    // Cancel while the request is held back: said so, and the page is ready again.
    button.click().await.unwrap();
    c.find(Locator::Id("cancel"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let shown = until(c, "document.getElementById('translate-error').textContent").await;
    assert_eq!(shown, json!("Cancelled."));
    assert!(button.is_enabled().await.unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_reads_on_a_phone_in_the_dark() {
    let test = "the_page_reads_on_a_phone_in_the_dark";
    // A phone-sized window whose system asks for dark pages.
    let args = [
        "--window-size=390,844",
        "--blink-settings=preferredColorScheme=0",
    ];
    let Some(b) = browser_with(test, &args).await else {
        return;
    };
    let server = Server::start(&[]);
    let c = &b.client;
    c.goto(&format!("{}/", server.base)).await.unwrap();
    let dark = c
        .execute(
            "return matchMedia('(prefers-color-scheme: dark)').matches;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(dark, json!(true));
    let background = c
        .execute(
            "return getComputedStyle(document.body).backgroundColor;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(background, json!("rgb(21, 21, 23)"));
    paste(
        c,
        "fr-text",
        "Le conseil a voté le budget mardi soir. L'opposition a voté contre.",
    )
    .await;
    translate_and_wait(c).await;
    // French above English, each readable across the screen, nothing wider than the window.
    let layout = c
        .execute(
            "const en = document.querySelector('#side-by-side td.en'); \
             return [getComputedStyle(en).display, document.documentElement.scrollWidth <= document.documentElement.clientWidth];",
            vec![],
        )
        .await
        .unwrap();
    let wide = c
        .execute(
            "const w = document.documentElement.clientWidth; \
             return Array.from(document.querySelectorAll('body *')) \
               .filter(e => e.getBoundingClientRect().right > w + 0.5) \
               .map(e => e.tagName + '#' + e.id + '.' + e.className);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        layout,
        json!(["block", true]),
        "wider than the screen: {wide}"
    );
    screenshot(c, "phone-dark").await;
}
