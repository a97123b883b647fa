#!/usr/bin/env python3
"""Record transformers' MarianTokenizer output as fixtures for entente's tokenizer tests.

Usage: python scripts/tokenizer_fixtures.py [../shared]
Needs: pip install transformers sentencepiece
Writes tests/fixtures/tokenizer/<model>.jsonl for opus-mt-fr-en and opus-mt-tc-big-fr-en:
- {"kind": "meta", ...}: versions and the corpora used;
- {"kind": "encode", "corpus": C, "line": i, "ids": [...]}: source-side encoding (</s> included) of
  line i of corpus C, a file under ../shared read by the tests (texts are not copied);
- {"kind": "edge", "text": s, "ids": [...], "pieces": [...]}: edge cases, with SentencePiece's pieces;
- {"kind": "decode", "line": i, "ids": [...], "text": t}: line i of newstest2014 .en encoded with
  the target side, and decoded back with skip_special_tokens=True (text omitted when equal to the line).
"""
import json
import sys
from pathlib import Path

import sentencepiece
import transformers
from transformers import MarianTokenizer

shared = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared")
out_dir = Path(__file__).resolve().parent.parent / "tests/fixtures/tokenizer"


def lines(path):
    with open(path, encoding="utf-8", newline="\n") as f:
        return f.read().split("\n")[:-1] if path.stat().st_size else []


def gsd_sentences(path):
    return [l[len("# text = "):].rstrip("\n") for l in open(path, encoding="utf-8") if l.startswith("# text = ")]


CORPORA = {
    "newstest2014.fr": lines(shared / "eval/mt/newstest2014-fr-en/newstest2014.fr-en.fr"),
    "gsd": gsd_sentences(shared / "eval/segment/fr_gsd-ud-test.conllu"),
    "article": lines(shared / "corpora/000_5241068be115698e.txt"),
}

EDGE = [
    "", " ", "   ", "\t", "\t\tBonjour\tle monde\t", "a  b   c", "  début et fin  ",
    "prix\u00a0: 12\u00a0€", "Quoi\u202f?", "é (precomposed) vs e\u0301 (combining)", "ﬁnance ＡＢＣ ①②", "Ⅻ ㎏ ½",
    "emoji 😀👍🏽 ❤️ 👨‍👩‍👧", "中文和日本語のテキスト", "Привет мир", "مرحبا", "zero\u200bwidth joiner\u200d here",
    "control\x01chars\x07here\x1f", "line\nbreak", "tab\tsep", "\ufeffBOM start", "▁literal▁marker",
    ">>fra<< Bonjour le monde", ">>eng<<", ">>xx<<texte", "texte >>fra<< au milieu", ">> pas un code <<",
    "</s> au début", "au milieu <unk> du texte", "<pad>", "la fin</s>", "<s> début",
    "L'État, c'est moi. « Citation » — tiret – demi ‘simple’ “double”", "1 000,50 € ; 3.14 % ; 10^6",
    "UPPER lower MiXeD", "www.lemonde.fr/international et contact@exemple.fr #hashtag @mention",
    "a" * 20, "x" * 5000, ("Le chat dort. " * 400).strip(),
]

ENGLISH = lines(shared / "eval/mt/newstest2014-fr-en/newstest2014.fr-en.en")
EN_EDGE = [
    "", "Hello , world .", "It's a \"test\" ( really ) !", "Don ' t stop", "U.S. $ 5 billion",
    "unknown 中文 😀 pieces", "  spaces   everywhere  ", "<unk> and </s> in text",
]

for model in ["opus-mt-fr-en", "opus-mt-tc-big-fr-en"]:
    tok = MarianTokenizer.from_pretrained(str(shared / "models" / model))
    path = out_dir / f"{model}.jsonl"
    with open(path, "w", encoding="utf-8") as out:
        def emit(obj):
            out.write(json.dumps(obj, ensure_ascii=False) + "\n")

        emit({"kind": "meta", "model": model, "transformers": transformers.__version__,
              "sentencepiece": sentencepiece.__version__, "corpora": {k: len(v) for k, v in CORPORA.items()},
              "english": len(ENGLISH)})
        for name, texts in CORPORA.items():
            for i, text in enumerate(texts):
                emit({"kind": "encode", "corpus": name, "line": i, "ids": tok(text)["input_ids"]})
        for text in EDGE:
            emit({"kind": "edge", "text": text, "ids": tok(text)["input_ids"], "pieces": tok.tokenize(text)})
        for i, text in enumerate(ENGLISH + EN_EDGE):
            ids = tok(text_target=text)["input_ids"]
            decoded = tok.decode(ids, skip_special_tokens=True)
            rec = {"kind": "decode", "line": i, "ids": ids}
            if i >= len(ENGLISH):
                rec["source"] = text
            if decoded != text:
                rec["text"] = decoded
            emit(rec)
        # Decoding of ids that no encoder produces: special ids inside, every special id alone.
        for ids in [[0], [1], [tok.pad_token_id], [tok.pad_token_id, 5, 6, 0, 7], list(range(2, 40)), [tok.unk_token_id, 10, tok.unk_token_id]]:
            emit({"kind": "decode_ids", "ids": ids, "text": tok.decode(ids, skip_special_tokens=True)})
    print(path, path.stat().st_size)
