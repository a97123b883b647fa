#!/usr/bin/env python3
"""Peer extractors for eval/web: run trafilatura on the pages of a manifest, in one process.

Input (argv[1]): JSON {"pages": {id: path to .html or .html.gz}}. Output (stdout): JSON
{"trafilatura": {"version", "seconds" (CPU time of the extraction calls), "texts": {id: text}}}.
Never needed at run time or by the tests; `pip install trafilatura lxml_html_clean`.
"""
import gzip
import json
import sys
import time


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def main():
    manifest = json.load(open(sys.argv[1]))
    pages = {k: read(p) for k, p in manifest["pages"].items()}
    import trafilatura

    texts = {}
    start = time.process_time()
    for k, html in pages.items():
        texts[k] = trafilatura.extract(html, include_comments=False) or ""
    seconds = time.process_time() - start
    json.dump(
        {"trafilatura": {"version": trafilatura.__version__, "seconds": seconds, "texts": texts}},
        sys.stdout,
    )


if __name__ == "__main__":
    main()
