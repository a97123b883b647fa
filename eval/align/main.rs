//! Alignment evaluation on the Bleualign dev set (German–French, Text+Berg) and on newstest2014
//! documents, plus the speed of a 10,000 × 10,000 sentence synthetic document.
//!
//! Run: `cargo run --release --example eval-align [-- --cross-validate]`

use std::time::Instant;

mod explore;
mod newstest;
mod synthetic;

use newstest::Newstest;

use entente::align::eval::{parse_ladder, score, score_vecalign, Ladder};
use entente::align::lexicon::STEM_CHARS;
use entente::align::{
    align, align_and_realign, align_sentences_with, AlignConfig, Features, Lexicon,
};
use entente::segment::Segmenter;

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared");

fn lines(path: &str) -> Vec<String> {
    std::fs::read_to_string(format!("{SHARED}/{path}"))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .map(|l| l.trim().to_string())
        .collect()
}

fn ladder(links: &[entente::align::Link]) -> Ladder {
    links
        .iter()
        .map(|l| (l.src.clone(), l.tgt.clone()))
        .collect()
}

/// Both scorings: Bleualign's, then Vecalign's (insertions and deletions in the precision).
fn row(name: &str, proposed: &Ladder, gold: &Ladder) {
    let s = score(proposed, gold);
    let v = score_vecalign(proposed, gold);
    println!(
        "| {name} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
        s.strict.0, s.strict.1, s.strict.2, s.lax.2, v.strict.0, v.strict.1, v.strict.2, v.lax.2
    );
}

const HEADER: &str = "| aligner | strict P | strict R | strict F1 | lax F1 | Vecalign scoring: strict P | strict R | strict F1 | lax F1 |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|";

/// The settings cross-validation and `--explore` search: the length, skip, merge and coverage
/// weights, and the clause-join bonus (an initial's period always joins: 7 of 7 in the dev gold).
fn grid() -> Vec<AlignConfig> {
    let mut grid = Vec::new();
    for length_weight in [0.1, 0.2, 0.3, 0.5] {
        for skip_score in [-0.1, -0.05, 0.0] {
            for merge_penalty in [0.05, 0.1, 0.15, 0.2] {
                if skip_score < -merge_penalty {
                    continue;
                }
                for coverage_weight in [0.2, 0.3, 0.4] {
                    for clause_join_bonus in [0.0, 0.1] {
                        grid.push(AlignConfig {
                            length_weight,
                            skip_score,
                            merge_penalty,
                            coverage_weight,
                            clause_join_bonus,
                            ..AlignConfig::default()
                        });
                    }
                }
            }
        }
    }
    grid
}

/// Which of `k` contiguous folds each link belongs to: the gold cut into `k` runs of links,
/// a proposed link going to the fold of its first source sentence (or target sentence, if it
/// has none).
struct Folds {
    /// (source end, target end) of each fold.
    ends: Vec<(usize, usize)>,
}

impl Folds {
    fn new(gold: &Ladder, k: usize) -> Self {
        // Past the last sentence a run of links reaches on one side, and never before `from`.
        let end = |links: &[(Vec<usize>, Vec<usize>)], side: usize, from: usize| {
            links
                .iter()
                .flat_map(|l| if side == 0 { &l.0 } else { &l.1 })
                .max()
                .map_or(from, |x| x + 1)
                .max(from)
        };
        let (mut s, mut t) = (0, 0);
        let ends = gold
            .chunks(gold.len().div_ceil(k))
            .map(|links| {
                (s, t) = (end(links, 0, s), end(links, 1, t));
                (s, t)
            })
            .collect();
        Folds { ends }
    }

    fn of(&self, link: &(Vec<usize>, Vec<usize>)) -> usize {
        let last = self.ends.len() - 1;
        match (link.0.first(), link.1.first()) {
            (Some(&i), _) => self.ends.iter().position(|e| i < e.0).unwrap_or(last),
            (None, Some(&j)) => self.ends.iter().position(|e| j < e.1).unwrap_or(last),
            (None, None) => last,
        }
    }

    /// The links of `ladder` in the folds `keep` accepts.
    fn select(&self, ladder: &Ladder, keep: impl Fn(usize) -> bool) -> Ladder {
        ladder
            .iter()
            .filter(|l| keep(self.of(l)))
            .cloned()
            .collect()
    }
}

/// `f` of every setting of `grid`, in order, on two threads.
fn for_each_setting<R: Send>(grid: &[AlignConfig], f: impl Fn(&AlignConfig) -> R + Sync) -> Vec<R> {
    let half = grid.len() / 2;
    std::thread::scope(|scope| {
        let first = scope.spawn(|| grid[..half].iter().map(&f).collect::<Vec<_>>());
        let second: Vec<R> = grid[half..].iter().map(&f).collect();
        first.join().unwrap().into_iter().chain(second).collect()
    })
}

/// k-fold cross-validation of the choice of setting, for each k of `folds`: the whole document
/// is aligned with each setting of the grid (alignment sees no gold); for each fold, the setting
/// with the best Vecalign strict F1 on the links of the other folds is chosen, and the fold's
/// links are taken from its alignment. Prints a pooled row per k; returns lines naming the
/// in-sample best and, with `news`, the setting best on the mean of the dev set's F1 and
/// newstest2014's.
fn cross_validate(
    name: &str,
    src: &[Features],
    tgt: &[Features],
    gold: &Ladder,
    folds: &[usize],
    news: Option<&Newstest>,
) -> String {
    let grid = grid();
    let aligned = for_each_setting(&grid, |c| ladder(&align(src, tgt, c)));
    // Each setting's F1 on the gold links that `keep` accepts.
    let f1_on = |cut: &Folds, keep: &dyn Fn(usize) -> bool| -> Vec<f64> {
        let gold = cut.select(gold, keep);
        aligned
            .iter()
            .map(|l| score_vecalign(&cut.select(l, keep), &gold).strict.2)
            .collect()
    };
    // The setting with the highest figure; ties go to the earlier setting.
    let best = |figure: &[f64]| -> usize {
        (0..figure.len())
            .max_by(|&x, &y| figure[x].total_cmp(&figure[y]).then(y.cmp(&x)))
            .expect("a grid")
    };
    for &k in folds {
        let cut = Folds::new(gold, k);
        let mut proposed = Ladder::new();
        for held in 0..k {
            let chosen = best(&f1_on(&cut, &|f| f != held));
            proposed.extend(cut.select(&aligned[chosen], |f| f == held));
            eprintln!(
                "  {name}: {k} folds, fold {held} aligned with {:?}",
                grid[chosen]
            );
        }
        row(
            &format!("{name}, {k}-fold cross-validated"),
            &proposed,
            gold,
        );
    }
    let dev = f1_on(&Folds::new(gold, 1), &|_| true);
    let in_sample = best(&dev);
    let mut lines = format!(
        "best on the whole dev set, {name} (Vecalign strict F1 {:.3}, in-sample): {:?}",
        dev[in_sample], grid[in_sample]
    );
    if let Some(news) = news {
        let on_news = for_each_setting(&grid, |c| {
            score_vecalign(&news.align(c), &news.gold).strict.2
        });
        let mean: Vec<f64> = dev
            .iter()
            .zip(&on_news)
            .map(|(d, n)| (d + n) / 2.0)
            .collect();
        let both = best(&mean);
        lines += &format!(
            "\nbest on the mean of the dev set's and newstest2014's F1, {name} (dev {:.3}, newstest2014 {:.3}): {:?}",
            dev[both], on_news[both], grid[both]
        );
    }
    lines
}

/// Align a synthetic `n` × `n` document (anchors; every 97th target sentence split in two,
/// every 89th source sentence missing on the target side) and print a table row.
fn scale(n: usize) {
    let src: Vec<Features> = (0..n)
        .map(|i| Features::anchors(&format!("phrase {i} numero {} texte", i * 7 % 1000)))
        .collect();
    let mut tgt: Vec<Features> = Vec::with_capacity(n);
    for i in 0..n {
        if i % 89 == 5 {
            continue;
        }
        if i % 97 == 0 {
            tgt.push(Features::anchors(&format!("sentence {i}")));
            tgt.push(Features::anchors(&format!("number {} text", i * 7 % 1000)));
        } else {
            tgt.push(Features::anchors(&format!(
                "sentence {i} number {} text",
                i * 7 % 1000
            )));
        }
    }
    let t = Instant::now();
    let links = align(&src, &tgt, &AlignConfig::without_mt());
    let secs = t.elapsed().as_secs_f64();
    let rss = std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0);
    println!(
        "| {n} × {} sentences | {} | {secs:.2} s | {rss:.0} MB |",
        tgt.len(),
        links.len()
    );
}

/// Debian's FreeDict dictionaries (`apt install dict-freedict-deu-fra dict-freedict-fra-eng`).
const DEU_FRA: &str = "/usr/share/dictd/freedict-deu-fra.index";
const FRA_ENG: &str = "/usr/share/dictd/freedict-fra-eng.index";

/// The dictionary at `path`, or a line saying it is missing.
fn lexicon_at(path: &str, stem: usize) -> Option<Lexicon> {
    let start = Instant::now();
    match Lexicon::read_stemmed(std::path::Path::new(path), stem) {
        Ok(l) => {
            let ms = start.elapsed().as_secs_f64() * 1e3;
            println!(
                "(lexicon {path}: {} entries, read in {ms:.0} ms)",
                l.entries()
            );
            Some(l)
        }
        Err(e) => {
            println!("(no lexicon rows: {e})");
            None
        }
    }
}

/// Stem lengths compared (no MT, both sets).
fn stem_sweep(de: &[String], fr: &[String], gold: &Ladder) {
    let news = Newstest::load();
    let google = lines("eval/align/bleualign-dev/dev.google.fr");
    println!("| stem characters | Bleualign dev de–fr, no MT (Vecalign strict F1) | … with dev.google.fr | newstest2014 fr–en, no MT |");
    println!("|---:|---:|---:|---:|");
    for stem in [4, 5, 6, 8, usize::MAX] {
        let (Some(deu), Some(fra)) = (lexicon_at(DEU_FRA, stem), lexicon_at(FRA_ENG, stem)) else {
            return;
        };
        let dev = ladder(&align_sentences_with(de, fr, None, Some(&deu)).0);
        let f1 = |p: &Ladder, g: &Ladder| score_vecalign(p, g).strict.2;
        let shown = if stem == usize::MAX {
            "whole".to_string()
        } else {
            stem.to_string()
        };
        let with_mt = ladder(&align_sentences_with(de, fr, Some(&google), Some(&deu)).0);
        println!(
            "| {shown} | {:.3} | {:.3} | {:.3} |",
            f1(&dev, gold),
            f1(&with_mt, gold),
            f1(&news.align_lexicon(Some(&fra), false), &news.gold)
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--scale") {
        scale(args[i + 1].parse().expect("--scale N"));
        return;
    }
    let dir = "eval/align/bleualign-dev";
    let de = lines(&format!("{dir}/dev.de"));
    let fr = lines(&format!("{dir}/dev.fr"));
    let gold = parse_ladder(&std::fs::read_to_string(format!("{SHARED}/{dir}/dev.defr")).unwrap())
        .unwrap();
    let config = AlignConfig::default();
    if args.iter().any(|a| a == "--stem-sweep") {
        stem_sweep(&de, &fr, &gold);
        return;
    }
    println!(
        "Bleualign dev (de–fr): {} source, {} target sentences, {} gold links",
        de.len(),
        fr.len(),
        gold.len()
    );
    println!();
    println!("{HEADER}");
    let tgt_ngrams: Vec<Features> = fr.iter().map(|s| Features::lexical(s)).collect();
    let mut shapes = Vec::new();
    for (name, file) in [
        ("entente + dev.google.fr", "dev.google.fr"),
        ("entente + dev.europarlfull.fr", "dev.europarlfull.fr"),
    ] {
        let mt: Vec<Features> = lines(&format!("{dir}/{file}"))
            .iter()
            .zip(&de)
            .map(|(t, s)| Features::translated(t, s))
            .collect();
        let proposed = ladder(&align(&mt, &tgt_ngrams, &config));
        row(name, &proposed, &gold);
        shapes.push(format!("{name}: {}", synthetic::by_shape(&proposed, &gold)));
    }
    // What the source's own words add: the translation's features alone.
    let google_only: Vec<Features> = lines(&format!("{dir}/dev.google.fr"))
        .iter()
        .map(|t| Features::lexical(t))
        .collect();
    row(
        "entente + dev.google.fr, the translation's features only",
        &ladder(&align(&google_only, &tgt_ngrams, &config)),
        &gold,
    );
    let src_anchors: Vec<Features> = de.iter().map(|s| Features::anchors(s)).collect();
    let tgt_anchors: Vec<Features> = fr.iter().map(|s| Features::anchors(s)).collect();
    let plain = ladder(&align(
        &src_anchors,
        &tgt_anchors,
        &AlignConfig::without_mt(),
    ));
    row("entente, no MT (anchors + length)", &plain, &gold);
    if let Some(lexicon) = lexicon_at(DEU_FRA, STEM_CHARS) {
        let (links, usage) = align_sentences_with(&de, &fr, None, Some(&lexicon));
        row(
            "entente, no MT, FreeDict deu-fra lexicon",
            &ladder(&links),
            &gold,
        );
        let google = lines(&format!("{dir}/dev.google.fr"));
        let (with_mt, _) = align_sentences_with(&de, &fr, Some(&google), Some(&lexicon));
        row(
            "entente + dev.google.fr, FreeDict deu-fra lexicon",
            &ladder(&with_mt),
            &gold,
        );
        if let Some(u) = usage {
            println!("| ({}) | | | | | | | | |", u.describe(lexicon.entries()));
        }
        let realigned = |lexicon: Option<&Lexicon>, mt: Option<&[String]>| {
            ladder(&align_and_realign(&de, &fr, mt, lexicon).0)
        };
        row(
            "entente, no MT, realigned (learned pairs)",
            &realigned(None, None),
            &gold,
        );
        row(
            "entente, no MT, FreeDict deu-fra lexicon, realigned",
            &realigned(Some(&lexicon), None),
            &gold,
        );
        row(
            "entente + dev.google.fr, lexicon, realigned",
            &realigned(Some(&lexicon), Some(&google)),
            &gold,
        );
    }
    shapes.push(format!(
        "entente, no MT: {}",
        synthetic::by_shape(&plain, &gold)
    ));
    let src_len: Vec<Features> = de.iter().map(|s| Features::length_only(s)).collect();
    let tgt_len: Vec<Features> = fr.iter().map(|s| Features::length_only(s)).collect();
    // Plain Gale-Church: the length term alone, no merge prior.
    let gc = AlignConfig {
        length_weight: 1.0,
        skip_score: -0.05,
        merge_penalty: 0.0,
        clause_join_bonus: 0.0,
        initial_join_bonus: 0.0,
        ..config
    };
    row(
        "Gale-Church (length only, entente's search)",
        &ladder(&align(&src_len, &tgt_len, &gc)),
        &gold,
    );
    println!("| peers (published, this dev set): Gale-Church | | | 0.697 | 0.937 | | | | |");
    println!("| peers (published, this dev set): Bleualign + dev.google.fr | | | 0.780 | 0.979 | | | | |");
    println!("| peers (published, Text+Berg test, Vecalign scoring): Vecalign (LASER) | | | | | | | 0.902 | |");
    println!("| peers (published, Text+Berg test, Vecalign scoring): Bertalign (LaBSE) | | | | | | | 0.936 | |");
    println!();
    for s in &shapes {
        println!("- {s}");
    }
    let news = Newstest::load();
    if std::env::args().any(|a| a == "--explore") {
        let dev_set = |name: &str, s: Vec<Features>, t: Vec<Features>| synthetic::Set {
            name: name.to_string(),
            docs: vec![(s, t)],
            gold: gold.clone(),
        };
        let mt_of = |file: &str| -> Vec<Features> {
            lines(&format!("{dir}/{file}"))
                .iter()
                .zip(&de)
                .map(|(t, s)| Features::translated(t, s))
                .collect()
        };
        let mut sets = vec![
            dev_set("dev + google", mt_of("dev.google.fr"), tgt_ngrams.clone()),
            dev_set(
                "dev + europarl",
                mt_of("dev.europarlfull.fr"),
                tgt_ngrams.clone(),
            ),
            dev_set("dev, no MT", src_anchors.clone(), tgt_anchors.clone()),
        ];
        sets.extend(synthetic::sets(&lines));
        let groups = [
            ("dev, MT", vec![0, 1]),
            ("dev, no MT", vec![2]),
            ("synthetic, MT", vec![4, 5]),
            ("synthetic, no MT", vec![3]),
        ];
        explore::explore(&grid(), &sets, &groups);
        return;
    }
    if std::env::args().any(|a| a == "--synthetic") {
        synthetic::report(&lines, HEADER, &row);
        return;
    }
    if std::env::args().any(|a| a == "--cross-validate") {
        // Four folds as before, and ten, the usual choice: each fold's setting is then chosen
        // on nine tenths of the links, nearer what choosing on the whole set gives.
        let folds = [4, 10];
        let google: Vec<Features> = lines(&format!("{dir}/dev.google.fr"))
            .iter()
            .zip(&de)
            .map(|(t, s)| Features::translated(t, s))
            .collect();
        println!();
        println!("Cross-validation: the dev set cut into k contiguous folds (runs of gold links; k = {folds:?}); the whole document aligned with each of the {} settings of a grid (alignment sees no gold); each fold's links taken from the setting that scores best, in Vecalign's strict F1, on the other k - 1 folds' links: the figures to expect on new text", grid().len());
        println!();
        println!("{HEADER}");
        let best = [
            cross_validate(
                "entente + dev.google.fr",
                &google,
                &tgt_ngrams,
                &gold,
                &folds,
                None,
            ),
            cross_validate(
                "entente, no MT",
                &src_anchors,
                &tgt_anchors,
                &gold,
                &folds,
                Some(&news),
            ),
        ];
        println!();
        for line in best {
            println!("{line}");
        }
    }

    println!();
    println!(
        "newstest2014 fr–en: {} documents rebuilt as raw text, segmented on both sides, aligned with no MT",
        news.docs.len()
    );
    println!();
    println!("{HEADER}");
    row(
        "entente, no MT",
        &news.align(&AlignConfig::without_mt()),
        &news.gold,
    );
    if let Some(lexicon) = lexicon_at(FRA_ENG, STEM_CHARS) {
        row(
            "entente, no MT, FreeDict fra-eng lexicon",
            &news.align_lexicon(Some(&lexicon), false),
            &news.gold,
        );
        row(
            "entente, no MT, realigned (learned pairs)",
            &news.align_lexicon(None, true),
            &news.gold,
        );
        row(
            "entente, no MT, FreeDict fra-eng lexicon, realigned",
            &news.align_lexicon(Some(&lexicon), true),
            &news.gold,
        );
    }

    // Calibration: how often links of a given probability are right (strict: a gold link).
    let google: Vec<Features> = lines(&format!("{dir}/dev.google.fr"))
        .iter()
        .zip(&de)
        .map(|(t, s)| Features::translated(t, s))
        .collect();
    let is_gold = |l: &entente::align::Link| gold.contains(&(l.src.clone(), l.tgt.clone()));
    println!();
    println!("Link probabilities (forward–backward at temperature T) against the gold: Brier score of all links, lower is better");
    println!();
    println!("| T | with dev.google.fr | no MT |");
    println!("|---:|---:|---:|");
    for t in [0.01, 0.02, 0.05, 0.1, 0.2] {
        let brier = |links: &[entente::align::Link]| {
            links
                .iter()
                .map(|l| (l.score - is_gold(l) as u8 as f64).powi(2))
                .sum::<f64>()
                / links.len() as f64
        };
        let mt = align(
            &google,
            &tgt_ngrams,
            &AlignConfig {
                temperature: t,
                ..AlignConfig::with_mt()
            },
        );
        let plain = align(
            &src_anchors,
            &tgt_anchors,
            &AlignConfig {
                temperature: t,
                ..AlignConfig::without_mt()
            },
        );
        println!("| {t} | {:.4} | {:.4} |", brier(&mt), brier(&plain));
    }
    println!();
    println!("Calibration at the default temperatures ({} with MT, {} without, the best Brier scores above): links (both sides non-empty) by probability, and the share of them that are gold links", AlignConfig::with_mt().temperature, AlignConfig::without_mt().temperature);
    println!();
    println!("| probability | with dev.google.fr: links | right | no MT: links | right |");
    println!("|---|---:|---:|---:|---:|");
    let with_mt = align(&google, &tgt_ngrams, &AlignConfig::with_mt());
    let no_mt = align(&src_anchors, &tgt_anchors, &AlignConfig::without_mt());
    let bins = [0.0, 0.3, 0.5, 0.7, 0.9, 0.99, 1.01];
    let bin = |links: &[entente::align::Link], lo: f64, hi: f64| {
        let inside: Vec<_> = links
            .iter()
            .filter(|l| !l.src.is_empty() && !l.tgt.is_empty() && l.score >= lo && l.score < hi)
            .collect();
        let right = inside.iter().filter(|l| is_gold(l)).count();
        let share = if inside.is_empty() {
            "–".to_string()
        } else {
            format!("{:.3}", right as f64 / inside.len() as f64)
        };
        (inside.len(), share)
    };
    for w in bins.windows(2) {
        let (a, pa) = bin(&with_mt, w[0], w[1]);
        let (b, pb) = bin(&no_mt, w[0], w[1]);
        println!(
            "| [{}, {}) | {a} | {pa} | {b} | {pb} |",
            w[0],
            w[1].min(1.0)
        );
    }

    // Scale: synthetic documents with merges and gaps, each in its own process for its peak RSS.
    println!();
    println!("| synthetic document | links | time | peak RSS |");
    println!("|---|---:|---:|---:|");
    for n in [10_000, 100_000] {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--scale", &n.to_string()])
            .output()
            .expect("running the scale measurement");
        print!("{}", String::from_utf8_lossy(&out.stdout));
    }
}
