#!/usr/bin/env bash
# The GPU check (issue #13), in one run on a GPU machine that has CUDA's libraries and PyTorch +
# transformers but no Rust toolchain and no network. Prepare on a build machine:
#
#   # nvcc and headers from PyPI wheels, unpacked into $CUDA (nvidia-cuda-nvcc, -runtime, -crt,
#   # -cccl and nvidia-nvvm 13.0.*: `pip download --no-deps`, then unzip; their files land in
#   # nvidia/cu13). Candle links cudarc's libraries at build time; where the build machine has
#   # no GPU libraries, stubs made from cudarc's bindings serve (the real ones load on the GPU
#   # machine), e.g. for the driver:
#   #   grep -hoE '^ {12}fn [A-Za-z0-9_]+\(' $CARGO_HOME/registry/src/*/cudarc-*/src/driver/sys/mod.rs |
#   #     sed -E 's/^ +fn ([A-Za-z0-9_]+)\(/void \1(void){}/' | sort -u > libcuda.c
#   #   gcc -shared -fPIC -o $CUDA/lib/libcuda.so libcuda.c -Wl,-soname,libcuda.so.1
#   # and likewise nvrtc (libnvrtc.so.13), curand (.so.10), cublas and cublaslt (.so.13);
#   # `ln -s libcudart.so.13 $CUDA/lib/libcudart.so`.
#   CUDA_HOME=$CUDA PATH=$CUDA/bin:$PATH CUDA_COMPUTE_CAP=90 \
#     cargo build --release --features cuda --bin entente
#   mkdir -p gpu && strip -o gpu/entente target/release/entente && xz gpu/entente
#   cp -r ../shared/models/opus-mt-fr-en ../shared/models/opus-mt-tc-big-fr-en gpu/
#   cp ../shared/eval/mt/newstest2014-fr-en/newstest2014.fr-en.fr gpu/
#
# then run `bash scripts/gpu_check.sh [gpu]` there. It prints every table and writes them to
# $OUT/gpu_check.md too. GPU_CHECK_DEVICE=cpu ENTENTE=target/release/entente rehearses it on a
# machine without a GPU (CPU against CPU; no dtypes; throughput only for the configurations named
# in GPU_CHECK_THROUGHPUT, e.g. `64:16`, with transformers for those in GPU_CHECK_TRANSFORMERS).
# GPU_CHECK_PARTS=parity,dtypes,throughput (the default) runs some parts only, e.g. to split the
# check over two calls of a machine's 10-minute limit. The first run on an H200 (2026-12-04,
# docs/measurements/) took 104 s for parity and ran out of its limits in the dtypes' beam 4 and
# the throughput's 1,024-sentence rows: those limits are now 150 s / 330 s for 128 sentences and
# the configurations below.
set -uo pipefail
cd "$(dirname "$0")/.."
G=${1:-gpu}
OUT=${OUT:-/tmp/gpu_check}
mkdir -p "$OUT"
exec > >(tee "$OUT/gpu_check.md") 2>&1
PY=${PYTHON:-python3}
export PYTHONUNBUFFERED=1
WORK=$(mktemp -d)

if [ -z "${ENTENTE:-}" ]; then
  ENTENTE=$WORK/entente
  xz -dc "$G/entente.xz" > "$ENTENTE" && chmod +x "$ENTENTE" || exit 1
  # The CUDA libraries the binary was linked against, from wherever this machine keeps them
  # (PyTorch's wheels, the driver's folder).
  dirs=$(find /opt /usr/local /usr/lib /usr/lib64 /lib /lib64 \( -name 'libcublas.so.*' -o -name 'libcurand.so.*' -o -name 'libcudart.so.*' \
    -o -name 'libnvrtc.so.*' -o -name 'libcublasLt.so.*' -o -name 'libcuda.so.1' \) -not -path '*stubs*' -not -path '*compat*' 2>/dev/null \
    -printf '%h\n' | sort -u | paste -sd:)
  export LD_LIBRARY_PATH="$dirs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "libraries: $LD_LIBRARY_PATH"
  ldd "$ENTENTE" | grep -E 'cuda|cublas|curand|nvrtc|not found'
fi
GPU=${GPU_CHECK_DEVICE:-cuda}
export GPU_CHECK_DEVICE=$GPU
date -u
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
"$ENTENTE" --version

# Tiny checkpoints with their tokenizers: tiny-selfcontained carries its own; the others use the
# real opus-mt tokenizer files.
M=$WORK/models
mkdir -p "$M"
for spec in tiny-selfcontained: tiny-fr-en-swish:opus-mt-fr-en tiny-fr-en-gelu-separate:opus-mt-fr-en \
  tiny-tc-big-relu:opus-mt-tc-big-fr-en; do
  name=${spec%%:*} tok=${spec#*:}
  cp -r "models/test/$name" "$M/$name"
  if [ -n "$tok" ]; then
    for f in source.spm target.spm vocab.json tokenizer_config.json; do cp "$G/$tok/$f" "$M/$name/"; done
  fi
done

PARTS=",${GPU_CHECK_PARTS:-parity,dtypes,throughput},"
part() { [[ $PARTS == *",$1,"* ]]; }

if part parity; then
  echo; echo "## 1. Parity: tiny checkpoints, f32, CPU and $GPU against transformers' fixtures"; echo
  timeout 200 "$PY" scripts/gpu_check.py parity "$ENTENTE" "$M"
fi

timeout 60 "$PY" scripts/gpu_check.py build-full "$G/opus-mt-fr-en" "$WORK/full" || exit 1
if part dtypes && [ "$GPU" != cpu ]; then
  echo; echo "## 2. f16 / bf16 against f32 on $GPU (full-size random opus-mt-fr-en, 128 newstest2014 sentences, 64 new tokens)"; echo
  timeout 150 "$PY" scripts/gpu_check.py dtypes "$ENTENTE" "$WORK/full" "$G/newstest2014.fr-en.fr"
fi

if part throughput && { [ "$GPU" != cpu ] || [ -n "${GPU_CHECK_THROUGHPUT:-}" ]; }; then
  echo; echo "## 3. Throughput on $GPU (full-size random opus-mt-fr-en, newstest2014, 64 new tokens a sentence; entente and transformers)"; echo
  timeout 330 "$PY" scripts/gpu_check.py throughput "$ENTENTE" "$WORK/full" "$G/newstest2014.fr-en.fr"
fi
date -u
