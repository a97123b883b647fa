#!/usr/bin/env python3
"""entente.metrics against sacreBLEU in one process, on the 16 WMT17 en-de systems.

Usage: python eval/python/bench_metrics.py [SHARED_DIR]
Needs `pip install ./python sacrebleu` in the interpreter's environment. Each metric scores
every system against the reference as a user would (one corpus_score call per system, the
metric built once), best of 3 runs; the scores are checked equal before any time is printed.
TER's memory is each engine's peak resident set in a child process that only loads the data
and scores the 16 systems (the load alone is printed as the baseline).
"""

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(sys.argv[1]) if len(sys.argv) > 1 and not sys.argv[1].startswith("--") else ROOT.parent / "shared"
DATA = SHARED / "eval/bleu/wmt17-en-de"


def lines(path):
    return path.read_text(encoding="utf-8").split("\n")[:-1]


def load():
    ref = lines(DATA / "newstest2017.ref.en-de.de")
    systems = [lines(p) for p in sorted(DATA.glob("newstest2017.*.en-de.de")) if ".ref." not in p.name]
    return ref, systems


def cpu_name():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def timed(make, ref, systems, repeats=3, cached=False, reset=None):
    """Seconds to score every system (best of `repeats`) and the scores. `cached`: the
    references given to the constructor (timed too), else passed with each call."""
    best, scores = float("inf"), None
    for _ in range(repeats):
        # entente keeps prepared references across calls: every run starts without them, so
        # the time includes preparing them once, as a user's first run does.
        if reset:
            reset()
        start = time.perf_counter()
        if cached:
            metric = make(references=[ref])
            scores = [metric.corpus_score(h, None).score for h in systems]
        else:
            metric = make()
            scores = [metric.corpus_score(h, [ref]).score for h in systems]
        best = min(best, time.perf_counter() - start)
    return best, scores


def ter_child(engine):
    """Run in a child: load, optionally score TER on all systems, print peak RSS (KiB)."""
    ref, systems = load()
    if engine != "load":
        module = __import__("sacrebleu") if engine == "sacrebleu" else __import__("entente.metrics").metrics
        metric = module.TER()
        for h in systems:
            metric.corpus_score(h, [ref])
    # VmHWM: this process's own peak (ru_maxrss would carry the parent's over exec).
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            print(int(line.split()[1]))


def peak_rss(engine):
    out = subprocess.run([sys.executable, __file__, str(SHARED), f"--ter-child={engine}"],
                         capture_output=True, text=True, check=True)
    return int(out.stdout.strip()) / 1024


def main():
    import sacrebleu
    import entente.metrics as em

    ref, systems = load()
    segments = len(ref) * len(systems)
    print(f"CPU: {cpu_name()} ({os.cpu_count()} logical CPUs); Python {platform.python_version()}; "
          f"sacreBLEU {sacrebleu.__version__}; entente {__import__('entente').__version__}")
    print(f"16 WMT17 en-de systems x {len(ref)} segments ({segments} hypotheses), best of 3\n")
    for cached in (False, True):
        how = ("references given to the constructor (sacreBLEU's caching)" if cached
               else "references passed with each call, as corpus_bleu(hyps, [refs]) does")
        print(f"{how}:\n")
        print("| metric | sacreBLEU s | entente s | speed-up |")
        print("|---|---:|---:|---:|")
        total = {"sacrebleu": 0.0, "entente": 0.0}
        for name, cls, args in [("BLEU", "BLEU", {}), ("chrF", "CHRF", {}),
                                ("chrF++", "CHRF", {"word_order": 2}), ("TER", "TER", {})]:
            make_theirs = lambda **kw: getattr(sacrebleu, cls)(**args, **kw)
            make_ours = lambda **kw: getattr(em, cls)(**args, **kw)
            theirs_t, theirs = timed(make_theirs, ref, systems, 1 if name == "TER" else 3, cached)
            ours_t, mine = timed(make_ours, ref, systems, 3, cached, reset=em._clear_reference_cache)
            assert mine == theirs, f"{name}: scores differ"
            print(f"| {name} | {theirs_t:.3f} | {ours_t:.4f} | {theirs_t / ours_t:.1f}× |")
            if name in ("BLEU", "chrF"):
                total["sacrebleu"] += theirs_t
                total["entente"] += ours_t
        print(f"| BLEU + chrF | {total['sacrebleu']:.3f} | {total['entente']:.4f} | "
              f"**{total['sacrebleu'] / total['entente']:.1f}×** |\n")
    base, theirs_mem, ours_mem = peak_rss("load"), peak_rss("sacrebleu"), peak_rss("entente")
    print(f"\nTER peak RSS (16 systems in one process): data loaded {base:.0f} MB; "
          f"sacreBLEU {theirs_mem:.0f} MB (+{theirs_mem - base:.0f}); entente {ours_mem:.0f} MB "
          f"(+{ours_mem - base:.0f})")
    print("all scores equal to sacreBLEU's")


if __name__ == "__main__":
    child = [a for a in sys.argv if a.startswith("--ter-child=")]
    if child:
        ter_child(child[0].split("=", 1)[1])
    else:
        main()
