//! Alignment gold of another shape than the dev set: newstest2014's 176 French–English documents
//! (real translations, line by line) turned into documents with known merges, splits, insertions,
//! deletions and swapped pairs, at rates like those of the Text+Berg held-out gold, and a
//! machine translation of each French sentence of three qualities: none, the tiny random model's
//! noise (an MT that says nothing; it must not make alignment worse), and a simulated good MT
//! (the English reference degraded until its BLEU against the reference is about that of
//! opus-mt-fr-en on this test set: no real MT of newstest2014 is available here).

use entente::align::eval::Ladder;

/// A small deterministic generator (splitmix64): the sets are the same on every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// How often each kind of gold link is made, per link: the rest are 1-1. The held-out
/// Text+Berg gold (issue #28) has, per 1,000 links, about 90 2-1, 70 1-2, 13 2-2, 52 0-1, 12 1-0
/// and 10 larger ones.
#[derive(Debug, Clone, Copy)]
pub struct Rates {
    pub name: &'static str,
    /// Two source lines joined into one sentence (gold 1-2).
    pub join_src: f64,
    /// Two target lines joined (gold 2-1).
    pub join_tgt: f64,
    /// Three lines joined on one side (gold 1-3 or 3-1, half each).
    pub join_three: f64,
    /// Two adjacent pairs with their targets swapped (gold 2-2: a monotone ladder's view).
    pub swap: f64,
    /// A target line with no source (gold 0-1: the source line dropped).
    pub insert_tgt: f64,
    /// A source line with no target (gold 1-0).
    pub insert_src: f64,
}

pub const HELD_OUT_RATES: Rates = Rates {
    name: "Text+Berg held-out rates",
    join_src: 0.07,
    join_tgt: 0.09,
    join_three: 0.01,
    swap: 0.013,
    insert_tgt: 0.052,
    insert_src: 0.012,
};

pub const DOUBLE_RATES: Rates = Rates {
    name: "twice those rates",
    join_src: 0.14,
    join_tgt: 0.18,
    join_three: 0.02,
    swap: 0.026,
    insert_tgt: 0.104,
    insert_src: 0.024,
};

/// One synthetic document: source (French) and target (English) sentences, the simulated MT
/// of each source sentence, and the gold links.
pub struct Doc {
    pub src: Vec<String>,
    pub tgt: Vec<String>,
    pub simulated_mt: Vec<String>,
    pub gold: Ladder,
}

/// The reference degraded into a simulated MT: each word dropped with probability `drop`,
/// replaced by another word of the document with probability `replace`, and swapped with the
/// next with probability `swap`.
fn degrade(
    text: &str,
    vocab: &[&str],
    rng: &mut Rng,
    (drop, replace, swap): (f64, f64, f64),
) -> String {
    let mut words: Vec<&str> = Vec::new();
    for w in text.split_whitespace() {
        let r = rng.unit();
        if r < drop {
            continue;
        }
        if r < drop + replace && !vocab.is_empty() {
            words.push(vocab[rng.below(vocab.len())]);
        } else {
            words.push(w);
        }
    }
    let mut k = 0;
    while k + 1 < words.len() {
        if rng.unit() < swap {
            words.swap(k, k + 1);
            k += 1;
        }
        k += 1;
    }
    words.join(" ")
}

/// The degradation of the simulated MT: chosen so that its BLEU against the reference is about
/// 38 (opus-mt-fr-en's published newstest2014 BLEU is 37.8); eval-align prints the figure.
pub const SIMULATED_MT: (f64, f64, f64) = (0.15, 0.12, 0.08);

/// Documents of `fr`/`en` (line-aligned, cut into documents by `docs`: line ranges) with gold
/// links made at `rates`.
pub fn build(
    fr: &[String],
    en: &[String],
    docs: &[std::ops::Range<usize>],
    rates: Rates,
    seed: u64,
) -> Vec<Doc> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    for range in docs {
        let (fr, en) = (&fr[range.clone()], &en[range.clone()]);
        let vocab: Vec<&str> = en.iter().flat_map(|l| l.split_whitespace()).collect();
        let mut doc = Doc {
            src: Vec::new(),
            tgt: Vec::new(),
            simulated_mt: Vec::new(),
            gold: Ladder::new(),
        };
        let mut k = 0;
        while k < fr.len() {
            let left = fr.len() - k;
            let r = rng.unit();
            let mut edge = 0.0;
            let mut pick = |p: f64| {
                edge += p;
                r < edge
            };
            let (s0, t0) = (doc.src.len(), doc.tgt.len());
            let mt = |rng: &mut Rng, lines: &[String]| -> String {
                lines
                    .iter()
                    .map(|l| degrade(l, &vocab, rng, SIMULATED_MT))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let used = if pick(rates.join_src) && left >= 2 {
                let m = mt(&mut rng, &en[k..k + 2]);
                doc.src.push(format!("{} {}", fr[k], fr[k + 1]));
                doc.simulated_mt.push(m);
                doc.tgt.extend(en[k..k + 2].iter().cloned());
                doc.gold.push((vec![s0], vec![t0, t0 + 1]));
                2
            } else if pick(rates.join_tgt) && left >= 2 {
                for l in k..k + 2 {
                    let m = mt(&mut rng, &en[l..l + 1]);
                    doc.src.push(fr[l].clone());
                    doc.simulated_mt.push(m);
                }
                doc.tgt.push(format!("{} {}", en[k], en[k + 1]));
                doc.gold.push((vec![s0, s0 + 1], vec![t0]));
                2
            } else if pick(rates.join_three) && left >= 3 {
                if rng.unit() < 0.5 {
                    let m = mt(&mut rng, &en[k..k + 3]);
                    doc.src.push(fr[k..k + 3].join(" "));
                    doc.simulated_mt.push(m);
                    doc.tgt.extend(en[k..k + 3].iter().cloned());
                    doc.gold.push((vec![s0], vec![t0, t0 + 1, t0 + 2]));
                } else {
                    for l in k..k + 3 {
                        let m = mt(&mut rng, &en[l..l + 1]);
                        doc.src.push(fr[l].clone());
                        doc.simulated_mt.push(m);
                    }
                    doc.tgt.push(en[k..k + 3].join(" "));
                    doc.gold.push((vec![s0, s0 + 1, s0 + 2], vec![t0]));
                }
                3
            } else if pick(rates.swap) && left >= 2 {
                for l in k..k + 2 {
                    let m = mt(&mut rng, &en[l..l + 1]);
                    doc.src.push(fr[l].clone());
                    doc.simulated_mt.push(m);
                }
                doc.tgt.push(en[k + 1].clone());
                doc.tgt.push(en[k].clone());
                doc.gold.push((vec![s0, s0 + 1], vec![t0, t0 + 1]));
                2
            } else if pick(rates.insert_tgt) {
                doc.tgt.push(en[k].clone());
                doc.gold.push((vec![], vec![t0]));
                1
            } else if pick(rates.insert_src) {
                let m = mt(&mut rng, &en[k..k + 1]);
                doc.src.push(fr[k].clone());
                doc.simulated_mt.push(m);
                doc.gold.push((vec![s0], vec![]));
                1
            } else {
                let m = mt(&mut rng, &en[k..k + 1]);
                doc.src.push(fr[k].clone());
                doc.simulated_mt.push(m);
                doc.tgt.push(en[k].clone());
                doc.gold.push((vec![s0], vec![t0]));
                1
            };
            k += used;
        }
        out.push(doc);
    }
    out
}

/// A link's shape, `n-m`.
fn shape(link: &(Vec<usize>, Vec<usize>)) -> String {
    format!("{}-{}", link.0.len(), link.1.len())
}

/// Gold links found and proposed links right, by shape (strict: the identical link), as the
/// issue's error analysis counts them: `shape: found/gold, right/proposed`.
pub fn by_shape(proposed: &Ladder, gold: &Ladder) -> String {
    use std::collections::{BTreeMap, HashSet};
    let gold_set: HashSet<&(Vec<usize>, Vec<usize>)> = gold.iter().collect();
    let proposed_set: HashSet<&(Vec<usize>, Vec<usize>)> = proposed.iter().collect();
    let mut counts: BTreeMap<String, [usize; 4]> = BTreeMap::new();
    for g in gold {
        let c = counts.entry(shape(g)).or_default();
        c[1] += 1;
        if proposed_set.contains(g) {
            c[0] += 1;
        }
    }
    for p in proposed {
        let c = counts.entry(shape(p)).or_default();
        c[3] += 1;
        if gold_set.contains(p) {
            c[2] += 1;
        }
    }
    let order = |s: &String| {
        let (a, b) = s.split_once('-').expect("n-m");
        let (a, b): (usize, usize) = (a.parse().unwrap(), b.parse().unwrap());
        (a + b, a, b)
    };
    let mut shapes: Vec<&String> = counts.keys().collect();
    shapes.sort_by_key(|s| order(s));
    shapes
        .iter()
        .map(|s| {
            let c = counts[*s];
            format!("{s} {}/{} found, {}/{} right", c[0], c[1], c[2], c[3])
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// newstest2014's lines and its documents' line ranges.
fn newstest(
    lines: &dyn Fn(&str) -> Vec<String>,
) -> (Vec<String>, Vec<String>, Vec<std::ops::Range<usize>>) {
    let dir = "eval/mt/newstest2014-fr-en";
    let fr = lines(&format!("{dir}/newstest2014.fr-en.fr"));
    let en = lines(&format!("{dir}/newstest2014.fr-en.en"));
    let ids: Vec<String> = lines(&format!("{dir}/newstest2014.fr-en.docid_origlang.tsv"))
        .iter()
        .map(|l| l.split('\t').next().unwrap_or("").to_string())
        .collect();
    let mut docs = Vec::new();
    let mut start = 0;
    while start < fr.len() {
        let end = (start..fr.len())
            .find(|&k| ids[k] != ids[start])
            .unwrap_or(fr.len());
        docs.push(start..end);
        start = end;
    }
    (fr, en, docs)
}

/// The documents aligned (with `mt` per document, or none) into one ladder in a running
/// numbering, and the gold in the same numbering.
fn align_all(docs: &[Doc], mt: Option<&[Vec<String>]>) -> (Ladder, Ladder) {
    let proposed = running(docs.iter().enumerate().map(|(d, doc)| {
        let links =
            entente::align::align_sentences(&doc.src, &doc.tgt, mt.map(|m| m[d].as_slice()));
        (crate::ladder(&links), doc.src.len(), doc.tgt.len())
    }));
    (proposed, gold_of(docs))
}

/// Each document's ladder (with its source and target sentence counts) in one running numbering.
pub fn running(docs: impl IntoIterator<Item = (Ladder, usize, usize)>) -> Ladder {
    let mut out = Ladder::new();
    let (mut os, mut ot) = (0, 0);
    for (ladder, n_src, n_tgt) in docs {
        out.extend(ladder.into_iter().map(|(s, t)| {
            (
                s.into_iter().map(|i| i + os).collect(),
                t.into_iter().map(|j| j + ot).collect(),
            )
        }));
        os += n_src;
        ot += n_tgt;
    }
    out
}

/// Every document's gold in one running numbering.
fn gold_of(docs: &[Doc]) -> Ladder {
    running(
        docs.iter()
            .map(|d| (d.gold.clone(), d.src.len(), d.tgt.len())),
    )
}

/// The tiny random test model, greedy: an MT that says nothing.
struct TinyMt {
    model: entente::translate::Translator,
    greedy: entente::generate::GenerationConfig,
}

impl TinyMt {
    fn load() -> Self {
        let model = entente::translate::load_named(
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/models/test/tiny-selfcontained"
            ),
            None,
            "cpu",
            "f32",
        )
        .expect("the tiny test model");
        let mut greedy = model.generation.clone();
        greedy.num_beams = 1;
        greedy.set_max_new_tokens(24);
        TinyMt { model, greedy }
    }

    /// Each document's source sentences translated.
    fn translate(&self, docs: &[Doc]) -> Vec<Vec<String>> {
        docs.iter()
            .map(|d| {
                let src: Vec<&str> = d.src.iter().map(String::as_str).collect();
                entente::translate::translate_sorted(&self.model, &src, &self.greedy, 32, &|_| {})
                    .expect("the tiny model translates")
                    .into_iter()
                    .map(|t| t.text)
                    .collect()
            })
            .collect()
    }
}

/// The synthetic sets' tables: each set with no MT, the tiny model's MT and the simulated MT.
pub fn report(
    lines: &dyn Fn(&str) -> Vec<String>,
    header: &str,
    row: &dyn Fn(&str, &Ladder, &Ladder),
) {
    let (fr, en, ranges) = newstest(lines);
    let degraded: Vec<String> = {
        let mut rng = Rng::new(7);
        let vocab: Vec<&str> = en.iter().flat_map(|l| l.split_whitespace()).collect();
        en.iter()
            .map(|l| degrade(l, &vocab, &mut rng, SIMULATED_MT))
            .collect()
    };
    let bleu = entente::metrics::Bleu::default();
    let refs = entente::metrics::prepare_refs(&bleu, std::slice::from_ref(&en));
    let simulated_bleu = entente::metrics::corpus_score(&bleu, &degraded, &refs).score;
    let tiny = TinyMt::load();
    println!();
    println!(
        "Synthetic gold from newstest2014 fr–en ({} documents, {} line pairs; eval/align/synthetic.rs): lines joined, dropped and swapped at the rates named; MT: none, the tiny random model's output (noise), or the English reference degraded (words dropped {:.0}%, replaced {:.0}%, swapped {:.0}%: BLEU {simulated_bleu:.1} against the reference, where opus-mt-fr-en scores 37.8)",
        ranges.len(),
        fr.len(),
        SIMULATED_MT.0 * 100.0,
        SIMULATED_MT.1 * 100.0,
        SIMULATED_MT.2 * 100.0
    );
    for (rates, seed) in [(HELD_OUT_RATES, 1), (DOUBLE_RATES, 2)] {
        let docs = build(&fr, &en, &ranges, rates, seed);
        let tiny_mt = tiny.translate(&docs);
        let simulated: Vec<Vec<String>> = docs.iter().map(|d| d.simulated_mt.clone()).collect();
        let links: usize = docs.iter().map(|d| d.gold.len()).sum();
        println!();
        println!("{} ({links} gold links):", rates.name);
        println!();
        println!("{header}");
        let mut shapes = Vec::new();
        for (name, mt) in [
            ("no MT", None),
            ("tiny model's MT (noise)", Some(tiny_mt.as_slice())),
            ("simulated MT", Some(simulated.as_slice())),
        ] {
            let (proposed, gold) = align_all(&docs, mt);
            row(&format!("{}, {name}", rates.name), &proposed, &gold);
            shapes.push(format!("{name}: {}", by_shape(&proposed, &gold)));
        }
        println!();
        for s in shapes {
            println!("- {s}");
        }
    }
}

/// One evaluation set: each document's features on both sides and its gold, in one numbering.
pub struct Set {
    pub name: String,
    pub docs: Vec<(Vec<entente::align::Features>, Vec<entente::align::Features>)>,
    pub gold: Ladder,
}

impl Set {
    /// Every document aligned with `config`, in the gold's numbering.
    pub fn align(&self, config: &entente::align::AlignConfig) -> Ladder {
        running(self.docs.iter().map(|(s, t)| {
            let links = entente::align::align(s, t, config);
            (crate::ladder(&links), s.len(), t.len())
        }))
    }
}

/// The synthetic set at the held-out rates as features: with no MT, the tiny model's MT and the
/// simulated MT.
pub fn sets(lines: &dyn Fn(&str) -> Vec<String>) -> Vec<Set> {
    use entente::align::Features;
    let (fr, en, ranges) = newstest(lines);
    let tiny = TinyMt::load();
    let mut out = Vec::new();
    // The held-out rates only: the doubled rates are reported by `report`, not chosen on.
    let (rates, seed) = (HELD_OUT_RATES, 1);
    let docs = build(&fr, &en, &ranges, rates, seed);
    let all_gold = gold_of(&docs);
    let tiny_mt = tiny.translate(&docs);
    let anchors = |v: &[String]| v.iter().map(|s| Features::anchors(s)).collect::<Vec<_>>();
    let target = |v: &[String]| v.iter().map(|s| Features::lexical(s)).collect::<Vec<_>>();
    let translated = |mt: &[String], src: &[String]| {
        mt.iter()
            .zip(src)
            .map(|(m, s)| Features::translated(m, s))
            .collect::<Vec<_>>()
    };
    out.push(Set {
        name: format!("{}, no MT", rates.name),
        docs: docs
            .iter()
            .map(|d| (anchors(&d.src), anchors(&d.tgt)))
            .collect(),
        gold: all_gold.clone(),
    });
    out.push(Set {
        name: format!("{}, tiny model's MT", rates.name),
        docs: docs
            .iter()
            .zip(&tiny_mt)
            .map(|(d, m)| (translated(m, &d.src), target(&d.tgt)))
            .collect(),
        gold: all_gold.clone(),
    });
    out.push(Set {
        name: format!("{}, simulated MT", rates.name),
        docs: docs
            .iter()
            .map(|d| (translated(&d.simulated_mt, &d.src), target(&d.tgt)))
            .collect(),
        gold: all_gold,
    });
    out
}
