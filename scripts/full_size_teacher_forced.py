#!/usr/bin/env python3
"""Teacher-forced parity on a full-size opus-mt-fr-en (75M parameters, the real architecture,
vocabulary and tokenizer) whose random weights both sides can make: every tensor is filled from a
counter-based hash (splitmix64 of the tensor's seed and the element's index, its top 24 bits
mapped exactly to [-1, 1) in float32, times the tensor's scale, plus its offset), so the test
builds the very same checkpoint in Rust instead of shipping 300 MB.

Usage: python scripts/full_size_teacher_forced.py [../shared]
Needs: pip install torch transformers sentencepiece numpy

Writes tests/fixtures/teacher_forced/full-size-opus-mt-fr-en.jsonl: a "meta" line (the tensors:
name, shape, seed, scale, offset; the sentence pairs) and records as scripts/teacher_forced_fixtures.py
writes them (the target's log-probability, the 16 best, four signed sums over the vocabulary).
The sinusoidal position tables are not stored: both sides compute them.
"""
import json
import sys
from pathlib import Path

import numpy as np
import torch
from transformers import MarianConfig, MarianMTModel, MarianTokenizer

shared = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared")
root = Path(__file__).resolve().parent.parent
src = shared / "models/opus-mt-fr-en"
M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def splitmix64(x):
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        z = x
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def filled(seed, n, scale, offset):
    with np.errstate(over="ignore"):
        idx = np.arange(n, dtype=np.uint64) + np.uint64(seed) * np.uint64(0x100000000)
    top = (splitmix64(idx) >> np.uint64(40)).astype(np.float32)          # 0 .. 2^24 - 1, exact
    unit = top / np.float32(8388608.0) - np.float32(1.0)                   # [-1, 1), exact
    return unit * np.float32(scale) + np.float32(offset)


config = MarianConfig.from_pretrained(src)
model = MarianMTModel(config).eval()
tensors = []
state = {}
# Tied tensors (the shared embedding under its several names) share one seed: the same values.
seed_of = {}
for seed, (name, p) in enumerate(model.state_dict().items()):
    if "embed_positions" in name:
        continue
    seed = seed_of.setdefault(p.data_ptr(), seed)
    if "layer_norm" in name and name.endswith("weight"):
        scale, offset = 0.1, 1.0
    elif "layer_norm" in name or name.endswith(".bias"):
        scale, offset = 0.05, 0.0
    elif name == "final_logits_bias":
        scale, offset = 0.5, 0.0
    elif "shared" in name or "embed_tokens" in name or name == "lm_head.weight":
        scale, offset = 0.1, 0.0
    else:
        scale, offset = 0.06, 0.0
    values = filled(seed + 1, p.numel(), scale, offset).reshape(tuple(p.shape))
    state[name] = torch.from_numpy(values)
    tensors.append({"name": name, "shape": list(p.shape), "seed": seed + 1, "scale": scale, "offset": offset})
missing, unexpected = model.load_state_dict(state, strict=False)
assert not unexpected and all("embed_positions" in m for m in missing), (missing, unexpected)

tok = MarianTokenizer.from_pretrained(src)
news = shared / "eval/mt/newstest2014-fr-en"
fr = [l.rstrip("\n") for l in open(news / "newstest2014.fr-en.fr", encoding="utf-8")][40:44]
en = [l.rstrip("\n") for l in open(news / "newstest2014.fr-en.en", encoding="utf-8")][40:44]
targets = [ids[:15] + [tok.eos_token_id] for ids in tok(text_target=en)["input_ids"]]
batch = tok(fr, return_tensors="pt", padding=True)
start, pad = config.decoder_start_token_id, config.pad_token_id
width = max(map(len, targets))
decoder_in = torch.tensor([[start] + t[:-1] + [pad] * (width - len(t)) for t in targets])
with torch.no_grad():
    logprobs = torch.log_softmax(model(**batch, decoder_input_ids=decoder_in).logits.float(), dim=-1)
vocab = logprobs.shape[-1]


def signs(k):
    j = torch.arange(vocab, dtype=torch.int64)
    return (1 - 2 * (((j * 2654435761 + k * 40503) & 0xFFFFFFFF) >> 31)).to(torch.float64)


out = root / "tests/fixtures/teacher_forced/full-size-opus-mt-fr-en.jsonl"
with open(out, "w", encoding="utf-8") as f:
    f.write(json.dumps({"meta": {"checkpoint": "full-size-opus-mt-fr-en", "vocab": vocab, "tensors": tensors,
                                  "sources": fr, "targets": targets}}) + "\n")
    for row, target in enumerate(targets):
        for step, tid in enumerate(target):
            lp = logprobs[row, step]
            values, ids = torch.topk(lp, 16)
            f.write(json.dumps({"row": row, "step": step, "target": tid, "logprob": round(float(lp[tid]), 6),
                                "top": [[int(i), round(float(v), 6)] for i, v in zip(ids, values)],
                                "proj": [round(float((lp.double() * signs(k)).sum()), 5) for k in range(4)]}) + "\n")
print(f"{out}: {len(tensors)} tensors, {sum(map(len, targets))} positions")
