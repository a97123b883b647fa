//! `entente translate` end to end on the self-contained random-weight checkpoint: line
//! alignment, JSONL fields, article mode, the offline Hub cache, and clear errors for broken
//! models and inputs.

mod common;

use std::path::Path;
use std::process::Output;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// The self-contained checkpoint: its own tokenizer, nothing needed outside the repository.
const CHECKPOINT: &str = "tiny-selfcontained";

fn entente(args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
    common::entente_in(None, args, stdin, env)
}

/// `entente translate --model DIR EXTRA…` on `stdin`.
fn translate(dir: &tempfile::TempDir, extra: &[&str], stdin: &[u8]) -> Output {
    let mut args = vec!["translate", "--model", dir.path().to_str().unwrap()];
    args.extend_from_slice(extra);
    entente(&args, stdin, &[])
}

/// Copy the checkpoint's files into `dir` (copies: tests break them).
fn fill_model_dir(dir: &Path) {
    common::copy_selfcontained(dir);
}

fn model_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fill_model_dir(dir.path());
    dir
}

/// transformers' greedy output for "Bonjour." with this checkpoint, from the parity fixture.
fn reference(src: &str, beams: u64) -> serde_json::Value {
    let fixture = std::fs::read_to_string(
        Path::new(ROOT).join(format!("tests/fixtures/translate/{CHECKPOINT}.jsonl")),
    )
    .unwrap();
    fixture
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|r| r["mode"] == "single" && r["src"] == src && r["beams"] == beams)
        .unwrap()
}

#[test]
fn lines_are_aligned_and_empty_lines_kept() {
    let dir = model_dir();
    let out = translate(
        &dir,
        &["--beams", "1", "--max-new-tokens", "24"],
        "Bonjour.\n\n« Oui ! »\n".as_bytes(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0], reference("Bonjour.", 1)["text"].as_str().unwrap());
    assert_eq!(lines[1], "");
    assert_eq!(
        lines[2],
        reference("« Oui ! »", 1)["text"].as_str().unwrap()
    );
}

#[test]
fn jsonl_carries_ids_and_logprob() {
    let dir = model_dir();
    let out = translate(
        &dir,
        &[
            "--beams",
            "4",
            "--max-new-tokens",
            "24",
            "--format",
            "jsonl",
        ],
        "Bonjour.\n".as_bytes(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let want = reference("Bonjour.", 4);
    assert_eq!(got["src"], "Bonjour.");
    assert_eq!(got["ids"], want["ids"]);
    assert_eq!(got["text"], want["text"]);
    assert!((got["logprob"].as_f64().unwrap() - want["logprob"].as_f64().unwrap()).abs() < 1e-4);
}

#[test]
fn article_keeps_paragraphs() {
    let dir = model_dir();
    let article = "Titre sans point\n\nPremière phrase. Deuxième phrase.\nDernier paragraphe\n";
    let out = translate(
        &dir,
        &["--input", "article", "--max-new-tokens", "4"],
        article.as_bytes(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    // Three paragraphs, with the input's own breaks: a blank line, then a single newline.
    let lines: Vec<&str> = text.strip_suffix('\n').unwrap().split('\n').collect();
    assert_eq!(lines.len(), 4, "{text:?}");
    assert!(
        lines[1].is_empty() && [0, 2, 3].iter().all(|&i| !lines[i].is_empty()),
        "{text:?}"
    );
}

#[test]
fn offline_hub_cache_with_weights() {
    // A cache in the Hub's layout holding the checkpoint under a Hub id, HF_HUB_OFFLINE=1.
    let cache = tempfile::tempdir().unwrap();
    let repo = cache.path().join("models--entente-test--tiny");
    let commit = "89abcdef0123456789abcdef0123456789abcdef";
    let snapshot = repo.join("snapshots").join(commit);
    std::fs::create_dir_all(&snapshot).unwrap();
    std::fs::create_dir_all(repo.join("refs")).unwrap();
    std::fs::write(repo.join("refs/main"), commit).unwrap();
    fill_model_dir(&snapshot);
    let env = [
        ("HF_HUB_OFFLINE", "1"),
        ("HF_HUB_CACHE", cache.path().to_str().unwrap()),
    ];
    let args = [
        "translate",
        "--model",
        "entente-test/tiny",
        "--beams",
        "1",
        "--max-new-tokens",
        "24",
    ];
    let out = entente(&args, b"Bonjour.\n", &env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim_end(),
        reference("Bonjour.", 1)["text"].as_str().unwrap()
    );

    // Without the weights, the error lists what is missing and how to proceed.
    std::fs::remove_file(snapshot.join("model.safetensors")).unwrap();
    let out = entente(&args, b"Bonjour.\n", &env);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("model.safetensors (or pytorch_model.bin)") && err.contains("HF_HUB_OFFLINE"),
        "{err}"
    );
}

#[test]
fn missing_model_files_are_named() {
    let dir = model_dir();
    std::fs::remove_file(dir.path().join("vocab.json")).unwrap();
    let out = translate(&dir, &[], b"x\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing vocab.json"));
}

#[test]
fn corrupt_weights_are_reported() {
    let dir = model_dir();
    std::fs::write(
        dir.path().join("model.safetensors"),
        b"not a safetensors file",
    )
    .unwrap();
    let out = translate(&dir, &[], b"x\n");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("model.safetensors") && err.contains("cannot load the weights"),
        "{err}"
    );
}

#[test]
fn weights_of_the_wrong_shape_are_reported() {
    let dir = model_dir();
    let config = std::fs::read_to_string(dir.path().join("config.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&config).unwrap();
    v["d_model"] = serde_json::json!(64);
    std::fs::write(dir.path().join("config.json"), v.to_string()).unwrap();
    let out = translate(&dir, &[], b"x\n");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("shape"), "{err}");
}

#[test]
fn invalid_utf8_input_is_reported() {
    let dir = model_dir();
    let out = translate(&dir, &[], b"ok\nbad \xff\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("byte offset 7"));
}

#[test]
fn half_precision_on_cpu_is_refused_with_advice() {
    let dir = model_dir();
    let out = translate(&dir, &["--dtype", "f16"], b"x\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("use f32"));
}

#[test]
fn sources_longer_than_the_model_are_split_not_truncated() {
    // The test checkpoint has 128 positions; this line has well over 600 source tokens.
    let dir = model_dir();
    let line = "Le chat dort sur le canapé, le chien aboie dans le jardin; ".repeat(40);
    let out = entente(
        &[
            "translate",
            "--model",
            dir.path().to_str().unwrap(),
            "--beams",
            "1",
            "--max-new-tokens",
            "2",
            "--format",
            "jsonl",
        ],
        line.as_bytes(),
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // One generation per piece: each ends with EOS (forced at the last position).
    let eos = 0;
    let pieces = v["ids"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|&id| id == eos)
        .count();
    assert!(pieces >= 5, "{pieces} pieces");
}

#[test]
fn profile_reports_the_spans_and_the_caches_beside_the_translation() {
    let dir = model_dir();
    for dtype in ["f32", "int8"] {
        let out = translate(
            &dir,
            &[
                "--profile",
                "--dtype",
                dtype,
                "--beams",
                "2",
                "--max-new-tokens",
                "8",
            ],
            "Bonjour.\n« Oui ! »\n".as_bytes(),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{dtype}: {stderr}");
        assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);
        for span in ["encoder", "output projection", "search", "total"] {
            assert!(stderr.contains(span), "{dtype}: no {span} in {stderr}");
        }
        let caches = stderr
            .lines()
            .find(|l| l.starts_with("products blocked for a core's caches: L1d "))
            .unwrap_or_else(|| panic!("{dtype}: no caches line in {stderr}"));
        assert!(caches.ends_with(" KiB"), "{caches}");
    }
}

#[test]
fn a_pytorch_model_bin_checkpoint_translates_as_its_safetensors_twin() {
    // The Hub serves `pytorch_model.bin` for models published before safetensors (opus-mt-fr-en's
    // main branch): the same weights in that format (scripts/make_pytorch_bin_checkpoint.py)
    // give transformers' output, as the safetensors file does.
    let dir = tempfile::tempdir().unwrap();
    let bin = Path::new(ROOT).join("tests/fixtures/pytorch-bin");
    for name in ["config.json", "generation_config.json", "pytorch_model.bin"] {
        std::fs::copy(bin.join(name), dir.path().join(name)).unwrap();
    }
    let selfcontained = Path::new(ROOT).join("models/test/tiny-selfcontained");
    for name in [
        "source.spm",
        "target.spm",
        "vocab.json",
        "tokenizer_config.json",
    ] {
        std::fs::copy(selfcontained.join(name), dir.path().join(name)).unwrap();
    }
    assert!(!dir.path().join("model.safetensors").exists());
    for beams in [1u64, 4] {
        let want = reference("Bonjour.", beams);
        let out = translate(
            &dir,
            &[
                "--beams",
                &beams.to_string(),
                "--max-new-tokens",
                "24",
                "--format",
                "jsonl",
            ],
            b"Bonjour.\n",
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(got["ids"], want["ids"], "beams {beams}");
    }
    // int8 reads safetensors only, and says how to convert.
    let out = translate(&dir, &["--dtype", "int8"], b"Bonjour.\n");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("safe_serialization=True"));
}
