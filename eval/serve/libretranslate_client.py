#!/usr/bin/env python3
"""Drive `entente serve` with the real LibreTranslate Python client (libretranslatepy, PyPI).

Starts the server on a free loopback port, then calls it exactly as LibreTranslate users do:
languages(), detect(), translate() with source "fr" and "auto", and an API key. Each translation
is compared with `entente translate --input article` on the same text. Prints one line per check
and exits non-zero on the first mismatch.

Run (from the repository root, after `cargo build --release`):
    python3 eval/serve/libretranslate_client.py [--model DIR] [--entente target/release/entente]
Needs: pip install libretranslatepy (a client only; entente never needs it).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import urllib.error

from libretranslatepy import LibreTranslateAPI

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEARCH = ["--beams", "2", "--max-new-tokens", "16"]


def start(entente, model, extra):
    proc = subprocess.Popen(
        [entente, "serve", "--model", model, "--port", "0", *SEARCH, *extra],
        stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        if "http://" in line:
            return proc, line[line.index("http://"):].split()[0] + "/"
    raise SystemExit("the server did not start")


def cli(entente, model, text):
    out = subprocess.run([entente, "translate", "--model", model, "--input", "article", *SEARCH],
                         input=text, capture_output=True, text=True, check=True)
    return out.stdout


def check(name, ok, detail=""):
    print(f"{'OK  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}")
    if not ok:
        sys.exit(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entente", default=os.path.join(ROOT, "target/release/entente"))
    parser.add_argument("--model", default=os.path.join(ROOT, "models/test/tiny-selfcontained"))
    args = parser.parse_args()
    article = open(os.path.join(ROOT, "corpora/000_5241068be115698e.txt"), encoding="utf-8").read()
    article = "\n".join(article.splitlines()[:9]).strip()

    proc, url = start(args.entente, args.model, [])
    try:
        lt = LibreTranslateAPI(url)
        languages = lt.languages()
        check("languages()", any(l["code"] == "fr" and "en" in l["targets"] for l in languages),
              str(languages))
        detected = lt.detect("Le président russe et le président chinois étaient en désaccord.")
        check("detect() French", detected[0]["language"] == "fr", str(detected))
        detected = lt.detect("The Russian president and the Chinese president disagreed.")
        check("detect() English", detected[0]["language"] == "en", str(detected))
        expected = cli(args.entente, args.model, article)
        got = lt.translate(article, "fr", "en")
        check("translate(article, 'fr', 'en') equals `entente translate --input article`",
              got + "\n" == expected, f"{len(got)} characters, {got.count(chr(10)) + 1} lines")
        got = lt.translate(article, "auto", "en")
        check("translate(article, 'auto', 'en')", got + "\n" == expected)
        try:
            lt.translate("Bonjour.", "fr", "de")
            check("unsupported pair refused", False)
        except urllib.error.HTTPError as e:
            check("unsupported pair refused with 400", e.code == 400, e.read().decode())
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    check("server stopped on SIGTERM", proc.returncode == 0, f"exit {proc.returncode}")

    with tempfile.NamedTemporaryFile("w", suffix=".keys", delete=False) as keys:
        keys.write("newsroom-key\n")
    proc, url = start(args.entente, args.model, ["--api-keys", keys.name])
    try:
        got = LibreTranslateAPI(url, api_key="newsroom-key").translate("Le chat dort.", "fr", "en")
        check("translate() with api_key", got + "\n" == cli(args.entente, args.model, "Le chat dort."))
        try:
            LibreTranslateAPI(url, api_key="wrong").translate("Le chat dort.", "fr", "en")
            check("a wrong api_key refused", False)
        except urllib.error.HTTPError as e:
            check("a wrong api_key refused with 403", e.code == 403, e.read().decode())
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        os.unlink(keys.name)
    print("libretranslatepy: all checks passed")


if __name__ == "__main__":
    main()
