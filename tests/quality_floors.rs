//! Quality floors: the headline figures of `eval/` as tests, so that a change that loses quality
//! fails CI instead of waiting for the next evaluation run. Each floor is today's figure (README,
//! 2026-12-07) less a small margin; the harnesses in `eval/` print the full tables.
//!
//! - alignment, Bleualign dev set (de–fr), Vecalign strict F1: 0.921 with dev.google.fr's MT,
//!   0.906 without MT; floors 0.911 and 0.896;
//! - segmentation, UD French-GSD test sentences in paragraphs of up to five (eval/segment's
//!   grouping), boundary F1: 0.9878; floor 0.978;
//! - extraction, the 181 scrapinghub pages, the benchmark's own F1 on the article body: 0.979;
//!   floor 0.969.

use std::io::Read;

#[path = "../eval/web/scoring.rs"]
mod scoring;
#[path = "../eval/segment/gold.rs"]
mod segment_gold;

use entente::align::eval::{parse_ladder, score_vecalign, Ladder};
use entente::align::{align, AlignConfig, Features};
use entente::segment::Segmenter;

fn lines(text: &str) -> Vec<String> {
    text.lines().map(|l| l.trim().to_string()).collect()
}

fn ladder(links: &[entente::align::Link]) -> Ladder {
    links
        .iter()
        .map(|l| (l.src.clone(), l.tgt.clone()))
        .collect()
}

#[test]
fn alignment_f1_on_the_dev_set_stays_above_its_floor() {
    let Some(dir) = entente::testdata::require("eval/align/bleualign-dev") else {
        return;
    };
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    let (de, fr) = (lines(&read("dev.de")), lines(&read("dev.fr")));
    let gold = parse_ladder(&read("dev.defr")).unwrap();
    let tgt: Vec<Features> = fr.iter().map(|s| Features::lexical(s)).collect();
    let mt: Vec<Features> = lines(&read("dev.google.fr"))
        .iter()
        .zip(&de)
        .map(|(t, s)| Features::translated(t, s))
        .collect();
    let with_mt = score_vecalign(&ladder(&align(&mt, &tgt, &AlignConfig::default())), &gold);
    let src_anchors: Vec<Features> = de.iter().map(|s| Features::anchors(s)).collect();
    let tgt_anchors: Vec<Features> = fr.iter().map(|s| Features::anchors(s)).collect();
    let without = score_vecalign(
        &ladder(&align(
            &src_anchors,
            &tgt_anchors,
            &AlignConfig::without_mt(),
        )),
        &gold,
    );
    assert!(
        with_mt.strict.2 >= 0.911,
        "with MT: strict F1 {:.3} < 0.911",
        with_mt.strict.2
    );
    assert!(
        without.strict.2 >= 0.896,
        "without MT: strict F1 {:.3} < 0.896",
        without.strict.2
    );
}

#[test]
fn segmentation_f1_on_french_gsd_stays_above_its_floor() {
    let Some(gold) = entente::testdata::require("eval/segment/fr_gsd-ud-test.conllu") else {
        return;
    };
    let conllu = std::fs::read_to_string(gold).unwrap();
    // eval-segment's paragraphs and boundaries (eval/segment/gold.rs).
    let segmenter = Segmenter::default();
    let (mut tp, mut n_pred, mut n_gold) = (0, 0, 0);
    for p in segment_gold::build_paragraphs(&conllu) {
        let sentences: Vec<String> = segmenter
            .sentence_spans(&p.text)
            .into_iter()
            .map(|r| p.text[r].to_string())
            .collect();
        let got = segment_gold::proposed(&sentences);
        tp += got.intersection(&p.boundaries).count();
        n_pred += got.len();
        n_gold += p.boundaries.len();
    }
    let (p, r) = (tp as f64 / n_pred as f64, tp as f64 / n_gold as f64);
    let f1 = 2.0 * p * r / (p + r);
    assert!(n_gold > 150, "{n_gold} gold boundaries");
    assert!(
        f1 >= 0.978,
        "segmentation F1 {f1:.4} < 0.978 (P {p:.4}, R {r:.4})"
    );
}

#[test]
fn extraction_f1_on_the_scrapinghub_pages_stays_above_its_floor() {
    let Some(dir) = entente::testdata::require("eval/web/scrapinghub") else {
        return;
    };
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("ground-truth.json")).unwrap())
            .unwrap();
    let mut scores = Vec::new();
    for (id, page) in truth.as_object().unwrap() {
        let gz = std::fs::read(dir.join(format!("html/{id}.html.gz"))).unwrap();
        let mut html = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut html)
            .unwrap();
        let body = entente::article::Article::from_html(&html, id, None, None)
            .map_or(String::new(), |a| a.body());
        scores.push(scoring::matching(
            page["articleBody"].as_str().unwrap(),
            &body,
        ));
    }
    assert_eq!(scores.len(), 181);
    let (p, r, f1) = scoring::f1(&scores);
    assert!(
        f1 >= 0.969,
        "extraction F1 {f1:.3} < 0.969 (P {p:.3}, R {r:.3})"
    );
}
