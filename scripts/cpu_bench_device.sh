#!/usr/bin/env bash
# The engine benchmark (issue #27's tables) on another machine's CPU: one with Python, PyTorch and
# transformers but no Rust toolchain, no network and no CTranslate2 (the GPU machine's image).
# Prepare on a build machine, in the checkout (`.dev/` ignored through .git/info/exclude):
#
#   cargo build --release --example bench-translate --example bench-kernels
#   mkdir -p .dev/shared/models .dev/shared/eval/mt/newstest2014-fr-en
#   for b in bench-translate bench-kernels; do strip -o .dev/$b target/release/examples/$b; xz -f .dev/$b; done
#   cp -r ../shared/models/opus-mt-fr-en .dev/shared/models/
#   cp ../shared/eval/mt/newstest2014-fr-en/newstest2014.fr-en.fr .dev/shared/eval/mt/newstest2014-fr-en/
#   # CTranslate2 for that machine's Python (3.12 there), its libraries stripped of debug
#   # information (83 MB of wheel to 14 MB):
#   pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#     --platform manylinux_2_28_x86_64 -d /tmp/whl ctranslate2==4.8.5
#   (mkdir /tmp/ct2 && cd /tmp/ct2 && unzip -q /tmp/whl/ctranslate2-*.whl &&
#    strip --strip-unneeded ctranslate2.libs/*.so* ctranslate2/*.so && tar cf - . | xz -9) > .dev/ct2.tar.xz
#
# then run `bash scripts/cpu_bench_device.sh [.dev]` there. It builds the random-weight model
# (scripts/bench_translate.py build), then runs bench-kernels and bench-translate twice on two
# CPUs of distinct physical cores, printing every table and writing them to $OUT/cpu_bench.md.
set -uo pipefail
cd "$(dirname "$0")/.."
D=$(realpath "${1:-.dev}")
OUT=${OUT:-/tmp/cpu_bench}
mkdir -p "$OUT"
exec > >(tee "$OUT/cpu_bench.md") 2>&1
export PYTHONUNBUFFERED=1
WORK=$(mktemp -d)
date -u
lscpu
for c in /sys/devices/system/cpu/cpu0/cache/index*; do
  echo "$c: L$(cat "$c/level" 2>/dev/null) $(cat "$c/type" 2>/dev/null) $(cat "$c/size" 2>/dev/null) shared with CPUs $(cat "$c/shared_cpu_list" 2>/dev/null)"
done

mkdir -p "$WORK/site" && tar -xJf "$D/ct2.tar.xz" -C "$WORK/site" || exit 1
export PYTHONPATH="$WORK/site${PYTHONPATH:+:$PYTHONPATH}"
for b in bench-translate bench-kernels; do
  xz -dc "$D/$b.xz" > "$WORK/$b" && chmod +x "$WORK/$b" || exit 1
done
export ENTENTE_TEST_DATA="$D/shared"
python3 -c 'import ctranslate2, torch, transformers; print("ctranslate2", ctranslate2.__version__, "torch", torch.__version__, "transformers", transformers.__version__)' || exit 1

# Two logical CPUs on two distinct physical cores (never two hyperthreads of one core), so that
# both engines' two threads run as on a 2-core machine.
CPUS=$(lscpu -p=CPU,CORE | grep -v '^#' | sort -t, -k2,2n -u | head -2 | cut -d, -f1 | paste -sd,)
echo "pinned to CPUs $CPUS"
PIN=(taskset -c "$CPUS")

M=$WORK/bench-model
echo; echo "## Model (random weights, opus-mt-fr-en's architecture) and CTranslate2's conversions"; echo
timeout 240 python3 scripts/bench_translate.py build "$ENTENTE_TEST_DATA" "$M" || exit 1
CT2_VERBOSE=1 timeout 30 python3 -c "import ctranslate2, sys; ctranslate2.Translator(sys.argv[1], device='cpu', compute_type='int8', intra_threads=2)" "$M/ct2-int8" 2>&1 | head -9

echo; echo "## bench-kernels"; echo
timeout 120 "${PIN[@]}" "$WORK/bench-kernels"

echo; echo "## bench-translate, run 1 (with where entente's time goes, and drift)"; echo
timeout 240 "${PIN[@]}" "$WORK/bench-translate" --python python3 --model-dir "$M" \
  --engines entente,entente-int8,ct2-float32,ct2-int8 --profile

echo; echo "## bench-translate, run 2"; echo
timeout 200 "${PIN[@]}" "$WORK/bench-translate" --python python3 --model-dir "$M" \
  --engines entente,entente-int8,ct2-float32,ct2-int8 --no-drift
date -u
