#!/bin/sh
# Runs the CUDA checks that benchmarks/gpu-check.sh built (it is copied to
# .gpu/run.sh): the kernels' and the GPU backend's tests, perceptron info, and
# `perceptron bench` (every workload: W1, W2, W2s, W3, W2a with Adam, W2d) on
# the CPU and the GPU beside PyTorch on CUDA (when python3 has torch), and an
# Nsight Systems profile of W2 and W3 on the GPU (when nsys is installed).
# Usage, from the repository root: sh .gpu/run.sh OUT
set -u
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/logs}
mkdir -p "$out"
export PERCEPTRON_MNIST_DIR="$here/data"
# NCCL for the data-parallel tests (TestShareBatches*): libnccl.so.2 where the
# dynamic linker finds it, else the one PyTorch's CUDA wheels bring.
if [ -z "${PERCEPTRON_LIBNCCL:-}" ] && ! ldconfig -p 2>/dev/null | grep -q 'libnccl\.so\.2'; then
  nccl=$(python3 -c 'import nvidia.nccl, os; print(os.path.join(list(nvidia.nccl.__path__)[0], "lib", "libnccl.so.2"))' 2>/dev/null) &&
    [ -f "$nccl" ] && export PERCEPTRON_LIBNCCL="$nccl"
fi
status=0
{
  date -u
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1
  echo "nccl: ${PERCEPTRON_LIBNCCL:-libnccl.so.2 on the linker's path, if any}"
  "$here/perceptron" info 2>&1
} > "$out/machine.txt"
# Each test binary runs in its package's folder, as go test runs it: the
# tests read files beside them (kernels/resources.h, gpu/testdata).
for pkg in kernels gpu; do
  (cd "$here/../$pkg" && "$here/$pkg.test" -test.v -test.count=1 -test.timeout=20m) > "$out/$pkg-test.log" 2>&1 || status=1
done
compare=""
if python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
  python3 "$here/../benchmarks/pytorch_baseline.py" --device cuda --mnist-dir "$here/data" --out "$out/torch-cuda.json" \
    2> "$out/torch-cuda.err" && compare="--compare-json $out/torch-cuda.json"
fi
# shellcheck disable=SC2086 # $compare is empty or two words
"$here/perceptron" bench --backend cpu,cuda --dtype float32,float64 --out "$out/bench.json" $compare \
  > "$out/bench.txt" 2> "$out/bench.err" || status=1
# Where the GPU's time goes in per-example SGD (W2) and mini-batches (W3):
# the kernels' share of the time, by Nsight Systems where it is installed.
if command -v nsys >/dev/null 2>&1; then
  for w in W2 W3; do
    timeout 300 nsys profile --stats=true --force-overwrite true -o "$out/nsys-$w" \
      "$here/perceptron" bench --workload "$w" --backend cuda --dtype float32 --out "$out/nsys-$w.json" \
      > "$out/nsys-$w.txt" 2>&1
  done
fi
{
  cat "$out/machine.txt"
  for pkg in kernels gpu; do
    echo "$pkg tests: $(grep -c -- '--- PASS' "$out/$pkg-test.log") passed, $(grep -c -- '--- FAIL' "$out/$pkg-test.log") failed," \
      "$(grep -c -- '--- SKIP' "$out/$pkg-test.log") skipped"
    grep -- '--- FAIL' "$out/$pkg-test.log" | head -20
  done
  grep -E -- '--- (PASS|FAIL|SKIP): TestShareBatches' -A1 "$out/gpu-test.log"
  cat "$out/bench.txt"
} > "$out/summary.txt"
cat "$out/summary.txt"
exit $status
