#!/bin/sh
# Runs the CUDA checks that benchmarks/gpu-check.sh built (it is copied to
# .gpu/run.sh) within a budget of time, most valuable first:
#
#   1. machine:      nvidia-smi -q and perceptron info
#   2. tests-core:   the GPU backend's SGD, parity, epoch and batch tests, its
#                    primary context and NCCL on a communicator of one, with
#                    PERCEPTRON_CUDA_SYNC=1
#   3. tests-kernels: the kernels package's tests (the fatbins)
#   4. fits-W2:      two W2 fits (one MNIST epoch per example) compared bit for bit
#   5. synccheck, racecheck: compute-sanitizer on TestSGDStepsParity
#   6. bench-cuda:   perceptron bench --backend cuda, W1, W2, W3, float32
#   7. bench-fits:   fits a second of many fits at once (bench --fits, issue
#                    27), on the GPU's group and the CPU pool in one run: W1
#                    at 1, 8, 64 and 512 fits, W2 at 1, 8 and 64, float32
#   8. tests-rest:   the GPU backend's other tests (the backend suite, MNIST)
#   9. bench-cpu:    the same workloads on the CPU of the same machine
#  10. nsys-W2:      an Nsight Systems profile of W2 on the GPU
#
# Each step runs under its own timeout, so that a hang loses only that step,
# and within the budget (PERCEPTRON_GPU_RUN_BUDGET seconds: 540 by default,
# 170 for an emulator build); a step that would start with less than
# MIN_STEP seconds left is skipped, saying so. A step that needs a GPU, or a
# tool the machine lacks, is skipped saying why. Every log is packed into
# OUT/gpu-run-logs.tar.gz, beside OUT/summary.txt, which gives each step's
# exit status, time and its tests passed, failed and skipped (subtests
# included).
#
# Usage, from the repository root: sh .gpu/run.sh OUT
# It exits non-zero if a step failed.
set -u
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
here=$(dirname "$self")

# The steps run as commands under timeout, so two of them are this script
# again: --in DIR COMMAND... runs COMMAND in DIR (a test binary in its
# package's folder, as go test runs it: the tests read files beside them,
# kernels/resources.h, gpu/testdata); --fits DIR runs W2 (784-128-10, sigmoid
# outputs, BCE, one MNIST epoch per example) twice on the GPU, writing the
# models into DIR, and compares them.
case ${1:-} in
  --in)
    cd "$2" || exit 1
    shift 2
    exec "$@"
    ;;
  --fits)
    for i in 1 2; do
      "$here/perceptron" train --data mnist --mnist-dir "$here/data" --layers 128:relu,10:sigmoid --loss bce --lr 0.01 \
        --epochs 1 --batch 1 --dtype float32 --backend cuda --seed 1 --out "$2/W2-fit$i.safetensors" --history "" --plot "" \
        --json || exit 1
    done
    if cmp "$2/W2-fit1.safetensors" "$2/W2-fit2.safetensors"; then
      echo "the two W2 fits are the same bit for bit"
      exit 0
    fi
    echo "the two W2 fits differ"
    exit 1
    ;;
esac

out=${1:?usage: sh .gpu/run.sh OUT}
mkdir -p "$out"
out=$(cd "$out" && pwd)
mode=$(cat "$here/mode" 2>/dev/null || echo cuda)
if [ "$mode" = emu ]; then
  budget=${PERCEPTRON_GPU_RUN_BUDGET:-170}
else
  budget=${PERCEPTRON_GPU_RUN_BUDGET:-540}
fi
# The seconds kept back for packing the logs, and the least a step starts with.
reserve=10
MIN_STEP=15
deadline=$(($(date +%s) + budget))
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
summary=$logs/summary.txt
status=0
export PERCEPTRON_MNIST_DIR="$here/data"
# NCCL for the data-parallel tests (TestShareBatches*): libnccl.so.2 where the
# dynamic linker finds it, else the one PyTorch's CUDA wheels bring.
if [ -z "${PERCEPTRON_LIBNCCL:-}" ] && ! ldconfig -p 2>/dev/null | grep -q 'libnccl\.so\.2'; then
  nccl=$(python3 -c 'import nvidia.nccl, os; print(os.path.join(list(nvidia.nccl.__path__)[0], "lib", "libnccl.so.2"))' 2>/dev/null) &&
    [ -f "$nccl" ] && export PERCEPTRON_LIBNCCL="$nccl"
fi
# The GPU's presence: a cuda build where nvidia-smi lists one.
gpu=no
if [ "$mode" != emu ] && nvidia-smi -L 2>/dev/null | grep -q '^GPU'; then
  gpu=yes
fi
sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -1)
nsys=$(command -v nsys || ls /usr/local/cuda*/bin/nsys /opt/nvidia/nsight-systems/*/bin/nsys 2>/dev/null | head -1)

{
  echo "gpu-run.sh: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $mode build, GPU: $gpu, budget ${budget}s"
  echo "nccl: ${PERCEPTRON_LIBNCCL:-libnccl.so.2 on the linker's path, if any}"
  echo "compute-sanitizer: ${sanitizer:-none}; nsys: ${nsys:-none}"
} > "$summary"

# note LINE adds LINE to the summary.
note() { echo "$1" >> "$summary"; }

# counts LOG gives the tests of a go test log: passed, failed, skipped.
counts() {
  p=$(grep -c -- '--- PASS' "$1") f=$(grep -c -- '--- FAIL' "$1") s=$(grep -c -- '--- SKIP' "$1")
  echo "; tests: $p passed, $f failed, $s skipped"
}

# step NAME LIMIT COMMAND... runs COMMAND with at most LIMIT seconds (less
# where the budget has less left), its output in NAME.log, and adds its
# outcome to the summary; skipped where less than MIN_STEP seconds are left.
step() {
  name=$1 limit=$2
  shift 2
  left=$((deadline - reserve - $(date +%s)))
  if [ "$left" -lt "$MIN_STEP" ]; then
    note "$name: skipped: ${left}s of the budget left"
    return 0
  fi
  cut=""
  if [ "$limit" -gt "$left" ]; then
    limit=$left cut=", the budget's end"
  fi
  t0=$(date +%s)
  timeout -k 5 "$limit" "$@" > "$logs/$name.log" 2>&1
  rc=$?
  line="$name: exit $rc, $(($(date +%s) - t0))s"
  case $rc in
    0) ;;
    124 | 137) line="$line (timed out at ${limit}s$cut)" status=1 ;;
    *) status=1 ;;
  esac
  if grep -q -- '^=== RUN' "$logs/$name.log"; then
    line="$line$(counts "$logs/$name.log")"
    grep -- '--- FAIL' "$logs/$name.log" | head -10 | sed 's/^/    /' >> "$logs/fails.tmp"
  fi
  note "$line"
  if [ -f "$logs/fails.tmp" ]; then
    cat "$logs/fails.tmp" >> "$summary"
    rm "$logs/fails.tmp"
  fi
}

# skip NAME WHY adds a skipped step to the summary.
skip() { note "$1: skipped: $2"; }

core='SGD|Parity|Epoch|Batch|ShareBatchesAlone|PrimaryContext'
step machine 30 sh -c 'nvidia-smi -q; "$1" info' _ "$here/perceptron"
step tests-core 180 env PERCEPTRON_CUDA_SYNC=1 sh "$self" --in "$here/../gpu" "$here/gpu.test" -test.v -test.count=1 \
  -test.run "$core" -test.timeout 170s
step tests-kernels 30 sh "$self" --in "$here/../kernels" "$here/kernels.test" -test.v -test.count=1 -test.timeout 25s
if [ $gpu = yes ]; then
  step fits-W2 60 sh "$self" --fits "$logs"
else
  skip fits-W2 "needs a GPU (an MNIST epoch takes minutes on the emulator)"
fi
for tool in synccheck racecheck; do
  if [ $gpu = no ]; then
    skip $tool "needs a GPU"
  elif [ -z "$sanitizer" ]; then
    skip $tool "compute-sanitizer is not installed"
  else
    step $tool 75 sh "$self" --in "$here/../gpu" "$sanitizer" --tool $tool --error-exitcode 3 "$here/gpu.test" -test.v \
      -test.count=1 -test.run '^TestSGDStepsParity$'
  fi
done
if [ $gpu = yes ]; then
  step bench-cuda 120 "$here/perceptron" bench --backend cuda --workload W1,W2,W3 --dtype float32 --mnist-dir "$here/data" \
    --out "$logs/bench-cuda.json"
else
  skip bench-cuda "needs a GPU"
fi
if [ $gpu = yes ]; then
  step bench-fits 90 sh -c '"$1" bench --fits 1,8,64,512 --backend cuda,cpu --dtype float32 &&
    "$1" bench --fits 1,8,64 --workload W2 --backend cuda,cpu --dtype float32 --mnist-dir "$2"' _ "$here/perceptron" "$here/data"
else
  skip bench-fits "needs a GPU (512 fits on the emulator take minutes)"
fi
step tests-rest 240 sh "$self" --in "$here/../gpu" "$here/gpu.test" -test.v -test.count=1 -test.skip "$core" \
  -test.timeout 230s
if [ $gpu = yes ]; then
  step bench-cpu 120 "$here/perceptron" bench --backend cpu --workload W1,W2,W3 --dtype float32 --mnist-dir "$here/data" \
    --out "$logs/bench-cpu.json"
else
  skip bench-cpu "measured only beside a GPU, on its machine"
fi
if [ $gpu = no ]; then
  skip nsys-W2 "needs a GPU"
elif [ -z "$nsys" ]; then
  skip nsys-W2 "nsys is not installed"
else
  step nsys-W2 90 "$nsys" profile --stats=true --force-overwrite true -o "$logs/nsys-W2" \
    "$here/perceptron" bench --workload W2 --backend cuda --dtype float32 --mnist-dir "$here/data" --out "$logs/nsys-W2.json"
  rm -f "$logs/nsys-W2.sqlite"
fi
for f in bench-cuda bench-fits bench-cpu; do
  [ -f "$logs/$f.log" ] && { note "$f:"; sed 's/^/    /' "$logs/$f.log" >> "$summary"; }
done
note "total: $((budget - (deadline - $(date +%s))))s of ${budget}s"
cp "$summary" "$out/summary.txt"
tar czf "$out/gpu-run-logs.tar.gz" -C "$logs" .
cat "$summary"
exit $status
