#!/usr/bin/env python3
"""Build models/test/tiny-selfcontained: a complete random-weight opus-mt-style model that needs
nothing outside the repository — its own SentencePiece model, trained here on the project's own
text — and record what transformers produces with it, so that a fresh clone can run the
translation, tokenizer and CLI tests without ../shared.

Usage: python scripts/make_selfcontained_model.py
Needs: pip install torch transformers sentencepiece safetensors protobuf

Training text (all in this repository): the sample article in corpora/, the French sentences of
src/segment/tests.rs, and README.md (English). Writes:
- models/test/tiny-selfcontained/{source.spm, target.spm, vocab.json, tokenizer_config.json,
  config.json, generation_config.json, model.safetensors}
- tests/fixtures/translate/tiny-selfcontained.jsonl: greedy and beam 4, single and batched, as
  scripts/make_test_checkpoints.py records them, plus records with `no_repeat_ngram_size` and
  `repetition_penalty` ({"mode": "penalty", "options": {...}, ...}).
- tests/fixtures/tokenizer/tiny-selfcontained.jsonl: MarianTokenizer ids and pieces of every
  training line and of edge cases, and decoded texts.
"""
import json
import re
import shutil
import tempfile
from pathlib import Path

import sentencepiece as spm
import torch
import transformers
from transformers import GenerationConfig, MarianConfig, MarianMTModel, MarianTokenizer

root = Path(__file__).resolve().parent.parent
name = "tiny-selfcontained"
out_dir = root / "models/test" / name

# --- the project's own text --------------------------------------------------------------
lines = []
for article in sorted((root / "corpora").glob("*.txt")):
    lines += [l.strip() for l in article.read_text(encoding="utf-8").splitlines() if l.strip()]
segment_tests = (root / "src/segment/tests.rs").read_text(encoding="utf-8")
literals = re.findall(r'"((?:[^"\\]|\\.)*)"', segment_tests)
french = [l for l in literals if "\\" not in l]  # literals with escapes are left out
lines += [l.strip() for l in french if len(l.split()) >= 3]
readme = (root / "README.md").read_text(encoding="utf-8")
lines += [l.strip() for l in readme.splitlines() if len(l.split()) >= 6 and not l.startswith(("|", "```"))]
lines = list(dict.fromkeys(lines))

work = Path(tempfile.mkdtemp())
(work / "train.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
spm.SentencePieceTrainer.train(
    input=str(work / "train.txt"), model_prefix=str(work / "spm"), model_type="unigram",
    vocab_size=320, hard_vocab_limit=False, character_coverage=1.0,
    normalization_rule_name="nmt_nfkc", seed_sentencepiece_size=20000, num_threads=1,
    minloglevel=2,
)
sp = spm.SentencePieceProcessor(model_file=str(work / "spm.model"))

if out_dir.exists():
    shutil.rmtree(out_dir)
out_dir.mkdir(parents=True)
shutil.copy(work / "spm.model", out_dir / "source.spm")
shutil.copy(work / "spm.model", out_dir / "target.spm")
# Marian's vocabulary: </s> 0, <unk> 1, the pieces, <pad> last (as opus-mt's vocab.json).
pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
vocab = {"</s>": 0, "<unk>": 1}
for p in pieces:
    if p not in ("<unk>", "<s>", "</s>") and p not in vocab:
        vocab[p] = len(vocab)
vocab["<pad>"] = len(vocab)
json.dump(vocab, open(out_dir / "vocab.json", "w", encoding="utf-8"), ensure_ascii=False, indent=1)
json.dump({"source_lang": "fr", "target_lang": "en", "unk_token": "<unk>", "eos_token": "</s>",
           "pad_token": "<pad>", "model_max_length": 512, "sp_model_kwargs": {}, "separate_vocabs": False,
           "tokenizer_class": "MarianTokenizer"}, open(out_dir / "tokenizer_config.json", "w"), indent=2)
pad, eos = vocab["<pad>"], vocab["</s>"]
n_vocab = len(vocab)

# --- the random-weight model -----------------------------------------------------------
config = MarianConfig(
    vocab_size=n_vocab, decoder_vocab_size=n_vocab, d_model=16, encoder_layers=2, decoder_layers=2,
    encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32,
    activation_function="swish", scale_embedding=True, share_encoder_decoder_embeddings=True,
    tie_word_embeddings=True, max_position_embeddings=128, pad_token_id=pad, eos_token_id=eos,
    decoder_start_token_id=pad, forced_eos_token_id=eos, bad_words_ids=[[pad]],
    dropout=0.0, attention_dropout=0.0, activation_dropout=0.0,
)
tok = MarianTokenizer(str(out_dir / "source.spm"), str(out_dir / "target.spm"), str(out_dir / "vocab.json"),
                      source_lang="fr", target_lang="en")
# Sentences that fit the model's 128 positions with room to spare (this vocabulary is tiny).
SOURCES = [l for l in lines if len(tok(l)["input_ids"]) <= 60][:10] + ["Bonjour.", "", "« Oui ! »", "Le président et le Premier ministre à Paris le 4 février 2022.",
                        "Il a dit : « non, non, non et non ». C'est tout, c'est tout, c'est tout."]
torch.manual_seed(2026)
model = MarianMTModel(config).eval()
with torch.no_grad():
    for pname, p in model.named_parameters():
        if "layer_norm" in pname and pname.endswith("weight"):
            p.copy_(1.0 + 0.1 * torch.randn_like(p))
        elif "embed_positions" in pname:
            continue
        else:
            p.copy_(0.25 * torch.randn_like(p))
    bias = 0.5 * torch.randn_like(model.final_logits_bias)
    model.final_logits_bias.copy_(bias)
    # EOS competes with the best tokens, so outputs end at varied lengths.
    probe = tok(SOURCES[:6], return_tensors="pt", padding=True)
    greedy = model.generate(**probe, num_beams=1, max_new_tokens=8, bad_words_ids=[[pad]],
                            decoder_start_token_id=pad, eos_token_id=-1)
    logits = model(**probe, decoder_input_ids=greedy).logits
    gap = (logits.max(-1).values - logits[..., eos]).mean()
    bias[0, eos] += gap - 1.5
    model.final_logits_bias.copy_(bias)
    for p in list(model.parameters()) + [model.final_logits_bias]:
        p.copy_(p.half().float())
gen = GenerationConfig(bad_words_ids=[[pad]], bos_token_id=0, decoder_start_token_id=pad, eos_token_id=eos,
                       forced_eos_token_id=eos, max_length=512, num_beams=4, pad_token_id=pad,
                       renormalize_logits=True)
model.generation_config = gen
model.half().save_pretrained(out_dir, safe_serialization=True)
gen.save_pretrained(out_dir)
model = MarianMTModel.from_pretrained(out_dir, dtype=torch.float32, attn_implementation="eager").eval()

MAX_NEW = 24


def generate(texts, beams, **options):
    batch = tok(texts, return_tensors="pt", padding=True)
    out = model.generate(**batch, num_beams=beams, max_new_tokens=MAX_NEW, return_dict_in_generate=True,
                         output_scores=True, **options)
    trans = model.compute_transition_scores(out.sequences, out.scores, out.beam_indices if beams > 1 else None,
                                            normalize_logits=False)
    results = []
    for i in range(len(texts)):
        ids = out.sequences[i, 1:].tolist()
        n = ids.index(eos) + 1 if eos in ids else len(ids)
        results.append((ids[:n], tok.decode(ids[:n], skip_special_tokens=True), float(trans[i, :n].double().sum())))
    return results


spec = {"name": name, "tokenizer": name}
fixture = root / "tests/fixtures/translate" / f"{name}.jsonl"
with open(fixture, "w", encoding="utf-8") as f:
    f.write(json.dumps({"mode": "meta", "spec": spec, "transformers": transformers.__version__,
                        "torch": torch.__version__, "max_new_tokens": MAX_NEW}) + "\n")
    for beams in (1, 4):
        for src in SOURCES:
            (ids, text, lp), = generate([src], beams)
            f.write(json.dumps({"mode": "single", "beams": beams, "batch": 0, "src": src, "ids": ids,
                                "text": text, "logprob": lp}, ensure_ascii=False) + "\n")
        for b, start in enumerate(range(0, len(SOURCES), 5)):
            group = SOURCES[start:start + 5]
            for src, (ids, text, lp) in zip(group, generate(group, beams)):
                f.write(json.dumps({"mode": "batch", "beams": beams, "batch": b, "src": src, "ids": ids,
                                    "text": text, "logprob": lp}, ensure_ascii=False) + "\n")
    # The repetition controls of generation_config, one sentence at a time and batched.
    for options in ({"no_repeat_ngram_size": 2}, {"no_repeat_ngram_size": 3}, {"repetition_penalty": 1.5},
                    {"repetition_penalty": 0.7}, {"no_repeat_ngram_size": 2, "repetition_penalty": 1.3}):
        for beams in (1, 4):
            for src in SOURCES:
                (ids, text, lp), = generate([src], beams, **options)
                f.write(json.dumps({"mode": "penalty", "options": options, "beams": beams, "batch": 0, "src": src,
                                    "ids": ids, "text": text, "logprob": lp}, ensure_ascii=False) + "\n")
            group = SOURCES[:5]
            for src, (ids, text, lp) in zip(group, generate(group, beams, **options)):
                f.write(json.dumps({"mode": "penalty-batch", "options": options, "beams": beams, "batch": 0,
                                    "src": src, "ids": ids, "text": text, "logprob": lp}, ensure_ascii=False) + "\n")

EDGE = ["", " ", "Bonjour", "  deux  espaces ", "ÉCOLE Ça 1/2 ½ ﬁn", "« guillemets »", "tab\tici",
        "\u00a0NBSP\u202fNNBSP", "emoji 😀 inconnu", "zzzzzzzzzzzzzzzzzzzzzzz", "日本語", "a\u0301 combin\u00e9"]
tok_fixture = root / "tests/fixtures/tokenizer" / f"{name}.jsonl"
with open(tok_fixture, "w", encoding="utf-8") as f:
    f.write(json.dumps({"kind": "meta", "model": name, "transformers": transformers.__version__,
                        "sentencepiece": spm.__version__, "lines": len(lines)}) + "\n")
    for text in lines + EDGE:
        ids = tok(text)["input_ids"]
        f.write(json.dumps({"kind": "edge", "text": text, "ids": ids,
                            "pieces": tok.tokenize(text)}, ensure_ascii=False) + "\n")
    for ids in ([5, 6, 7, 0], [pad, 3, 9, 0], list(range(2, 40)), [1, 1, 4]):
        f.write(json.dumps({"kind": "decode", "ids": ids, "text": tok.decode(ids, skip_special_tokens=True)},
                           ensure_ascii=False) + "\n")
print(out_dir, sum(p.stat().st_size for p in out_dir.iterdir()), fixture, tok_fixture, "vocab", n_vocab)
