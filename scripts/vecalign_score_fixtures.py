#!/usr/bin/env python3
"""Fixtures for entente's Vecalign scoring (`align::eval::score_vecalign`) from Vecalign's own
`score.py` (thompsonb/vecalign, Apache-2.0), read in place and never copied into the repository.

Random gold ladders (1-1, merges, splits, insertions, deletions) and "proposed" ladders derived
from them by realistic mistakes (merging neighbours, splitting links, shifting a boundary,
inventing insertions/deletions, duplicating a link), scored by `score_multiple`.

Run: python3 scripts/vecalign_score_fixtures.py --score-py PATH/vecalign/score.py \
         > tests/fixtures/align/vecalign_scores.jsonl
Needs numpy.
"""
import argparse
import json
import random
import sys
import types


def load_score(path):
    source = open(path, encoding="utf-8").read()
    # score.py imports read_alignments from its package; scoring never calls it.
    source = source.replace("from .dp_utils import read_alignments", "read_alignments = None")
    source = source.replace("from dp_utils import read_alignments", "read_alignments = None")
    module = types.ModuleType("vecalign_score")
    exec(compile(source, path, "exec"), module.__dict__)
    return module


def gold_ladder(rng, n_links):
    shapes = [(1, 1)] * 12 + [(1, 2), (2, 1), (0, 1), (1, 0), (2, 2), (1, 3), (3, 1)]
    links, i, j = [], 0, 0
    for _ in range(n_links):
        a, b = rng.choice(shapes)
        links.append((list(range(i, i + a)), list(range(j, j + b))))
        i, j = i + a, j + b
    return links


def mistakes(rng, gold):
    links = [(list(s), list(t)) for s, t in gold]
    for _ in range(rng.randint(0, 6)):
        k = rng.randrange(len(links))
        kind = rng.choice(["merge", "split", "shift", "delete", "insert", "dup"])
        s, t = links[k]
        if kind == "merge" and k + 1 < len(links):
            s2, t2 = links.pop(k + 1)
            links[k] = (s + s2, t + t2)
        elif kind == "split" and (len(s) > 1 or len(t) > 1):
            if len(s) > 1:
                links[k:k + 1] = [(s[:1], t), (s[1:], [])]
            else:
                links[k:k + 1] = [(s, t[:1]), ([], t[1:])]
        elif kind == "shift" and k + 1 < len(links) and len(links[k + 1][1]) > 0:
            s2, t2 = links[k + 1]
            links[k] = (s, t + t2[:1])
            links[k + 1] = (s2, t2[1:])
        elif kind == "delete" and s and t:
            links[k:k + 1] = [(s, []), ([], t)]
        elif kind == "insert":
            links.insert(k, ([], []))
        elif kind == "dup":
            links.insert(k, (s, t))
    return links


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--score-py", required=True)
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--seed", type=int, default=20261129)
    args = parser.parse_args()
    score = load_score(args.score_py)
    rng = random.Random(args.seed)
    cases = [([[[0], [0]], [[], [1]]], [[[0], [0]], [[], [1]]]),
             ([[[0], [0]], [[], [1]]], [[[0], [0, 1]]]),
             ([[[0, 1], [0]]], [[[0], [0]], [[1], []]]),
             ([[[0], [0]]], [])]
    for _ in range(args.cases):
        gold = gold_ladder(rng, rng.randint(1, 40))
        cases.append((gold, mistakes(rng, gold)))
    for gold, test in cases:
        result = score.score_multiple([gold], [test])
        print(json.dumps({"gold": gold, "test": test,
                          **{k: float(v) for k, v in sorted(result.items())}}))


if __name__ == "__main__":
    sys.exit(main())
