#[test]
fn articles_keep_their_own_line_breaks() {
    use crate::segment::Segmenter;
    let source = "\nTitre\n\nUne phrase. Une autre.\nFin\n\n";
    let sentences = Segmenter::default().segment(source);
    let upper: Vec<String> = sentences
        .iter()
        .map(|s| s.text(source).to_uppercase())
        .collect();
    let refs: Vec<&str> = upper.iter().map(String::as_str).collect();
    assert_eq!(
        super::join_article(source, &sentences, &refs),
        "\nTITRE\n\nUNE PHRASE. UNE AUTRE.\nFIN\n\n"
    );
    // Paragraphs split by a single newline stay apart even with nothing between them.
    assert_eq!(super::join_article("", &[], &[]), "");
    assert_eq!(super::join_article("  \n ", &[], &[]), "\n");
}

use super::split::split_to_fit;
use super::*;
use std::path::Path;

use candle_core::{DType, Device};

use crate::generate::GenerationConfig;
use crate::marian;
use crate::tokenizer::MarianTokenizer;

#[test]
fn long_sources_split_at_clause_marks_within_the_limit() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("models/test/tiny-selfcontained");
    let tokenizer = MarianTokenizer::from_dir(&dir).unwrap();
    let config = marian::read_config(&dir.join("config.json")).unwrap();
    let files = crate::hub::ModelFiles {
        dir: dir.clone(),
        config: dir.join("config.json"),
        generation_config: None,
        weights: Some(dir.join("model.safetensors")),
    };
    let model = marian::load_model(
        &config,
        files.weights.as_ref().unwrap(),
        &Device::Cpu,
        DType::F32,
    )
    .unwrap();
    let translator = Translator {
        tokenizer,
        model,
        generation: GenerationConfig::from_json(
            None,
            &std::fs::read_to_string(&files.config).unwrap(),
        )
        .unwrap(),
        notes: Vec::new(),
        max_source_tokens: 40,
        resources: super::Resources::default_on(&super::Machine::detect(&Device::Cpu)),
        machine: super::Machine::detect(&Device::Cpu),
        pool: Default::default(),
    };
    let source = "Le chat dort sur le canapé, le chien aboie dans le jardin. ".repeat(12);
    let pieces = translator.split_long(&source);
    assert!(pieces.len() > 1);
    for p in &pieces {
        assert!(translator.tokenizer.encode(p).len() <= 40, "{p}");
        assert!(
            p.ends_with(',') || p.ends_with('.'),
            "not cut at a clause mark: {p:?}"
        );
    }
    // Nothing lost: the words of the pieces are the words of the source.
    let words = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    assert_eq!(words(&pieces.join(" ")), words(&source));
}

/// Splitting must stay near-linear: the text handed to the tokenizer in total is bounded by
/// a small multiple of n·log n (the old prefix-by-prefix search encoded O(n²)–O(n³) bytes:
/// a 50 KB line took over a minute, a 100,000-character word never finished).
#[test]
fn splitting_long_lines_and_words_is_near_linear() {
    use std::cell::Cell;
    for (name, source) in [
        (
            "clauses",
            "Le chat dort, le chien aboie; la pluie tombe. ".repeat(4000),
        ),
        ("spaces", "mot ".repeat(50_000)),
        ("one word", "a".repeat(100_000)),
        ("accents", "é".repeat(60_000)),
    ] {
        let encoded = Cell::new(0usize);
        let count = |s: &str| {
            encoded.set(encoded.get() + s.len());
            s.chars().count() / 3 + 1 // about three characters a token, plus </s>
        };
        let pieces = split_to_fit(&source, 100, count);
        let n = source.len();
        let bound = 40 * n * (usize::BITS - n.leading_zeros()) as usize;
        assert!(
            encoded.get() <= bound,
            "{name}: encoded {} bytes for {n}",
            encoded.get()
        );
        for p in &pieces {
            assert!(p.chars().count() / 3 < 100, "{name}: piece too long");
            assert!(!p.is_empty());
        }
        let squeeze = |s: &str| s.split_whitespace().collect::<String>();
        assert_eq!(
            squeeze(&pieces.concat()),
            squeeze(&source),
            "{name}: text lost"
        );
    }
}
