//! A bilingual dictionary as alignment evidence, as hunalign uses one: a source word whose
//! dictionary translation occurs in the target sentence is a shared feature of the two, weighed
//! by inverse document frequency like every other feature. Words are compared lowercased with
//! accents folded, by their first [`STEM_CHARS`] characters (a light stem that lets inflected
//! forms meet), chosen across sets (see there).
//!
//! Read from a dictd dictionary as Debian's FreeDict packages install it (`.index` with its
//! `.dict.dz` or `.dict` beside it: each entry's first line is the headword, its second the
//! translations) or from a plain list of `word<TAB>translation` lines. Which way round it
//! applies is measured on the documents: the direction whose headwords cover more of the
//! source's words, and a dictionary covering almost none of either side is reported as not
//! usable instead of being used.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use super::features::{hash_of, normalize, words};

/// Characters of a word compared (after lowercasing and folding accents). Chosen across five
/// hand-aligned sets (`eval-align-heldout`: Bleualign dev and Text+Berg test de–fr, ParIce en–is,
/// the 1984 novel hu–en and ro–en), Vecalign strict F1 with the pair's FreeDict dictionary and
/// realignment: prefixes of 5 and 8 characters and whole words averaged 0.940, 0.945, 0.942,
/// and leaving each set out chose 8 in four folds of five. On the dev set alone whole words won
/// (0.930 against 0.920): the one-set choice did not generalize.
pub const STEM_CHARS: usize = 8;

/// The share of a side's words (of 3+ letters) the headwords must cover for the lexicon to be
/// used: below it, the dictionary is for another language pair (or script).
pub const MIN_COVERAGE: f64 = 0.05;

/// Translations of a word that become features: its first, in the order the dictionary gives
/// them (the main senses first; then those of a dictionary of the other direction, then the
/// learned ones). Each is a feature of every sentence the word occurs in, and the exact pass's
/// time grows with the features: on the held-out sets (eval-align-heldout) the first 4 aligned
/// as well as all of them or better (Text+Berg 0.922 against 0.921, ParIce 0.932 against 0.927,
/// TransRead 0.942 against 0.943), the first 2 a little worse, and 99,099 × 99,099 sentences
/// took 15.9 s against 18.1 s.
pub const MAX_TRANSLATIONS: usize = 4;

/// Decompressed dictionaries larger than this are refused (a zip bomb, or not a dictionary).
const MAX_DICT_BYTES: u64 = 1 << 30;

/// Errors reading a dictionary; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum LexiconError {
    #[error("cannot read the lexicon {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}, line {line}: {why}")]
    Format {
        path: PathBuf,
        line: usize,
        why: String,
    },
    #[error(
        "{path}: no entries (a dictd .index with its .dict.dz, or word<TAB>translation lines)"
    )]
    Empty { path: PathBuf },
    #[error("no dictionary given")]
    NoneGiven,
}

/// Stems of headwords mapped to the stems of their translations.
#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    translations: HashMap<String, Vec<String>>,
    /// Every translation's stem: a target word outside it can match nothing, and gets no
    /// feature (half the alignment's time went to such features).
    targets: std::collections::HashSet<String>,
    entries: usize,
    /// Characters of a word compared.
    stem: usize,
}

/// Where Debian's FreeDict packages install their dictionaries.
pub const DICTD_DIR: &str = "/usr/share/dictd";

/// The FreeDict dictionaries Debian installed between two languages (ISO 639-1 or -3 codes):
/// `freedict-fra-eng` then `freedict-eng-fra` for French and English, those that exist. Both
/// directions are worth reading: each has headwords the other lacks (with fra-eng alone, the
/// German–French test documents align at 0.911 Vecalign F1; with deu-fra and fra-deu, 0.918).
pub fn installed(src_lang: &str, tgt_lang: &str) -> Vec<PathBuf> {
    let (Some(a), Some(b)) = (three_letters(src_lang), three_letters(tgt_lang)) else {
        return Vec::new();
    };
    [(a, b), (b, a)]
        .iter()
        .map(|(x, y)| Path::new(DICTD_DIR).join(format!("freedict-{x}-{y}.index")))
        .filter(|p| p.exists())
        .collect()
}

/// ISO 639-3 code of a language FreeDict covers, from its 639-1 or 639-3 code.
fn three_letters(code: &str) -> Option<&'static str> {
    const CODES: [(&str, &str); 18] = [
        ("fr", "fra"),
        ("en", "eng"),
        ("de", "deu"),
        ("es", "spa"),
        ("it", "ita"),
        ("nl", "nld"),
        ("pt", "por"),
        ("sv", "swe"),
        ("da", "dan"),
        ("fi", "fin"),
        ("pl", "pol"),
        ("cs", "ces"),
        ("hu", "hun"),
        ("ru", "rus"),
        ("tr", "tur"),
        ("el", "ell"),
        ("is", "isl"),
        ("ro", "ron"),
    ];
    let code = code.to_ascii_lowercase();
    CODES
        .iter()
        .find(|(two, three)| *two == code || *three == code)
        .map(|(_, three)| *three)
}

/// The first `chars` characters of a normalized word.
fn prefix(word: &str, chars: usize) -> String {
    word.chars().take(chars).collect()
}

impl Lexicon {
    /// Read `path`: a dictd `.index` (or its `.dict.dz` / `.dict`), else `word<TAB>word` lines.
    pub fn read(path: &Path) -> Result<Self, LexiconError> {
        Self::read_stemmed(path, STEM_CHARS)
    }

    /// Several dictionaries as one, in the direction of the first: each other one is turned
    /// round where its headwords meet the first's translations more than its headwords (a
    /// dictionary of the other direction, as [`installed`] finds them).
    pub fn read_all(paths: &[PathBuf]) -> Result<Self, LexiconError> {
        Self::read_all_stemmed(paths, STEM_CHARS)
    }

    /// [`Lexicon::read_all`] comparing words by their first `stem` characters.
    pub fn read_all_stemmed(paths: &[PathBuf], stem: usize) -> Result<Self, LexiconError> {
        let mut lexicons = paths.iter().map(|p| Self::read_stemmed(p, stem));
        let Some(first) = lexicons.next() else {
            return Err(LexiconError::NoneGiven);
        };
        let mut all = first?;
        for other in lexicons {
            let other = other?;
            all = if other.turned_against(&all) {
                all.merged(&other.reversed())
            } else {
                all.merged(&other)
            };
        }
        Ok(all)
    }

    /// Whether this dictionary runs the other way from `first`: more of its headwords are
    /// `first`'s translations than `first`'s headwords.
    fn turned_against(&self, first: &Lexicon) -> bool {
        let heads = self.translations.keys();
        let (same, turned) = heads.fold((0usize, 0usize), |(same, turned), head| {
            (
                same + usize::from(first.translations.contains_key(head)),
                turned + usize::from(first.targets.contains(head)),
            )
        });
        turned > same
    }

    /// [`Lexicon::read`], comparing words by their first `stem` characters (`usize::MAX`:
    /// whole words).
    pub fn read_stemmed(path: &Path, stem: usize) -> Result<Self, LexiconError> {
        let io = |source| LexiconError::Io {
            path: path.to_path_buf(),
            source,
        };
        let name = path.to_string_lossy();
        let base = name
            .strip_suffix(".index")
            .or_else(|| name.strip_suffix(".dict.dz"))
            .or_else(|| name.strip_suffix(".dict"));
        let lexicon = match base {
            Some(base) => {
                let index_path = PathBuf::from(format!("{base}.index"));
                let index =
                    std::fs::read_to_string(&index_path).map_err(|source| LexiconError::Io {
                        path: index_path.clone(),
                        source,
                    })?;
                let dict = read_dict(base)?;
                Self::from_dictd(&index, &dict, &index_path, stem)?
            }
            None => Self::from_tsv(&std::fs::read_to_string(path).map_err(io)?, path, stem)?,
        };
        if lexicon.entries == 0 {
            return Err(LexiconError::Empty {
                path: path.to_path_buf(),
            });
        }
        Ok(lexicon)
    }

    /// `word<TAB>translation` lines (more translations in more columns); `#` comments.
    pub fn from_tsv(text: &str, path: &Path, stem: usize) -> Result<Self, LexiconError> {
        let mut lexicon = Lexicon {
            stem,
            ..Lexicon::default()
        };
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let mut columns = line.split('\t');
            let head = columns.next().unwrap_or_default();
            let targets: Vec<&str> = columns.collect();
            if targets.is_empty() {
                return Err(LexiconError::Format {
                    path: path.to_path_buf(),
                    line: n + 1,
                    why: "no tab: expected word<TAB>translation".into(),
                });
            }
            lexicon.add(head, targets.iter().copied());
        }
        Ok(lexicon)
    }

    /// A dictd index (`headword<TAB>offset<TAB>length`, base-64 numbers) over `dict`.
    fn from_dictd(
        index: &str,
        dict: &[u8],
        path: &Path,
        stem: usize,
    ) -> Result<Self, LexiconError> {
        let mut lexicon = Lexicon {
            stem,
            ..Lexicon::default()
        };
        for (n, line) in index.lines().enumerate() {
            let bad = |why: &str| LexiconError::Format {
                path: path.to_path_buf(),
                line: n + 1,
                why: why.to_string(),
            };
            let mut fields = line.split('\t');
            let (Some(head), Some(offset), Some(length)) =
                (fields.next(), fields.next(), fields.next())
            else {
                return Err(bad("expected headword<TAB>offset<TAB>length"));
            };
            if head.starts_with("00database") || head.starts_with("00-database") {
                continue;
            }
            let (offset, length) = (base64_number(offset), base64_number(length));
            let (Some(offset), Some(length)) = (offset, length) else {
                return Err(bad("offset and length are not dictd base-64 numbers"));
            };
            let entry = dict
                .get(offset..offset.saturating_add(length))
                .ok_or_else(|| bad("the entry lies past the end of the .dict file"))?;
            let entry = String::from_utf8_lossy(entry);
            // Line 1: the headword (pronunciation, part of speech); line 2: the translations.
            let Some(translations) = entry.lines().nth(1) else {
                continue;
            };
            let translations = translations.split([',', ';']).map(|t| {
                t.trim()
                    .trim_end_matches(|c: char| c.is_ascii_digit() || c == '.')
            });
            lexicon.add(head, translations);
        }
        Ok(lexicon)
    }

    /// One entry: single-word headwords only (a phrase's words are not its translation's).
    fn add<'a>(&mut self, head: &str, translations: impl Iterator<Item = &'a str>) {
        let head = head.trim();
        if head.is_empty() || head.contains(char::is_whitespace) {
            return;
        }
        let stems: Vec<String> = translations.flat_map(|t| self.stems(t)).collect();
        if stems.is_empty() {
            return;
        }
        self.targets.extend(stems.iter().cloned());
        let slot = self
            .translations
            .entry(prefix(&normalize(head), self.stem))
            .or_default();
        push_new(slot, stems);
        self.entries += 1;
    }

    /// A lexicon of (word, translation) pairs, whole words.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut lexicon = Lexicon {
            stem: STEM_CHARS,
            ..Lexicon::default()
        };
        for (w, v) in pairs {
            lexicon.add(&w, std::iter::once(v.as_str()));
        }
        lexicon
    }

    /// This lexicon and `other` together (both must apply in the same direction).
    pub fn merged(&self, other: &Lexicon) -> Lexicon {
        let mut out = self.clone();
        for (head, targets) in &other.translations {
            out.targets.extend(targets.iter().cloned());
            let slot = out.translations.entry(head.clone()).or_default();
            push_new(slot, targets.iter().cloned());
        }
        out.entries += other.entries;
        out
    }

    /// A digest of the content (sorted entries and the stem length): what a resumed pipeline
    /// compares, whatever file it came from.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut heads: Vec<(&String, &Vec<String>)> = self.translations.iter().collect();
        heads.sort_unstable();
        let mut hasher = Sha256::new();
        hasher.update(self.stem.to_le_bytes());
        for (head, targets) in heads {
            hasher.update(head.as_bytes());
            for t in targets {
                hasher.update([0]);
                hasher.update(t.as_bytes());
            }
            hasher.update([1]);
        }
        crate::hub::hex(&hasher.finalize())
    }

    /// Entries read (single-word headwords with a translation).
    pub fn entries(&self) -> usize {
        self.entries
    }

    /// The dictionary the other way round.
    pub fn reversed(&self) -> Self {
        let mut back: HashMap<String, Vec<String>> = HashMap::new();
        for (head, targets) in &self.translations {
            for t in targets {
                back.entry(t.clone()).or_default().push(head.clone());
            }
        }
        // Turned round, a word's translations have no order of the dictionary's: sorted, so
        // that the result is the same whatever order the map gives them in.
        for v in back.values_mut() {
            v.sort_unstable();
            v.dedup();
        }
        Lexicon {
            entries: back.len(),
            targets: self.translations.keys().cloned().collect(),
            translations: back,
            stem: self.stem,
        }
    }

    /// The share of `sentences`' words (3+ letters) that are headwords.
    pub fn coverage(&self, sentences: &[String]) -> f64 {
        let (mut known, mut all) = (0usize, 0usize);
        for stem in sentences.iter().flat_map(|s| self.stems(s)) {
            all += 1;
            known += usize::from(self.translations.contains_key(&stem));
        }
        known as f64 / all.max(1) as f64
    }

    /// The lexical features of a source sentence: one per dictionary translation of each word.
    pub(super) fn source_features(&self, text: &str) -> Vec<u64> {
        let mut bag = Vec::new();
        for stem in self.stems(text) {
            if let Some(targets) = self.translations.get(&stem) {
                bag.extend(
                    (targets.iter().take(MAX_TRANSLATIONS)).map(|t| hash_of(("lex", t.as_str()))),
                );
            }
        }
        bag
    }

    /// The lexical features of a target sentence: its words' stems, as translations are kept.
    pub(super) fn target_features(&self, text: &str) -> Vec<u64> {
        self.stems(text)
            .into_iter()
            .filter(|stem| self.targets.contains(stem))
            .map(|stem| hash_of(("lex", stem.as_str())))
            .collect()
    }

    /// The stems of `text`'s content words, as entries are keyed.
    fn stems(&self, text: &str) -> Vec<String> {
        let norm = normalize(text);
        content_words(&norm).map(|w| prefix(w, self.stem)).collect()
    }
}

/// The words compared (normalized text's words of 3+ letters): shorter ones are mostly
/// function words, which a dictionary translates into everything.
pub(super) fn content_words(norm: &str) -> impl Iterator<Item = &str> {
    words(norm).filter(|w| w.chars().count() >= 3)
}

/// The dictionary text of `base` (`.dict.dz`, gzip as dictzip writes it, else `.dict`).
fn read_dict(base: &str) -> Result<Vec<u8>, LexiconError> {
    let dz = PathBuf::from(format!("{base}.dict.dz"));
    let (path, compressed) = if dz.exists() {
        (dz, true)
    } else {
        (PathBuf::from(format!("{base}.dict")), false)
    };
    let io = |source| LexiconError::Io {
        path: path.clone(),
        source,
    };
    let file = std::fs::File::open(&path).map_err(io)?;
    let mut bytes = Vec::new();
    let reader: Box<dyn std::io::Read> = if compressed {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    reader
        .take(MAX_DICT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_DICT_BYTES {
        return Err(LexiconError::Format {
            path,
            line: 0,
            why: format!("more than {MAX_DICT_BYTES} bytes uncompressed: not a dictionary"),
        });
    }
    Ok(bytes)
}

/// A dictd number: base-64 digits (A–Z, a–z, 0–9, +, /), most significant first.
fn base64_number(text: &str) -> Option<usize> {
    const DIGITS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    text.chars().try_fold(0usize, |n, c| {
        let digit = DIGITS.find(c)?;
        n.checked_mul(64)?.checked_add(digit)
    })
}

#[cfg(test)]
mod tests;

/// `new` added to a headword's translations, those it already has left out: the
/// translations keep the dictionary's order (a headword has a few).
fn push_new(slot: &mut Vec<String>, new: impl IntoIterator<Item = String>) {
    for translation in new {
        if !slot.contains(&translation) {
            slot.push(translation);
        }
    }
}
