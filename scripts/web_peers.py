#!/usr/bin/env python3
"""Peer extractors for eval/web: run trafilatura on the pages of a manifest, in one process.

Input (argv[1]): JSON {"pages": {id: path to .html or .html.gz}}. Output (stdout): JSON
{"trafilatura": {"version", "seconds" (CPU time of the extraction calls), "texts": {id: text},
"titles": {id: headline}}} (the titles read by `extract_metadata`, outside the timed calls).
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
    # Headlines outside the timed loop: extract() above is what a user calls for the text.
    titles = {}
    for k, html in pages.items():
        try:
            meta = trafilatura.extract_metadata(html)
        except Exception:  # a page trafilatura cannot read has no title
            meta = None
        titles[k] = (meta.title if meta else None) or ""
    peer = {"version": trafilatura.__version__, "seconds": seconds, "texts": texts}
    peer["titles"] = titles
    json.dump({"trafilatura": peer}, sys.stdout)


if __name__ == "__main__":
    main()
