#!/usr/bin/env python3
"""Record sacreBLEU's command-line output for entente's `bleu` CLI tests.

Usage: python scripts/bleu_cli_fixtures.py SACREBLEU_EXE
Writes tests/fixtures/metrics/cli/{hyp,ref1,ref2}.txt (small files with a BOM, CRLF line ends,
empty lines and mixed scripts) and cases.jsonl: for each argument list, sacreBLEU's stdout.
entente's output must be the same with its version in the signatures.
"""
import json
import subprocess
import sys
from pathlib import Path

exe = sys.argv[1]
d = Path(__file__).resolve().parent.parent / "tests/fixtures/metrics/cli"
d.mkdir(parents=True, exist_ok=True)
hyp = ["\ufeffThe cat sat on the mat .", "", "Das ist ein Test, oder?", "北京欢迎你。", "It costs 3.50 $ — isn't it?", "a b c d e f"]
ref1 = ["The cat is on the mat.", "Nothing here.", "Das ist ein Test.", "北京欢迎您。", "It costs $3.50, doesn't it?", "a b c d e f"]
ref2 = ["A cat sat on the mat.", "", "Dies ist ein Test, oder?", "欢迎你。", "That costs 3.50 dollars.", "f e d c b a"]
(d / "hyp.txt").write_bytes(("\r\n".join(hyp) + "\r\n").encode())
(d / "ref1.txt").write_text("\n".join(ref1) + "\n", encoding="utf-8")
(d / "ref2.txt").write_text("\n".join(ref2), encoding="utf-8")  # no final newline

CASES = [
    ["-m", "bleu"],
    ["-m", "bleu", "chrf", "ter"],
    ["-m", "bleu", "chrf", "ter", "-f", "json"],
    ["-m", "bleu", "-f", "json", "-w", "3"],
    ["-m", "chrf", "--chrf-word-order", "2", "-w", "4"],
    ["-m", "bleu", "--tokenize", "zh", "--lowercase"],
    ["-m", "bleu", "--smooth-method", "floor", "--smooth-value", "0.2", "--short"],
    ["-m", "ter", "--ter-normalized", "--ter-case-sensitive"],
    ["-m", "bleu", "chrf", "-b"],
    ["-m", "bleu", "--sentence-level"],
    ["-m", "chrf", "--sentence-level", "-w", "3"],
    ["-m", "ter", "--sentence-level"],
    ["-m", "bleu", "-f", "json", "--confidence", "--confidence-n", "50"],
    ["-m", "bleu", "chrf", "-f", "json", "--short", "--confidence", "--confidence-n", "50"],
    ["-m", "bleu", "--score-only", "--confidence", "--confidence-n", "50"],
]

with open(d / "cases.jsonl", "w", encoding="utf-8") as out:
    for refs in (["ref1.txt"], ["ref1.txt", "ref2.txt"]):
        for args in CASES:
            cmd = [exe, *refs, "-i", "hyp.txt", *args]
            if "-f" not in args:
                cmd += ["-f", "text"]
            res = subprocess.run(cmd, cwd=d, capture_output=True, text=True, check=True)
            version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.split()[-1]
            stdout = res.stdout.replace(f"version:{version}", "version:{version}").replace(f"v:{version}", "v:{version}")
            stdout = stdout.replace(f'"version": "{version}"', '"version": "{version}"')
            out.write(json.dumps({"refs": refs, "args": args, "stdout": stdout}, ensure_ascii=False) + "\n")
