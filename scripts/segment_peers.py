#!/usr/bin/env python3
"""Run the peer sentence splitters on paragraphs, for eval/segment.

Reads one paragraph per line from the file given as argument and prints one JSON object:
{"pysbd": {"seconds": s, "sentences": [[...] per paragraph]}, "moses": {...}}.
Peers: pySBD (language "fr", clean=False) and the Moses splitter with its French non-breaking
prefixes (PyPI `sentence-splitter`). Timing covers splitting only, on one core.
"""
import json
import sys
import time


def run(split, paragraphs):
    start = time.perf_counter()
    out = [list(split(p)) for p in paragraphs]
    return {"seconds": time.perf_counter() - start, "sentences": out}


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        paragraphs = [line.rstrip("\n") for line in f]
    result = {}
    try:
        import pysbd

        seg = pysbd.Segmenter(language="fr", clean=False)
        result["pysbd"] = run(lambda p: [s.strip() for s in seg.segment(p)], paragraphs)
    except ImportError as e:
        print(f"segment_peers: pySBD unavailable: {e}", file=sys.stderr)
    try:
        from sentence_splitter import SentenceSplitter

        splitter = SentenceSplitter(language="fr")
        result["moses"] = run(splitter.split, paragraphs)
    except ImportError as e:
        print(f"segment_peers: sentence-splitter unavailable: {e}", file=sys.stderr)
    json.dump(result, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
