//! `entente align` end to end: formats, reported unaligned sentences, empty and one-sided
//! documents, and mismatched inputs.

mod common;

use std::process::Output;

fn entente(args: &[&str]) -> Output {
    common::entente_in(None, args, b"", &[])
}

/// `entente align --presegmented SRC TGT --translation MT --format FORMAT`.
fn align_with_translation(src: &str, tgt: &str, mt: &str, format: &str) -> Output {
    entente(&[
        "align",
        "--presegmented",
        src,
        tgt,
        "--translation",
        mt,
        "--format",
        format,
    ])
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn presegmented_with_a_translation_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let src = write(&dir, "src.de", "Die Expedition 1956 erreichte den Gipfel.\nDer Manaslu ist 8156 Meter hoch.\nDank an alle.\n");
    let mt = write(&dir, "mt.fr", "L'expédition 1956 atteignit le sommet.\nLe Manaslu est haut de 8156 mètres.\nMerci à tous.\n");
    let tgt = write(&dir, "tgt.fr", "L'expédition de 1956 a atteint le sommet.\nLe Manaslu culmine à 8156 mètres.\nRemerciements à tous.\n");
    let out = align_with_translation(&src, &tgt, &mt, "ladder");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "[0]:[0]\n[1]:[1]\n[2]:[2]\n"
    );

    let out = align_with_translation(&src, &tgt, &mt, "jsonl");
    let first: serde_json::Value = serde_json::from_str(
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(first["src_ids"], serde_json::json!([0]));
    assert_eq!(first["tgt"], "L'expédition de 1956 a atteint le sommet.");

    let out = align_with_translation(&src, &tgt, &mt, "tmx");
    let tmx = String::from_utf8(out.stdout).unwrap();
    assert_eq!(tmx.matches("<tu tuid=").count(), 3);
    assert!(
        tmx.contains("<seg>L'expédition de 1956 a atteint le sommet.</seg>"),
        "{tmx}"
    );

    let prefix = dir.path().join("corpus");
    let out = entente(&[
        "align",
        "--presegmented",
        &src,
        &tgt,
        "--no-mt",
        "--format",
        "moses",
        "-o",
        prefix.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = std::fs::read_to_string(dir.path().join("corpus.src")).unwrap();
    let t = std::fs::read_to_string(dir.path().join("corpus.tgt")).unwrap();
    assert_eq!(s.lines().count(), t.lines().count());
}

#[test]
fn unaligned_sentences_are_reported_not_lost() {
    let dir = tempfile::tempdir().unwrap();
    let src = write(&dir, "a.fr", "Le sommet 8156 fut atteint le 9 mai 1956.\n");
    let tgt = write(
        &dir,
        "a.en",
        "Foreword by the editors.\nThe 8156 m summit was reached on 9 May 1956.\n",
    );
    let out = entente(&[
        "align",
        "--presegmented",
        &src,
        &tgt,
        "--no-mt",
        "--format",
        "tsv",
    ]);
    assert!(out.status.success());
    let tsv = String::from_utf8(out.stdout).unwrap();
    assert!(tsv.starts_with("\tForeword by the editors.\t"), "{tsv}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 target sentences unaligned"));
}

#[test]
fn empty_and_one_sided_documents() {
    let dir = tempfile::tempdir().unwrap();
    let empty = write(&dir, "empty.txt", "");
    let one = write(&dir, "one.txt", "Une phrase. Une autre phrase.\n");
    let out = entente(&["align", &empty, &empty, "--no-mt"]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    let out = entente(&["align", &one, &empty, "--no-mt", "--format", "ladder"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "[0]:[]\n[1]:[]\n");
}

#[test]
fn translation_of_the_wrong_length_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let src = write(&dir, "s", "a\nb\n");
    let tgt = write(&dir, "t", "a\nb\n");
    let mt = write(&dir, "m", "only one line\n");
    let out = entente(&["align", "--presegmented", &src, &tgt, "--translation", &mt]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has 1 lines but the source has 2"));
}

#[test]
fn moses_needs_an_output_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "f", "Bonjour.\n");
    let out = entente(&["align", &f, &f, "--no-mt", "--format", "moses"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--output PREFIX"));
}
