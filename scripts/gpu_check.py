#!/usr/bin/env python3
"""The GPU check of issue #13, run on the GPU machine by scripts/gpu_check.sh (which finds the
CUDA libraries and unpacks the `--features cuda` binary built elsewhere). Python there only
drives the `entente` binary and, for the full-size model, builds random weights with transformers.

Usage:
  gpu_check.py parity ENTENTE MODELS_DIR        # tiny checkpoints: CPU and CUDA f32 against the
                                                # committed transformers fixtures
  gpu_check.py build-full TOKENIZER_DIR OUT_DIR # random weights, opus-mt-fr-en's architecture
  gpu_check.py dtypes ENTENTE MODEL SOURCES     # f16 / bf16 against f32 on the GPU
  gpu_check.py throughput ENTENTE MODEL SOURCES # tok/s and GPU memory, batch × beams × size

MODELS_DIR holds one directory per tiny checkpoint with its tokenizer files (assembled by
gpu_check.sh). Each part prints Markdown tables and ends with a line `PART: ok` or `PART: FAIL`.
"""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TINY = ["tiny-selfcontained", "tiny-fr-en-swish", "tiny-fr-en-gelu-separate", "tiny-tc-big-relu"]
GPU_TOL = 2e-3
# The GPU device; `cpu` rehearses the script on a machine without one.
GPU = os.environ.get("GPU_CHECK_DEVICE", "cuda")


def translate(entente, model, sources, device, dtype="f32", beams=1, batch=16, options=None,
              max_new=None, timeout=300):
    """Run `entente translate --format jsonl` on `sources`; returns (records, seconds)."""
    with tempfile.NamedTemporaryFile("w", suffix=".fr", delete=False) as f:
        f.write("".join(s + "\n" for s in sources))
        path = f.name
    cmd = [entente, "translate", "--model", str(model), "--format", "jsonl", "--device", device,
           "--dtype", dtype, "--beams", str(beams), "--batch-size", str(batch)]
    if max_new is not None:
        cmd += ["--max-new-tokens", str(max_new)]
    for key, value in (options or {}).items():
        cmd += ["--" + key.replace("_", "-"), str(value)]
    cmd.append(path)
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return [json.loads(line) for line in done.stdout.splitlines()], seconds


def parity(entente, models_dir):
    ok = True
    print(f"| model | run | sentences | CPU ids = fixture | {GPU} ids = fixture | {GPU} ids = CPU | max abs Δ logprob {GPU} vs fixture |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name in TINY:
        fixture = ROOT / f"tests/fixtures/translate/{name}.jsonl"
        records = [json.loads(line) for line in fixture.read_text().splitlines()]
        meta = next(r for r in records if r.get("mode") == "meta")
        groups = defaultdict(list)
        for r in records:
            # An empty line stays empty in `entente translate` (by design; the library
            # translates "" as transformers does, tested on the CPU): nothing to compare here.
            if r.get("mode") == "meta" or not r["src"].strip():
                continue
            single = r["mode"] in ("single", "penalty")
            options = r.get("options") or {}
            key = (r["beams"], json.dumps(options, sort_keys=True), single,
                   0 if single else r["batch"])
            groups[key].append(r)
        for (beams, options, single, b), group in sorted(groups.items()):
            options = json.loads(options)
            sources = [r["src"] for r in group]
            batch = 1 if single else len(group)
            got = {}
            for device in ("cpu", GPU):
                got[device], _ = translate(entente, Path(models_dir) / name, sources, device,
                                           beams=beams, batch=batch, options=options,
                                           max_new=meta["max_new_tokens"])
            cpu_ok = sum(g["ids"] == r["ids"] for g, r in zip(got["cpu"], group))
            gpu_ok = sum(g["ids"] == r["ids"] for g, r in zip(got[GPU], group))
            same = sum(g["ids"] == c["ids"] for g, c in zip(got[GPU], got["cpu"]))
            drift = max(abs(g["logprob"] - r["logprob"]) for g, r in zip(got[GPU], group))
            run = f"beams {beams}, {'single' if single else f'batch {b} of {batch}'}"
            if options:
                run += ", " + ", ".join(f"{k}={v}" for k, v in options.items())
            n = len(group)
            good = cpu_ok == n and gpu_ok == n and same == n and drift <= GPU_TOL
            ok &= good
            print(f"| {name} | {run} | {n} | {cpu_ok}/{n} | {gpu_ok}/{n} | {same}/{n} | {drift:.2e}{'' if good else ' ✗'} |")
    print(f"\nparity (ids identical, {GPU} log-probabilities within {GPU_TOL}): {'ok' if ok else 'FAIL'}")


def build_full(tokenizer_dir, out_dir):
    import shutil

    import torch
    from transformers import GenerationConfig, MarianConfig, MarianMTModel

    src, out = Path(tokenizer_dir), Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    model = MarianMTModel(MarianConfig.from_pretrained(src)).eval()
    model.save_pretrained(out, safe_serialization=True)
    GenerationConfig.from_pretrained(src).save_pretrained(out)
    for f in ["source.spm", "target.spm", "vocab.json", "tokenizer_config.json"]:
        shutil.copy(src / f, out / f)
    print(f"build-full: ok ({sum(p.numel() for p in model.parameters()) / 1e6:.1f} M parameters)")


def dtypes(entente, model, sources_file):
    sources = Path(sources_file).read_text().splitlines()[:128]
    print("| dtype | beams | sentences | identical to f32 | mean abs Δ logprob | max abs Δ logprob | seconds |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for beams in (1, 4):
        ref, _ = translate(entente, model, sources, GPU, "f32", beams, 64, max_new=64)
        for dtype in ("f16", "bf16"):
            got, seconds = translate(entente, model, sources, GPU, dtype, beams, 64, max_new=64)
            same = sum(g["ids"] == r["ids"] for g, r in zip(got, ref))
            deltas = [abs(g["logprob"] - r["logprob"]) for g, r in zip(got, ref)]
            print(f"| {dtype} | {beams} | {len(ref)} | {same}/{len(ref)} | {sum(deltas) / len(deltas):.4f} | {max(deltas):.4f} | {seconds:.1f} |")
    print("\ndtypes: ok")


def gpu_memory_peak(stop, peak):
    while not stop.is_set():
        try:
            out = subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
                                 capture_output=True, text=True)
        except FileNotFoundError:  # no GPU here (a rehearsal): no memory column
            return
        try:
            peak[0] = max(peak[0], int(out.stdout.split()[0]))
        except (ValueError, IndexError):
            pass
        time.sleep(0.1)


def configs(variable, default):
    """(sentences, batch) pairs from `variable` ("64:16,1024:256"), else `default`."""
    text = os.environ.get(variable, default)
    return [tuple(int(v) for v in pair.split(":")) for pair in text.split(",") if pair]


def transformers_run(model_dir, sources, dtype, beams, batch, max_new):
    """transformers on the same device: load (in `dtype`) and generate, timed together as the
    entente CLI's whole job is (this process has CUDA started already, which favours it);
    returns (generated tokens, seconds)."""
    import torch
    from transformers import MarianMTModel, MarianTokenizer

    device = "cuda" if GPU.startswith("cuda") else GPU
    torch_dtype = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}[dtype]
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    tok = MarianTokenizer.from_pretrained(model_dir)
    model = MarianMTModel.from_pretrained(model_dir, dtype=torch_dtype).to(device).eval()
    tokens = 0
    with torch.no_grad():
        for i in range(0, len(sources), batch):
            enc = tok(sources[i:i + batch], return_tensors="pt", padding=True).to(device)
            out = model.generate(**enc, num_beams=beams, max_new_tokens=max_new)
            tokens += int((out[:, 1:] != model.config.pad_token_id).sum())
    if device == "cuda":
        torch.cuda.synchronize()
    return tokens, time.perf_counter() - start


def throughput(entente, model, sources_file):
    lines = Path(sources_file).read_text().splitlines()
    with_transformers = set(configs("GPU_CHECK_TRANSFORMERS", "1024:64,1024:256"))
    print("| engine | sentences | batch | beams | dtype | new tokens | seconds (load included) | tok/s | peak GPU memory (MiB) |")
    print("|---|---:|---:|---:|---|---:|---:|---:|---:|")
    for n, batch in configs("GPU_CHECK_THROUGHPUT", "64:16,64:64,1024:64,1024:256"):
        for beams in (1, 4):
            for dtype in ("f32", "f16"):
                engines = ["entente"] + (["transformers"] if (n, batch) in with_transformers else [])
                for engine in engines:
                    stop, peak = threading.Event(), [0]
                    poller = threading.Thread(target=gpu_memory_peak, args=(stop, peak))
                    poller.start()
                    try:
                        if engine == "entente":
                            got, seconds = translate(entente, model, lines[:n], GPU, dtype, beams,
                                                     batch, max_new=64, timeout=120)
                            tokens = sum(len(g["ids"]) for g in got)
                        else:
                            tokens, seconds = transformers_run(model, lines[:n], dtype, beams, batch, 64)
                    except Exception as e:  # a failed row is reported, the others still run
                        stop.set()
                        poller.join()
                        print(f"| {engine} | {n} | {batch} | {beams} | {dtype} | – | failed: {str(e)[:200]} | | |")
                        continue
                    stop.set()
                    poller.join()
                    print(f"| {engine} | {n} | {batch} | {beams} | {dtype} | {tokens} | {seconds:.2f} | {tokens / seconds:.0f} | {peak[0]} |", flush=True)
    print("\nthroughput: ok")


def peers(model, sources_file, n="2048"):
    """transformers fp16 `generate` and, if it loads, CTranslate2 float16 on the same card and
    sentences as the plan engine's e2e part: exactly 32 new tokens a sentence, greedy at batch
    256 and beam 4 at batch 64; decode-only and whole-job tok/s."""
    import torch
    from transformers import MarianMTModel, MarianTokenizer

    lines = Path(sources_file).read_text().splitlines()[: int(n)]
    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = torch.float16 if device == "cuda" else torch.float32
    print("| engine | device | dtype | beams | batch | sentences | tok/s decoding | tok/s whole job |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for beams, batch in ((1, 256), (4, 64)):
        job = time.perf_counter()
        tok = MarianTokenizer.from_pretrained(model)
        m = MarianMTModel.from_pretrained(model, dtype=dtype).to(device).eval()
        tokens, decode = 0, 0.0
        with torch.no_grad():
            for i in range(0, len(lines), batch):
                enc = tok(lines[i:i + batch], return_tensors="pt", padding=True).to(device)
                if device == "cuda":
                    torch.cuda.synchronize()
                start = time.perf_counter()
                out = m.generate(**enc, num_beams=beams, max_new_tokens=32, min_new_tokens=32)
                if device == "cuda":
                    torch.cuda.synchronize()
                decode += time.perf_counter() - start
                tokens += int((out[:, 1:] != m.config.pad_token_id).sum())
        whole = time.perf_counter() - job
        print(f"| transformers | {device} | {dtype} | {beams} | {batch} | {len(lines)} | {tokens / decode:.0f} | {tokens / whole:.0f} |", flush=True)
        try:
            import ctranslate2
        except ImportError:
            print("| CTranslate2 | – | – | | | | not installed | |")
            continue
        try:
            ct2_dir = Path(tempfile.mkdtemp()) / "ct2"
            ct2_type = "float16" if device == "cuda" else "float32"
            ctranslate2.converters.TransformersConverter(model).convert(str(ct2_dir), quantization=ct2_type)
            job = time.perf_counter()
            translator = ctranslate2.Translator(str(ct2_dir), device=device)
            pieces = [tok.convert_ids_to_tokens(tok(l).input_ids) for l in lines]
            start = time.perf_counter()
            res = translator.translate_batch(pieces, beam_size=beams, max_batch_size=batch,
                                             min_decoding_length=32, max_decoding_length=32)
            decode = time.perf_counter() - start
            tokens = sum(len(r.hypotheses[0]) for r in res)
            whole = time.perf_counter() - job
            print(f"| CTranslate2 | {device} | {ct2_type} | {beams} | {batch} | {len(lines)} | {tokens / decode:.0f} | {tokens / whole:.0f} |", flush=True)
        except Exception as e:  # a peer that does not load is reported, the rest still runs
            print(f"| CTranslate2 | {device} | float16 | {beams} | {batch} | {len(lines)} | failed: {str(e)[:160]} | |")
    print("\npeers: ok")


if __name__ == "__main__":
    part, args = sys.argv[1], sys.argv[2:]
    {"parity": parity, "build-full": build_full, "dtypes": dtypes, "throughput": throughput,
     "peers": peers}[part](*args)
