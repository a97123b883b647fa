//! Alignment on synthetic documents whose correct ladder is known by construction.

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
