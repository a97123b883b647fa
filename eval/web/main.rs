//! Article extraction on real pages, beside trafilatura, in one run: scrapinghub's
//! article-extraction benchmark (181 pages, F1 by the benchmark's own shingle rule on the
//! article body), trafilatura's 18 French pages (must-contain snippets kept, must-not-contain
//! removed), optionally WCXB's development split (its articles, the same F1), pages per second on
//! one core, and the peak memory of a 50 MB page.
//!
//! `cargo run --release --example eval-web -- [--python VENV/bin/python] [--rust-peers BIN]
//! [--wcxb DIR]` (`--python`: a Python with trafilatura for the peer columns; `--rust-peers`:
//! the binary `eval/web/candidates` builds, for the Rust crates that were candidates (rs-trafilatura,
//! dom_smoothie); `--wcxb`: a checkout of Murrough-Foley/web-content-extraction-benchmark; `--explain ID` prints how a scrapinghub
//! page was read; `--dump FILE` writes entente's bodies as JSON.)

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use entente::article::Article;
use serde_json::Value;

mod scoring;

use scoring::{f1, matching};

fn read_page(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .expect("gzip");
        out
    } else {
        bytes
    }
}

/// A set of pages with what each should give.
struct PageSet {
    name: &'static str,
    pages: Vec<Page>,
}

struct Page {
    id: String,
    path: PathBuf,
    /// The reference body (F1 sets).
    body: Option<String>,
    /// Snippets the text must contain / must not contain (snippet sets).
    with: Vec<String>,
    without: Vec<String>,
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

fn scrapinghub(data: &Path) -> PageSet {
    let truth: Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("scrapinghub/ground-truth.json")).expect("truth"),
    )
    .expect("json");
    let mut pages: Vec<Page> = truth
        .as_object()
        .expect("object")
        .iter()
        .map(|(k, v)| Page {
            id: k.clone(),
            path: data.join(format!("scrapinghub/html/{k}.html.gz")),
            body: v["articleBody"].as_str().map(str::to_string),
            with: Vec::new(),
            without: Vec::new(),
        })
        .collect();
    pages.sort_by(|a, b| a.id.cmp(&b.id));
    PageSet {
        name: "scrapinghub",
        pages,
    }
}

fn french(data: &Path) -> PageSet {
    let truth: Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("trafilatura-fr/evaldata-fr.json")).expect("truth"),
    )
    .expect("json");
    let mut pages: Vec<Page> = truth
        .as_object()
        .expect("object")
        .values()
        .map(|v| {
            let file = v["file"].as_str().expect("file");
            Page {
                id: file.to_string(),
                path: data.join("trafilatura-fr/pages").join(file),
                body: None,
                with: strings(&v["with"]),
                without: strings(&v["without"]),
            }
        })
        .collect();
    pages.sort_by(|a, b| a.id.cmp(&b.id));
    PageSet {
        name: "trafilatura-fr",
        pages,
    }
}

/// WCXB's development split, its article pages.
fn wcxb(dir: &Path) -> PageSet {
    let mut pages = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("dev/ground-truth"))
        .expect("dev/ground-truth")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    for file in files {
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(&file).expect("gt")).expect("json");
        if v["_internal"]["page_type"]["primary"] != "article" {
            continue;
        }
        let id = file
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .into_owned();
        pages.push(Page {
            path: dir.join(format!("dev/html/{id}.html.gz")),
            id,
            body: v["ground_truth"]["main_content"]
                .as_str()
                .map(str::to_string),
            with: strings(&v["ground_truth"]["with"]),
            without: strings(&v["ground_truth"]["without"]),
        });
    }
    PageSet {
        name: "WCXB dev (articles)",
        pages,
    }
}

/// What one extractor gave on a set.
struct Outcome {
    texts: HashMap<String, String>,
    seconds: f64,
}

fn run_entente(set: &PageSet) -> (Outcome, HashMap<String, String>) {
    let pages: Vec<(String, Vec<u8>)> = set
        .pages
        .iter()
        .map(|p| (p.id.clone(), read_page(&p.path)))
        .collect();
    let start = Instant::now();
    let articles: Vec<Option<Article>> = pages
        .iter()
        .map(|(id, html)| Article::from_html(html, id, None, None).ok())
        .collect();
    let seconds = start.elapsed().as_secs_f64();
    let body = |a: &Option<Article>, full: bool| {
        a.as_ref()
            .map_or(String::new(), |a| if full { a.text() } else { a.body() })
    };
    let bodies = pages
        .iter()
        .zip(&articles)
        .map(|((id, _), a)| (id.clone(), body(a, false)))
        .collect();
    let texts = pages
        .iter()
        .zip(&articles)
        .map(|((id, _), a)| (id.clone(), body(a, true)))
        .collect();
    (
        Outcome {
            texts: bodies,
            seconds,
        },
        texts,
    )
}

/// Peer extractors run by `program` (`scripts/web_peers.py` under a Python with trafilatura, or
/// the `eval/web/candidates` binary) on the set's pages: each one's name and outcome.
fn run_peers(program: &[PathBuf], set: &PageSet) -> Vec<(String, Outcome)> {
    let pages: serde_json::Map<String, Value> = set
        .pages
        .iter()
        .map(|p| (p.id.clone(), p.path.display().to_string().into()))
        .collect();
    let manifest =
        std::env::temp_dir().join(format!("entente-eval-web-{}.json", std::process::id()));
    if std::fs::write(&manifest, serde_json::json!({ "pages": pages }).to_string()).is_err() {
        return Vec::new();
    }
    let output = Command::new(&program[0])
        .args(&program[1..])
        .arg(&manifest)
        .output();
    let _ = std::fs::remove_file(&manifest);
    let output = match output {
        Ok(o) if o.status.success() => o,
        Ok(o) => {
            eprintln!("peer run failed: {}", String::from_utf8_lossy(&o.stderr));
            return Vec::new();
        }
        Err(e) => {
            eprintln!("peer run failed: {}: {e}", program[0].display());
            return Vec::new();
        }
    };
    let Ok(Value::Object(peers)) = serde_json::from_slice::<Value>(&output.stdout) else {
        eprintln!("peer run printed no JSON object");
        return Vec::new();
    };
    peers
        .into_iter()
        .filter_map(|(name, peer)| {
            let texts = peer["texts"]
                .as_object()?
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                .collect();
            let version = peer["version"].as_str().unwrap_or("?");
            let seconds = peer["seconds"].as_f64().unwrap_or(f64::NAN);
            Some((format!("{name} {version}"), Outcome { texts, seconds }))
        })
        .collect()
}

/// F1 of `texts` against the set's bodies.
fn f1_of(set: &PageSet, texts: &HashMap<String, String>) -> Option<(f64, f64, f64)> {
    let scores: Vec<(f64, f64, f64)> = set
        .pages
        .iter()
        .filter_map(|p| {
            let body = p.body.as_ref()?;
            Some(matching(body, texts.get(&p.id).map_or("", String::as_str)))
        })
        .collect();
    (!scores.is_empty()).then(|| f1(&scores))
}

/// Snippets kept (of `with`) and removed (of `without`), over the set.
fn snippets(set: &PageSet, texts: &HashMap<String, String>) -> (usize, usize, usize, usize) {
    let (mut kept, mut with, mut removed, mut without) = (0, 0, 0, 0);
    let normalize = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    for p in &set.pages {
        let text = normalize(texts.get(&p.id).map_or("", String::as_str));
        with += p.with.len();
        kept += p
            .with
            .iter()
            .filter(|s| text.contains(&normalize(s)))
            .count();
        without += p.without.len();
        removed += p
            .without
            .iter()
            .filter(|s| !text.contains(&normalize(s)))
            .count();
    }
    (kept, with, removed, without)
}

fn print_misses(set: &PageSet, texts: &HashMap<String, String>) {
    let normalize = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    for p in &set.pages {
        let text = normalize(texts.get(&p.id).map_or("", String::as_str));
        for s in p.with.iter().filter(|s| !text.contains(&normalize(s))) {
            eprintln!("{} {}: missed {s:?}", set.name, p.id);
        }
        for s in p.without.iter().filter(|s| text.contains(&normalize(s))) {
            eprintln!("{} {}: kept {s:?}", set.name, p.id);
        }
    }
}

struct Args {
    python: Option<PathBuf>,
    rust_peers: Option<PathBuf>,
    wcxb: Option<PathBuf>,
    dump: Option<PathBuf>,
    explain: Option<String>,
    one: Option<PathBuf>,
    /// Skip the 50 MB page (for profiling the page sets).
    no_large: bool,
    /// Print entente's missed must-contain and kept must-not-contain snippets.
    misses: bool,
}

fn args() -> Args {
    let mut args = Args {
        python: None,
        rust_peers: None,
        wcxb: None,
        dump: None,
        explain: None,
        one: None,
        no_large: false,
        misses: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        if a == "--no-large" || a == "--misses" {
            args.no_large |= a == "--no-large";
            args.misses |= a == "--misses";
            continue;
        }
        let value = it.next().map(PathBuf::from);
        match a.as_str() {
            "--python" => args.python = value,
            "--rust-peers" => args.rust_peers = value,
            "--wcxb" => args.wcxb = value,
            "--dump" => args.dump = value,
            "--explain" => args.explain = value.map(|v| v.display().to_string()),
            "--one" => args.one = value,
            other => panic!("unknown argument {other}"),
        }
    }
    args
}

/// Peak resident memory of finished children, in bytes.
fn children_peak_rss() -> u64 {
    // SAFETY: getrusage writes into the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    usage.ru_maxrss as u64 * 1024
}

/// A 50 MB page (an article with long runs of markup around it), extracted in a child process:
/// its peak memory against the page's size.
fn large_page_memory() -> Option<(usize, u64, f64)> {
    let mut page = String::from("<html><head><title>Grand</title></head><body><article>");
    let paragraph = "<p>Le conseil municipal a voté, mardi soir, un budget en hausse de 3 %, \
                     après un débat de plusieurs heures sur la rénovation des écoles.</p>\n";
    while page.len() < 50 << 20 {
        page.push_str("<div class=\"bloc\"><span>");
        page.push_str(paragraph);
        page.push_str("</span></div>");
    }
    page.push_str("</article></body></html>");
    let path = std::env::temp_dir().join(format!(
        "entente-eval-web-large-{}.html",
        std::process::id()
    ));
    std::fs::write(&path, &page).ok()?;
    let me = std::env::current_exe().ok()?;
    let start = Instant::now();
    let status = Command::new(me)
        .arg("--one")
        .arg(&path)
        .env("ENTENTE_EVAL_WEB_CHILD", "1")
        .status()
        .ok()?;
    let seconds = start.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&path);
    status
        .success()
        .then(|| (page.len(), children_peak_rss(), seconds))
}

fn explain(set: &PageSet, prefix: &str) {
    for p in set.pages.iter().filter(|p| p.id.starts_with(prefix)) {
        let html = read_page(&p.path);
        println!("{}\n{}", p.id, entente::article::explain(&html));
        if let Ok(a) = Article::from_html(&html, &p.id, None, None) {
            for b in &a.blocks {
                let t: String = b.text.chars().take(100).collect();
                println!("  [{}] {t}", b.kind.name());
            }
        }
    }
}

fn main() {
    let args = args();
    if let Some(one) = &args.one {
        let html = std::fs::read(one).expect("page");
        let article = Article::from_html(&html, "large", None, None).expect("an article");
        println!("{} blocks", article.blocks.len());
        return;
    }
    let data =
        entente::testdata::find("eval/web").expect("../shared/eval/web (or ENTENTE_TEST_DATA)");
    let mut sets = vec![scrapinghub(&data), french(&data)];
    if let Some(dir) = &args.wcxb {
        sets.push(wcxb(dir));
    }
    if let Some(prefix) = &args.explain {
        for set in &sets {
            explain(set, prefix);
        }
        return;
    }
    println!(
        "| set | extractor | pages | F1 | P | R | must-contain kept | must-not-contain removed | pages/s (1 core) |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for set in &sets {
        let (ours, full_texts) = run_entente(set);
        if let Some(dump) = &args.dump {
            let name = set.name.split_whitespace().next().unwrap_or("set");
            let path = dump.with_extension(format!("{name}.json"));
            std::fs::write(path, serde_json::to_string(&ours.texts).expect("json")).expect("dump");
        }
        if args.misses {
            print_misses(set, &full_texts);
        }
        let mut rows = vec![("entente".to_string(), ours, full_texts)];
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/web_peers.py");
        let programs = [
            args.python
                .as_ref()
                .map(|python| vec![python.clone(), script]),
            args.rust_peers.as_ref().map(|binary| vec![binary.clone()]),
        ];
        for program in programs.iter().flatten() {
            for (name, peer) in run_peers(program, set) {
                let texts = peer.texts.clone();
                rows.push((name, peer, texts));
            }
        }
        for (name, outcome, full) in &rows {
            let f = f1_of(set, &outcome.texts);
            let (kept, with, removed, without) = snippets(set, full);
            let fmt = |x: Option<f64>| x.map_or("–".to_string(), |x| format!("{x:.3}"));
            println!(
                "| {} | {name} | {} | {} | {} | {} | {} | {} | {:.0} |",
                set.name,
                set.pages.len(),
                fmt(f.map(|f| f.2)),
                fmt(f.map(|f| f.0)),
                fmt(f.map(|f| f.1)),
                if with > 0 {
                    format!("{kept} of {with}")
                } else {
                    "–".into()
                },
                if without > 0 {
                    format!("{removed} of {without}")
                } else {
                    "–".into()
                },
                set.pages.len() as f64 / outcome.seconds,
            );
        }
    }
    if let Some((size, rss, seconds)) = (!args.no_large).then(large_page_memory).flatten() {
        println!(
            "\nA {:.0} MB page: peak RSS {:.0} MB ({:.1}× its size), {seconds:.1} s",
            size as f64 / (1 << 20) as f64,
            rss as f64 / (1 << 20) as f64,
            rss as f64 / size as f64
        );
    }
}
