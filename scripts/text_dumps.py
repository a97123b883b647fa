#!/usr/bin/env python3
"""Naive text dumps of article pages, for `eval-web --dumps DIR` (scraped-text precision).

A dump is what a naive scraper writes: the headline (the page's first <h1>, else its <title>),
then the text of every block of the page's first <article> element -- teasers, captions,
credits and share prompts included -- blocks separated by blank lines. Only pages with a
reference body and an <article> element make a dump.

    python scripts/text_dumps.py OUT_DIR SETS_DIR [SHARED_WEB_DIR]

writes OUT_DIR/<set>__<id>.txt and OUT_DIR/<set>__<id>.ref.txt (the reference body); for
trafilatura's evaluation pages (tests/evaldata.json: snippets, no body; most not English, 27
French) OUT_DIR/trafilatura-eval__<file>.snippets.json instead, holding its "with" snippets
(a correct extraction keeps them) and "without" ones (boilerplate it must drop). SETS_DIR
holds the checkouts eval-web's --sets reads (wcxb/, readability/, trafilatura/); SHARED_WEB_DIR is
../shared/eval/web (scrapinghub). The dumps stay outside the repository: they are third-party
pages' text. Needs lxml (the benchmark venv has it through trafilatura).
"""
import glob
import gzip
import json
import os
import sys

import lxml.html

BLOCKS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "figcaption", "blockquote", "dd", "dt",
    "td", "th", "pre", "div", "section", "header", "footer", "aside", "figure", "ul", "ol",
    "table", "tr", "article", "address", "details", "summary", "caption", "nav", "form",
}
SKIP = {"script", "style", "noscript", "template", "svg", "button", "select", "option"}


def read(path):
    data = open(path, "rb").read()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def blocks(element, out, current):
    """Text of `element` cut at block boundaries, appended to `out` (one string a block)."""
    # Comments and processing instructions (lxml gives them a function as tag) are not text
    # a page shows: only what follows them is.
    tag = element.tag if isinstance(element.tag, str) else None
    if tag is None or tag in SKIP:
        if element.tail:
            current.append(element.tail)
        return
    is_block = tag in BLOCKS
    if is_block:
        flush(out, current)
    if element.text:
        current.append(element.text)
    for child in element:
        blocks(child, out, current)
    if is_block:
        flush(out, current)
    if element.tail:
        current.append(element.tail)


def flush(out, current):
    text = " ".join("".join(current).split())
    current.clear()
    if text:
        out.append(text)


def dump(html):
    # lxml guesses Latin-1 for bytes without a <meta charset>: the pages are UTF-8.
    text = html.decode("utf-8", errors="replace")
    try:
        doc = lxml.html.fromstring(text)
    except Exception:  # pages lxml cannot read make no dump
        return None
    articles = doc.xpath("//article")
    if not articles:
        return None
    h1 = doc.xpath("//h1")
    headline = " ".join(h1[0].text_content().split()) if h1 else ""
    if not headline:
        title = doc.xpath("//title")
        headline = " ".join(title[0].text_content().split()) if title else ""
    out = []
    blocks(articles[0], out, [])
    if out and out[0] == headline:
        out = out[1:]
    return "\n\n".join(([headline] if headline else []) + out) + "\n"


def pages(sets_dir, shared_web):
    if shared_web:
        truth = json.load(open(os.path.join(shared_web, "scrapinghub/ground-truth.json")))
        for k, v in sorted(truth.items()):
            yield "scrapinghub", k, os.path.join(shared_web, f"scrapinghub/html/{k}.html.gz"), v["articleBody"]
    for f in sorted(glob.glob(os.path.join(sets_dir, "wcxb/dev/ground-truth/*.json"))):
        v = json.load(open(f))
        if v["_internal"]["page_type"]["primary"] != "article":
            continue
        k = os.path.basename(f)[:-5]
        body = v["ground_truth"].get("main_content")
        yield "wcxb-dev", k, os.path.join(sets_dir, f"wcxb/dev/html/{k}.html.gz"), body
    root = os.path.join(sets_dir, "readability/test/test-pages")
    for k in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        expected = open(os.path.join(root, k, "expected.html"), encoding="utf-8").read()
        body = lxml.html.fromstring(expected).text_content() if expected.strip() else ""
        yield "readability", k, os.path.join(root, k, "source.html"), body


def snippet_pages(sets_dir):
    """trafilatura's evaluation pages: (file, path, {"with": [...], "without": [...]})."""
    root = os.path.join(sets_dir, "trafilatura/tests")
    truth_file = os.path.join(root, "evaldata.json")
    if not os.path.exists(truth_file):
        return
    seen = set()
    for v in json.load(open(truth_file, encoding="utf-8")).values():
        paths = [os.path.join(root, d, v["file"]) for d in ("eval", "cache")]
        path = next((p for p in paths if os.path.exists(p)), None)
        if path and v["file"] not in seen:
            seen.add(v["file"])
            yield v["file"], path, {"with": v["with"], "without": v["without"]}


def main():
    out_dir, sets_dir = sys.argv[1], sys.argv[2]
    shared_web = sys.argv[3] if len(sys.argv) > 3 else None
    os.makedirs(out_dir, exist_ok=True)
    made = 0
    for set_name, k, path, body in pages(sets_dir, shared_web):
        if not body or not body.strip():
            continue
        text = dump(read(path))
        if not text:
            continue
        base = os.path.join(out_dir, f"{set_name}__{k}")
        open(base + ".txt", "w", encoding="utf-8").write(text)
        open(base + ".ref.txt", "w", encoding="utf-8").write(body)
        made += 1
    for k, path, snippets in snippet_pages(sets_dir):
        text = dump(read(path))
        if not text:
            continue
        base = os.path.join(out_dir, f"trafilatura-eval__{k}")
        open(base + ".txt", "w", encoding="utf-8").write(text)
        json.dump(snippets, open(base + ".snippets.json", "w", encoding="utf-8"), ensure_ascii=False)
        made += 1
    print(f"{made} dumps in {out_dir}")


if __name__ == "__main__":
    main()
