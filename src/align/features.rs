//! Sentences as bags of features: words and character 4-grams (lexical, for a machine
//! translation against the target), the source's own words beside its translation's, or
//! language-independent anchors (numbers, cognate prefixes, punctuation) without MT; and how a
//! sentence ends (a clause or an initial invites a merge).

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

/// A sentence prepared for alignment: sorted feature hashes and its length in characters.
#[derive(Debug, Clone, Default)]
pub struct Features {
    pub(super) bag: Vec<u64>,
    pub(super) chars: usize,
    pub(super) ending: Ending,
}

/// How a sentence ends: where one side's sentence ends open, the other side often goes on.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) enum Ending {
    /// A full stop, question or exclamation mark, or no final punctuation.
    #[default]
    Closed,
    /// A colon, semicolon or comma: the end of a clause.
    Clause,
    /// The period of an initial ("durch B.M.", "Leiter Ch."): a segmenter's false split
    /// before a name.
    Initial,
}

/// How `text` ends (closing quotes and brackets aside).
pub(super) fn ending(text: &str) -> Ending {
    let end = text
        .trim_end()
        .trim_end_matches(|c: char| "»\"”’')]".contains(c) || c.is_whitespace());
    match end.chars().last() {
        None => Ending::Closed,
        Some('.') => {
            let word = end[..end.len() - 1]
                .trim_end()
                .rsplit(char::is_whitespace)
                .next()
                .unwrap_or("");
            if is_initial(word) {
                Ending::Initial
            } else {
                Ending::Closed
            }
        }
        Some(':' | ';' | ',') => Ending::Clause,
        // Headlines, captions, list items: units of their own (in the dev gold, none of the 33
        // sentences without final punctuation is merged with the next).
        Some(_) => Ending::Closed,
    }
}

/// An initial: one capital with at most one lowercase letter after it ("E", "Ch"), or dotted
/// capitals ("B.M", "J.R.R").
fn is_initial(word: &str) -> bool {
    let chars: Vec<char> = word.chars().collect();
    match chars.as_slice() {
        [c] => c.is_uppercase(),
        [c, d] => c.is_uppercase() && d.is_lowercase(),
        _ => {
            chars.len() >= 3
                && chars.iter().step_by(2).all(|c| c.is_uppercase())
                && chars.iter().skip(1).step_by(2).all(|&c| c == '.')
        }
    }
}

pub(super) fn hash_of(value: impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

fn fold_accents(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ò' | 'ó' | 'ô' | 'ö' | 'õ' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ß' => 's',
        other => other,
    }
}

/// The words of normalized text (runs of letters and digits).
pub(super) fn words(norm: &str) -> impl Iterator<Item = &str> {
    norm.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// Normalized text: lowercase, accents folded.
pub(super) fn normalize(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(fold_accents)
        .collect()
}

impl Features {
    pub(super) fn from_bag(mut bag: Vec<u64>, text: &str) -> Self {
        bag.sort_unstable();
        Features {
            bag,
            chars: text.chars().count(),
            ending: ending(text),
        }
    }

    /// Words and their character 4-grams (lowercase, accents folded): for comparing a machine
    /// translation with the target, where inflections and spelling variants still share 4-grams.
    pub fn lexical(text: &str) -> Self {
        let norm = normalize(text);
        let mut bag = Vec::new();
        for word in words(&norm) {
            let chars: Vec<char> = format!(" {word} ").chars().collect();
            for gram in chars.windows(4.min(chars.len())) {
                bag.push(hash_of(gram));
            }
            bag.push(hash_of(("w", word)));
        }
        Features::from_bag(bag, text)
    }

    /// A source sentence seen through its machine translation: the [`Features::lexical`]
    /// features of the translation and of the source itself (their multiset union: what both
    /// have counts once). Names, numbers and loanwords
    /// pass through translation unchanged, in the source's spelling where the translation may
    /// change them ("Basel" in both texts, "Bâle" in the translation), and a sentence whose
    /// translation failed or came back empty still has them. Source words that the target
    /// never uses (most German words against French) are left out when the features are
    /// weighed, so they cost nothing.
    pub fn translated(mt: &str, source: &str) -> Self {
        let bag = multiset_union(&Features::lexical(mt).bag, &Features::lexical(source).bag);
        // The length term compares the source's length with the target's (scaled by the
        // document's length ratio): an MT's length says little when the MT is poor.
        Features::from_bag(bag, source)
    }

    /// Anchors that survive translation: numbers, and words of 4+ letters reduced to their
    /// first 5 (cognates, names), lowercase with accents folded.
    pub fn anchors(text: &str) -> Self {
        let norm = normalize(text);
        let mut bag = Vec::new();
        for token in words(&norm) {
            if token.chars().any(|c| c.is_ascii_digit()) {
                bag.push(hash_of(("#", token)));
            } else if token.chars().count() >= 4 {
                let prefix: String = token.chars().take(5).collect();
                bag.push(hash_of(("w", prefix)));
            }
        }
        // Punctuation structure: quotes, parentheses, question and exclamation marks.
        for c in text.chars().filter(|c| "()?!:«»\"".contains(*c)) {
            bag.push(hash_of(("p", c)));
        }
        Features::from_bag(bag, text)
    }

    /// Length only (Gale-Church).
    pub fn length_only(text: &str) -> Self {
        Features {
            bag: Vec::new(),
            chars: text.chars().count(),
            ending: ending(text),
        }
    }
}

/// The union of two sorted multisets: each element as often as in the one that has it more.
/// A name the translation kept unchanged is then one feature of the sentence, not two (a sum
/// would count it twice against the target's once, halving its coverage).
pub(super) fn multiset_union(a: &[u64], b: &[u64]) -> Vec<u64> {
    let mut union = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                union.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                union.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                union.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    union.extend_from_slice(&a[i..]);
    union.extend_from_slice(&b[j..]);
    union
}
