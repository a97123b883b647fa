//! `entente bleu` end to end: the same output as sacreBLEU's command line on the cases recorded by
//! `scripts/bleu_cli_fixtures.py` (BOM, CRLF, empty lines, a file without final newline, CJK,
//! one and two references, text and JSON), plus the errors sacreBLEU users meet.

mod common;

use std::path::Path;
use std::process::Output;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/metrics/cli");

fn entente(args: &[&str], stdin: &[u8]) -> Output {
    common::entente_in(Some(Path::new(DIR)), args, stdin, &[])
}

#[test]
fn same_output_as_sacrebleu_cli() {
    let version = format!("entente-{}", env!("CARGO_PKG_VERSION"));
    let cases = std::fs::read_to_string(format!("{DIR}/cases.jsonl")).unwrap();
    let mut n = 0;
    for line in cases.lines() {
        let case: serde_json::Value = serde_json::from_str(line).unwrap();
        let mut args: Vec<String> = vec!["bleu".into(), "-r".into()];
        args.extend(
            case["refs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap().to_string()),
        );
        args.extend(["-i".to_string(), "hyp.txt".to_string()]);
        args.extend(
            case["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_string()),
        );
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = entente(&argv, b"");
        assert!(
            out.status.success(),
            "{argv:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let want = case["stdout"]
            .as_str()
            .unwrap()
            .replace("{version}", &version);
        assert_eq!(String::from_utf8(out.stdout).unwrap(), want, "{argv:?}");
        n += 1;
    }
    assert_eq!(n, 30);
}

#[test]
fn hypotheses_from_stdin() {
    let hyp = std::fs::read(format!("{DIR}/hyp.txt")).unwrap();
    let from_file = entente(&["bleu", "-r", "ref1.txt", "-i", "hyp.txt"], b"");
    let from_stdin = entente(&["bleu", "-r", "ref1.txt"], &hyp);
    assert!(from_stdin.status.success());
    assert_eq!(from_file.stdout, from_stdin.stdout);
}

#[test]
fn mismatched_line_counts_name_both_counts() {
    let out = entente(&["bleu", "-r", "ref1.txt"], b"one line\n");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("<stdin> has 1 lines but the reference ref1.txt has 6"),
        "{err}"
    );
}

#[test]
fn invalid_utf8_hypotheses_are_reported() {
    let out = entente(&["bleu", "-r", "ref1.txt"], b"a\nb\xff\nc\nd\ne\nf\n");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("byte offset 3") && err.contains("line 2"),
        "{err}"
    );
}

#[test]
fn sentence_level_takes_one_metric() {
    let out = entente(
        &[
            "bleu",
            "-r",
            "ref1.txt",
            "-i",
            "hyp.txt",
            "-m",
            "bleu",
            "chrf",
            "--sentence-level",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("one metric"));
}

#[test]
fn paired_test_needs_two_systems() {
    let out = entente(
        &["bleu", "-r", "ref1.txt", "-i", "hyp.txt", "--paired-bs"],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("baseline"));
}
