#!/usr/bin/env python3
"""The self-contained test model saved as a PyTorch checkpoint (`pytorch_model.bin`, what the
Hub serves for models published before safetensors, opus-mt-fr-en's main branch among them), for
the test of entente's `.bin` loading path (tests/translate_cli.rs).

Usage: python scripts/make_pytorch_bin_checkpoint.py
Needs: pip install torch transformers safetensors

Writes tests/fixtures/pytorch-bin/{config.json, generation_config.json,
pytorch_model.bin}: the same weights as models/test/tiny-selfcontained/model.safetensors
(float16, as stored there), saved with torch.save of the model's state dict as transformers'
`save_pretrained(safe_serialization=False)` did. The tokenizer files are the self-contained
model's own; the test copies them beside it.
"""
import shutil
from pathlib import Path

import torch
from transformers import MarianMTModel

root = Path(__file__).resolve().parent.parent
src = root / "models/test/tiny-selfcontained"
out = root / "tests/fixtures/pytorch-bin"
out.mkdir(parents=True, exist_ok=True)
model = MarianMTModel.from_pretrained(src, torch_dtype=torch.float16)
state = {k: v.contiguous() for k, v in model.state_dict().items()}
torch.save(state, out / "pytorch_model.bin")
for name in ["config.json", "generation_config.json"]:
    shutil.copy(src / name, out / name)
print(f"wrote {out / 'pytorch_model.bin'} ({len(state)} tensors)")
