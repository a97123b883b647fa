#!/usr/bin/env python3
"""What warcio (the reference WARC reader, PyPI) reads from the real crawler files in
../shared/eval/warc: for every file, each record's type and target URI, and for each HTML
response (status 2xx, an HTML Content-Type) the SHA-256 and length of its body as warcio's
`content_stream()` gives it (chunks joined, Content-Encoding gzip/deflate/brotli undone); where
warcio stops with an error (a truncated file), the error. tests/warc_real.rs holds entente to it.

Usage: python scripts/warc_fixtures.py [SHARED] > tests/fixtures/warc/warcio.jsonl
Needs: pip install warcio brotlipy (fixtures only; never at run time; warcio needs brotlipy's
Decompressor, not the `brotli` package's).
"""
import hashlib
import json
import sys
from pathlib import Path

import warcio
from warcio.archiveiterator import ArchiveIterator


def is_html(content_type):
    t = (content_type or "").lower()
    return t.startswith("text/html") or t.startswith("application/xhtml")


def read(path):
    records, error = [], None
    with open(path, "rb") as f:
        try:
            for record in ArchiveIterator(f, arc2warc=False):
                entry = {"type": record.rec_type, "uri": record.rec_headers.get_header("WARC-Target-URI")}
                http = record.http_headers
                if record.rec_type == "response" and http is not None:
                    status = http.get_statuscode()
                    entry["status"] = int(status) if status and status.isdigit() else None
                    if entry["status"] and 200 <= entry["status"] < 300 and is_html(http.get_header("Content-Type")):
                        try:
                            body = record.content_stream().read()
                            entry["html"] = {"sha256": hashlib.sha256(body).hexdigest(), "len": len(body)}
                        except Exception as e:  # a body warcio cannot read
                            entry["html"] = {"error": type(e).__name__}
                records.append(entry)
        except Exception as e:
            error = f"{type(e).__name__}: {e}"
    return records, error


def main():
    shared = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared")
    root = shared / "eval/warc"
    print(json.dumps({"meta": {"warcio": warcio.__version__ if hasattr(warcio, "__version__") else "?",
                               "brotli": True}}))
    for path in sorted(p for p in root.rglob("*") if p.name.endswith((".warc", ".warc.gz"))):
        records, error = read(path)
        print(json.dumps({"file": str(path.relative_to(shared)), "records": records, "error": error},
                         ensure_ascii=False))


if __name__ == "__main__":
    main()
