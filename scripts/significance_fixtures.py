#!/usr/bin/env python3
"""Write sacreBLEU's significance-test results as a fixture for entente's tests.

Usage: python scripts/significance_fixtures.py [../shared] > tests/fixtures/metrics/significance.json
Needs: pip install sacrebleu==2.5.1 numpy

Runs sacreBLEU's PairedTest (paired bootstrap, 1000 resamples; approximate randomization, 10000
trials; seed 12345) for BLEU, chrF and TER on the first 1500 lines of three WMT17 systems, with
the first as baseline, and the single-system bootstrap confidence interval (--confidence).
"""
import json
import sys

import numpy
import sacrebleu
from sacrebleu.metrics import BLEU, CHRF, TER
from sacrebleu.significance import PairedTest

shared = sys.argv[1] if len(sys.argv) > 1 else "../shared"
wmt = f"{shared}/eval/bleu/wmt17-en-de"
N = 1500
SYSTEMS = ["newstest2017.FBK.4870.en-de", "newstest2017.KIT.4950.en-de", "newstest2017.LIUM-NMT.4900.en-de"]


def read(path):
    with open(path, encoding="utf-8", newline="\n") as f:
        return [line.rstrip() for _, line in zip(range(N), f)]


refs = [read(f"{wmt}/newstest2017.ref.en-de.de")]
systems = [(name, read(f"{wmt}/{name}.de")) for name in SYSTEMS]
out = {"lines": N, "systems": SYSTEMS, "sacrebleu": sacrebleu.__version__, "numpy": numpy.__version__}


def as_dict(r):
    return {k: (None if v is None else float(v)) for k, v in r.__dict__.items()}


for test_type in ["bs", "ar"]:
    metrics = {"BLEU": BLEU(references=refs), "CHRF": CHRF(references=refs), "TER": TER(references=refs)}
    sigs, scores = PairedTest(systems, metrics, references=None, test_type=test_type)()
    out[test_type] = {name: [as_dict(r) for r in results] for name, results in scores.items() if name != "System"}

out["confidence"] = {}
for name, metric in [("BLEU", BLEU()), ("chrF2", CHRF()), ("TER", TER())]:
    score = metric.corpus_score(systems[0][1], refs, n_bootstrap=1000)
    out["confidence"][name] = {"score": score.score, "mean": float(score._mean), "ci": float(score._ci)}

json.dump(out, sys.stdout, indent=1)
