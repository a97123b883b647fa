#!/usr/bin/env python3
"""Write sacreBLEU reference fixtures for entente's metrics tests.

Usage: python scripts/metrics_fixtures.py [../shared] > tests/fixtures/metrics/sacrebleu_cases.jsonl
Needs: pip install sacrebleu==2.5.1

The first line is the corpus (hypotheses and two reference streams); each further line is one case: a metric with its options, hypotheses, reference streams, and what
sacreBLEU computes for them (corpus score at full precision, the formatted line, the signature,
and sentence-level scores). Versions in signatures are replaced by "{version}".
"""
import json
import sys

import sacrebleu
from sacrebleu.metrics import BLEU, CHRF, TER

shared = sys.argv[1] if len(sys.argv) > 1 else "../shared"
wmt = f"{shared}/eval/bleu/wmt17-en-de"


def read(path, n):
    with open(path, encoding="utf-8", newline="\n") as f:
        return [line.rstrip() for _, line in zip(range(n), f)]


N_REAL = 60
real_ref = read(f"{wmt}/newstest2017.ref.en-de.de", N_REAL)
real_ref2 = read(f"{wmt}/newstest2017.online-B.0.en-de.de", N_REAL)  # a second "reference"
real_hyp = read(f"{wmt}/newstest2017.online-A.0.en-de.de", N_REAL)  # its first line has a BOM

# (hypothesis, reference, second reference): edge cases sacreBLEU handles in particular ways.
EDGE = [
    ("", "Der Hund bellt.", "Ein Hund bellt."),
    ("Der Hund bellt laut und lange und immer wieder in der Nacht , sagt er .", "Der Hund bellt.", "Der Hund bellt laut."),
    ("北京欢迎你。我们爱和平！", "北京欢迎您。我们热爱和平！", "北京欢迎你们。"),
    ("I ❤️ Paris 🙂! 👍🏽", "I love Paris 🙂!", "I ❤️ Paris!"),
    ("Привет, мир! Hello world. مرحبا بالعالم", "Привет мир! Hello, world. مرحبا", "Hello world"),
    ("3.5-4, 1,000.00 $ &amp; &quot;quoted&quot; <skipped> it's 2-3", "3.5 - 4, 1,000.00$ & \"quoted\" it's 2-3", "3,5-4"),
    ("ΣΊΣΥΦΟΣ ΟΔΟΣ Σ", "σίσυφος οδός σ", "Σίσυφος"),
    ("\ufeffBOM line here", "BOM line here", "a BOM line"),
    ("a\u00a0b c\u2009d e\u3000f", "a b c d e f", "a b"),
    ("e\u0301te\u0301 ete", "été été", "ete"),
    ("’Tis the season—isn’t it? … « Oui »", "'Tis the season - isn't it? ... « Oui »", "Tis the season"),
    ("The U.S. economy grew 2.5% in Q3. (AFP)", "The US economy grew by 2.5 % in Q3 .", "U.S. growth: 2.5%"),
    ("x", "x", "y"),
    ("", "", ""),
    ("foo bar", "", "foo"),
    ("Ａｂｃ！ＡＢＣ，ａｂｃ。", "Abc! ABC, abc.", "Ａｂｃ"),
    ("tab\there and\x1fthere", "tab here and there", "tab"),
    ("He said: 'It's John's'. It's over.", "He said: \"It's John's.\" It is over.", "It's over"),
    ("repeat repeat repeat repeat repeat repeat", "repeat repeat", "repeat repeat repeat repeat repeat repeat repeat"),
    ("a b c d e f g h i j k l m n o p", "p o n m l k j i h g f e d c b a", "a c e g i k m o"),
]

hyps = real_hyp + [e[0] for e in EDGE]
ref1 = real_ref + [e[1] for e in EDGE]
ref2 = real_ref2 + [e[2] for e in EDGE]


def clean_sig(sig):
    v = sacrebleu.__version__
    return sig.replace(f"version:{v}", "version:{version}").replace(f"v:{v}", "v:{version}")


def case(name, metric_name, args, metric, refs, sentence=True):
    score = metric.corpus_score(hyps, refs)
    sig = metric.get_signature().format()
    out = {
        "name": name,
        "metric": metric_name,
        "args": args,
        "nrefs": len(refs),
        "score": score.score,
        "signature": clean_sig(sig),
        "line": clean_sig(score.format(4, False, sig)),
        "line_short": clean_sig(score.format(1, False, metric.get_signature().format(True))),
    }
    if metric_name == "bleu":
        out["counts"] = list(score.counts)
        out["totals"] = list(score.totals)
        out["sys_len"] = score.sys_len
        out["ref_len"] = score.ref_len
    if sentence:
        out["sentence_scores"] = [
            metric.sentence_score(h, [r[i] for r in refs]).score for i, h in enumerate(hyps)
        ]
    print(json.dumps(out, ensure_ascii=False))


one, two = [ref1], [ref1, ref2]
# The first line holds the corpus every case is computed on.
print(json.dumps({"hyps": hyps, "refs": two}, ensure_ascii=False))

for tok in ["13a", "intl", "char", "zh", "none"]:
    for lc in [False, True]:
        args = {"tokenize": tok, "lowercase": lc}
        case(f"bleu tok={tok} lc={lc}", "bleu", args, BLEU(**args), one, sentence=False)
for smooth, value in [("exp", None), ("floor", None), ("floor", 0.2), ("add-k", None), ("add-k", 2), ("none", None)]:
    for order in [4, 2, 6]:
        args = {"smooth_method": smooth, "smooth_value": value, "max_ngram_order": order}
        case(f"bleu smooth={smooth}[{value}] order={order}", "bleu", args, BLEU(**args), one, sentence=False)
for smooth in ["exp", "floor", "add-k", "none"]:
    args = {"smooth_method": smooth, "effective_order": True}
    case(f"sentence bleu smooth={smooth}", "bleu", args, BLEU(**args), one)
case("bleu two refs", "bleu", {}, BLEU(), two, sentence=False)
case("sentence bleu two refs", "bleu", {"effective_order": True}, BLEU(effective_order=True), two)

for args in [
    {},
    {"eps_smoothing": True},
    {"word_order": 2},
    {"word_order": 2, "eps_smoothing": True},
    {"lowercase": True},
    {"whitespace": True},
    {"beta": 1},
    {"beta": 3, "char_order": 4},
    {"word_order": 1, "whitespace": True, "lowercase": True},
]:
    case(f"chrf {args}", "chrf", args, CHRF(**args), one)
case("chrf++ two refs", "chrf", {"word_order": 2}, CHRF(word_order=2), two)

for args in [
    {},
    {"case_sensitive": True},
    {"normalized": True},
    {"no_punct": True},
    {"normalized": True, "no_punct": True, "case_sensitive": True},
]:
    case(f"ter {args}", "ter", args, TER(**args), one)
case("ter two refs", "ter", {}, TER(), two)
