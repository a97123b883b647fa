//! The dictionary readers on a real FreeDict file and on hand-made ones, and alignments that
//! the lexicon decides.

use std::path::{Path, PathBuf};

use super::*;
use crate::align::{align_sentences_with, Link};

fn tsv(text: &str) -> Lexicon {
    Lexicon::from_tsv(text, Path::new("test.tsv"), STEM_CHARS).unwrap()
}

#[test]
fn a_real_freedict_dictionary_is_read_through_its_index() {
    let path = Path::new(DICTD_DIR).join("freedict-fra-eng.index");
    if !path.exists() {
        assert!(
            !crate::testdata::required(),
            "{} is required here (apt install dict-freedict-fra-eng)",
            path.display()
        );
        crate::testdata::say_skipped("freedict reader", "dict-freedict-fra-eng not installed");
        return;
    }
    let lexicon = Lexicon::read(&path).unwrap();
    // The package says 8505 headwords; phrases ("afrique du nord") are left out.
    assert!(
        (7000..=8505).contains(&lexicon.entries()),
        "{}",
        lexicon.entries()
    );
    let has = |fr: &str, en: &str| {
        let features = lexicon.source_features(fr);
        let wanted = hash_of(("lex", en));
        features.contains(&wanted)
    };
    assert!(has("château", "castle"), "château → castle");
    assert!(
        has("Maison", "house"),
        "maison → house (case and accents folded)"
    );
    assert!(!has("maison", "castle"));
    // The same file named by its .dict.dz.
    let by_dict = Lexicon::read(&Path::new(DICTD_DIR).join("freedict-fra-eng.dict.dz")).unwrap();
    assert_eq!(by_dict.entries(), lexicon.entries());
    // Both directions where both are installed, the source's language first.
    let other = Path::new(DICTD_DIR).join("freedict-eng-fra.index");
    let both: Vec<PathBuf> = [path.clone(), other.clone()]
        .into_iter()
        .filter(|p| p.exists())
        .collect();
    assert_eq!(installed("fr", "en"), both);
    let turned: Vec<PathBuf> = [other.clone(), path]
        .into_iter()
        .filter(|p| p.exists())
        .collect();
    assert_eq!(installed("eng", "fra"), turned);
    assert_eq!(installed("fr", "xx"), Vec::<PathBuf>::new());
    if !other.exists() {
        assert!(
            !crate::testdata::required(),
            "{} is required here (apt install dict-freedict-eng-fra)",
            other.display()
        );
        return;
    }
    // eng-fra is found to run the other way, and read with fra-eng it covers more French.
    assert!(Lexicon::read(&other).unwrap().turned_against(&lexicon));
    let both = Lexicon::read_all(&installed("fr", "en")).unwrap();
    let text = ["Le vieux château domine la petite ville, ses jardins et ses yeux.".to_string()];
    assert!(
        both.coverage(&text) > lexicon.coverage(&text),
        "{} against {}",
        both.coverage(&text),
        lexicon.coverage(&text)
    );
}

#[test]
fn dictionaries_of_both_directions_are_read_as_one_in_the_direction_of_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let fr_en = write("fr-en.tsv", "maison\thouse\nchâteau\tcastle\nchien\tdog\n");
    // The other direction, with a headword the first lacks ("cat").
    let en_fr = write("en-fr.tsv", "house\tmaison\ncastle\tchâteau\ncat\tchat\n");
    let lexicon = Lexicon::read_all(&[fr_en.clone(), en_fr.clone()]).unwrap();
    let has =
        |l: &Lexicon, fr: &str, en: &str| l.source_features(fr).contains(&hash_of(("lex", en)));
    assert!(has(&lexicon, "chat", "cat"), "eng-fra's entry turned round");
    assert!(has(&lexicon, "chien", "dog") && has(&lexicon, "maison", "house"));
    assert!(
        !has(&lexicon, "cat", "chat"),
        "not added the wrong way round"
    );
    // Two of the same direction are merged as they are.
    let more = write("more.tsv", "chat\tcat\n");
    let same = Lexicon::read_all(&[fr_en.clone(), more]).unwrap();
    assert!(has(&same, "chat", "cat") && has(&same, "maison", "house"));
    // One unreadable file is an error naming it; none at all is an error too.
    let missing = dir.path().join("nowhere.tsv");
    let err = Lexicon::read_all(&[fr_en, missing]).unwrap_err();
    assert!(err.to_string().contains("nowhere.tsv"), "{err}");
    assert!(Lexicon::read_all(&[]).is_err());
}

#[test]
fn dictd_numbers_are_base_64() {
    assert_eq!(base64_number("A"), Some(0));
    assert_eq!(base64_number("b"), Some(27));
    assert_eq!(base64_number("BA"), Some(64));
    assert_eq!(base64_number("8m"), Some(60 * 64 + 38));
    assert_eq!(base64_number("é"), None);
}

#[test]
fn a_broken_dictionary_is_an_error_naming_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("broken.index");
    std::fs::write(&index, "maison\tA\tF\nchâteau\tZZZZ\tB\n").unwrap();
    std::fs::write(dir.path().join("broken.dict"), "maison\nhouse\n").unwrap();
    let err = Lexicon::read(&index).unwrap_err().to_string();
    assert!(
        err.contains("broken.index, line 2") && err.contains("past the end"),
        "{err}"
    );
    let missing = Lexicon::read(&dir.path().join("none.index"))
        .unwrap_err()
        .to_string();
    assert!(missing.contains("none.index"), "{missing}");
    let empty = dir.path().join("empty.tsv");
    std::fs::write(&empty, "# nothing\n").unwrap();
    assert!(Lexicon::read(&empty)
        .unwrap_err()
        .to_string()
        .contains("no entries"));
    let no_tab = dir.path().join("no-tab.tsv");
    std::fs::write(&no_tab, "maison house\n").unwrap();
    let err = Lexicon::read(&no_tab).unwrap_err().to_string();
    assert!(err.contains("line 1") && err.contains("no tab"), "{err}");
}

fn owned(lines: &[&str]) -> Vec<String> {
    lines.iter().map(|s| s.to_string()).collect()
}

fn pairs(links: &[Link]) -> Vec<(Vec<usize>, Vec<usize>)> {
    links
        .iter()
        .map(|l| (l.src.clone(), l.tgt.clone()))
        .collect()
}

/// Three French sentences of equal length, two English ones: which French sentence has no
/// counterpart only the words can tell.
fn documents() -> (Vec<String>, Vec<String>) {
    let fr = owned(&[
        "Le chien mange la viande rouge.",
        "Le roi habite un grand château.",
        "La femme lit un livre bleu.",
    ]);
    let en = owned(&[
        "The king lives in a big castle.",
        "The woman reads a blue book.",
    ]);
    (fr, en)
}

const WORDS: &str = "chien\tdog\nmange\teats\nviande\tmeat\nrouge\tred\nroi\tking\n\
                     habite\tlives\ngrand\tbig\nchâteau\tcastle\nfemme\twoman\nlit\treads\n\
                     livre\tbook\nbleu\tblue\n";

#[test]
fn the_lexicon_decides_which_sentence_has_no_counterpart() {
    let (fr, en) = documents();
    let right = vec![(vec![0], vec![]), (vec![1], vec![0]), (vec![2], vec![1])];
    let (without, _) = align_sentences_with(&fr, &en, None, None);
    assert_ne!(
        pairs(&without),
        right,
        "lengths alone already decide: no test of the lexicon"
    );
    let lexicon = tsv(WORDS);
    let (with, usage) = align_sentences_with(&fr, &en, None, Some(&lexicon));
    assert_eq!(pairs(&with), right);
    let usage = usage.unwrap();
    assert!(usage.used && !usage.reversed, "{usage:?}");
    // The dictionary the other way round (English → French) serves as well.
    let (back, usage) = align_sentences_with(&fr, &en, None, Some(&lexicon.reversed()));
    assert_eq!(pairs(&back), right);
    assert!(usage.unwrap().reversed);
}

#[test]
fn a_dictionary_for_another_pair_is_reported_and_not_used() {
    let (fr, en) = documents();
    let german_italian = tsv("Hund\tcane\nKönig\tre\nBuch\tlibro\nFrau\tdonna\n");
    let (with, usage) = align_sentences_with(&fr, &en, None, Some(&german_italian));
    let (without, _) = align_sentences_with(&fr, &en, None, None);
    assert_eq!(pairs(&with), pairs(&without));
    let usage = usage.unwrap();
    assert!(!usage.used, "{usage:?}");
    assert!(usage
        .describe(german_italian.entries())
        .contains("not used"));
}

#[test]
fn word_pairs_that_keep_meeting_in_confident_links_are_learned() {
    let src = owned(&[
        "der hund schläft",
        "der hund bellt",
        "die katze schläft",
        "ein baum",
    ]);
    let tgt = owned(&[
        "le chien dort",
        "le chien aboie",
        "le chat dort",
        "un arbre",
    ]);
    let link = |i: usize, score: f64| Link {
        src: vec![i],
        tgt: vec![i],
        score,
    };
    // The last link is not confident: it teaches nothing.
    let links = [link(0, 1.0), link(1, 1.0), link(2, 0.95), link(3, 0.5)];
    let learned = crate::align::learned::learn(&src, &tgt, &links);
    let knows = |w: &str, v: &str| {
        let wanted = hash_of(("lex", v));
        learned.source_features(w).contains(&wanted)
    };
    assert!(knows("hund", "chien") && knows("schläft", "dort"));
    // Seen in one link only, or only in a link below the confidence asked: nothing learned.
    assert!(!knows("katze", "chat") && !knows("baum", "arbre"));
    assert!(!knows("hund", "dort"), "hund and dort meet once");
}
