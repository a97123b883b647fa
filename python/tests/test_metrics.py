"""entente.metrics is sacreBLEU: every score, field and printed string equal to sacreBLEU's own
(installed beside it as the reference), on the 16 WMT17 systems and on edge cases. Signatures
are equal but for the version, which names entente."""

import os
import re

import pytest

import entente.metrics as ours

sacrebleu = pytest.importorskip("sacrebleu") if os.environ.get("ENTENTE_REQUIRE_TEST_DATA", "") in ("", "0") else __import__("sacrebleu")


def unversioned(text: str) -> str:
    text = re.sub(r"(version|v):[^|\"\s]+", r"\1:V", text)
    return re.sub(r'"version": "[^"]+"', '"version": "V"', text)


FIELDS = {
    "BLEU": ["score", "counts", "totals", "precisions", "bp", "sys_len", "ref_len", "prec_str", "ratio"],
    "CHRF": ["score", "char_order", "word_order", "beta", "name"],
    "TER": ["score", "num_edits", "ref_length", "name"],
}


def assert_same(kind, theirs_metric, ours_metric, theirs, mine):
    for field in FIELDS[kind]:
        assert getattr(mine, field) == getattr(theirs, field), field
    assert str(mine) == str(theirs)
    assert repr(mine) == repr(theirs)
    for width in (1, 2, 4):
        assert mine.format(width=width, score_only=True) == theirs.format(width=width, score_only=True)
    sig_t, sig_o = theirs_metric.get_signature(), ours_metric.get_signature()
    assert unversioned(sig_o.format()) == unversioned(sig_t.format())
    assert unversioned(sig_o.format(short=True)) == unversioned(sig_t.format(short=True))
    s = sig_t.format()
    assert unversioned(mine.format(signature=s)) == unversioned(theirs.format(signature=s))
    assert unversioned(mine.format(signature=s, is_json=True)) == unversioned(theirs.format(signature=s, is_json=True))


def corpus(kind, hyps, refs, n_bootstrap=1, **kwargs):
    theirs_metric = getattr(sacrebleu, kind)(**kwargs)
    ours_metric = getattr(ours, kind)(**kwargs)
    theirs = theirs_metric.corpus_score(hyps, refs, n_bootstrap=n_bootstrap)
    mine = ours_metric.corpus_score(hyps, refs, n_bootstrap=n_bootstrap)
    assert_same(kind, theirs_metric, ours_metric, theirs, mine)
    assert (mine._mean, mine._ci) == (theirs._mean, theirs._ci)
    return mine


def read_lines(path):
    # As sacreBLEU's CLI reads files: the text split at newlines, the final newline dropped.
    return path.read_text(encoding="utf-8").split("\n")[:-1]


@pytest.fixture(scope="module")
def wmt17(shared):
    d = shared / "eval/bleu/wmt17-en-de"
    ref = read_lines(d / "newstest2017.ref.en-de.de")
    systems = {p.name: read_lines(p) for p in sorted(d.glob("newstest2017.*.en-de.de")) if ".ref." not in p.name}
    assert len(systems) == 16
    return ref, systems


def test_wmt17_bleu_chrf_chrfpp(wmt17):
    ref, systems = wmt17
    for name, hyps in systems.items():
        corpus("BLEU", hyps, [ref])
        corpus("CHRF", hyps, [ref])
        corpus("CHRF", hyps, [ref], word_order=2)


def test_wmt17_ter(wmt17):
    ref, systems = wmt17
    for name, hyps in systems.items():
        corpus("TER", hyps, [ref])


def test_wmt17_bootstrap_intervals(wmt17):
    ref, systems = wmt17
    hyps = next(iter(systems.values()))
    for kind in ("BLEU", "CHRF"):
        mine = corpus(kind, hyps, [ref], n_bootstrap=200)
        assert mine._mean > 0


HYPS = ["The cat sat on the mat .", "", "Das ist ein Test, oder?", "北京欢迎你。", "It costs 3.50 $ — isn't it?", "a b c d e f", "Ünïcödé ÀÉÎ ǅ ﬁne"]
REF1 = ["The cat is on the mat.", "Nothing here.", "Das ist ein Test.", "北京欢迎您。", "It costs $3.50, doesn't it?", "a b c d e f", "Unicode AEI Dž fine"]
REF2 = ["A cat sat on the mat.", "", "Dies ist ein Test, oder?", "欢迎你。", "That costs 3.50 dollars.", "f e d c b a", "ünïcödé"]

CASES = [
    ("BLEU", {}),
    ("BLEU", {"tokenize": "intl"}),
    ("BLEU", {"tokenize": "char"}),
    ("BLEU", {"tokenize": "zh"}),
    ("BLEU", {"tokenize": "none", "lowercase": True}),
    ("BLEU", {"smooth_method": "floor", "smooth_value": 0.2}),
    ("BLEU", {"smooth_method": "add-k", "smooth_value": 2}),
    ("BLEU", {"smooth_method": "none", "effective_order": True}),
    ("BLEU", {"max_ngram_order": 2}),
    ("BLEU", {"trg_lang": "zh"}),
    ("CHRF", {}),
    ("CHRF", {"word_order": 2, "eps_smoothing": True}),
    ("CHRF", {"char_order": 4, "beta": 1, "lowercase": True, "whitespace": True}),
    ("TER", {}),
    ("TER", {"normalized": True, "no_punct": True, "case_sensitive": True}),
]


@pytest.mark.parametrize("kind,kwargs", CASES)
def test_edge_cases_one_and_two_references(kind, kwargs):
    corpus(kind, HYPS, [REF1], **kwargs)
    corpus(kind, HYPS, [REF1, REF2], **kwargs)


@pytest.mark.parametrize("kind,kwargs", CASES)
def test_empty_hypotheses(kind, kwargs):
    corpus(kind, [""] * len(REF1), [REF1], **kwargs)


@pytest.mark.parametrize("kind,kwargs", CASES)
def test_sentence_scores(kind, kwargs):
    theirs_metric = getattr(sacrebleu, kind)(**kwargs)
    ours_metric = getattr(ours, kind)(**kwargs)
    for hyp, r1, r2 in zip(HYPS, REF1, REF2):
        for refs in ([r1], [r1, r2]):
            theirs = theirs_metric.sentence_score(hyp, refs)
            mine = ours_metric.sentence_score(hyp, refs)
            assert_same(kind, theirs_metric, ours_metric, theirs, mine)


def test_variable_numbers_of_references():
    refs2 = [r if i % 2 else None for i, r in enumerate(REF2)]
    for kind in ("BLEU", "CHRF", "TER"):
        mine = corpus(kind, HYPS, [REF1, refs2])
        assert "nrefs:var" in getattr(ours, kind)(references=[REF1, refs2]).get_signature().format()
        assert mine is not None


def test_references_cached_by_the_constructor():
    for kind in ("BLEU", "CHRF", "TER"):
        theirs_metric = getattr(sacrebleu, kind)(references=[REF1, REF2])
        ours_metric = getattr(ours, kind)(references=[REF1, REF2])
        theirs = theirs_metric.corpus_score(HYPS, None)
        mine = ours_metric.corpus_score(HYPS, None)
        assert_same(kind, theirs_metric, ours_metric, theirs, mine)


def test_bootstrap_on_small_input_and_seed_from_the_environment(monkeypatch):
    corpus("BLEU", HYPS, [REF1], n_bootstrap=50)
    monkeypatch.setenv("SACREBLEU_SEED", "7")
    corpus("CHRF", HYPS, [REF1, REF2], n_bootstrap=30)
    corpus("TER", HYPS, [REF1], n_bootstrap=20)


def test_compat_shortcuts():
    pairs = [
        (ours.corpus_bleu(HYPS, [REF1]), sacrebleu.corpus_bleu(HYPS, [REF1])),
        (ours.raw_corpus_bleu(HYPS, [REF1]), sacrebleu.raw_corpus_bleu(HYPS, [REF1])),
        (ours.sentence_bleu(HYPS[0], [REF1[0]]), sacrebleu.sentence_bleu(HYPS[0], [REF1[0]])),
        (ours.corpus_chrf(HYPS, [REF1], word_order=2), sacrebleu.corpus_chrf(HYPS, [REF1], word_order=2)),
        (ours.sentence_chrf(HYPS[4], [REF1[4]]), sacrebleu.sentence_chrf(HYPS[4], [REF1[4]])),
        (ours.corpus_ter(HYPS, [REF1, REF2]), sacrebleu.corpus_ter(HYPS, [REF1, REF2])),
        (ours.sentence_ter(HYPS[2], [REF2[2]]), sacrebleu.sentence_ter(HYPS[2], [REF2[2]])),
    ]
    for mine, theirs in pairs:
        assert str(mine) == str(theirs) and mine.score == theirs.score


def test_bad_arguments_raise_as_sacrebleu_does():
    with pytest.raises(TypeError):
        ours.BLEU().corpus_score("a string", [REF1])
    with pytest.raises(TypeError):
        ours.BLEU().corpus_score(HYPS, REF1)  # a stream, not a list of streams
    with pytest.raises(RuntimeError, match="No references"):
        ours.CHRF().corpus_score(HYPS, None)
    with pytest.raises(ValueError, match="evaluate the metric first"):
        ours.TER().get_signature()
    with pytest.raises(ValueError, match="hypotheses"):
        ours.BLEU().corpus_score(HYPS[:3], [REF1])
    with pytest.raises(ValueError):
        ours.BLEU(tokenize="no-such-tokenizer")


def test_references_kept_across_calls_are_never_stale():
    # The same list object changed in place, a copy differing in one character, and two
    # reference sets in turn: each call scores against exactly the references it was given.
    refs = list(REF1)
    for kind in ("BLEU", "CHRF", "TER"):
        for i in range(3):
            corpus(kind, HYPS, [refs])
            refs[0] = refs[0] + "x"
            corpus(kind, HYPS, [REF2])
            corpus(kind, HYPS, [REF1, REF2])
