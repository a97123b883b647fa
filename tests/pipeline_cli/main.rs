//! `entente pipeline` end to end on the self-contained test model: nested folders, a manifest
//! with metadata, translate and parallel modes, every corpus file (TMX parsed by an XML parser),
//! bad documents reported and skipped with exit 3, resume (a second run translates nothing),
//! recovery after `kill -9`, and standard input.

#[path = "../common/mod.rs"]
mod common;
mod shards;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn model() -> String {
    common::selfcontained().display().to_string()
}

/// `entente pipeline ARGS… -o OUT --model M --beams 1 --max-new-tokens 6`.
fn pipeline(args: &[&str], out: &Path, stdin: &[u8]) -> Output {
    pipeline_tokens(args, out, stdin, "6")
}

/// [`pipeline`] with long outputs: log-probabilities summed over ~120 tokens show any
/// dependence of a translation on the batch it was computed in.
fn pipeline_tokens(args: &[&str], out: &Path, stdin: &[u8], max_new: &str) -> Output {
    let m = model();
    let mut all = vec!["pipeline"];
    all.extend_from_slice(args);
    all.extend_from_slice(&[
        "-o",
        out.to_str().unwrap(),
        "--model",
        &m,
        "--beams",
        "1",
        "--max-new-tokens",
        max_new,
    ]);
    common::entente_in(None, &all, stdin, &[])
}

fn write(path: &Path, text: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A folder of articles: nested, one with an English version, and three bad documents.
fn corpus(root: &Path) -> PathBuf {
    let input = root.join("in");
    write(
        &input.join("2024/lemonde/a.txt"),
        "Titre de l'article\n\nLe chat dort. Le chien aboie.\nLe président parle.\n".as_bytes(),
    );
    write(
        &input.join("2024/b.fr.txt"),
        "Il pleut à Paris. Le match est reporté.\n\nRendez-vous demain à 11 h.\n".as_bytes(),
    );
    write(
        &input.join("2024/b.en.txt"),
        "It is raining in Paris. The match is postponed.\n\nSee you tomorrow at 11.\n".as_bytes(),
    );
    write(
        &input.join("c.txt"),
        "Le chat dort. Une phrase 2 encore.\n".as_bytes(),
    );
    write(
        &input.join("bad/invalid.txt"),
        b"Une phrase \xff cass\xe9e.\n",
    );
    write(&input.join("bad/empty.txt"), b"  \n\n");
    std::fs::create_dir_all(input.join("bad/x.txt")).unwrap();
    write(&input.join("notes.md"), b"not an article (glob *.txt)");
    input
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json_lines(path: &Path) -> Vec<serde_json::Value> {
    read(path)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Every file under `dir` with its contents, for byte-for-byte comparison of runs (but
/// `run.json`, the timings of one run).
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n == "run.json") {
                continue;
            } else {
                files.push((
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    files.sort();
    files
}

/// The two folders hold the same files with the same bytes (names the first difference).
fn assert_same_files(a: &Path, b: &Path) {
    let (a, b) = (snapshot(a), snapshot(b));
    let names = |s: &[(PathBuf, Vec<u8>)]| s.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&a), names(&b));
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        if x != y {
            let (x, y) = (String::from_utf8_lossy(x), String::from_utf8_lossy(y));
            let first = x.lines().zip(y.lines()).find(|(l, r)| l != r);
            panic!("{} differs, first at: {first:?}", name.display());
        }
    }
}

#[test]
fn a_folder_of_articles_gives_every_output_and_skips_bad_documents() {
    let root = tempfile::tempdir().unwrap();
    let input = corpus(root.path());
    let out = root.path().join("out");
    let run = pipeline(&[input.to_str().unwrap()], &out, b"");
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(3), "{err}");
    for bad in ["bad/invalid", "bad/empty", "bad/x"] {
        assert!(err.contains(&format!("skipped {bad}")), "{bad}: {err}");
    }
    assert!(err.contains("byte offset 11"), "{err}");

    // Per document: the English article keeps the paragraphs; pairs carry their positions.
    let a = read(&out.join("docs/2024/lemonde/a.en.txt"));
    assert_eq!(
        a.strip_suffix('\n').unwrap().split("\n\n").count(),
        3,
        "{a:?}"
    );
    let pairs_a = json_lines(&out.join("docs/2024/lemonde/a.pairs.jsonl"));
    assert_eq!(pairs_a.len(), 4);
    assert_eq!(pairs_a[1]["fr"], "Le chat dort.");
    assert_eq!(
        (pairs_a[1]["para"].as_u64(), pairs_a[1]["sent"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(pairs_a[0]["mode"], "translate");
    // The side-by-side page holds every pair, on both sides, and needs nothing from outside.
    let html = read(&out.join("docs/2024/lemonde/a.html"));
    for p in &pairs_a {
        let fr = p["fr"].as_str().unwrap().replace('\'', "&#39;");
        assert!(html.contains(&fr), "{fr} missing from the page");
    }
    assert_eq!(
        html.matches("<span class=\"s\" tabindex=\"0\" data-pair=")
            .count(),
        2 * pairs_a.len()
    );
    assert!(!html.contains("src=") && !html.contains("href="));
    // Parallel mode: French ↔ human English, no English article written.
    assert!(!out.join("docs/2024/b.en.txt").exists());
    let pairs_b = json_lines(&out.join("docs/2024/b.pairs.jsonl"));
    assert!(pairs_b.iter().all(|p| p["mode"] == "parallel"));
    assert_eq!(pairs_b[0]["fr"], "Il pleut à Paris.");
    assert_eq!(pairs_b[0]["en"], "It is raining in Paris.");

    // Corpus files, in document-id order: 2024/b, 2024/lemonde/a, c.
    let pairs = json_lines(&out.join("pairs.jsonl"));
    let docs: Vec<&str> = pairs.iter().map(|p| p["doc"].as_str().unwrap()).collect();
    let mut sorted = docs.clone();
    sorted.sort();
    assert_eq!(docs, sorted);
    assert_eq!(docs.first(), Some(&"2024/b"));
    let fr = read(&out.join("corpus.fr"));
    let en = read(&out.join("corpus.en"));
    assert_eq!(fr.lines().count(), pairs.len());
    assert_eq!(en.lines().count(), pairs.len());
    assert_eq!(fr.lines().next(), Some("Il pleut à Paris."));

    // TMX: parsed by an XML parser, one unit per pair, with the document as a property.
    let tmx = read(&out.join("corpus.tmx"));
    let mut reader = quick_xml::Reader::from_str(&tmx);
    let (mut units, mut doc_props) = (0, 0);
    loop {
        match reader.read_event().expect("well-formed TMX") {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Start(e) if e.name().as_ref() == "tu" => units += 1,
            quick_xml::events::Event::Start(e)
                if e.name().as_ref() == "prop"
                    && e.try_get_attribute("type").unwrap().unwrap().value.as_ref() == "x-doc" =>
            {
                doc_props += 1
            }
            _ => {}
        }
    }
    assert_eq!((units, doc_props), (pairs.len(), pairs.len()));
    for field in [
        "creationtool=",
        "creationtoolversion=",
        "srclang=\"fr\"",
        "adminlang=",
        "datatype=",
        "segtype=",
        "o-tmf=",
    ] {
        assert!(tmx.contains(field), "{field}");
    }

    // The report: each document with its mode, the failures with their errors, scores for the
    // parallel document with sacreBLEU's signatures.
    let report: serde_json::Value = serde_json::from_str(&read(&out.join("report.json"))).unwrap();
    assert_eq!(report["totals"]["ok"], 3);
    let timings: serde_json::Value = serde_json::from_str(&read(&out.join("run.json"))).unwrap();
    assert_eq!(timings["document_seconds"].as_object().unwrap().len(), 3);
    assert_eq!(report["totals"]["failed"], 3);
    assert_eq!(report["totals"]["pairs"], pairs.len());
    let b = report["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == "2024/b")
        .unwrap();
    assert_eq!(b["mode"], "parallel");
    assert!(b["scores"]["bleu_signature"]
        .as_str()
        .unwrap()
        .starts_with("nrefs:1|case:mixed|eff:no|tok:13a"));
    assert!(report["scores"]["chrf"].is_number());
    let errors: Vec<&str> = report["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["error"].as_str().unwrap())
        .collect();
    assert!(errors.iter().any(|e| e.contains("empty")), "{errors:?}");
}

#[test]
fn a_rerun_translates_nothing_and_writes_the_same_bytes() {
    let root = tempfile::tempdir().unwrap();
    let input = corpus(root.path());
    let out = root.path().join("out");
    let first = pipeline(&[input.to_str().unwrap()], &out, b"");
    assert_eq!(first.status.code(), Some(3));
    let before = snapshot(&out);
    let second = pipeline(&[input.to_str().unwrap()], &out, b"");
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(
        err.contains("0 processed, 3 resumed") && err.contains("0 sentences translated"),
        "{err}"
    );
    assert!(snapshot(&out) == before, "the rerun changed the outputs");
    // A changed document is redone, the others are not.
    write(&input.join("c.txt"), "Le chat dort encore.\n".as_bytes());
    let third = pipeline(&[input.to_str().unwrap()], &out, b"");
    let err = String::from_utf8_lossy(&third.stderr);
    assert!(err.contains("1 processed, 2 resumed"), "{err}");
    // --force redoes everything.
    let forced = pipeline(&[input.to_str().unwrap(), "--force"], &out, b"");
    assert!(String::from_utf8_lossy(&forced.stderr).contains("3 processed, 0 resumed"));
}

#[test]
fn a_run_killed_with_sigkill_finishes_identically_when_rerun() {
    let root = tempfile::tempdir().unwrap();
    let input = root.path().join("in");
    for i in 0..300 {
        write(
            &input.join(format!("d{i:03}.txt")),
            format!("Article numéro {i}. Le chat dort {i} fois.\n\nFin {i}.\n").as_bytes(),
        );
    }
    // The uninterrupted reference run.
    let reference = root.path().join("reference");
    let run = pipeline(&[input.to_str().unwrap()], &reference, b"");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );

    // Kill -9 once some documents are written, then rerun.
    let out = root.path().join("out");
    let m = model();
    let mut child = Command::new(env!("CARGO_BIN_EXE_entente"))
        .args([
            "pipeline",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .args(["--model", &m, "--beams", "1", "--max-new-tokens", "6"])
        .args(["--docs-per-batch", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let done = |dir: &Path| {
        std::fs::read_dir(dir.join("docs"))
            .map(|rd| {
                rd.filter(|e| {
                    e.as_ref()
                        .unwrap()
                        .file_name()
                        .to_string_lossy()
                        .ends_with(".report.json")
                })
                .count()
            })
            .unwrap_or(0)
    };
    for _ in 0..2000 {
        if done(&out) >= 3 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // Frozen at once (SIGSTOP), counted, then killed: the count is where it died. A run that
    // finished before it could be stopped has not tested recovery, and says so by failing.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGSTOP);
    }
    let killed_at = done(&out);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(killed_at >= 3, "killed after {killed_at} documents");
    assert!(
        killed_at < 300,
        "the run finished all 300 documents before it could be killed: recovery was not tested"
    );
    eprintln!("killed after {killed_at} of 300 documents");
    let rerun = pipeline(&[input.to_str().unwrap()], &out, b"");
    let err = String::from_utf8_lossy(&rerun.stderr);
    assert!(rerun.status.success(), "{err}");
    assert!(
        err.contains(&format!(
            "{} processed, {killed_at} resumed",
            300 - killed_at
        )),
        "{err} (killed at {killed_at})"
    );
    // Exactly the outputs of the uninterrupted run (the killed run's temporary files removed).
    assert_same_files(&out, &reference);
}

#[test]
fn a_manifest_carries_its_metadata_and_english_versions() {
    let root = tempfile::tempdir().unwrap();
    let manifest = root.path().join("articles.jsonl");
    let records = [
        serde_json::json!({"id": "m1", "text": "Le chat dort. Le chien aboie.", "url": "https://example.org/1", "outlet": "Le Monde", "date": "2024-05-01"}),
        serde_json::json!({"id": "m2", "text": "Il pleut. Demain il fera beau.", "en": "It is raining. Tomorrow will be fine.", "title": "Météo"}),
    ];
    let mut text: String = records.iter().map(|r| format!("{r}\n")).collect();
    text.push_str("{not json\n");
    write(&manifest, text.as_bytes());
    let out = root.path().join("out");
    let run = pipeline(&["--manifest", manifest.to_str().unwrap()], &out, b"");
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(3), "{err}");
    assert!(err.contains("articles.jsonl:3"), "{err}");
    let pairs = json_lines(&out.join("pairs.jsonl"));
    let m1: Vec<_> = pairs.iter().filter(|p| p["doc"] == "m1").collect();
    assert_eq!(m1.len(), 2);
    assert!(m1
        .iter()
        .all(|p| p["url"] == "https://example.org/1" && p["outlet"] == "Le Monde"));
    let m2: Vec<_> = pairs.iter().filter(|p| p["doc"] == "m2").collect();
    assert!(m2
        .iter()
        .all(|p| p["mode"] == "parallel" && p["title"] == "Météo"));
    assert_eq!(m2[0]["en"], "It is raining.");
    assert!(
        read(&out.join("corpus.tmx")).contains("<prop type=\"x-url\">https://example.org/1</prop>")
    );
}

#[test]
fn standard_input_is_one_document() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("out");
    let run = pipeline(&["-"], &out, "Bonjour. Au revoir.\n".as_bytes());
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(json_lines(&out.join("docs/stdin.pairs.jsonl")).len(), 2);
    assert!(out.join("docs/stdin.en.txt").exists());
}

#[test]
fn a_corrupt_model_fails_before_any_document_is_touched() {
    let root = tempfile::tempdir().unwrap();
    let input = corpus(root.path());
    let out = root.path().join("out");
    let run = common::entente_in(
        None,
        &[
            "pipeline",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--model",
            "/nonexistent/model",
        ],
        b"",
        &[],
    );
    assert_eq!(run.status.code(), Some(1));
    assert!(!out.join("docs").exists());
}

#[path = "../../eval/mt/main.rs"]
#[allow(dead_code)]
mod eval_mt;

/// The quality-claim command (`cargo run --example eval-mt`) end to end on the tiny checkpoint:
/// a few newstest2014 documents through the pipeline, scored line-aligned.
#[test]
fn eval_mt_runs_through_the_pipeline() {
    let Some(data) = entente::testdata::require("eval/mt/newstest2014-fr-en") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let e = eval_mt::evaluate(&model(), &data, out.path(), Some(3), Some(1), Some(4)).unwrap();
    assert_eq!(e.documents, 3);
    assert!(e.segments > 3);
    assert!(e.bleu.score >= 0.0 && e.chrf.score >= 0.0);
    assert!(e
        .bleu_signature
        .starts_with("nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp"));
}

#[test]
fn batches_across_documents_change_no_output_on_the_cpu() {
    // On the CPU the engine is batch-invariant: batches fill across documents by default, and
    // forcing it (--mix-documents, for GPUs) gives the very same bytes.
    let root = tempfile::tempdir().unwrap();
    let input = corpus(root.path());
    let (plain, mixed) = (root.path().join("plain"), root.path().join("mixed"));
    assert_eq!(
        pipeline(&[input.to_str().unwrap()], &plain, b"")
            .status
            .code(),
        Some(3)
    );
    let run = pipeline(&[input.to_str().unwrap(), "--mix-documents"], &mixed, b"");
    assert_eq!(
        run.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    for file in ["pairs.jsonl", "corpus.fr", "corpus.en"] {
        assert_eq!(read(&plain.join(file)), read(&mixed.join(file)), "{file}");
    }
    // Nor does a rerun with the other flag redo anything: on the CPU it decides nothing.
    let again = pipeline(&[input.to_str().unwrap(), "--mix-documents"], &plain, b"");
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("0 processed, 3 resumed"), "{err}");
    // Other search settings are keyed: the documents are done again.
    let longer = pipeline_tokens(&[input.to_str().unwrap()], &plain, b"", "7");
    let err = String::from_utf8_lossy(&longer.stderr);
    assert!(err.contains("3 processed, 0 resumed"), "{err}");
}

#[test]
fn invalid_utf8_on_standard_input_is_reported_not_replaced() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("out");
    // It used to be replaced with U+FFFD silently; now it is an error unless --lossy.
    let run = pipeline(&["-"], &out, b"Une phrase \xff ici.\n");
    assert_eq!(run.status.code(), Some(3));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("skipped stdin") && err.contains("byte offset 11"),
        "{err}"
    );
    let run = pipeline(&["-", "--lossy"], &out, b"Une phrase \xff ici.\n");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(read(&out.join("pairs.jsonl")).contains('\u{fffd}'));
}

#[test]
fn new_weights_under_the_same_model_directory_are_not_resumed() {
    // The resume identity digests the model's files: weights replaced in place (same size,
    // same directory, same name) make every document new again.
    let dir = tempfile::tempdir().unwrap();
    let model_dir = dir.path().join("model");
    std::fs::create_dir_all(&model_dir).unwrap();
    common::copy_selfcontained(&model_dir);
    let input = dir.path().join("in");
    write(
        &input.join("a.txt"),
        "Le chat dort. Le chien aboie.\n".as_bytes(),
    );
    write(&input.join("b.txt"), "Il pleut à Paris.\n".as_bytes());
    let out = dir.path().join("out");
    let digest_cache = dir.path().join("digests.json");
    let run = || {
        common::entente_in(
            None,
            &[
                "pipeline",
                input.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
                "--model",
                model_dir.to_str().unwrap(),
                "--beams",
                "1",
                "--max-new-tokens",
                "6",
            ],
            b"",
            &[("ENTENTE_DIGEST_CACHE", digest_cache.to_str().unwrap())],
        )
    };
    let first = run();
    let err = String::from_utf8_lossy(&first.stderr).into_owned();
    assert!(err.contains("2 processed, 0 resumed"), "{err}");
    let again = run();
    let err = String::from_utf8_lossy(&again.stderr).into_owned();
    assert!(
        err.contains("0 processed, 2 resumed"),
        "unchanged files resume: {err}"
    );
    // Rewrite the weights in place: the same bytes but for one float of the last tensor.
    let weights = model_dir.join("model.safetensors");
    let mut bytes = std::fs::read(&weights).unwrap();
    let n = bytes.len();
    bytes[n - 2] ^= 0x40;
    std::fs::write(&weights, &bytes).unwrap();
    let changed = run();
    let err = String::from_utf8_lossy(&changed.stderr).into_owned();
    assert!(changed.status.success(), "{err}");
    assert!(
        err.contains("2 processed, 0 resumed"),
        "new weights redo: {err}"
    );
}

#[test]
fn a_parallel_document_aligned_with_another_lexicon_is_not_resumed() {
    let root = tempfile::tempdir().unwrap();
    let manifest = root.path().join("articles.jsonl");
    let record = serde_json::json!({"id": "p1",
        "text": "Le roi habite un grand château. La femme lit un livre bleu.",
        "en": "The king lives in a big castle. The woman reads a blue book."});
    write(&manifest, format!("{record}\n").as_bytes());
    let lexicon = root.path().join("fr-en.tsv");
    write(
        &lexicon,
        "roi\tking\nchâteau\tcastle\nfemme\twoman\nlivre\tbook\n".as_bytes(),
    );
    let out = root.path().join("out");
    let args = |extra: &[&str]| {
        let mut a = vec!["--manifest", manifest.to_str().unwrap(), "--no-mt"];
        a.extend_from_slice(extra);
        a.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let run = |extra: &[&str]| {
        let a = args(extra);
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        let out = pipeline(&refs, &out, b"");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    let first = run(&["--no-lexicon"]);
    assert!(first.contains("1 processed, 0 resumed"), "{first}");
    let same = run(&["--no-lexicon"]);
    assert!(same.contains("0 processed, 1 resumed"), "{same}");
    // The alignment's evidence changed: the document is aligned again.
    let with = run(&["--lexicon", lexicon.to_str().unwrap()]);
    assert!(
        with.contains("lexicon for parallel documents") && with.contains("(4 entries)"),
        "{with}"
    );
    assert!(with.contains("1 processed, 0 resumed"), "{with}");
    let pairs = json_lines(&out.join("pairs.jsonl"));
    assert_eq!(pairs.len(), 2, "{pairs:?}");
    assert_eq!(pairs[0]["en"], "The king lives in a big castle.");
}
