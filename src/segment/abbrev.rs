//! French abbreviation lists used by the segmenter.
//!
//! Written for entente from French typographic usage (Imprimerie nationale, press style guides),
//! not copied from any other splitter. Two classes matter for segmentation:
//! - [`is_prefix_abbreviation`]: words that announce what follows (titles, "p.", "cf.", month
//!   names): a period after them never ends a sentence.
//! - [`is_final_abbreviation`]: abbreviations that often close a sentence ("etc.", "J.-C.",
//!   "Ltd."): a period after them ends the sentence only when the next word looks like a sentence
//!   start (capital letter), and never before a digit.

/// Titles and abbreviations that are always followed by the word they qualify.
const PREFIX: &[&str] = &[
    // titles and forms of address
    "m", "mm", "mme", "mmes", "mlle", "mlles", "me", "mgr", "mgrs", "dr", "drs", "pr", "prs", "st",
    "ste", "sts", "stes", "sr", "mr", "mrs", // military and civil ranks
    "gal", "gén", "cdt", "cne", "lt", "lieut", "sgt", // references and cross-references
    "p", "pp", "cf", "ex", "vol", "chap", "art", "fig", "tab", "n", "no", "nos", "réf", "éd",
    "trad", "coll", "op", "t", "tél", "sect", "append", "suppl", "env", "approx", "av", "apr",
    "boul", "bd", "bld", "fg", "r", "rte", "dép", "arr", "cant", "c.-à-d", "c-à-d", "vs", "resp",
    "dir", "anc",
    // months (abbreviated forms; "sept" is left out: it is also the number seven)
    "janv", "févr", "fév", "avr", "juil", "oct", "nov", "déc",
];

/// Abbreviations that commonly stand at the end of a sentence.
const FINAL: &[&str] = &[
    "etc", "j.-c", "ltd", "inc", "cie", "co", "corp", "s.a", "sarl", "s", "jr", "hab", "cit",
    "ibid", "id", "sq", "sqq", "al",
];

fn lower(word: &str) -> String {
    word.chars().flat_map(char::to_lowercase).collect()
}

/// True for a word (without its final period) after which a period never ends a sentence.
pub fn is_prefix_abbreviation(word: &str) -> bool {
    let w = lower(word);
    PREFIX.contains(&w.as_str())
}

/// True for a word (without its final period) that is an abbreviation often found at a
/// sentence end.
pub fn is_final_abbreviation(word: &str) -> bool {
    let w = lower(word);
    FINAL.contains(&w.as_str())
}

/// Dotted acronyms and initials chains such as "A.F.P", "U.S.A", "LL.AA.II.RR", "J.-C":
/// letters in groups of at most two, separated by periods (or ".-").
pub fn is_dotted_acronym(word: &str) -> bool {
    if !word.contains('.') {
        return false;
    }
    word.split('.').all(|group| {
        let group = group.trim_start_matches('-');
        let n = group.chars().count();
        (1..=2).contains(&n) && group.chars().all(char::is_alphabetic)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert!(is_prefix_abbreviation("M"));
        assert!(is_prefix_abbreviation("Mme"));
        assert!(is_prefix_abbreviation("cf"));
        assert!(!is_prefix_abbreviation("maison"));
        assert!(is_final_abbreviation("etc"));
        assert!(is_final_abbreviation("J.-C"));
        assert!(!is_final_abbreviation("Paris"));
        assert!(is_dotted_acronym("A.F.P"));
        assert!(is_dotted_acronym("LL.AA.II.RR"));
        assert!(is_dotted_acronym("J.-C"));
        assert!(!is_dotted_acronym("lemonde.fr"));
        assert!(!is_dotted_acronym("Paris"));
    }
}
