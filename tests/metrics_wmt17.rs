//! Parity with sacreBLEU 2.5.1 on the 16 WMT17 en-de systems: BLEU (score, counts, totals,
//! lengths), chrF, chrF (eps), chrF++ (eps) and TER against `expected_scores.tsv`, which
//! sacreBLEU's own test suite publishes.

use entente::metrics::{self, Bleu, Chrf, Metric, Ter};

fn dir_path() -> Option<String> {
    entente::testdata::require("eval/bleu/wmt17-en-de").map(|p| p.display().to_string())
}

/// Lines as sacreBLEU's CLI reads them: split on "\n", each right-stripped (a BOM is kept).
fn read_lines(path: &str) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let text = text.strip_suffix('\n').unwrap_or(&text);
    text.split('\n')
        .map(|l| metrics::pytext::rstrip(l).to_string())
        .collect()
}

struct Expected {
    system: String,
    bleu: f64,
    counts: Vec<f64>,
    totals: Vec<f64>,
    sys_len: f64,
    ref_len: f64,
    chrf: f64,
    chrf_eps: f64,
    chrfpp_eps: f64,
    ter: f64,
}

fn expected(dir: &str) -> Vec<Expected> {
    let text = std::fs::read_to_string(format!("{dir}/expected_scores.tsv")).unwrap();
    let nums = |s: &str| {
        s.split(' ')
            .map(|x| x.parse().unwrap())
            .collect::<Vec<f64>>()
    };
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            Expected {
                system: f[0].to_string(),
                bleu: f[4].parse().unwrap(),
                counts: nums(f[5]),
                totals: nums(f[6]),
                sys_len: f[7].parse().unwrap(),
                ref_len: f[8].parse().unwrap(),
                chrf: f[9].parse().unwrap(),
                chrf_eps: f[10].parse().unwrap(),
                chrfpp_eps: f[11].parse().unwrap(),
                ter: f[12].parse().unwrap(),
            }
        })
        .collect()
}

fn assert_close(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-6,
        "{what}: entente {got:.9} vs sacreBLEU {want:.6}"
    );
}

#[test]
fn all_sixteen_systems_match_sacrebleu() {
    let Some(dir) = dir_path() else { return };
    let refs = vec![read_lines(&format!("{dir}/newstest2017.ref.en-de.de"))];
    let bleu = Bleu::default();
    let chrf = Chrf::default();
    let chrf_eps = Chrf {
        eps_smoothing: true,
        ..Chrf::default()
    };
    let chrfpp_eps = Chrf {
        word_order: 2,
        eps_smoothing: true,
        ..Chrf::default()
    };
    let ter = Ter::default();
    let bleu_refs = metrics::prepare_refs(&bleu, &refs);
    let chrf_refs = metrics::prepare_refs(&chrf, &refs);
    let chrf_eps_refs = metrics::prepare_refs(&chrf_eps, &refs);
    let chrfpp_refs = metrics::prepare_refs(&chrfpp_eps, &refs);
    let ter_refs = metrics::prepare_refs(&ter, &refs);

    let expected = expected(&dir);
    assert_eq!(expected.len(), 16);
    for e in &expected {
        let hyps = read_lines(&format!("{dir}/{}.de", e.system));
        assert_eq!(hyps.len(), 3004);
        let stats = metrics::corpus_stats(&bleu, &hyps, &bleu_refs).sum();
        let details = bleu.compute_details(&stats);
        assert_close(&format!("{} BLEU", e.system), details.score, e.bleu);
        assert_eq!(details.counts, e.counts, "{} counts", e.system);
        assert_eq!(details.totals, e.totals, "{} totals", e.system);
        assert_eq!(
            (details.sys_len, details.ref_len),
            (e.sys_len, e.ref_len),
            "{}",
            e.system
        );

        let score = |m: &Chrf, r| metrics::corpus_score(m, &hyps, r).score;
        assert_close(
            &format!("{} chrF", e.system),
            score(&chrf, &chrf_refs),
            e.chrf,
        );
        assert_close(
            &format!("{} chrF eps", e.system),
            score(&chrf_eps, &chrf_eps_refs),
            e.chrf_eps,
        );
        assert_close(
            &format!("{} chrF++ eps", e.system),
            score(&chrfpp_eps, &chrfpp_refs),
            e.chrfpp_eps,
        );
        let ter_score = metrics::corpus_score(&ter, &hyps, &ter_refs).score;
        assert_close(&format!("{} TER", e.system), ter_score, e.ter);
    }
    // The signature names the configuration as sacreBLEU does.
    assert!(bleu
        .signature(1)
        .format(false)
        .starts_with("nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:"));
}
