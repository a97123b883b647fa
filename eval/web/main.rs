//! Article extraction on real pages, beside trafilatura, in one run: every set of
//! [`sets`] that is present (scrapinghub's benchmark, trafilatura's French pages, WCXB's
//! development split and, with `--held-out`, its test split, Readability's test pages,
//! newspaper's fixtures, trafilatura's evaluation pages), each scored by F1 (scrapinghub's
//! shingle rule on the article body), snippets kept and removed, headlines exactly right, per
//! language group of the pages, and pages per second on one core with the ratio to the peer;
//! then the peak memory of a 50 MB page.
//!
//! `cargo run --release --example eval-web -- [--python VENV/bin/python] [--rust-peers BIN]
//! [--sets DIR] [--held-out]` (`--python`: a Python with trafilatura for the peer columns;
//! `--rust-peers`: the binary `eval/web/candidates` builds, for the Rust crates that were
//! candidates (rs-trafilatura, dom_smoothie); `--sets`: the folder holding the checkouts
//! [`sets`] names; `--only NAME` scores the sets whose name starts so; `--explain ID` prints
//! how a page was read; `--dump FILE` writes entente's bodies as JSON; `--misses` prints the
//! snippets and titles entente got wrong; `--stages` prints where the time goes; `--check-trim`
//! compares every page's tree parsed whole and trimmed; `--loso` prints the
//! leave-one-source-out table of the extraction settings; `--dumps DIR` scores scraped text,
//! the naive dumps `scripts/text_dumps.py` writes.)

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use entente::article::Article;
use serde_json::Value;

mod dumps;
mod loso;
mod report;
mod scoring;
mod sets;

use report::Outcome;
use sets::{read_page, PageSet};

const USAGE: &str = "usage: eval-web [--python VENV/bin/python] [--rust-peers BIN] [--sets DIR] \
[--held-out] [--only NAME] [--peer-cache DIR] [--no-large] [--misses] [--explain ID] [--dump FILE] \
[--stages] [--check-trim] [--loso] [--dumps DIR]\n(what each does: the doc at the top of \
eval/web/main.rs)";

fn run_entente(set: &PageSet) -> Outcome {
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
    let mut outcome = Outcome {
        bodies: HashMap::new(),
        texts: HashMap::new(),
        titles: HashMap::new(),
        seconds,
    };
    for ((id, _), a) in pages.iter().zip(&articles) {
        let Some(a) = a else { continue };
        outcome.bodies.insert(id.clone(), a.body());
        outcome.texts.insert(id.clone(), a.text());
        if let Some(title) = &a.title {
            outcome.titles.insert(id.clone(), title.clone());
        }
    }
    outcome
}

/// What `program` prints for the set's pages.
fn peer_output(program: &[PathBuf], set: &PageSet) -> Option<Vec<u8>> {
    let pages: serde_json::Map<String, Value> = set
        .pages
        .iter()
        .map(|p| (p.id.clone(), p.path.display().to_string().into()))
        .collect();
    let manifest =
        std::env::temp_dir().join(format!("entente-eval-web-{}.json", std::process::id()));
    if std::fs::write(&manifest, serde_json::json!({ "pages": pages }).to_string()).is_err() {
        return None;
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
            return None;
        }
        Err(e) => {
            eprintln!("peer run failed: {}: {e}", program[0].display());
            return None;
        }
    };
    Some(output.stdout)
}

/// Peer extractors run by `program` (`scripts/web_peers.py` under a Python with trafilatura, or
/// the `eval/web/candidates` binary) on the set's pages: each one's name and outcome.
fn run_peers(program: &[PathBuf], set: &PageSet, cache: Option<&Path>) -> Vec<(String, Outcome)> {
    let stdout = match cache.and_then(|c| std::fs::read(c).ok()) {
        Some(bytes) => bytes,
        None => {
            let Some(stdout) = peer_output(program, set) else {
                return Vec::new();
            };
            if let Some(cache) = cache {
                let _ = std::fs::write(cache, &stdout);
            }
            stdout
        }
    };
    let Ok(Value::Object(peers)) = serde_json::from_slice::<Value>(&stdout) else {
        eprintln!("peer run printed no JSON object");
        return Vec::new();
    };
    let map = |v: &Value| -> HashMap<String, String> {
        v.as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
            .collect()
    };
    peers
        .into_iter()
        .filter_map(|(name, peer)| {
            peer["texts"].as_object()?;
            let texts = map(&peer["texts"]);
            let version = peer["version"].as_str().unwrap_or("?");
            let outcome = Outcome {
                bodies: texts.clone(),
                texts,
                titles: map(&peer["titles"]),
                seconds: peer["seconds"].as_f64().unwrap_or(f64::NAN),
            };
            Some((format!("{name} {version}"), outcome))
        })
        .collect()
}

fn print_misses(set: &PageSet, outcome: &Outcome) {
    use report::searchable;
    for p in &set.pages {
        if let Some(body) = &p.body {
            let ours = outcome.bodies.get(&p.id).map_or("", String::as_str);
            let (tp, fp, fn_) = scoring::matching(body, ours);
            if tp < 0.8 {
                eprintln!(
                    "{} {}: body tp {tp:.2} fp {fp:.2} fn {fn_:.2} ({} characters of {})",
                    set.name,
                    p.id,
                    ours.len(),
                    body.len()
                );
            }
        }
        let text = searchable(outcome.texts.get(&p.id).map_or("", String::as_str));
        for s in p.with.iter().filter(|s| !text.contains(&searchable(s))) {
            eprintln!("{} {}: missed {s:?}", set.name, p.id);
        }
        for s in p.without.iter().filter(|s| text.contains(&searchable(s))) {
            eprintln!("{} {}: kept {s:?}", set.name, p.id);
        }
        if let Some(title) = &p.title {
            let got = outcome.titles.get(&p.id).map_or("", String::as_str);
            if !report::same_title(title, got) {
                eprintln!("{} {}: title {got:?} for {title:?}", set.name, p.id);
            }
        }
    }
}

/// The pages where the first peer's body scores at least 0.1 above entente's (`--misses`).
fn print_behind(set: &PageSet, ours: &Outcome, name: &str, peer: &Outcome) {
    for p in &set.pages {
        let Some(body) = &p.body else { continue };
        let score = |o: &Outcome| {
            let (tp, fp, fn_) =
                scoring::matching(body, o.bodies.get(&p.id).map_or("", String::as_str));
            // Not `scoring::f1`: it is NaN for an empty body, which would hide those pages.
            (
                2.0 * tp / (2.0 * tp + fp + fn_).max(f64::MIN_POSITIVE),
                fp,
                fn_,
            )
        };
        let (a, b) = (score(ours), score(peer));
        if b.0 - a.0 >= 0.1 {
            eprintln!(
                "{} {}: behind {name}: F1 {:.2} (fp {:.2} fn {:.2}) against {:.2} (fp {:.2} fn {:.2})",
                set.name, p.id, a.0, a.1, a.2, b.0, b.1, b.2
            );
        }
    }
}

struct Args {
    python: Option<PathBuf>,
    rust_peers: Option<PathBuf>,
    sets: Option<PathBuf>,
    /// Score WCXB's test split too (held out: never tune on what it prints).
    held_out: bool,
    only: Option<String>,
    /// Keep the peers' outputs here and reuse them (the peers do not change between runs).
    peer_cache: Option<PathBuf>,
    dump: Option<PathBuf>,
    explain: Option<String>,
    one: Option<PathBuf>,
    /// Skip the 50 MB page (for profiling the page sets).
    no_large: bool,
    /// Score scraped text: the dumps `scripts/text_dumps.py` wrote in this folder.
    dumps: Option<PathBuf>,
    /// Print the leave-one-source-out table of the extraction settings.
    loso: bool,
    /// Check that trimming a page before parsing changes nothing extraction reads.
    check_trim: bool,
    /// Print where entente's time goes, stage by stage, instead of the table.
    stages: bool,
    /// Print entente's missed must-contain and kept must-not-contain snippets, wrong titles.
    misses: bool,
}

fn args() -> Args {
    let mut args = Args {
        python: None,
        rust_peers: None,
        sets: None,
        held_out: false,
        only: None,
        peer_cache: None,
        dump: None,
        explain: None,
        one: None,
        no_large: false,
        stages: false,
        check_trim: false,
        loso: false,
        dumps: None,
        misses: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--no-large" => args.no_large = true,
            "--misses" => args.misses = true,
            "--held-out" => args.held_out = true,
            "--stages" => args.stages = true,
            "--check-trim" => args.check_trim = true,
            "--loso" => args.loso = true,
            "--help" | "-h" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            _ => {
                let value = it.next().map(PathBuf::from);
                let text = value.as_ref().map(|v| v.display().to_string());
                match a.as_str() {
                    "--python" => args.python = value,
                    "--rust-peers" => args.rust_peers = value,
                    "--sets" => args.sets = value,
                    "--only" => args.only = text,
                    "--peer-cache" => args.peer_cache = value,
                    "--dump" => args.dump = value,
                    "--explain" => args.explain = text,
                    "--one" => args.one = value,
                    "--dumps" => args.dumps = value,
                    other => {
                        eprintln!("eval-web: unknown argument {other}\n\n{USAGE}");
                        std::process::exit(2);
                    }
                }
            }
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

/// Every set present, in the order they are printed.
fn all_sets(args: &Args) -> Vec<PageSet> {
    let data =
        entente::testdata::find("eval/web").expect("../shared/eval/web (or ENTENTE_TEST_DATA)");
    let mut all = vec![sets::scrapinghub(&data), sets::french(&data)];
    if let Some(dir) = &args.sets {
        all.extend(sets::wcxb(&dir.join("wcxb"), "dev"));
        all.extend(sets::readability(&dir.join("readability")));
        all.extend(sets::newspaper(&dir.join("newspaper")));
        all.extend(sets::trafilatura_eval(&dir.join("trafilatura")));
        if args.held_out {
            all.extend(sets::wcxb(&dir.join("wcxb"), "test"));
        }
    }
    all.retain(|s| {
        args.only
            .as_ref()
            .is_none_or(|o| s.name.starts_with(o.as_str()))
    });
    all
}

/// The peers' outcomes on `set`, from the cache where one is kept.
fn peers(args: &Args, set: &PageSet) -> Vec<(String, Outcome)> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/web_peers.py");
    let programs = [
        args.python
            .as_ref()
            .map(|python| vec![python.clone(), script]),
        args.rust_peers.as_ref().map(|binary| vec![binary.clone()]),
    ];
    let mut out = Vec::new();
    for (n, program) in programs.iter().enumerate() {
        let Some(program) = program else { continue };
        let cached = args.peer_cache.as_ref().map(|dir| {
            let name: String = set
                .name
                .chars()
                .map(|c| if c.is_alphanumeric() { c } else { '-' })
                .collect();
            dir.join(format!("{name}.{n}.json"))
        });
        out.extend(run_peers(program, set, cached.as_deref()));
    }
    out
}

/// Every page whose tree trimming changed, with the first difference.
fn check_trim(sets: &[PageSet]) {
    let (mut pages, mut changed) = (0, 0);
    for set in sets {
        for p in &set.pages {
            pages += 1;
            if let Some(difference) = entente::article::trim_difference(&read_page(&p.path)) {
                changed += 1;
                println!("{} {}: {difference}", set.name, p.id);
            }
        }
    }
    println!("{changed} of {pages} pages read differently once trimmed");
}

/// The time of each stage of reading the pages of `sets`, summed, with its share.
fn print_stages(sets: &[PageSet]) {
    let mut totals: Vec<(&'static str, f64)> = Vec::new();
    let mut pages = 0;
    for set in sets {
        for p in &set.pages {
            let html = read_page(&p.path);
            pages += 1;
            for (stage, time) in entente::article::stage_times(&html) {
                match totals.iter_mut().find(|(s, _)| *s == stage) {
                    Some(t) => t.1 += time.as_secs_f64(),
                    None => totals.push((stage, time.as_secs_f64())),
                }
            }
        }
    }
    let all: f64 = totals.iter().map(|t| t.1).sum();
    println!(
        "{pages} pages, {:.1} ms a page\n\n| stage | ms a page | share |\n|---|---:|---:|",
        all * 1e3 / pages as f64
    );
    for (stage, seconds) in totals {
        println!(
            "| {stage} | {:.3} | {:.1}% |",
            seconds * 1e3 / pages as f64,
            100.0 * seconds / all
        );
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
    let sets = all_sets(&args);
    if let Some(prefix) = &args.explain {
        for set in &sets {
            explain(set, prefix);
        }
        return;
    }
    if args.stages {
        print_stages(&sets);
        return;
    }
    if args.check_trim {
        check_trim(&sets);
        return;
    }
    if let Some(dir) = &args.dumps {
        dumps::print(dir);
        return;
    }
    if args.loso {
        let tuned: Vec<PageSet> = sets
            .into_iter()
            .filter(|s| !s.name.contains("held out"))
            .collect();
        loso::print(&tuned);
        return;
    }
    println!("{}", report::header());
    for set in &sets {
        let ours = run_entente(set);
        if let Some(dump) = &args.dump {
            let name = set.name.split_whitespace().next().unwrap_or("set");
            let path = dump.with_extension(format!("{name}.json"));
            std::fs::write(path, serde_json::to_string(&ours.bodies).expect("json")).expect("dump");
        }
        if args.misses {
            print_misses(set, &ours);
        }
        let mut rows = vec![("entente".to_string(), ours)];
        rows.extend(peers(&args, set));
        if args.misses {
            if let Some((name, peer)) = rows.get(1) {
                print_behind(set, &rows[0].1, name, peer);
            }
        }
        let name = format!(
            "{}{}",
            set.name,
            if set.tuned_on { " (tuned on)" } else { "" }
        );
        let speed = |o: &Outcome| set.pages.len() as f64 / o.seconds;
        // Each page's group read once (it lowercases the page's whole reference).
        let groups: HashMap<&str, &str> = set
            .pages
            .iter()
            .map(|p| (p.id.as_str(), report::language_group(p)))
            .collect();
        for group in ["all", "English", "French", "other"] {
            let keep = |p: &sets::Page| group == "all" || groups.get(p.id.as_str()) == Some(&group);
            if !set.pages.iter().any(keep) {
                continue;
            }
            for (i, (extractor, outcome)) in rows.iter().enumerate() {
                let f = report::figures(set, outcome, &keep);
                let ratio = match (i, rows.get(1)) {
                    (0, Some((_, peer))) if group == "all" => {
                        format!("{:.1}×", speed(outcome) / speed(peer))
                    }
                    _ => String::new(),
                };
                println!(
                    "{}",
                    report::row(&name, group, extractor, &f, speed(outcome), &ratio)
                );
            }
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
