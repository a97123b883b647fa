//! `entente segment` end to end through the binary.

mod common;

use std::process::Output;

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/corpora/000_5241068be115698e.txt"
);

fn entente(args: &[&str], stdin: &[u8]) -> Output {
    common::entente_in(None, args, stdin, &[])
}

#[test]
fn text_format_on_the_sample_article() {
    let out = entente(&["segment", SAMPLE], b"");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let paragraphs: Vec<&str> = text.split("\n\n").collect();
    assert_eq!(
        paragraphs[0],
        "La Russie et la Chine s'opposent conjointement à l'élargissement de l'OTAN"
    );
    assert!(paragraphs.contains(&"#LaRussie #Chinesopposent #conjointementlélargissement #lOTAN"));
    assert!(text.contains("à Pékin le 4 février 2022.\nALEXEI DRUZININE/AP\n"));
    // The truncated last paragraph is kept.
    assert!(text.contains("(7 % de la de\n"));
}

#[test]
fn jsonl_offsets_point_into_the_input() {
    let input = std::fs::read_to_string(SAMPLE).unwrap();
    let out = entente(&["segment", "--format", "jsonl", "-"], input.as_bytes());
    assert!(out.status.success());
    let mut count = 0;
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let (start, end) = (
            v["start"].as_u64().unwrap() as usize,
            v["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(&input[start..end], v["text"].as_str().unwrap());
        count += 1;
    }
    assert!(count > 20, "only {count} sentences");
}

#[test]
fn invalid_utf8_fails_with_offset_and_exit_2() {
    let out = entente(&["segment"], b"Bonjour.\nCa\xe7a va.\n");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("byte offset 11") && err.contains("line 2"),
        "{err}"
    );
    assert!(out.stdout.is_empty());

    let out = entente(&["segment", "--lossy"], b"Bonjour.\nCa\xe7a va.\n");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "Bonjour.\n\nCa\u{fffd}a va.\n"
    );
}

#[test]
fn empty_input_prints_nothing() {
    let out = entente(&["segment"], b"");
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
}

#[test]
fn missing_file_is_a_clear_error() {
    let out = entente(&["segment", "/nonexistent/article.txt"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/article.txt"));
}

#[test]
fn output_file_is_written_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sentences.txt");
    let out = entente(
        &["segment", "-o", path.to_str().unwrap()],
        "Un. Deux.".as_bytes(),
    );
    assert!(out.status.success());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "Un.\nDeux.\n");
}

#[test]
fn a_50_megabyte_line_without_punctuation() {
    // Linear time: one pass. A quadratic scan would not finish within the test run.
    let line = "mot ".repeat(12_500_000);
    let out = entente(&["segment", "--format", "jsonl"], line.as_bytes());
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["end"].as_u64().unwrap() as usize, line.trim_end().len());
    // And a 50 MB line of period-separated tokens with no spaces.
    let line = "a.".repeat(25_000_000);
    let out = entente(&["segment", "--format", "jsonl"], line.as_bytes());
    assert!(out.status.success());
}
