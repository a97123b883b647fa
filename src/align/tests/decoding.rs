//! How links are read off the lattice: their probabilities against a brute-force sum over
//! every path, the expected-accuracy path against the best gain among every path, and the
//! exact pass's rows scored in parallel against one thread.

use super::*;

/// A link as (end in the source, end in the target, source sentences, target sentences).
type LinkEnd = (usize, usize, usize, usize);
type Path = Vec<LinkEnd>;

/// Every link's probability by enumerating every path through a small document (all of it
/// inside the band), with the link scores `search` uses: link (end i, end j, a, b) → share of
/// the paths' weight exp(sum of scores / T) on the paths through it.
fn enumerated_probabilities(
    src: &[Features],
    tgt: &[Features],
    config: &AlignConfig,
) -> Vec<(Path, f64)> {
    let (n, m) = (src.len(), tgt.len());
    let band = Band::diagonal(n, m, config);
    let (ws, wt, unit, _) = weighed(src, tgt, &band, config);
    assert_eq!(
        band.cells(),
        (n + 1) * (m + 1),
        "the band covers the document"
    );
    let score = |i: usize, j: usize, a: usize, b: usize| -> f64 {
        let s = if a == 0 || b == 0 {
            config.skip_score
        } else {
            let (mut shared, mut coverage) = group_shared(&ws[i - a..i], &wt[j - b..j]);
            if (a, b) == (1, 1) {
                // One pair: the search keeps pair weights as f32.
                shared = shared as f32 as f64;
                coverage = coverage_share(shared, ws[i - 1].weight)
                    + coverage_share(shared, wt[j - 1].weight);
            }
            link_score(&ws[i - a..i], &wt[j - b..j], shared, coverage, unit, config)
        };
        (s * SCORE_GRID).round() / SCORE_GRID
    };
    fn paths(i: usize, j: usize, n: usize, m: usize, path: &mut Path, all: &mut Vec<Path>) {
        if (i, j) == (n, m) {
            all.push(path.clone());
            return;
        }
        for &(a, b) in &LINK_TYPES {
            if i + a <= n && j + b <= m {
                path.push((i + a, j + b, a, b));
                paths(i + a, j + b, n, m, path, all);
                path.pop();
            }
        }
    }
    let mut all = Vec::new();
    paths(0, 0, n, m, &mut Vec::new(), &mut all);
    let weight = |p: &Path| {
        (p.iter().map(|&(i, j, a, b)| score(i, j, a, b)).sum::<f64>() / config.temperature).exp()
    };
    let total: f64 = all.iter().map(weight).sum();
    all.into_iter()
        .map(|p| {
            let w = weight(&p);
            (p, w / total)
        })
        .collect()
}

/// The probability of the link ending at (i, j) with shape (a, b), from enumerated paths.
fn through(paths: &[(Path, f64)], key: LinkEnd) -> f64 {
    paths
        .iter()
        .filter(|(p, _)| p.contains(&key))
        .map(|(_, w)| w)
        .sum()
}

/// The links as (end i, end j, a, b).
fn ends(links: &[Link]) -> Path {
    let mut end = (0, 0);
    links
        .iter()
        .map(|link| {
            let (a, b) = (link.src.len(), link.tgt.len());
            end = (end.0 + a, end.1 + b);
            (end.0, end.1, a, b)
        })
        .collect()
}

/// A small document with a clause ending (joins cost less) and an inserted caption.
fn small_document() -> (Vec<Features>, Vec<Features>) {
    let src = doc(&["alpha 101 montagne :", "bravo 202.", "charlie 303 glacier."]);
    let tgt = doc(&["alpha 101", "mountain bravo 202.", "photo", "charlie 303."]);
    (src, tgt)
}

#[test]
fn link_probabilities_equal_a_brute_force_sum_over_every_path() {
    let (src, tgt) = small_document();
    let config = AlignConfig::with_mt();
    let links = align(&src, &tgt, &config);
    let paths = enumerated_probabilities(&src, &tgt, &config);
    for (link, key) in links.iter().zip(ends(&links)) {
        let want = through(&paths, key);
        assert!(
            (link.score - want).abs() < 1e-9,
            "{link:?}: probability {} vs {want} by enumeration",
            link.score
        );
    }
    assert!(links.iter().all(|l| (0.0..=1.0).contains(&l.score)));
}

#[test]
fn expected_accuracy_decoding_gains_most_among_every_path() {
    let (src, tgt) = small_document();
    let costs = [
        (0.5, 0.8, 0.0),
        (0.1, 2.0, 0.0),
        (1.2, 0.0, 0.0),
        (0.2, 0.2, 0.0),
    ];
    let guarded = [(0.5, 0.8, 0.25), (0.1, 2.0, 0.6)];
    for (link_cost, null_cost, min_merge) in costs.into_iter().chain(guarded) {
        let config = AlignConfig {
            decoding: Decoding::ExpectedAccuracy {
                link_cost,
                null_cost,
                min_merge,
            },
            ..AlignConfig::with_mt()
        };
        let paths = enumerated_probabilities(&src, &tgt, &config);
        let mut probability: std::collections::HashMap<LinkEnd, f64> = Default::default();
        for (path, w) in &paths {
            for &link in path {
                *probability.entry(link).or_default() += w;
            }
        }
        let gain = |path: &Path| -> f64 {
            (path.iter())
                .map(|&(i, j, a, b)| {
                    let cost = if a == 0 || b == 0 {
                        null_cost
                    } else {
                        link_cost
                    };
                    probability[&(i, j, a, b)] - cost
                })
                .sum()
        };
        // Paths whose merges all have the probability asked for.
        let allowed = |path: &Path| {
            (path.iter())
                .all(|&(i, j, a, b)| (a <= 1 && b <= 1) || probability[&(i, j, a, b)] >= min_merge)
        };
        let best = (paths.iter())
            .filter(|(p, _)| allowed(p))
            .map(|(p, _)| gain(p))
            .fold(f64::NEG_INFINITY, f64::max);
        let links = align(&src, &tgt, &config);
        assert!(
            (gain(&ends(&links)) - best).abs() < 1e-9,
            "costs {link_cost}/{null_cost}: {} against the best {best}",
            gain(&ends(&links))
        );
    }
}

#[test]
fn rows_scored_in_parallel_give_the_links_and_probabilities_of_one_thread() {
    // Runs of rows start where the thread count puts them, each merging its groups afresh:
    // nothing of that may show in the result.
    let (src, tgt, _) = known_document(1500);
    let config = AlignConfig::without_mt();
    let on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| align(&src, &tgt, &config))
    };
    let bits = |links: Vec<Link>| -> Vec<(Vec<usize>, Vec<usize>, u64)> {
        links
            .into_iter()
            .map(|l| (l.src, l.tgt, l.score.to_bits()))
            .collect()
    };
    let one = bits(on(1));
    assert_eq!(one, bits(on(3)));
    assert_eq!(one, bits(on(7)));
}

#[test]
fn a_run_of_identical_sentences_aligns_one_to_one_not_merged_to_save_links() {
    // Every link is improbable here (any sentence could be any other's): a cost per link alone
    // would merge all it can; merges need support, and 1-1 links remain.
    let src: Vec<Features> = (0..1000)
        .map(|_| Features::anchors("Le chat dort."))
        .collect();
    let tgt: Vec<Features> = (0..1000)
        .map(|_| Features::anchors("The cat sleeps."))
        .collect();
    let links = align(&src, &tgt, &AlignConfig::without_mt());
    assert_eq!(links.len(), 1000);
    assert!(links.iter().all(|l| l.src.len() == 1 && l.tgt.len() == 1));
}
