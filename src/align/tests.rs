//! Alignment on synthetic documents whose correct ladder is known by construction.

use super::band::*;
use super::features::*;
use super::ladder::best_ladder;
use super::search::*;
use super::similarity::*;
use super::*;

/// Source sentences and a "translation" that shares their anchors: numbers and long words.
fn doc(words: &[&str]) -> Vec<Features> {
    words.iter().map(|w| Features::anchors(w)).collect()
}

fn ladder(links: &[Link]) -> Vec<(Vec<usize>, Vec<usize>)> {
    links
        .iter()
        .map(|l| (l.src.clone(), l.tgt.clone()))
        .collect()
}

#[test]
fn one_to_one() {
    let src = doc(&[
        "alpha 101 montagne",
        "bravo 202 rivière",
        "charlie 303 glacier",
    ]);
    let tgt = doc(&[
        "alpha 101 mountain",
        "bravo 202 river",
        "charlie 303 glacier",
    ]);
    let links = align(&src, &tgt, &AlignConfig::default());
    assert_eq!(
        ladder(&links),
        vec![(vec![0], vec![0]), (vec![1], vec![1]), (vec![2], vec![2])]
    );
}

#[test]
fn merges_splits_and_unaligned_sentences() {
    // src 1+2 → tgt 1 (2-1), src 3 → tgt 2+3 (1-2), tgt 4 has no source (0-1),
    // src 5 → tgt 5+6+7 (1-3).
    let src = doc(&[
        "expedition 1956 himalaya",
        "sherpas 17 porteurs",
        "camp 6400 altitude",
        "sommet 8156 manaslu atteint 9 mai",
        "retour 23 juin kathmandu",
        "rapport 42 pages 300 photos 12 cartes",
    ]);
    let tgt = doc(&[
        "expedition 1956 himalaya",
        "sherpas 17 porteurs camp 6400 altitude",
        "sommet 8156 manaslu",
        "atteint 9 mai",
        "remerciements",
        "retour 23 juin kathmandu",
        "rapport 42 pages",
        "300 photos",
        "12 cartes",
    ]);
    let links = align(&src, &tgt, &AlignConfig::default());
    assert_eq!(
        ladder(&links),
        vec![
            (vec![0], vec![0]),
            (vec![1, 2], vec![1]),
            (vec![3], vec![2, 3]),
            (vec![], vec![4]),
            (vec![4], vec![5]),
            (vec![5], vec![6, 7, 8]),
        ]
    );
}

#[test]
fn empty_and_one_sided_documents() {
    let config = AlignConfig::default();
    assert!(align(&[], &[], &config).is_empty());
    let src = doc(&["alpha 1", "bravo 2"]);
    let links = align(&src, &[], &config);
    assert_eq!(ladder(&links), vec![(vec![0], vec![]), (vec![1], vec![])]);
    let links = align(&[], &src, &config);
    assert_eq!(ladder(&links), vec![(vec![], vec![0]), (vec![], vec![1])]);
}

#[test]
fn every_sentence_is_in_exactly_one_link() {
    let src: Vec<Features> = (0..300)
        .map(|i| Features::anchors(&format!("phrase {i} texte")))
        .collect();
    let tgt: Vec<Features> = (0..250)
        .map(|i| Features::anchors(&format!("sentence {} text", i * 6 / 5)))
        .collect();
    let links = align(&src, &tgt, &AlignConfig::default());
    let s: Vec<usize> = links.iter().flat_map(|l| l.src.clone()).collect();
    let t: Vec<usize> = links.iter().flat_map(|l| l.tgt.clone()).collect();
    assert_eq!(s, (0..300).collect::<Vec<_>>());
    assert_eq!(t, (0..250).collect::<Vec<_>>());
}

#[test]
fn memory_is_linear_in_the_document_length() {
    let config = AlignConfig::default();
    // Equal lengths: the minimum band, whatever the size (200,000 lines: 24 million cells, not
    // the 4·10^10 of a full matrix).
    assert_eq!(band_width(200_000, 200_000, &config), config.min_band);
    // Very different lengths: capped, yet wide enough for the diagonal's steps.
    for (n, m) in [
        (200_000, 20_000),
        (20_000, 200_000),
        (3_000, 300),
        (10, 5_000),
    ] {
        let band = band_width(n, m, &config);
        let cells = (n + 1) * (2 * band + 1);
        assert!(
            cells <= MAX_BAND_CELLS || band == config.min_band + m.div_ceil(n),
            "{n}×{m}: band {band}, {cells} cells"
        );
        assert!(
            band >= m.div_ceil(n),
            "{n}×{m}: band {band} misses the diagonal"
        );
    }
    // Long documents: the band around the block path holds a bounded number of cells per
    // sentence however long the document (blocks used to grow with it: n² cells).
    for n in [10_000, 200_000, 1_000_000] {
        let k = block_size(n, n);
        let blocks: Vec<Link> = (0..n.div_ceil(k))
            .map(|b| Link {
                src: vec![b],
                tgt: vec![b],
                score: 1.0,
            })
            .collect();
        let band = Band::around_blocks(n, n, &blocks, k, k + config.refine_band);
        let per_row = band.cells() / (n + 1);
        assert!(per_row <= 4 * MAX_BLOCK, "{n}: {per_row} cells a row");
    }
}

#[test]
fn very_unequal_documents_keep_every_sentence() {
    let src: Vec<Features> = (0..40)
        .map(|i| Features::anchors(&format!("phrase {i} texte")))
        .collect();
    let tgt: Vec<Features> = (0..900)
        .map(|i| Features::anchors(&format!("sentence {i} text")))
        .collect();
    let links = align(&src, &tgt, &AlignConfig::default());
    let s: Vec<usize> = links.iter().flat_map(|l| l.src.clone()).collect();
    let t: Vec<usize> = links.iter().flat_map(|l| l.tgt.clone()).collect();
    assert_eq!(s, (0..40).collect::<Vec<_>>());
    assert_eq!(t, (0..900).collect::<Vec<_>>());
}

/// A document of `n` sentences and its "translation" with known links: every 13th source
/// sentence split in two, every 17th missing on the target side, every 23rd target sentence
/// with no source (a caption). Returns (source, target, gold ladder).
fn known_document(n: usize) -> (Vec<Features>, Vec<Features>, crate::align::eval::Ladder) {
    let (mut src, mut tgt, mut gold) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        let s = src.len();
        // Some sentences end a clause, or in an initial: cheaper merges, on both sides.
        let end = ["", " :", " B.M."][i % 3];
        src.push(Features::anchors(&format!(
            "phrase {i} numero {} ville{} texte{end}",
            i * 7 % 1009,
            i % 50
        )));
        if i % 17 == 3 {
            gold.push((vec![s], vec![]));
        } else if i % 13 == 0 {
            let t = tgt.len();
            tgt.push(Features::anchors(&format!(
                "sentence {i} ville{} ;",
                i % 50
            )));
            tgt.push(Features::anchors(&format!("number {} text", i * 7 % 1009)));
            gold.push((vec![s], vec![t, t + 1]));
        } else {
            let t = tgt.len();
            tgt.push(Features::anchors(&format!(
                "sentence {i} number {} ville{} text",
                i * 7 % 1009,
                i % 50
            )));
            gold.push((vec![s], vec![t]));
        }
        if i % 23 == 11 {
            let t = tgt.len();
            tgt.push(Features::anchors("photo"));
            gold.push((vec![], vec![t]));
        }
    }
    (src, tgt, gold)
}

#[test]
fn the_exact_pass_in_a_narrow_band_finds_the_wide_band_optimum() {
    // Two passes (cheap wide, exact narrow) against one exact search of the whole wide band.
    for (n, config) in [
        (300, AlignConfig::without_mt()),
        (500, AlignConfig::with_mt()),
    ] {
        let (src, tgt, _) = known_document(n);
        let two_pass = align(&src, &tgt, &config);
        let band = Band::diagonal(src.len(), tgt.len(), &config);
        let (ws, wt, unit, _) = weighed(&src, &tgt, &band, &config);
        let pair = pair_weights(&ws, &wt, &band);
        let one_pass = best_ladder(&ws, &wt, unit, &band, &pair, &config, true);
        assert_eq!(ladder(&two_pass), ladder(&one_pass), "{n}");
    }
}

#[test]
fn long_documents_are_aligned_coarse_to_fine() {
    // Above COARSE_ABOVE the search runs around the path of a block-level alignment; it must
    // find what the exact search of the whole diagonal band finds.
    let (src, tgt, _) = known_document(4_000);
    assert!(src.len().max(tgt.len()) > COARSE_ABOVE);
    let config = AlignConfig::without_mt();
    let coarse_to_fine = ladder(&align(&src, &tgt, &config));
    let band = Band::diagonal(src.len(), tgt.len(), &config);
    let (ws, wt, unit, _) = weighed(&src, &tgt, &band, &config);
    let pair = pair_weights(&ws, &wt, &band);
    let wide = ladder(&best_ladder(&ws, &wt, unit, &band, &pair, &config, true));
    let differ = wide.iter().filter(|l| !coarse_to_fine.contains(l)).count();
    assert!(
        differ * 500 < wide.len(),
        "{differ} of {} links differ",
        wide.len()
    );
    let s: Vec<usize> = coarse_to_fine.iter().flat_map(|l| l.0.clone()).collect();
    assert_eq!(s, (0..src.len()).collect::<Vec<_>>());
}

#[test]
fn swapping_the_sides_mirrors_the_links() {
    for (n, config) in [
        (200, AlignConfig::without_mt()),
        (400, AlignConfig::with_mt()),
        (5_000, AlignConfig::without_mt()),
    ] {
        let (src, tgt, _) = known_document(n);
        let mut forward: Vec<_> = ladder(&align(&src, &tgt, &config));
        let mut backward: Vec<_> = ladder(&align(&tgt, &src, &config))
            .into_iter()
            .map(|(a, b)| (b, a))
            .collect();
        forward.sort();
        backward.sort();
        assert_eq!(forward, backward, "{n} sentences");
    }
}

#[test]
fn sentence_endings() {
    for (text, want) in [
        ("Il part demain.", Ending::Closed),
        ("Quoi ?", Ending::Closed),
        ("Titre sans point", Ending::Closed),
        ("", Ending::Closed),
        ("Ils durent rentrer ; ", Ending::Clause),
        ("Die erfolgreichen Bergsteiger waren :", Ending::Clause),
        ("« Il a dit oui, »", Ending::Clause),
        ("(voir p. 3 :)", Ending::Clause),
        ("Erstersteigung 1933 durch B.M .", Ending::Initial),
        ("Erstersteigung 1933 durch B.M.", Ending::Initial),
        ("Leiter Ch.", Ending::Initial),
        ("de l' H .", Ending::Initial),
        ("Tome II.", Ending::Closed),
        ("Le Tag.", Ending::Closed),
        ("en 1933.", Ending::Closed),
    ] {
        assert_eq!(ending(text), want, "{text:?}");
    }
}

/// A sentence with the given features (all of weight 1) and ending.
fn weighted(features: &[u32], ending: Ending) -> Weighted {
    let mut bag: Vec<(u32, f64)> = features.iter().map(|&h| (h, 1.0)).collect();
    bag.sort_by_key(|x| x.0);
    Weighted {
        weight: bag.len() as f64,
        bag,
        chars: 10.0,
        ending,
    }
}

#[test]
fn coverage_credits_each_shared_feature_once_to_the_sentence_it_came_from() {
    // Source sentences {1, 2} and {3}; target {1, 3, 4}: 1 of 2 covered, 1 of 1, 2 of 3.
    let src = [
        weighted(&[1, 2], Ending::Closed),
        weighted(&[3], Ending::Closed),
    ];
    let tgt = [weighted(&[1, 3, 4], Ending::Closed)];
    let (shared, coverage) = group_shared(&src, &tgt);
    assert_eq!(shared, 2.0);
    assert!((coverage - (0.5 + 1.0 + 2.0 / 3.0)).abs() < 1e-12);
    // Feature 5 in both source sentences but once in the target: matched, and credited, once.
    let src = [
        weighted(&[5], Ending::Closed),
        weighted(&[5], Ending::Closed),
    ];
    let tgt = [weighted(&[5], Ending::Closed)];
    let (shared, coverage) = group_shared(&src, &tgt);
    assert_eq!(shared, 1.0);
    assert_eq!(coverage, 2.0);
}

#[test]
fn a_clause_or_initial_ending_inside_a_link_lowers_the_price_of_the_merge() {
    let config = AlignConfig {
        clause_join_bonus: 0.1,
        initial_join_bonus: 0.3,
        ..AlignConfig::with_mt()
    };
    let tgt = [weighted(&[1, 2], Ending::Closed)];
    let score = |first: Ending, second: Ending| {
        let src = [weighted(&[1], first), weighted(&[2], second)];
        link_score(&src, &tgt, 2.0, 3.0, 4.0, &config)
    };
    let closed = score(Ending::Closed, Ending::Closed);
    assert!((score(Ending::Clause, Ending::Closed) - closed - 0.1).abs() < 1e-12);
    assert!((score(Ending::Initial, Ending::Closed) - closed - 0.3).abs() < 1e-12);
    // The link's last sentence joins nothing.
    assert_eq!(score(Ending::Closed, Ending::Initial), closed);
}

#[test]
fn a_translated_sentence_keeps_the_source_spelling_of_names_and_numbers() {
    // The translation respells the city; the target keeps the source's spelling.
    let source = "Benno Schwabe, Basel 1935.";
    let mt = "Benno Schwabe, Bâle 1935.";
    let target = Features::lexical("Benno Schwabe, Basel 1935.");
    let shared = |f: &Features| {
        let a: std::collections::BTreeSet<u64> = f.bag.iter().copied().collect();
        target.bag.iter().filter(|h| a.contains(h)).count()
    };
    let translated = Features::translated(mt, source);
    assert!(shared(&translated) > shared(&Features::lexical(mt)));
    // Every feature of the translation and of the source, nothing else; what both have (the
    // name, the year) counts once.
    let mut either = Features::lexical(mt).bag;
    either.extend(Features::lexical(source).bag);
    either.sort_unstable();
    either.dedup();
    let mut distinct = translated.bag.clone();
    distinct.dedup();
    assert_eq!(distinct, either);
    let name = Features::lexical("Benno Schwabe 1935");
    assert_eq!(
        Features::translated("Benno Schwabe 1935", "Benno Schwabe 1935").bag,
        name.bag
    );
    // The length compared with the target's is the source's (an MT's says little when poor).
    assert_eq!(translated.chars, source.chars().count());
}

#[test]
fn a_multiset_union_keeps_each_element_as_often_as_the_larger_count() {
    assert_eq!(
        multiset_union(&[1, 1, 2, 5, 5, 5], &[1, 3, 5, 5, 7]),
        vec![1, 1, 2, 3, 5, 5, 5, 7]
    );
    assert_eq!(multiset_union(&[], &[4, 4]), vec![4, 4]);
    assert_eq!(multiset_union(&[4], &[]), vec![4]);
}

#[test]
fn a_sentence_whose_translation_came_back_empty_still_aligns_by_its_source() {
    let source = [
        "Der Name Austria-Peak ist einzuziehen, auch wenn Iskander Mirza 1956 zustimmte.",
        "Das Wetter war schlecht.",
        "Sie kehrten am 12. Juli zurück.",
    ];
    let mt = [
        "",
        "Le temps était mauvais.",
        "Ils sont revenus le 12 juillet.",
    ];
    // A caption the source does not have comes first.
    let target = [
        "Avec 3 photos",
        "Le nom Austria-Peak doit disparaître, même si Iskander Mirza l'a confirmé en 1956.",
        "Le temps était mauvais.",
        "Ils rentrèrent le 12 juillet.",
    ];
    let src: Vec<Features> = mt
        .iter()
        .zip(source)
        .map(|(t, s)| Features::translated(t, s))
        .collect();
    assert_eq!(src[0].chars, source[0].chars().count());
    let tgt: Vec<Features> = target.iter().map(|t| Features::lexical(t)).collect();
    let config = AlignConfig::with_mt();
    let with_source = ladder(&align(&src, &tgt, &config));
    assert!(with_source.contains(&(vec![0], vec![1])), "{with_source:?}");
    // The translation's features alone leave the first sentence nothing to go by.
    let mt_only: Vec<Features> = mt.iter().map(|t| Features::lexical(t)).collect();
    let without = ladder(&align(&mt_only, &tgt, &config));
    assert!(!without.contains(&(vec![0], vec![1])), "{without:?}");
}

#[test]
fn features_only_one_side_uses_weigh_nothing_but_still_set_the_scale() {
    // Feature 1 on both sides; 2 only in the source, 3 only in the target.
    let src = [Features::from_bag(vec![1, 2], "source")];
    let tgt = [Features::from_bag(vec![1, 3], "target")];
    let (ws, wt, unit) = weigh(&src, &tgt);
    // Two sentences: a feature in both weighs ln(2/2) = 0, one in a single sentence ln(2).
    let once = 2f64.ln();
    // The one feature both use, under the one number it gets (the first).
    assert_eq!(ws[0].bag, vec![(0, 0.0)]);
    assert_eq!(wt[0].bag, vec![(0, 0.0)]);
    assert_eq!(ws[0].weight, 0.0);
    // The scale counts every feature: twice the mean sentence weight, 2 · (2 · ln 2) / 2.
    assert!((unit - 2.0 * once).abs() < 1e-12);
    // A one-sided feature no longer lowers coverage: the shared feature covers all of each
    // sentence's (non-zero) weight once a third sentence makes feature 1 informative.
    let src = [
        Features::from_bag(vec![1, 2], "a"),
        Features::from_bag(vec![4], "b"),
    ];
    let tgt = [
        Features::from_bag(vec![1, 3], "c"),
        Features::from_bag(vec![4], "d"),
    ];
    let (ws, wt, _) = weigh(&src, &tgt);
    let (shared, coverage) = group_shared(&ws[..1], &wt[..1]);
    assert_eq!(shared, ws[0].weight);
    assert_eq!(coverage, 2.0);
}

/// A French-like document and its English-like translation: each pair shares a number and a
/// name; the English sentences are 0.8 times as long.
fn translated_pairs(n: usize) -> (Vec<String>, Vec<String>) {
    let words = [
        "maison", "montagne", "rivière", "glacier", "village", "chemin", "forêt",
    ];
    let english = [
        "house", "mountain", "river", "glacier", "village", "path", "forest",
    ];
    (0..n)
        .map(|i| {
            let long = 3 + (i * 7) % 9;
            let fr: Vec<&str> = (0..long).map(|k| words[(i + k) % words.len()]).collect();
            let en: Vec<&str> = (0..long)
                .map(|k| english[(i + k) % english.len()])
                .collect();
            (
                format!("Le {} {} Zermatt{i} {}.", i * 13 % 997, fr.join(" "), i),
                format!("The {} {} Zermatt{i}.", i * 13 % 997, en.join(" ")),
            )
        })
        .unzip()
}

#[test]
fn a_useless_translation_aligns_as_well_as_none() {
    // A machine translation that says nothing (the same noise for every sentence, as a broken
    // model gives) must not make alignment worse than aligning without MT: the source's anchors
    // and the lengths still decide, here where the target inserts captions and drops a sentence.
    let (fr, en) = translated_pairs(60);
    let (mut tgt, mut gold) = (Vec::new(), Vec::new());
    for (i, e) in en.iter().enumerate() {
        if i == 30 {
            gold.push((vec![i], vec![]));
            continue;
        }
        gold.push((vec![i], vec![tgt.len()]));
        tgt.push(e.clone());
        if i % 7 == 6 {
            gold.push((vec![], vec![tgt.len()]));
            tgt.push(format!(
                "Photo Keystone {}, archives {}.",
                1900 + i,
                7000 + i * 3
            ));
        }
    }
    let noise = vec!["voivoivoi voivoivoi voivoivoi voivoivoi voivoivoi".to_string(); fr.len()];
    let (none, with_noise) = (
        align_sentences(&fr, &tgt, None),
        align_sentences(&fr, &tgt, Some(&noise)),
    );
    // The noise costs no link of the gold's.
    let right = |links: &[Link]| ladder(links).iter().filter(|l| gold.contains(l)).count();
    assert!(
        right(&with_noise) >= right(&none),
        "{:?}",
        ladder(&with_noise)
    );
    // The best path finds every link. The dropped sentence 30 shares nothing with the target
    // and is as likely unaligned (p 0.52) as merged into the next link (p 0.48): expected
    // accuracy, which pays for two links where the merge is one, merges it. Every other link
    // is the gold's either way.
    let best_path = AlignConfig {
        decoding: crate::align::Decoding::BestPath,
        ..AlignConfig::default()
    };
    let anchors = |side: &[String]| {
        side.iter()
            .map(|s| Features::anchors(s))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ladder(&align(&anchors(&fr), &anchors(&tgt), &best_path)),
        gold
    );
    let dropped = |l: &(Vec<usize>, Vec<usize>)| l.0.contains(&30) || l.0.contains(&31);
    let rest = |links: Vec<(Vec<usize>, Vec<usize>)>| {
        links
            .into_iter()
            .filter(|l| !dropped(l))
            .collect::<Vec<_>>()
    };
    assert_eq!(rest(ladder(&none)), rest(gold.clone()));
    assert_eq!(
        ladder(&none).len(),
        gold.len() - 1,
        "one merge, nothing else changed"
    );
}

#[test]
fn lengths_are_compared_at_the_document_s_own_ratio() {
    // Lengths alone, every target sentence twice as long as its source: measured on the
    // document, the ratio makes each pair a perfect 1-1; at a ratio of 1, two source sentences
    // would look like one target sentence and the alignment would merge them.
    let lengths = [100, 104, 96, 110, 92, 100, 106, 98, 102, 94, 108, 100];
    let src: Vec<Features> = lengths
        .iter()
        .map(|&l| Features::length_only(&"x".repeat(l)))
        .collect();
    let tgt: Vec<Features> = lengths
        .iter()
        .map(|&l| Features::length_only(&"y".repeat(2 * l)))
        .collect();
    let config = AlignConfig {
        length_weight: 1.0,
        merge_penalty: 0.0,
        ..AlignConfig::default()
    };
    let links = ladder(&align(&src, &tgt, &config));
    let gold: Vec<_> = (0..lengths.len()).map(|i| (vec![i], vec![i])).collect();
    assert_eq!(links, gold);
}

mod decoding;
