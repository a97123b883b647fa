#!/usr/bin/env python3
"""Build small random-weight Marian checkpoints around the real opus-mt tokenizers, and record
what transformers' `generate` produces with them, for entente's translation parity tests.

Usage: python scripts/make_test_checkpoints.py [../shared] [--only NAME]
Needs: pip install torch transformers sentencepiece safetensors

Writes models/test/<name>/{config.json, generation_config.json, model.safetensors} (weights in
float16, d_model 16-32; the tokenizer files are NOT copied: tests pair each checkpoint with
../shared/models/<tokenizer>/) and tests/fixtures/translate/<name>.jsonl with, for greedy search
and beam search (4 beams), one sentence at a time and as padded batches of mixed lengths:
{"mode", "beams", "batch", "src", "ids" (generated ids after the decoder start, EOS included),
"text", "logprob" (sum of the processed log-probabilities of those ids)}.

Random weights at a small scale make most outputs one token repeated, or EOS at once, which
barely exercises beam reordering and length-penalty competition. The "varied" checkpoints are
initialised so that outputs are varied (embeddings and an untied output projection at scale 1,
every other weight small: each next token is a different function of the current one, and the
source steers it): the script asserts that at least half of their greedy outputs hold four or more
distinct tokens and that at least half of their beam results differ from greedy.
"""
import json
import shutil
import sys
from pathlib import Path

import torch
import transformers
from transformers import GenerationConfig, MarianConfig, MarianMTModel, MarianTokenizer

args = [a for a in sys.argv[1:] if not a.startswith("--")]
only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
if only:
    args.remove(only)
shared = Path(args[0] if args else "../shared")
root = Path(__file__).resolve().parent.parent

# Each checkpoint varies the features entente's model must follow.
SOURCES = [l.rstrip("\n") for l in open(shared / "eval/mt/newstest2014-fr-en/newstest2014.fr-en.fr", encoding="utf-8")][:12]
SOURCES += ["Bonjour.", "", "« Oui ! »", "Le président russe Vladimir Poutine et le président chinois Xi Jinping à Pékin le 4 février 2022."]

SPECS = [
    dict(name="tiny-fr-en-swish", tokenizer="opus-mt-fr-en", d_model=16, encoder_layers=2, decoder_layers=2,
         encoder_attention_heads=2, decoder_attention_heads=4, encoder_ffn_dim=32, decoder_ffn_dim=24,
         activation_function="swish", scale_embedding=True, share=True, std=0.15, eos_bias=-0.6, bias_scale=0.0),
    dict(name="tiny-tc-big-relu", tokenizer="opus-mt-tc-big-fr-en", d_model=32, encoder_layers=3, decoder_layers=1,
         encoder_attention_heads=4, decoder_attention_heads=2, encoder_ffn_dim=48, decoder_ffn_dim=40,
         activation_function="relu", scale_embedding=False, share=True, std=0.3, eos_bias=-0.4, bias_scale=1.0),
    dict(name="tiny-fr-en-gelu-separate", tokenizer="opus-mt-fr-en", d_model=24, encoder_layers=1, decoder_layers=3,
         encoder_attention_heads=3, decoder_attention_heads=1, encoder_ffn_dim=20, decoder_ffn_dim=36,
         activation_function="gelu", scale_embedding=True, share=False, std=0.2, eos_bias=-0.5, bias_scale=2.0),
    dict(name="tiny-fr-en-varied", tokenizer="opus-mt-fr-en", d_model=16, encoder_layers=2, decoder_layers=2,
         encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64,
         activation_function="swish", scale_embedding=False, share=True, tie=False, std=0.1, eos_bias=-4.0,
         bias_scale=0.0, init="varied", seed=7),
]

MAX_NEW = 24

for spec in SPECS:
    if only and spec["name"] != only:
        continue
    tok_dir = shared / "models" / spec["tokenizer"]
    real = json.load(open(tok_dir / "config.json"))
    real_gen = json.load(open(tok_dir / "generation_config.json"))
    vocab = real["vocab_size"]
    config = MarianConfig(
        vocab_size=vocab, decoder_vocab_size=vocab, d_model=spec["d_model"],
        encoder_layers=spec["encoder_layers"], decoder_layers=spec["decoder_layers"],
        encoder_attention_heads=spec["encoder_attention_heads"], decoder_attention_heads=spec["decoder_attention_heads"],
        encoder_ffn_dim=spec["encoder_ffn_dim"], decoder_ffn_dim=spec["decoder_ffn_dim"],
        activation_function=spec["activation_function"], scale_embedding=spec["scale_embedding"],
        share_encoder_decoder_embeddings=spec["share"], tie_word_embeddings=spec.get("tie", spec["share"]),
        max_position_embeddings=128, pad_token_id=real["pad_token_id"], eos_token_id=real["eos_token_id"],
        decoder_start_token_id=real["decoder_start_token_id"], forced_eos_token_id=real["forced_eos_token_id"],
        bad_words_ids=real["bad_words_ids"], dropout=0.0, attention_dropout=0.0, activation_dropout=0.0,
    )
    torch.manual_seed(spec.get("seed", 1234))
    model = MarianMTModel(config).eval()
    varied = spec.get("init") == "varied"
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "layer_norm" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.1 * torch.randn_like(p))
            elif "layer_norm" in name and varied:
                p.zero_()
            elif "embed_positions" in name:
                continue
            elif varied and ("shared" in name or "embed_tokens" in name or "lm_head" in name):
                p.copy_(torch.randn_like(p))
            else:
                p.copy_(spec["std"] * torch.randn_like(p))
        bias = spec["bias_scale"] * torch.randn_like(model.final_logits_bias)
        model.final_logits_bias.copy_(bias)
        # Calibrate the end-of-sentence bias so that EOS competes with the best tokens: outputs
        # then end at varied lengths, which exercises the search's handling of finished beams.
        probe = MarianTokenizer.from_pretrained(str(tok_dir))(SOURCES[:6], return_tensors="pt", padding=True)
        start = torch.full((6, 1), real["decoder_start_token_id"])
        greedy = model.generate(**probe, num_beams=1, max_new_tokens=8, bad_words_ids=real["bad_words_ids"],
                                decoder_start_token_id=real["decoder_start_token_id"], eos_token_id=-1)
        logits = model(**probe, decoder_input_ids=greedy).logits
        gap = (logits.max(-1).values - logits[..., real["eos_token_id"]]).mean()
        bias[0, real["eos_token_id"]] += gap + spec["eos_bias"]
        model.final_logits_bias.copy_(bias)
        # Round every weight to float16 so that the saved file holds exactly what is used here.
        for p in list(model.parameters()) + [model.final_logits_bias]:
            p.copy_(p.half().float())
    gen = GenerationConfig(**{k: v for k, v in real_gen.items() if not k.startswith("_") and k != "transformers_version"})
    model.generation_config = gen

    out_dir = root / "models/test" / spec["name"]
    if out_dir.exists():
        shutil.rmtree(out_dir)
    model.half().save_pretrained(out_dir, safe_serialization=True)
    gen.save_pretrained(out_dir)
    model = MarianMTModel.from_pretrained(out_dir, torch_dtype=torch.float32, attn_implementation="eager").eval()
    tok = MarianTokenizer.from_pretrained(str(tok_dir))

    def generate(texts, beams):
        batch = tok(texts, return_tensors="pt", padding=True)
        out = model.generate(**batch, num_beams=beams, max_new_tokens=MAX_NEW, return_dict_in_generate=True,
                             output_scores=True)
        # Log-probabilities of the chosen ids: greedy scores are processed logits, log-softmaxed here
        # unless the config already renormalizes them (a second float32 log_softmax would only add
        # rounding noise); beam scores are already log-probabilities.
        scores = out.scores
        if beams == 1 and not gen.renormalize_logits:
            scores = tuple(torch.log_softmax(s.double(), dim=-1) for s in scores)  # exact, in float64
        trans = model.compute_transition_scores(out.sequences, scores, out.beam_indices if beams > 1 else None,
                                                normalize_logits=False)
        results = []
        for i in range(len(texts)):
            ids = out.sequences[i, 1:].tolist()
            n = ids.index(gen.eos_token_id) + 1 if gen.eos_token_id in ids else len(ids)
            logprob = float(trans[i, :n].double().sum())
            results.append((ids[:n], tok.decode(ids[:n], skip_special_tokens=True), logprob))
        return results

    if varied:
        greedy = [ids for ids, _, _ in generate(SOURCES, 1)]
        beam = [ids for ids, _, _ in generate(SOURCES, 4)]
        several = sum(len(set(ids)) >= 4 for ids in greedy) / len(greedy)
        differ = sum(g != b for g, b in zip(greedy, beam)) / len(greedy)
        print(f"{spec['name']}: {several:.0%} of greedy outputs hold 4+ distinct tokens, "
              f"{differ:.0%} of beam results differ from greedy")
        assert several >= 0.5 and differ >= 0.5, "the varied checkpoint's outputs are not varied enough"

    fixture = root / "tests/fixtures/translate" / f"{spec['name']}.jsonl"
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
    print(out_dir, sum(p.stat().st_size for p in out_dir.iterdir()), fixture)
