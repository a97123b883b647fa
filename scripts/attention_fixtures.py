#!/usr/bin/env python3
"""Cross-attention fixtures for word alignment: for real sentence pairs (newstest2014 fr→en),
transformers' decoder cross-attention weights (`output_attentions=True`), the mean of each
layer's heads, at every target position, for each test checkpoint in models/test, so that
tests/translate_attention.rs compares what entente's alignment probe reads.

Usage: python scripts/attention_fixtures.py [../shared]
Needs: pip install torch transformers sentencepiece safetensors

Writes tests/fixtures/attention/<checkpoint>.jsonl: a "meta" line (sources, targets as ids with
EOS, layers), then one record per (row, step): {"row", "step", "layers": [[weight per source
token, padding left out] per layer]}.
"""
import json
import sys
from pathlib import Path

import torch
from transformers import MarianMTModel, MarianTokenizer

shared = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared")
root = Path(__file__).resolve().parent.parent
N_PAIRS, MAX_TARGET = 4, 12
TOKENIZERS = {"tiny-fr-en-swish": "opus-mt-fr-en", "tiny-fr-en-varied": "opus-mt-fr-en",
              "tiny-tc-big-relu": "opus-mt-tc-big-fr-en", "tiny-fr-en-gelu-separate": "opus-mt-fr-en"}

news = shared / "eval/mt/newstest2014-fr-en"
fr = [l.rstrip("\n") for l in open(news / "newstest2014.fr-en.fr", encoding="utf-8")][40:40 + N_PAIRS]
en = [l.rstrip("\n") for l in open(news / "newstest2014.fr-en.en", encoding="utf-8")][40:40 + N_PAIRS]

out_dir = root / "tests/fixtures/attention"
out_dir.mkdir(parents=True, exist_ok=True)
# tiny-selfcontained's 320-token vocabulary is not its tokenizer's (its fixtures are ids, made by
# scripts/make_selfcontained_model.py); the four below carry real opus-mt tokenizers.
for ckpt in sorted((root / "models/test" / name) for name in TOKENIZERS):
    tok_dir = ckpt if (ckpt / "source.spm").exists() else shared / "models" / TOKENIZERS[ckpt.name]
    tok = MarianTokenizer.from_pretrained(tok_dir)
    model = MarianMTModel.from_pretrained(ckpt, torch_dtype=torch.float32, attn_implementation="eager").eval()
    batch = tok(fr, return_tensors="pt", padding=True)
    targets = [ids[:MAX_TARGET - 1] + [tok.eos_token_id] for ids in tok(text_target=en)["input_ids"]]
    start, pad = model.config.decoder_start_token_id, model.config.pad_token_id
    width = max(map(len, targets))
    decoder_in = torch.tensor([[start] + t[:-1] + [pad] * (width - len(t)) for t in targets])
    with torch.no_grad():
        out = model(**batch, decoder_input_ids=decoder_in, output_attentions=True)
    # cross_attentions: per layer (batch, heads, target, source)
    means = [layer.float().mean(dim=1) for layer in out.cross_attentions]
    lengths = batch["attention_mask"].sum(dim=1).tolist()
    with open(out_dir / f"{ckpt.name}.jsonl", "w", encoding="utf-8") as f:
        f.write(json.dumps({"meta": {"checkpoint": ckpt.name, "tokenizer": str(tok_dir.name),
                                      "sources": fr, "targets": targets, "layers": len(means)}}) + "\n")
        for row, target in enumerate(targets):
            n = lengths[row]
            for step in range(len(target)):
                rec = {"row": row, "step": step,
                       "layers": [[round(float(x), 7) for x in m[row, step, :n]] for m in means]}
                f.write(json.dumps(rec) + "\n")
    print(f"{ckpt.name}: {len(targets)} pairs, {sum(map(len, targets))} positions, {len(means)} layers")
