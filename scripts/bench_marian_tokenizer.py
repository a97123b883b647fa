#!/usr/bin/env python3
"""Time transformers' MarianTokenizer on newstest2014 (fr), one sentence at a time, for
eval/tokenizer's benchmark.

Usage: python scripts/bench_marian_tokenizer.py MODEL_DIR TEXT_FILE
Prints JSON: {"encode_s": seconds, "decode_s": seconds, "sentences": n}. Decoding times
`decode(ids, skip_special_tokens=True)` of the encoded ids.
"""
import json
import sys
import time

from transformers import MarianTokenizer

tok = MarianTokenizer.from_pretrained(sys.argv[1])
with open(sys.argv[2], encoding="utf-8") as f:
    lines = [l.rstrip("\n") for l in f]
start = time.perf_counter()
encoded = [tok(l)["input_ids"] for l in lines]
encode_s = time.perf_counter() - start
start = time.perf_counter()
for ids in encoded:
    tok.decode(ids, skip_special_tokens=True)
decode_s = time.perf_counter() - start
json.dump({"encode_s": encode_s, "decode_s": decode_s, "sentences": len(lines)}, sys.stdout)
