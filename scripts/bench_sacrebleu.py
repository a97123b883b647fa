#!/usr/bin/env python3
"""Time sacreBLEU on the 16 WMT17 en-de systems, for eval/bleu's benchmark.

Usage: python scripts/bench_sacrebleu.py WMT17_DIR
Prints JSON: {"bleu": seconds, "chrf": seconds, "ter": seconds, "scores": {...}}. References are
cached once per metric (sacreBLEU's fastest path: Metric(references=...)), then every system is
scored; the time covers reference preparation and all 16 systems.
"""
import glob
import json
import os
import sys
import time

from sacrebleu.metrics import BLEU, CHRF, TER

d = sys.argv[1]


def read(path):
    with open(path, encoding="utf-8", newline="\n") as f:
        return [line.rstrip() for line in f]


refs = [read(os.path.join(d, "newstest2017.ref.en-de.de"))]
systems = sorted(p for p in glob.glob(os.path.join(d, "newstest2017.*.en-de.de")) if ".ref." not in p)
hyps = {os.path.basename(p): read(p) for p in systems}
out = {"scores": {}}
for name, cls in [("bleu", BLEU), ("chrf", CHRF), ("ter", TER)]:
    start = time.perf_counter()
    metric = cls(references=refs)
    scores = {s: metric.corpus_score(h, None).score for s, h in hyps.items()}
    out[name] = time.perf_counter() - start
    out["scores"][name] = scores
json.dump(out, sys.stdout)
