#!/usr/bin/env python3
"""Peers for eval/translate's benchmark: a random-weight model with the exact opus-mt-fr-en
architecture, run by transformers (PyTorch) and CTranslate2.

Usage:
  python scripts/bench_translate.py build SHARED_DIR MODEL_DIR   # model + CTranslate2 conversions
  python scripts/bench_translate.py run ENGINE MODE MODEL_DIR SOURCES_FILE
      ENGINE: transformers | ct2-float32 | ct2-int8; MODE: greedy | beam4
      Prints JSON {"tokens_per_s", "peak_rss_mb", "seconds", "load_s"}: 64 sentences, exactly 32
      new tokens each, batch 16, 2 threads; load_s is the model's construction time.
  python scripts/bench_translate.py scale ENGINE MODE MODEL_DIR SOURCES_FILE THREADS N
      CTranslate2 (ENGINE ct2-float32 | ct2-int8) on the first N sentences with inter_threads =
      THREADS and intra_threads = 1, batches of 16 in parallel (as entente --threads runs them);
      prints JSON {"tokens_per_s", "seconds"} of the translation (eval/translate/scaling.rs).
  python scripts/bench_translate.py drift MODEL_DIR SOURCES_FILE
      CTranslate2 int8 against CTranslate2 float32: the float32 greedy outputs (32 tokens each)
      teacher-forced through both (score_batch for the reference token's log-probability,
      return_logits_vocab for the top-1 token at each forced step); prints JSON
      {"mean_abs", "max_abs", "top1_changed", "steps", "identical", "sentences"}.
"""
import json
import resource
import shutil
import sys
import time
from pathlib import Path

N_SENT, NEW_TOKENS, BATCH, THREADS = 64, 32, 16, 2


def build(shared, model_dir):
    import torch
    from transformers import GenerationConfig, MarianConfig, MarianMTModel

    src = Path(shared) / "models/opus-mt-fr-en"
    out = Path(model_dir)
    if (out / "model.safetensors").exists() and (out / "ct2-int8").exists():
        return
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    config = MarianConfig.from_pretrained(src)
    model = MarianMTModel(config).eval()
    model.save_pretrained(out, safe_serialization=True)
    GenerationConfig.from_pretrained(src).save_pretrained(out)
    for f in ["source.spm", "target.spm", "vocab.json", "tokenizer_config.json"]:
        shutil.copy(src / f, out / f)
    import ctranslate2

    for q in ["float32", "int8"]:
        ctranslate2.converters.TransformersConverter(str(out)).convert(str(out / f"ct2-{q}"), quantization=q, force=True)
        for f in ["source.spm", "target.spm"]:
            shutil.copy(src / f, out / f"ct2-{q}" / f)


def run(engine, mode, model_dir, sources_file):
    sources = [l.rstrip("\n") for l in open(sources_file, encoding="utf-8")][:N_SENT]
    beams = 1 if mode == "greedy" else 4
    from transformers import MarianTokenizer

    tok = MarianTokenizer.from_pretrained(model_dir)
    if engine == "transformers":
        import torch
        from transformers import MarianMTModel

        torch.set_num_threads(THREADS)
        load = time.perf_counter()
        model = MarianMTModel.from_pretrained(model_dir).eval()
        load_s = time.perf_counter() - load
        start = time.perf_counter()
        with torch.no_grad():
            for i in range(0, len(sources), BATCH):
                batch = tok(sources[i:i + BATCH], return_tensors="pt", padding=True)
                model.generate(**batch, num_beams=beams, min_new_tokens=NEW_TOKENS, max_new_tokens=NEW_TOKENS)
        seconds = time.perf_counter() - start
    else:
        import ctranslate2

        q = engine.split("-")[1]
        load = time.perf_counter()
        translator = ctranslate2.Translator(str(Path(model_dir) / f"ct2-{q}"), device="cpu", compute_type=q,
                                           intra_threads=THREADS, inter_threads=1)
        load_s = time.perf_counter() - load
        tokens = [tok.convert_ids_to_tokens(tok(s)["input_ids"]) for s in sources]
        start = time.perf_counter()
        for i in range(0, len(tokens), BATCH):
            translator.translate_batch(tokens[i:i + BATCH], beam_size=beams, max_decoding_length=NEW_TOKENS,
                                       min_decoding_length=NEW_TOKENS, max_batch_size=BATCH)
        seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    json.dump({"tokens_per_s": N_SENT * NEW_TOKENS / seconds, "peak_rss_mb": peak, "seconds": seconds,
               "load_s": load_s}, sys.stdout)


def scale(engine, mode, model_dir, sources_file, threads, n):
    import ctranslate2
    from transformers import MarianTokenizer

    threads, n = int(threads), int(n)
    sources = [l.rstrip("\n") for l in open(sources_file, encoding="utf-8")][:n]
    beams = 1 if mode == "greedy" else 4
    tok = MarianTokenizer.from_pretrained(model_dir)
    q = engine.split("-")[1]
    translator = ctranslate2.Translator(str(Path(model_dir) / f"ct2-{q}"), device="cpu", compute_type=q,
                                       intra_threads=1, inter_threads=threads)
    tokens = [tok.convert_ids_to_tokens(tok(s)["input_ids"]) for s in sources]
    start = time.perf_counter()
    # One call over all sentences: CTranslate2 cuts it into batches of 16 (sorted by length) and
    # runs inter_threads of them at once.
    translator.translate_batch(tokens, beam_size=beams, max_decoding_length=NEW_TOKENS,
                               min_decoding_length=NEW_TOKENS, max_batch_size=BATCH)
    seconds = time.perf_counter() - start
    json.dump({"tokens_per_s": n * NEW_TOKENS / seconds, "seconds": seconds}, sys.stdout)


def drift(model_dir, sources_file):
    import ctranslate2
    import numpy as np
    from transformers import MarianTokenizer

    sources = [l.rstrip("\n") for l in open(sources_file, encoding="utf-8")][:N_SENT]
    tok = MarianTokenizer.from_pretrained(model_dir)
    tokens = [tok.convert_ids_to_tokens(tok(s)["input_ids"]) for s in sources]
    engines = {q: ctranslate2.Translator(str(Path(model_dir) / f"ct2-{q}"), device="cpu", compute_type=q,
                                         intra_threads=THREADS) for q in ["float32", "int8"]}

    def greedy(q):
        out = []
        for i in range(0, len(tokens), BATCH):
            res = engines[q].translate_batch(tokens[i:i + BATCH], beam_size=1, max_decoding_length=NEW_TOKENS,
                                             min_decoding_length=NEW_TOKENS)
            out += [r.hypotheses[0] for r in res]
        return out

    refs = greedy("float32")
    identical = sum(a == b for a, b in zip(refs, greedy("int8")))

    def forced(q):
        """Per sentence: the reference tokens' log-probabilities and the top-1 token per step."""
        logprobs, tops = [], []
        for i in range(0, len(tokens), BATCH):
            src, ref = tokens[i:i + BATCH], refs[i:i + BATCH]
            for r in engines[q].score_batch(src, ref):
                logprobs.append(r.log_probs[:NEW_TOKENS])
            res = engines[q].translate_batch(src, target_prefix=ref, beam_size=1,
                                             max_decoding_length=NEW_TOKENS + 1, return_logits_vocab=True)
            for r in res:
                tops.append([int(np.argmax(np.asarray(step))) for step in r.logits[0][:NEW_TOKENS]])
        return logprobs, tops

    (lp32, top32), (lp8, top8) = forced("float32"), forced("int8")
    diffs = [abs(a - b) for s32, s8 in zip(lp32, lp8) for a, b in zip(s32, s8)]
    changed = sum(a != b for t32, t8 in zip(top32, top8) for a, b in zip(t32, t8))
    json.dump({"mean_abs": sum(diffs) / len(diffs), "max_abs": max(diffs), "top1_changed": changed / len(diffs),
               "steps": len(diffs), "identical": identical, "sentences": len(refs)}, sys.stdout)


if __name__ == "__main__":
    if sys.argv[1] == "build":
        build(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "scale":
        scale(*sys.argv[2:8])
    elif sys.argv[1] == "drift":
        drift(sys.argv[2], sys.argv[3])
    else:
        run(*sys.argv[2:6])
