#!/usr/bin/env bash
# The GPU check of the plan engine (issue #36; ../shared/gpu-engine.md §7), in parts that each
# fit one 10-minute call of a GPU machine that has a driver, PyTorch's CUDA wheels (for
# libnvrtc and libcublas) and transformers, but no Rust toolchain and no network.
#
# Prepare on any build machine (no CUDA toolkit, no GPU needed: cudarc loads the libraries at
# run time and NVRTC compiles the kernels there):
#
#   cargo build --release --features cuda-engine --example gpu-check
#   mkdir -p gpu && cp target/release/examples/gpu-check gpu/ && strip gpu/gpu-check
#   python scripts/bench_translate.py build ../shared gpu/bench-model   # full-size, random weights
#   cp -r models/test/tiny-selfcontained gpu/
#   cp ../shared/eval/mt/newstest2014-fr-en/newstest2014.fr-en.fr gpu/
#
# then `bash scripts/gpu_check.sh [gpu]` there. GPU_CHECK_PARTS=selftest,parity,steps,e2e,drift,peers
# (the default) runs some parts only; each has its own timeout, keeps its stderr, and the
# output goes to $OUT/gpu_check.md too. GPU_CHECK_DEVICE=cpu rehearses it on a machine without
# a GPU: the plan engine's CPU twin instead of the CUDA executor (no selftest, no drift), small
# sizes (GPU_CHECK_SENTENCES, GPU_CHECK_ROWS), and GPU_CHECK_BIN pointing at a local build.
set -uo pipefail
cd "$(dirname "$0")/.."
G=${1:-gpu}
OUT=${OUT:-/tmp/gpu_check}
mkdir -p "$OUT"
exec > >(tee "$OUT/gpu_check.md") 2>&1
PY=${PYTHON:-python3}
export PYTHONUNBUFFERED=1
DEVICE=${GPU_CHECK_DEVICE:-cuda}
BIN=${GPU_CHECK_BIN:-$G/gpu-check}
MODEL=${GPU_CHECK_MODEL:-$G/bench-model}
TINY=${GPU_CHECK_TINY:-$G/tiny-selfcontained}
N=${GPU_CHECK_SENTENCES:-2048}
ROWS=${GPU_CHECK_ROWS:-16,64,256,1024}
BANDWIDTH=${GPU_CHECK_BANDWIDTH:-3000}
export GPU_CHECK_SOURCES=${GPU_CHECK_SOURCES:-$G/newstest2014.fr-en.fr}

if [ "$DEVICE" != cpu ]; then
  # libnvrtc, libcublas (PyTorch's nvidia-* wheels or a toolkit) and the driver's libcuda.
  dirs=$(find / -xdev \( -name 'libnvrtc.so*' -o -name 'libcublas.so*' -o -name 'libcublasLt.so*' -o -name 'libcuda.so.1' \) \
    -not -path '*stubs*' -not -path '*compat*' 2>/dev/null -printf '%h\n' | sort -u | paste -sd:)
  export LD_LIBRARY_PATH="$dirs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "libraries: $LD_LIBRARY_PATH"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
fi
date -u

PARTS=",${GPU_CHECK_PARTS:-selftest,parity,steps,e2e,drift,peers},"
part() { [[ $PARTS == *",$1,"* ]]; }
failed=0
run() { # name seconds command…: one part under its timeout; a failure is reported, the rest runs
  local name=$1 limit=$2
  shift 2
  echo; echo "## $name"; echo
  timeout "$limit" "$@" || { echo "$name: FAILED (exit $?)"; failed=1; }
}

if part selftest && [ "$DEVICE" != cpu ]; then
  run "1. Each kernel against its CPU twin (f32 ≤ 1e-5, f16 ≤ 2e-3 relative)" 120 \
    "$BIN" selftest --model "$MODEL" --device "$DEVICE"
fi
if part parity; then
  run "2. Parity, f32: the engine's ids against the CPU host step (tiny checkpoint)" 120 \
    "$BIN" parity --model "$TINY" --device "$DEVICE" --sentences 64
  run "2b. Parity, f32, full-size random opus-mt-fr-en" 240 \
    "$BIN" parity --model "$MODEL" --device "$DEVICE" --sentences 32
fi
if part steps; then
  for storage in f16 f32; do
    run "3. One decoder step at $ROWS rows, $storage, against the memory floor at $BANDWIDTH GB/s" 180 \
      "$BIN" steps --model "$MODEL" --device "$DEVICE" --storage $storage --rows "$ROWS" --bandwidth "$BANDWIDTH"
  done
fi
if part e2e; then
  run "4a. End to end: $N newstest2014 sentences, greedy, batch 256, 32 new tokens each, f16" 300 \
    "$BIN" e2e --model "$MODEL" --device "$DEVICE" --storage f16 --sentences "$N" --batch 256 --beams 1
  run "4b. End to end: $N sentences, beam 4, batch 64, f16" 300 \
    "$BIN" e2e --model "$MODEL" --device "$DEVICE" --storage f16 --sentences "$N" --batch 64 --beams 4
fi
if part drift && [ "$DEVICE" != cpu ]; then
  run "5. Drift: f16 against f32, 256 sentences, greedy" 240 \
    "$BIN" drift --model "$MODEL" --device "$DEVICE" --sentences 256
fi
if part peers; then
  run "6. Peers on the same card and sentences: transformers fp16, CTranslate2 float16" 540 \
    "$PY" scripts/gpu_check.py peers "$MODEL" "$GPU_CHECK_SOURCES" "$N"
fi
date -u
exit $failed
