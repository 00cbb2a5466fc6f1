#!/bin/sh
# Measures prediction with ONNX Runtime against perceptron's own, as
# ../shared/WORKLOADS.md asks: one sitting, interleaved (ours, ORT, ours,
# ORT, ...), ROUNDS rounds, 1 thread each, medians and min–max.
#
# The models are W2 (784-128-10 relu, sigmoid) and W3 (784-512-512-10 relu,
# relu, softmax), float32, trained for one mini-batch epoch on MNIST (the
# speed does not depend on the weights) and exported with perceptron export;
# the binding's own cost is measured with identity.onnx. ORT's side is
# bench.js: batch-1 µs per row and the rows/s of a 10,000-row batch.
#
# Ours: OURS_CMD, a command run with the model file as its last argument
# that prints one JSON line with batch1_us_per_row and rows_per_s as
# bench.js does. perceptron has no predict benchmark yet (the Predictor's
# `perceptron bench` figures are to come); until OURS_CMD is set, ours is
# left out and only ORT's figures are recorded.
#
# usage, from the repository root:
#   sh benchmarks/onnx/compare-onnx.sh [-r ROUNDS] [-o OUT]
# ROUNDS: 3; OUT: compare-onnx-DATE. Needs Go, node and onnxruntime-node
# (cd benchmarks/onnx && npm ci --ignore-scripts).
set -eu
rounds=3
out="compare-onnx-$(date -u +%Y%m%d-%H%M%S)"
while getopts r:o: opt; do
  case $opt in
  r) rounds=$OPTARG ;;
  o) out=$OPTARG ;;
  *) exit 2 ;;
  esac
done
here=benchmarks/onnx
mkdir -p "$out"
go build -o "$out/perceptron" ./cmd/perceptron
p="$out/perceptron"
$p train --data mnist --layers 128:relu,10:sigmoid --epochs 1 --batch 256 --lr 0.05 --quiet --out "$out/w2.safetensors" --history "" --plot "" >/dev/null
$p train --data mnist --layers 512:relu,512:relu,10:softmax --epochs 1 --batch 256 --lr 0.05 --quiet --out "$out/w3.safetensors" --history "" --plot "" >/dev/null
$p export --model "$out/w2.safetensors" --out "$out/w2.onnx" >/dev/null
$p export --model "$out/w3.safetensors" --out "$out/w3.onnx" >/dev/null
: >"$out/runs.jsonl"
for round in $(seq "$rounds"); do
  for w in w2 w3; do
    if [ -n "${OURS_CMD:-}" ]; then
      GOMAXPROCS=1 $OURS_CMD "$out/$w.safetensors" | sed "s/^{/{\"round\":$round,\"side\":\"perceptron\",\"workload\":\"$w\",/" >>"$out/runs.jsonl"
    fi
    node "$here/bench.js" "$out/$w.onnx" | sed "s/^{/{\"round\":$round,\"side\":\"onnxruntime\",\"workload\":\"$w\",/" >>"$out/runs.jsonl"
  done
  node "$here/bench.js" "$here/identity.onnx" | sed "s/^{/{\"round\":$round,\"side\":\"onnxruntime\",\"workload\":\"identity\",/" >>"$out/runs.jsonl"
done
node -e '
const runs = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
const groups = {};
for (const r of runs) (groups[r.side + " " + r.workload] ??= []).push(r);
const med = (v) => { v = [...v].sort((a, b) => a - b); return v[(v.length - 1) >> 1]; };
const span = (v) => Math.min(...v) + "–" + Math.max(...v);
console.log("| side | workload | batch-1 µs/row median (min–max) | 10,000-row batch rows/s median (min–max) | rounds |");
console.log("|---|---|---|---|---|");
for (const [k, rs] of Object.entries(groups)) {
  const [side, w] = k.split(" ");
  const b1 = rs.map((r) => r.batch1_us_per_row), rate = rs.map((r) => r.rows_per_s);
  console.log(`| ${side} | ${w} | ${med(b1)} (${span(b1)}) | ${med(rate)} (${span(rate)}) | ${rs.length} |`);
}' "$out/runs.jsonl" | tee "$out/summary.md"
