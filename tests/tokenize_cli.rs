//! `entente tokenize` end to end: formats, target side, decoding, and model resolution errors.

mod common;

use std::process::Output;

fn model_path() -> Option<String> {
    entente::testdata::require("models/opus-mt-fr-en").map(|p| p.display().to_string())
}

fn entente(args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
    common::entente_in(None, args, stdin, env)
}

fn fixture_edge(text: &str) -> (Vec<u64>, Vec<String>) {
    // Expected values come from the MarianTokenizer fixture, not from entente.
    let fixture = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/tokenizer/opus-mt-fr-en.jsonl"
    ))
    .unwrap();
    for line in fixture.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["kind"] == "edge" && v["text"] == text {
            return (
                serde_json::from_value(v["ids"].clone()).unwrap(),
                serde_json::from_value(v["pieces"].clone()).unwrap(),
            );
        }
    }
    panic!("no fixture for {text:?}");
}

#[test]
fn ids_pieces_and_jsonl() {
    let Some(model) = model_path() else { return };
    let text = "\t\tBonjour\tle monde\t";
    let (ids, pieces) = fixture_edge(text);
    let input = format!("{text}\n\n");
    let out = entente(
        &["tokenize", "--model", model.as_str()],
        input.as_bytes(),
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ids_line: Vec<String> = ids.iter().map(u64::to_string).collect();
    // An empty line still gives its </s>.
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{}\n0\n", ids_line.join(" "))
    );

    let out = entente(
        &["tokenize", "--model", model.as_str(), "--format", "pieces"],
        text.as_bytes(),
        &[],
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{}\n", pieces.join(" "))
    );

    let out = entente(
        &["tokenize", "--model", model.as_str(), "--format", "jsonl"],
        text.as_bytes(),
        &[],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["text"], text);
    assert_eq!(v["ids"], serde_json::json!(ids));
    assert_eq!(v["pieces"], serde_json::json!(pieces));
}

#[test]
fn decode_and_bad_ids() {
    let Some(model) = model_path() else { return };
    let out = entente(
        &["tokenize", "--model", model.as_str(), "--decode"],
        b"8703 19 507 0\n",
        &[],
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "Bonjour le monde\n");
    let out = entente(
        &["tokenize", "--model", model.as_str(), "--decode"],
        b"1 2\n3 x\n",
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("<stdin>:2"));
}

#[test]
fn offline_hub_model_not_cached_says_what_to_do() {
    let cache = tempfile::tempdir().unwrap();
    let out = entente(
        &["tokenize", "--model", "Helsinki-NLP/opus-mt-fr-en"],
        b"x\n",
        &[
            ("HF_HUB_OFFLINE", "1"),
            ("HF_HUB_CACHE", cache.path().to_str().unwrap()),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("missing: config.json, source.spm") && err.contains("--model DIR"),
        "{err}"
    );
}

#[test]
fn hub_model_from_a_prepared_cache() {
    let Some(model) = model_path() else { return };
    // A cache directory in the Hub's layout, with the tokenizer files of the shared model.
    let cache = tempfile::tempdir().unwrap();
    let repo = cache.path().join("models--Helsinki-NLP--opus-mt-fr-en");
    let commit = "0123456789abcdef0123456789abcdef01234567";
    let snapshot = repo.join("snapshots").join(commit);
    std::fs::create_dir_all(&snapshot).unwrap();
    std::fs::create_dir_all(repo.join("refs")).unwrap();
    std::fs::write(repo.join("refs/main"), commit).unwrap();
    for f in [
        "config.json",
        "source.spm",
        "target.spm",
        "vocab.json",
        "tokenizer_config.json",
    ] {
        std::fs::copy(format!("{model}/{f}"), snapshot.join(f)).unwrap();
    }
    let env = [
        ("HF_HUB_OFFLINE", "1"),
        ("HF_HUB_CACHE", cache.path().to_str().unwrap()),
    ];
    let out = entente(
        &[
            "tokenize",
            "--model",
            "Helsinki-NLP/opus-mt-fr-en",
            "--revision",
            "main",
        ],
        b"Bonjour\n",
        &env,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let direct = entente(&["tokenize", "--model", model.as_str()], b"Bonjour\n", &[]);
    assert_eq!(out.stdout, direct.stdout);
}

#[test]
fn a_whole_file_streams_out_line_for_line() {
    let Some(model) = model_path() else { return };
    let Some(shared) =
        entente::testdata::require("eval/mt/newstest2014-fr-en/newstest2014.fr-en.fr")
    else {
        return;
    };
    // All of newstest2014 (fr) in one file: the output is sent in chunks as it grows (about
    // 250 KB here), and each line must still be MarianTokenizer's ids from the fixture.
    let fixture = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/tokenizer/opus-mt-fr-en.jsonl"
    ))
    .unwrap();
    let mut expected: Vec<(u64, String)> = Vec::new();
    for line in fixture.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["kind"] != "encode" || v["corpus"] != "newstest2014.fr" {
            continue;
        }
        let ids: Vec<u64> = serde_json::from_value(v["ids"].clone()).unwrap();
        let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
        expected.push((v["line"].as_u64().unwrap(), ids.join(" ") + "\n"));
    }
    expected.sort();
    let expected: String = expected.into_iter().map(|(_, ids)| ids).collect();
    assert!(expected.len() > 4 << 16, "{} bytes", expected.len());
    let input = std::fs::read(&shared).unwrap();
    let out = entente(&["tokenize", "--model", model.as_str()], &input, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);
}
