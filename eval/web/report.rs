//! What `eval-web` prints of one extractor on one set: F1 (the benchmark's shingle rule),
//! snippets kept and removed, headlines exactly right, and the same per language group of the
//! pages (French, English, other: read from the reference text, not from the page's markup,
//! which often does not say or says wrong).

use std::collections::HashMap;

use crate::scoring::{f1, matching};
use crate::sets::{Page, PageSet};

/// What one extractor gave on a set.
pub struct Outcome {
    /// The article body a page gave (scored by F1).
    pub bodies: HashMap<String, String>,
    /// The whole running text (scored by the snippets, which may sit in the standfirst).
    pub texts: HashMap<String, String>,
    pub titles: HashMap<String, String>,
    pub seconds: f64,
}

/// The language group of a page, from its reference text (body, else its snippets).
pub fn language_group(page: &Page) -> &'static str {
    let reference = page.body.clone().unwrap_or_else(|| page.with.join(" "));
    let letters: Vec<char> = reference.chars().filter(|c| c.is_alphabetic()).collect();
    let latin = letters
        .iter()
        .filter(|&&c| c.is_ascii_alphabetic() || ('\u{c0}'..='\u{24f}').contains(&c))
        .count();
    if letters.is_empty() || latin * 2 < letters.len() {
        return "other";
    }
    const ENGLISH: &[&str] = &[
        "the", "and", "of", "to", "is", "that", "with", "for", "was", "are", "this", "it",
    ];
    const FRENCH: &[&str] = &[
        "le", "la", "les", "des", "est", "et", "une", "du", "que", "dans", "pour", "qui", "pas",
    ];
    // Languages whose common words overlap French's ("la", "que", "des", "est"): a Spanish
    // or Portuguese page would otherwise count as French.
    const OTHERS: &[&[&str]] = &[
        &[
            "el", "los", "las", "del", "por", "con", "para", "es", "se", "lo", "al", "como", "más",
        ],
        &[
            "o", "os", "do", "da", "dos", "das", "em", "não", "uma", "com", "para", "é", "ao",
        ],
        &[
            "il", "di", "che", "è", "della", "per", "non", "gli", "nel", "sono", "alla", "anche",
        ],
        &[
            "der", "die", "das", "und", "ist", "nicht", "mit", "den", "von", "zu", "ein", "auf",
        ],
    ];
    let lower = reference.to_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphabetic()).collect();
    let count = |list: &[&str]| words.iter().filter(|w| list.contains(w)).count();
    let (en, fr) = (count(ENGLISH), count(FRENCH));
    let other = OTHERS.iter().map(|l| count(l)).max().unwrap_or(0);
    let total = words.iter().filter(|w| !w.is_empty()).count().max(1);
    if en > fr.max(other) && en * 100 >= total * 8 {
        "English"
    } else if fr > en.max(other) && fr * 100 >= total * 8 {
        "French"
    } else {
        "other"
    }
}

/// One row of figures.
pub struct Figures {
    pub pages: usize,
    /// Precision, recall, F1 over the pages with a reference body.
    pub f1: Option<(f64, f64, f64)>,
    /// Snippets: kept of must-contain, removed of must-not-contain.
    pub snippets: (usize, usize, usize, usize),
    /// Headlines exactly right, of the pages that give one.
    pub titles: (usize, usize),
}

fn normalize(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A text as snippets are looked for in it: whitespace collapsed, lowercase.
pub fn searchable(s: &str) -> String {
    normalize(s).to_lowercase()
}

/// Whether two headlines are the same as a reader sees them: the same words and punctuation,
/// whitespace collapsed and typographic quotes taken for straight ones (WCXB's gold writes
/// `Beginner's` for a page's `Beginner’s`).
pub fn same_title(a: &str, b: &str) -> bool {
    let plain = |s: &str| -> String {
        normalize(s)
            .chars()
            .map(|c| match c {
                '\u{2018}' | '\u{2019}' | '\u{2032}' => '\'',
                '\u{201c}' | '\u{201d}' | '\u{2033}' => '"',
                c => c,
            })
            .collect()
    };
    plain(a) == plain(b)
}

/// The figures of `outcome` over the pages of `set` that `keep` selects.
pub fn figures(set: &PageSet, outcome: &Outcome, keep: &dyn Fn(&Page) -> bool) -> Figures {
    let pages: Vec<&Page> = set.pages.iter().filter(|p| keep(p)).collect();
    let get = |map: &HashMap<String, String>, id: &str| map.get(id).cloned().unwrap_or_default();
    let scores: Vec<(f64, f64, f64)> = pages
        .iter()
        .filter_map(|p| Some(matching(p.body.as_ref()?, &get(&outcome.bodies, &p.id))))
        .collect();
    let (mut kept, mut with, mut removed, mut without) = (0, 0, 0, 0);
    let (mut right, mut titled) = (0, 0);
    for p in &pages {
        let text = searchable(&get(&outcome.texts, &p.id));
        let has = |s: &String| text.contains(&searchable(s));
        with += p.with.len();
        kept += p.with.iter().filter(|s| has(s)).count();
        without += p.without.len();
        removed += p.without.iter().filter(|s| !has(s)).count();
        if let Some(title) = &p.title {
            titled += 1;
            right += usize::from(same_title(title, &get(&outcome.titles, &p.id)));
        }
    }
    Figures {
        pages: pages.len(),
        f1: (!scores.is_empty()).then(|| f1(&scores)),
        snippets: (kept, with, removed, without),
        titles: (right, titled),
    }
}

/// The table's header.
pub fn header() -> &'static str {
    "| set | pages | extractor | F1 | P | R | titles exact | must-contain kept | must-not-contain removed | pages/s (1 core) | speed vs first peer |\n\
     |---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
}

/// One row of the table.
pub fn row(
    set: &str,
    group: &str,
    name: &str,
    f: &Figures,
    pages_per_s: f64,
    ratio: &str,
) -> String {
    let fmt = |x: Option<f64>| x.map_or("–".to_string(), |x| format!("{x:.3}"));
    let share = |(a, b): (usize, usize)| {
        if b > 0 {
            format!("{a} of {b} ({:.2})", a as f64 / b as f64)
        } else {
            "–".into()
        }
    };
    let (kept, with, removed, without) = f.snippets;
    format!(
        "| {set} | {group} {} | {name} | {} | {} | {} | {} | {} | {} | {:.0} | {ratio} |",
        f.pages,
        fmt(f.f1.map(|f| f.2)),
        fmt(f.f1.map(|f| f.0)),
        fmt(f.f1.map(|f| f.1)),
        share(f.titles),
        share((kept, with)),
        share((removed, without)),
        pages_per_s,
    )
}
