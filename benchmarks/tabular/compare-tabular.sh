#!/bin/sh
# Measures perceptron against scikit-learn's MLPClassifier on a realistic tabular set, as
# ../../../shared/WORKLOADS.md "How to measure against a peer" asks (issue 22): make_tabular.py writes
# train.csv (40,000 rows: numeric and text columns, missing cells, a text label) and test.csv (10,000 rows,
# columns in another order, an extra column, unseen categories) once into a temporary folder; then ROUNDS
# rounds, interleaved (perceptron, scikit-learn, perceptron, …), each side on the same threads and seed:
#   perceptron: `perceptron train` then `perceptron eval --json`, two whole processes timed as one unit,
#               GOMAXPROCS=THREADS (the binary is built before, not timed);
#   scikit-learn: sklearn_tabular.py as one whole process (import, read, fit, score), OMP_NUM_THREADS,
#               OPENBLAS_NUM_THREADS and MKL_NUM_THREADS = THREADS, at its best: OPENBLAS_CORETYPE and
#               OPENBLAS_L2_SIZE unset in its own command only (and OMP_WAIT_POLICY=PASSIVE above 1 thread).
# Both: 64 relu units, one sigmoid output (binary cross-entropy), Adam, lr 0.001, batch 32, EPOCHS epochs, no
# L2, no early stop, no validation split; numeric columns median-imputed and standardised, text columns
# one-hot with a missing cell as a category of its own. summarize.py then writes OUT/summary.md: the median
# and min–max wall seconds and test accuracy of each side, the ratio of the medians, and the BLAS the peer ran;
# beside them the CPU seconds of each side's processes (user and system), steadier than wall seconds on a
# shared host, where another job's load stretches the wall time but not the CPU time.
#
# Until perceptron reads such CSVs (text columns, missing cells, --label-col by name, test columns matched
# by name), a first short run of it fails; the script then says so and stops: -s sklearn measures the peer alone.
#
# usage, from the repository root:
#   sh benchmarks/tabular/compare-tabular.sh [-r ROUNDS] [-t THREADS] [-e EPOCHS] [-s SIDES] [-o OUT]
# ROUNDS: 3; THREADS: "1" (a list, e.g. "1 2"); EPOCHS: 20; SIDES: "perceptron sklearn"; OUT:
# tabular-DATE. Needs Go, /usr/bin/python3 with NumPy, pandas and scikit-learn (Debian: python3-sklearn
# python3-pandas).
set -eu
rounds=3
threads=1
epochs=20
sides="perceptron sklearn"
out="tabular-$(date -u +%Y%m%d-%H%M%S)"
while getopts r:t:e:s:o: opt; do
  case $opt in
  r) rounds=$OPTARG ;;
  t) threads=$OPTARG ;;
  e) epochs=$OPTARG ;;
  s) sides=$OPTARG ;;
  o) out=$OPTARG ;;
  *) sed -n '2,26p' "$0" >&2; exit 2 ;;
  esac
done
me=compare-tabular.sh
here=$(dirname "$0")
python=/usr/bin/python3
fail() { # message, hint; the hint may be empty
  echo "$me: error: $1" >&2
  [ -n "${2:-}" ] && echo "$me: hint: $2" >&2
  exit 1
}
# failed message hint: as fail, with the last lines that the failed command wrote on its stderr
failed() {
  echo "$me: error: $1; it said:" >&2
  tail -n 5 "$tmp/stderr" | sed 's/^/  /' >&2
  echo "$me: hint: $2" >&2
  exit 1
}
for s in $sides; do
  case $s in perceptron | sklearn) ;; *) fail "-s: unknown side '$s'" "the sides are perceptron and sklearn" ;; esac
done
[ "$rounds" -ge 1 ] 2>/dev/null || fail "-r: ROUNDS must be a whole number ≥ 1, found '$rounds'"
has() { echo " $sides " | grep -q " $1 "; }
if has sklearn; then
  $python -c 'import numpy, pandas, sklearn' 2>/dev/null ||
    fail "$python cannot import numpy, pandas and sklearn" "apt-get install -y python3-sklearn python3-pandas"
else
  $python -c 'import numpy' 2>/dev/null || fail "$python cannot import numpy" "apt-get install -y python3-numpy"
fi
mkdir -p "$out"
log="$out/log.txt"
: >"$log"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
$python "$here/make_tabular.py" "$tmp" 2>>"$log"
if has perceptron; then
  go build -o "$tmp/perceptron" ./cmd/perceptron
fi

# ours threads seed epochs train.csv result.json: perceptron train, then eval on test.csv
ours() {
  GOMAXPROCS=$1 "$tmp/perceptron" train --data "csv:$4" --label-col income --layers 64:relu,1:sigmoid \
    --optimizer adam --lr 0.001 --batch 32 --epochs "$3" --seed "$2" --val-split 0 --test-split 0 \
    --out "$tmp/model.safetensors" --history '' --plot '' --quiet >>"$log" 2>"$tmp/stderr" &&
    GOMAXPROCS=$1 "$tmp/perceptron" eval --model "$tmp/model.safetensors" --data "csv:$tmp/test.csv" \
      --label-col income --json >"$5" 2>"$tmp/stderr"
}
# peer threads seed result.json: sklearn_tabular.py on train.csv and test.csv
peer() {
  wait_policy=ACTIVE
  [ "$1" -gt 1 ] && wait_policy=PASSIVE
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS="$1" OPENBLAS_NUM_THREADS="$1" MKL_NUM_THREADS="$1" \
    OMP_WAIT_POLICY=$wait_policy $python "$here/sklearn_tabular.py" --train "$tmp/train.csv" --test "$tmp/test.csv" \
    --label income --hidden 64 --lr 0.001 --batch 32 --epochs "$epochs" --seed "$2" >"$3" 2>"$tmp/stderr"
}
now() { date +%s.%N; }
tick=$(getconf CLK_TCK)
# cpu: the CPU seconds (user and system) of this shell's finished children so far
cpu() { awk -v tick="$tick" '{printf "%.2f", ($16 + $17) / tick}' "/proc/$$/stat"; }
# timed side threads round command...: runs the command, appends "side threads round seconds cpu_seconds"
# to times.tsv: its wall seconds and the CPU seconds of the processes it ran (a second view on a shared host)
timed() {
  side=$1 t=$2 r=$3
  shift 3
  cpu0=$(cpu)
  start=$(now)
  if ! "$@"; then
    cat "$tmp/stderr" >>"$log"
    failed "$side failed in round $r on $t thread(s)" "the whole log is $log"
  fi
  end=$(now)
  cpu1=$(cpu)
  cat "$tmp/stderr" >>"$log"
  echo "$side	$t	$r	$(echo "$start $end" | awk '{printf "%.3f", $2 - $1}')	$(echo "$cpu0 $cpu1" | awk '{printf "%.2f", $2 - $1}')" >>"$out/times.tsv"
}

if has perceptron; then
  # a first short run on 2,000 rows, so that a perceptron without the tabular reader says so at once
  head -n 2001 "$tmp/train.csv" >"$tmp/small.csv"
  if ! ours 1 1 1 "$tmp/small.csv" "$tmp/check.json"; then
    failed "perceptron cannot train on or evaluate the tabular CSV (a first run on 2,000 rows, 1 epoch)" "this needs perceptron's tabular CSV reader (text columns, missing cells, --label-col by name, test columns matched by name); until it is merged, measure scikit-learn alone with -s sklearn"
  fi
fi

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "load before: $(cat /proc/loadavg)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores"
  echo "perceptron: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- cmd engine cpu || echo ' with local changes'), $(go version | cut -d' ' -f3)"
  has sklearn && echo "scikit-learn: $($python -c 'import sklearn, numpy, pandas; print(sklearn.__version__, "(numpy", numpy.__version__ + ", pandas", pandas.__version__ + ")")')"
  echo "OPENBLAS_CORETYPE in this shell: ${OPENBLAS_CORETYPE:-unset}; OPENBLAS_L2_SIZE: ${OPENBLAS_L2_SIZE:-unset} (unset for scikit-learn's runs)"
  echo "data: make_tabular.py, seed 22: train.csv $(($(wc -l <"$tmp/train.csv") - 1)) rows, test.csv $(($(wc -l <"$tmp/test.csv") - 1)) rows"
  echo "rounds: $rounds; threads: $threads; epochs: $epochs; sides: $sides; seed of round R: R"
} >"$out/machine.txt"
cat "$out/machine.txt"
: >"$out/times.tsv"
for r in $(seq 1 "$rounds"); do
  for t in $threads; do
    if has perceptron; then
      echo "round $r, $t thread(s): perceptron" >&2
      timed perceptron "$t" "$r" ours "$t" "$r" "$epochs" "$tmp/train.csv" "$out/perceptron-t$t-r$r.json"
    fi
    if has sklearn; then
      echo "round $r, $t thread(s): scikit-learn" >&2
      timed sklearn "$t" "$r" peer "$t" "$r" "$out/sklearn-t$t-r$r.json"
    fi
  done
done
echo "load after: $(cat /proc/loadavg)" >>"$out/machine.txt"
$python "$here/summarize.py" "$out" | tee "$out/summary.md"
