#!/usr/bin/env python3
"""Peers for eval/translate's benchmark: a random-weight model with the exact opus-mt-fr-en
architecture, run by transformers (PyTorch) and CTranslate2.

Usage:
  python scripts/bench_translate.py build SHARED_DIR MODEL_DIR   # model + CTranslate2 conversions
  python scripts/bench_translate.py run ENGINE MODE MODEL_DIR SOURCES_FILE
      ENGINE: transformers | ct2-float32 | ct2-int8; MODE: greedy | beam4
Prints JSON {"tokens_per_s", "peak_rss_mb", "seconds"}: 64 sentences, exactly 32 new tokens each,
batch 16, 2 threads.
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
        model = MarianMTModel.from_pretrained(model_dir).eval()
        start = time.perf_counter()
        with torch.no_grad():
            for i in range(0, len(sources), BATCH):
                batch = tok(sources[i:i + BATCH], return_tensors="pt", padding=True)
                model.generate(**batch, num_beams=beams, min_new_tokens=NEW_TOKENS, max_new_tokens=NEW_TOKENS)
        seconds = time.perf_counter() - start
    else:
        import ctranslate2

        q = engine.split("-")[1]
        translator = ctranslate2.Translator(str(Path(model_dir) / f"ct2-{q}"), device="cpu", compute_type=q,
                                           intra_threads=THREADS, inter_threads=1)
        tokens = [tok.convert_ids_to_tokens(tok(s)["input_ids"]) for s in sources]
        start = time.perf_counter()
        for i in range(0, len(tokens), BATCH):
            translator.translate_batch(tokens[i:i + BATCH], beam_size=beams, max_decoding_length=NEW_TOKENS,
                                       min_decoding_length=NEW_TOKENS, max_batch_size=BATCH)
        seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    json.dump({"tokens_per_s": N_SENT * NEW_TOKENS / seconds, "peak_rss_mb": peak, "seconds": seconds}, sys.stdout)


if __name__ == "__main__":
    if sys.argv[1] == "build":
        build(sys.argv[2], sys.argv[3])
    else:
        run(*sys.argv[2:6])
