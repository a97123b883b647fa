//! Bad tokenizer files give errors that name the file, never a panic.

use std::path::Path;

use entente::tokenizer::{MarianTokenizer, TokenizerError};

/// The self-contained test model's tokenizer files (in the repository).
const MODEL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/models/test/tiny-selfcontained"
);

/// A copy of the model's tokenizer files in a temporary directory, with one file replaced.
fn model_with(file: &str, contents: Option<&[u8]>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "source.spm",
        "target.spm",
        "vocab.json",
        "tokenizer_config.json",
    ] {
        std::fs::copy(Path::new(MODEL).join(name), dir.path().join(name)).unwrap();
    }
    match contents {
        Some(bytes) => std::fs::write(dir.path().join(file), bytes).unwrap(),
        None => std::fs::remove_file(dir.path().join(file)).unwrap(),
    }
    dir
}

fn load_error(file: &str, contents: Option<&[u8]>) -> String {
    let dir = model_with(file, contents);
    match MarianTokenizer::from_dir(dir.path()) {
        Ok(_) => panic!("{file}: loading should fail"),
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.contains(file), "error does not name {file}: {msg}");
            msg
        }
    }
}

#[test]
fn missing_spm() {
    let msg = load_error("source.spm", None);
    assert!(msg.contains("cannot read"), "{msg}");
}

#[test]
fn truncated_spm() {
    let full = std::fs::read(Path::new(MODEL).join("target.spm")).unwrap();
    let msg = load_error("target.spm", Some(&full[..full.len() / 2]));
    assert!(msg.contains("not a usable SentencePiece model"), "{msg}");
}

#[test]
fn non_protobuf_spm() {
    let msg = load_error("source.spm", Some(b"{\"this\": \"is json\"}\n"));
    assert!(msg.contains("not a usable SentencePiece model"), "{msg}");
}

#[test]
fn vocab_not_an_object() {
    let msg = load_error("vocab.json", Some(b"[\"<unk>\", \"</s>\"]"));
    assert!(msg.contains("expected a JSON object"), "{msg}");
    let msg = load_error("vocab.json", Some(b"{not json"));
    assert!(msg.contains("not JSON"), "{msg}");
    let msg = load_error("vocab.json", Some(b"{\"</s>\": 0, \"<pad>\": 1}"));
    assert!(msg.contains("<unk>"), "{msg}");
}

#[test]
fn errors_are_typed() {
    let dir = model_with("vocab.json", Some(b"[]"));
    assert!(matches!(
        MarianTokenizer::from_dir(dir.path()),
        Err(TokenizerError::BadVocab { .. })
    ));
}

#[test]
fn ids_beyond_32_bits_are_called_out_of_range() {
    let dir = model_with(
        "vocab.json",
        Some(br#"{"</s>": 0, "<unk>": 1, "<pad>": 1099511627776}"#),
    );
    let err = MarianTokenizer::from_dir(dir.path())
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("out of range") && err.contains("<pad>"),
        "{err}"
    );
    let dir = model_with(
        "vocab.json",
        Some(br#"{"</s>": 0, "<unk>": -1, "<pad>": 2}"#),
    );
    let err = MarianTokenizer::from_dir(dir.path())
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("negative"), "{err}");
}

#[test]
fn batches_are_padded_with_masks() {
    let tok = MarianTokenizer::from_dir(Path::new(MODEL)).unwrap();
    let batch = tok.encode_batch(&["Bonjour le monde", "Oui"]);
    let (long, short) = (tok.encode("Bonjour le monde"), tok.encode("Oui"));
    assert_eq!(batch.ids[0], long);
    assert_eq!(&batch.ids[1][..short.len()], &short[..]);
    assert!(batch.ids[1][short.len()..]
        .iter()
        .all(|&id| id == tok.pad_id()));
    assert_eq!(
        batch.attention_mask[1].iter().sum::<u32>() as usize,
        short.len()
    );
    assert_eq!(batch.attention_mask[0].len(), long.len());
}

#[test]
fn a_corrupt_normalization_map_is_an_error_not_a_panic() {
    // Found by `scripts/fuzz` (target spm): a one-bit change in the trie of the precompiled
    // charsmap made the first normalized character index past the array.
    let corrupt = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/tokenizer/fuzz-corrupt-charsmap.spm"
    ))
    .unwrap();
    let msg = load_error("source.spm", Some(&corrupt));
    assert!(msg.contains("normalization map"), "{msg}");
}
