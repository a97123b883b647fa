//! Alignment on hand-aligned sets entente was not tuned on, Vecalign's strict F1 over all
//! links of a set; nothing of them is copied here (fetch, convert outside the repository):
//!
//! - the Text+Berg German–French test documents (Bleualign's test set, 7 documents) and ParIce
//!   English–Icelandic (10 documents), as SentAlign's `eval_data/` distributes them
//!   (steinst/SentAlign; `--sets DIR`);
//! - the Text+Berg test documents with Bleualign's Google translation as MT (`--bleualign-mt
//!   FILE`: rsennrich/Bleualign's `eval/eval1989.google.fr`);
//! - LIMSI's TransRead French–English novels, 11 books' opening chapters (`--transread DIR`, as
//!   `scripts/transread_sets.py` writes them from fyvo/TransReadAlignments);
//! - the Multext-East "1984" novel in Hungarian–English and Romanian–English (`--hunalign DIR`:
//!   hunalign's `regtest/handaligns`).
//!
//! Each with and without the pair's FreeDict dictionaries (both directions where Debian has
//! them: `dict-freedict-deu-fra` and `-fra-deu`, `-isl-eng`, `-fra-eng` and `-eng-fra`,
//! `-hun-eng`; none for Romanian) and realignment; then every setting of the grid
//! (`heldout/choice.rs`) on every set, and the leave-one-set-out table.
//!
//! Run: `cargo run --release --example eval-align-heldout -- --sets DIR [--bleualign-mt FILE]
//! [--transread DIR] [--hunalign DIR] [--errors | --rows-only]`.

#[path = "heldout/choice.rs"]
mod choice;
#[path = "../common.rs"]
mod common;

use std::path::{Path, PathBuf};

use entente::align::eval::{parse_ladder, score_vecalign, Ladder};
use entente::align::lexicon::{installed, STEM_CHARS};
use entente::align::{align_configured, AlignConfig, Decoding, Lexicon};

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| {
            // ParIce's lines start with their number and a tab.
            let text = match l.split_once('\t') {
                Some((n, rest)) if n.chars().all(|c| c.is_ascii_digit()) => rest,
                _ => l,
            };
            text.trim().to_string()
        })
        .collect()
}

/// One set: its documents (source, target, gold), the MT where it has one, and its pair's
/// dictionaries.
pub struct Set {
    pub name: &'static str,
    docs: Vec<(Vec<String>, Vec<String>, Ladder)>,
    /// A machine translation of each document's source, line for line, where the set has one.
    mt: Option<Vec<Vec<String>>>,
    /// The installed FreeDict dictionaries of the pair, the source's language first.
    dictionaries: Vec<PathBuf>,
    /// What `dictionaries` reads as, at the stem length of the setting being run.
    pub lexicon: Option<Lexicon>,
}

impl Set {
    fn new(
        name: &'static str,
        docs: Vec<(Vec<String>, Vec<String>, Ladder)>,
        langs: [&str; 2],
    ) -> Self {
        let dictionaries = installed(langs[0], langs[1]);
        let mut set = Set {
            name,
            docs,
            mt: None,
            dictionaries,
            lexicon: None,
        };
        set.read_lexicon(STEM_CHARS, true);
        set
    }

    /// Read the set's dictionaries comparing `stem` characters: all of them, or only the first
    /// (entente before both directions were read).
    pub fn read_lexicon(&mut self, stem: usize, all: bool) {
        let paths = if all {
            &self.dictionaries[..]
        } else {
            &self.dictionaries[..self.dictionaries.len().min(1)]
        };
        self.lexicon = (!paths.is_empty())
            .then(|| Lexicon::read_all_stemmed(paths, stem).ok())
            .flatten();
    }
}

/// What is run on a set: with its lexicon or not, realigned or not, under a configuration.
#[derive(Clone, Copy)]
pub struct Run {
    pub lexicon: bool,
    pub realign: bool,
    pub config: AlignConfig,
}

impl Run {
    pub fn shipped(lexicon: bool, realign: bool) -> Self {
        Run {
            lexicon,
            realign,
            config: AlignConfig::default(),
        }
    }
}

/// Each document's links under `run`, with its gold.
pub fn align_set<'a>(set: &'a Set, run: &Run) -> Vec<(Ladder, &'a Ladder)> {
    set.docs
        .iter()
        .enumerate()
        .map(|(k, (src, tgt, gold))| {
            let lexicon = if run.lexicon {
                set.lexicon.as_ref()
            } else {
                None
            };
            let mt = set.mt.as_ref().map(|m| &m[k][..]);
            let (links, _) = align_configured(src, tgt, mt, lexicon, run.realign, &run.config);
            let links = links.into_iter().map(|l| (l.src, l.tgt)).collect();
            (links, gold)
        })
        .collect()
}

/// Every document aligned, links renumbered as one document, against the gold so numbered.
pub fn f1(set: &Set, run: &Run) -> f64 {
    let (mut proposed, mut gold) = (Ladder::new(), Ladder::new());
    let (mut offset_s, mut offset_t) = (0, 0);
    for ((links, g), (src, tgt, _)) in align_set(set, run).into_iter().zip(&set.docs) {
        let shift = |ids: &[usize], by: usize| ids.iter().map(|i| i + by).collect::<Vec<_>>();
        proposed.extend(
            links
                .iter()
                .map(|(s, t)| (shift(s, offset_s), shift(t, offset_t))),
        );
        gold.extend(
            g.iter()
                .map(|(s, t)| (shift(s, offset_s), shift(t, offset_t))),
        );
        offset_s += src.len();
        offset_t += tgt.len();
    }
    score_vecalign(&proposed, &gold).strict.2
}

fn load(dir: &Path, name: &'static str, sides: [&str; 2], langs: [&str; 2]) -> Set {
    let gold_dir = dir.join("gold");
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir.join(sides[0]))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.join(sides[0]).display()))
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    let docs = names
        .iter()
        .filter_map(|p| {
            let file = p.file_name()?;
            let gold = parse_ladder(&std::fs::read_to_string(gold_dir.join(file)).ok()?).ok()?;
            Some((lines(p), lines(&dir.join(sides[1]).join(file)), gold))
        })
        .collect();
    Set::new(name, docs, langs)
}

/// Bleualign's Google translation of the Text+Berg test documents (`eval/eval1989.google.fr`
/// of rsennrich/Bleualign, fetched: the 7 documents of SentAlign's `bleualign` set, in order,
/// each ended by a `.EOA` line, `. EOA` once translated), split into documents.
fn bleualign_mt(path: &Path, set: &Set) -> Option<Vec<Vec<String>>> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut docs = vec![Vec::new()];
    for line in text.lines() {
        if line.split_whitespace().collect::<String>() == ".EOA" {
            docs.push(Vec::new());
        } else {
            docs.last_mut()?.push(line.trim().to_string());
        }
    }
    docs.retain(|d| !d.is_empty());
    let fits = docs.len() == set.docs.len()
        && (docs.iter().zip(&set.docs)).all(|(mt, (src, _, _))| mt.len() == src.len());
    if !fits {
        eprintln!(
            "{}: not line for line with the set's documents",
            path.display()
        );
        return None;
    }
    Some(docs)
}

/// A hunalign hand-aligned novel (`regtest/handaligns/NAME`: `hu.sen`, the source whatever
/// its language, `en.sen`, and `hand.ladder`'s rungs "i j": each bead runs from one rung to the
/// next), `latin2` for files in ISO 8859-2.
fn hunalign_set(dir: &Path, name: &'static str, latin2: bool, lang: &str) -> Option<Set> {
    let read = |file: &str| -> Option<Vec<String>> {
        let bytes = std::fs::read(dir.join(file)).ok()?;
        let text = if latin2 {
            encoding_rs::ISO_8859_2.decode(&bytes).0.into_owned()
        } else {
            String::from_utf8_lossy(&bytes).into_owned()
        };
        Some(text.lines().map(|l| l.trim().to_string()).collect())
    };
    let (src, tgt) = (read("hu.sen")?, read("en.sen")?);
    let rungs: Vec<(usize, usize)> = std::fs::read_to_string(dir.join("hand.ladder"))
        .ok()?
        .lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace().map(|v| v.parse::<usize>().ok());
            Some((it.next()??, it.next()??))
        })
        .collect();
    let mut gold = Ladder::new();
    for (k, &(i, j)) in rungs.iter().enumerate() {
        let (ni, nj) = rungs.get(k + 1).copied().unwrap_or((src.len(), tgt.len()));
        if ni > i || nj > j {
            gold.push(((i..ni).collect(), (j..nj).collect()));
        }
    }
    Some(Set::new(name, vec![(src, tgt, gold)], [lang, "en"]))
}

/// The Bleualign dev set (one document) from ../shared: in sample (the aligner's constants
/// were first chosen on it), shown beside the others and part of the grid.
fn dev_set() -> Set {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/eval/align/bleualign-dev");
    let gold = parse_ladder(&std::fs::read_to_string(dir.join("dev.defr")).expect("dev gold"))
        .expect("dev gold");
    let doc = (lines(&dir.join("dev.de")), lines(&dir.join("dev.fr")), gold);
    Set::new("Bleualign dev, de–fr", vec![doc], ["de", "fr"])
}

/// The set's F1 without and with its dictionaries and realignment, and as entente aligned it
/// before (its first dictionary alone, the best path).
fn print_row(set: &mut Set) {
    let with_dictionary = |set: &Set, realign: bool| {
        if set.lexicon.is_some() {
            format!("{:.3}", f1(set, &Run::shipped(true, realign)))
        } else {
            "no dictionary".into()
        }
    };
    let (alone, realigned) = (
        f1(set, &Run::shipped(false, false)),
        f1(set, &Run::shipped(false, true)),
    );
    let (lexicon, both) = (with_dictionary(set, false), with_dictionary(set, true));
    // The shipped lexicon is put back afterwards rather than read again.
    let all_dictionaries = set.lexicon.take();
    set.read_lexicon(STEM_CHARS, false);
    let mut before = Run::shipped(set.lexicon.is_some(), true);
    before.config.decoding = Decoding::BestPath;
    let before = f1(set, &before);
    set.lexicon = all_dictionaries;
    println!(
        "| {} | {} | {alone:.3} | {lexicon} | {realigned:.3} | {both} | {before:.3} |",
        set.name,
        set.docs.len(),
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir =
        PathBuf::from(common::arg(&args, "--sets").unwrap_or("/work/align-sets/eval_data".into()));
    let text_berg = || {
        load(
            &dir.join("bleualign"),
            "Text+Berg test, de–fr",
            ["deu", "fra"],
            ["de", "fr"],
        )
    };
    let with_mt = common::arg(&args, "--bleualign-mt").and_then(|file| {
        let mut set = text_berg();
        set.name = "Text+Berg test, de–fr, Google MT";
        set.mt = Some(bleualign_mt(Path::new(&file), &set)?);
        Some(set)
    });
    let parice = load(
        &dir.join("parice"),
        "ParIce, en–is",
        ["eng", "isl"],
        ["en", "is"],
    );
    let transread = common::arg(&args, "--transread").map(|dir| {
        load(
            Path::new(&dir),
            "TransRead novels, fr–en",
            ["fra", "eng"],
            ["fr", "en"],
        )
    });
    let novels = common::arg(&args, "--hunalign").map(PathBuf::from);
    let novels = novels.iter().flat_map(|dir| {
        [
            hunalign_set(&dir.join("1984.hu"), "1984 (novel), hu–en", true, "hu"),
            hunalign_set(
                &dir.join("1984.ro.utf8"),
                "1984 (novel), ro–en",
                false,
                "ro",
            ),
        ]
    });
    let mut held_out: Vec<Set> = [Some(text_berg()), with_mt, Some(parice), transread]
        .into_iter()
        .chain(novels)
        .flatten()
        .collect();
    if args.iter().any(|a| a == "--errors") {
        held_out.iter().for_each(choice::print_errors);
        return;
    }
    println!("Vecalign strict F1 on sets entente was not tuned on (no MT unless the set says)");
    println!();
    println!("| set | documents | alone | + FreeDict lexicon | + realign | + both (the default) | before: one dictionary, best path |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    held_out.iter_mut().for_each(print_row);
    if args.iter().any(|a| a == "--rows-only") {
        return;
    }
    let mut all = vec![dev_set()];
    all.extend(held_out);
    choice::leave_one_set_out(&mut all);
}
