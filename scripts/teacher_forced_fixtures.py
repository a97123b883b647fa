#!/usr/bin/env python3
"""Teacher-forced parity fixtures: for real sentence pairs (newstest2014 fr→en), transformers'
log-probabilities over the whole target vocabulary at every target position, for each test
checkpoint in models/test, so that tests/translate_teacher_forced.rs compares entente's full
distributions, not only the few tokens greedy or beam search happen to pick.

Usage: python scripts/teacher_forced_fixtures.py [../shared]
Needs: pip install torch transformers sentencepiece safetensors

Writes tests/fixtures/teacher_forced/<checkpoint>.jsonl: a "meta" line, then one record per
(sentence, position): {"row", "step", "target", "logprob" (the target's), "top" (the 16 best
[id, log-prob]), "proj" (4 signed sums Σ_j s_k(j)·lp_j over the whole vocabulary, s_k(j) = −1
when bit 31 of (j·2654435761 + k·40503) mod 2³² is set, else +1), and for vocabularies of at most
512 tokens "full" (every log-probability)}. Any difference anywhere in the vector moves a
projection; the top 16 pin the head of the distribution.
"""
import json
import sys
from pathlib import Path

import torch
from transformers import MarianMTModel, MarianTokenizer

shared = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared")
root = Path(__file__).resolve().parent.parent
N_PAIRS, MAX_TARGET = 6, 16
TOKENIZERS = {"tiny-fr-en-swish": "opus-mt-fr-en", "tiny-fr-en-varied": "opus-mt-fr-en", "tiny-tc-big-relu": "opus-mt-tc-big-fr-en",
              "tiny-fr-en-gelu-separate": "opus-mt-fr-en"}

news = shared / "eval/mt/newstest2014-fr-en"
fr = [l.rstrip("\n") for l in open(news / "newstest2014.fr-en.fr", encoding="utf-8")][20:20 + N_PAIRS]
en = [l.rstrip("\n") for l in open(news / "newstest2014.fr-en.en", encoding="utf-8")][20:20 + N_PAIRS]


def signs(vocab, k):
    j = torch.arange(vocab, dtype=torch.int64)
    bit = ((j * 2654435761 + k * 40503) & 0xFFFFFFFF) >> 31
    return (1 - 2 * bit).to(torch.float64)


out_dir = root / "tests/fixtures/teacher_forced"
out_dir.mkdir(parents=True, exist_ok=True)
for ckpt in sorted(p for p in (root / "models/test").iterdir() if (p / "config.json").is_file()):
    tok_dir = ckpt if (ckpt / "source.spm").exists() else shared / "models" / TOKENIZERS[ckpt.name]
    tok = MarianTokenizer.from_pretrained(tok_dir)
    model = MarianMTModel.from_pretrained(ckpt, torch_dtype=torch.float32).eval()
    batch = tok(fr, return_tensors="pt", padding=True)
    targets = [ids[:MAX_TARGET - 1] + [tok.eos_token_id] for ids in tok(text_target=en)["input_ids"]]
    start, pad = model.config.decoder_start_token_id, model.config.pad_token_id
    width = max(map(len, targets))
    decoder_in = torch.tensor([[start] + t[:-1] + [pad] * (width - len(t)) for t in targets])
    with torch.no_grad():
        logits = model(**batch, decoder_input_ids=decoder_in).logits.float()
    logprobs = torch.log_softmax(logits, dim=-1)
    vocab = logprobs.shape[-1]
    projections = [signs(vocab, k) for k in range(4)]
    with open(out_dir / f"{ckpt.name}.jsonl", "w", encoding="utf-8") as f:
        f.write(json.dumps({"meta": {"checkpoint": ckpt.name, "tokenizer": str(tok_dir.name), "vocab": vocab,
                                      "sources": fr, "targets": targets}}) + "\n")
        for row, target in enumerate(targets):
            for step, tid in enumerate(target):
                lp = logprobs[row, step]
                values, ids = torch.topk(lp, 16)
                rec = {"row": row, "step": step, "target": tid, "logprob": round(float(lp[tid]), 6),
                       "top": [[int(i), round(float(v), 6)] for i, v in zip(ids, values)],
                       "proj": [round(float((lp.double() * s).sum()), 5) for s in projections]}
                if vocab <= 512:
                    rec["full"] = [round(float(x), 6) for x in lp]
                f.write(json.dumps(rec) + "\n")
    print(f"{ckpt.name}: {len(targets)} pairs, {sum(map(len, targets))} positions, vocabulary {vocab}")
