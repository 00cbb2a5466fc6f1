#!/usr/bin/env bash
# The one-sitting protocol of /work/shared/WORKLOADS.md for data-parallel
# training on one machine (issue 28): W3, float32, one thread a process, at
# global batches 256 and 1024. Each round runs, interleaved:
#   pair     two independent processes at once, pinned to cores 0 and 1
#            (taskset): what this machine gives two processes that share
#            nothing; the figure is the sum of their examples/s
#   local    mpirun -np 2 over shared memory, once per setting and bucket
#            size
#   hosts    .ci/two-hosts mpirun -np 2 (network namespaces, TCP on a veth
#            pair), once per setting (but nocma) and bucket size (skipped
#            with HOSTS=0)
# The settings (mpirun arguments):
#   shared   none: on one machine the gradients' all-reduce runs in memory the
#            processes share (engine/distributed); over two hosts, Open
#            MPI's MPI_Iallreduce with the ring, as ring
#   ring     -x PERCEPTRON_SHARED_MEMORY=0: Open MPI's MPI_Iallreduce, whose
#            algorithm on 2 processes engine/distributed makes the ring
#            (the default before shared)
#   libnbc   ring's and --mca coll_libnbc_iallreduce_algorithm 0: Open MPI's
#            own choice (the default before the ring)
#   nocma    ring's and --mca btl_vader_single_copy_mechanism none (no single
#            copy from the other process's memory; one machine only)
# At the end it prints, per batch, the median (min–max) of each and the
# ratio of the medians of each 2-rank run to the pair (the issue's target:
# ≥ 0.85), with the 2-rank runs' shares of computing, all-reduce and waiting.
#
#   go build -tags mpi -o perceptron ./cmd/perceptron
#   benchmarks/data-parallel.sh OUTDIR            (root, for the namespaces)
#
# Settings (environment): BIN (./perceptron), ROUNDS (5), BATCHES (256,1024),
# BUCKETS (MiB, space-separated: 25 1), SETTINGS (shared ring nocma), HOSTS (1).
set -euo pipefail
out=${1:?usage: benchmarks/data-parallel.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "${BIN:-./perceptron}")
rounds=${ROUNDS:-5} batches=${BATCHES:-256,1024} buckets=${BUCKETS:-25 1} hosts=${HOSTS:-1}
settings=${SETTINGS:-shared ring nocma}
mpi="-x PERCEPTRON_SHARED_MEMORY=0"
declare -A mca=([shared]="" [ring]="$mpi" [libnbc]="$mpi --mca coll_libnbc_iallreduce_algorithm 0"
  [nocma]="$mpi --mca btl_vader_single_copy_mechanism none")
for s in $settings; do
  [ -n "${mca[$s]+set}" ] || { echo "data-parallel.sh: unknown setting $s: expected shared, ring, libnbc or nocma" >&2; exit 2; }
done
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p "$out"
run=(bench --workload W3 --dtype float32 --batch "$batches")
if [ "$hosts" = 1 ]; then
  "$here/../.ci/two-hosts" up
  trap '"$here/../.ci/two-hosts" down' EXIT
fi
{ uname -a; nproc; grep -m1 'model name' /proc/cpuinfo; git -C "$here" rev-parse HEAD; } >"$out/machine.txt"
for round in $(seq "$rounds"); do
  uptime >>"$out/load.txt"
  GOMAXPROCS=1 taskset -c 0 "$bin" "${run[@]}" --out "$out/pair-a-$round.json" 2>/dev/null >/dev/null &
  GOMAXPROCS=1 taskset -c 1 "$bin" "${run[@]}" --out "$out/pair-b-$round.json" 2>/dev/null >/dev/null
  wait
  for mb in $buckets; do
    for s in $settings; do
      # shellcheck disable=SC2086 # the setting is words of arguments
      mpirun -np 2 ${mca[$s]} -x GOMAXPROCS=1 "$bin" "${run[@]}" --bucket-mb "$mb" --out "$out/local-$s-$mb-$round.json" >/dev/null 2>&1
      if [ "$hosts" = 1 ] && [ "$s" != nocma ] && [ "$s" != shared ]; then
        # The namespaces' processes write --out in h0, the same file system.
        # shellcheck disable=SC2086
        "$here/../.ci/two-hosts" mpirun -np 2 ${mca[$s]} -x GOMAXPROCS=1 "$bin" "${run[@]}" --bucket-mb "$mb" \
          --out "$(realpath "$out")/hosts-$s-$mb-$round.json" >/dev/null 2>&1
      fi
    done
  done
done
/usr/bin/python3 - "$out" <<'PY'
import glob, json, os, re, statistics, sys
out = sys.argv[1]
def results(pattern):
    rounds = {}
    for f in glob.glob(os.path.join(out, pattern)):
        rnd = int(re.search(r"-(\d+)\.json$", f).group(1))
        for r in json.load(open(f)):
            rounds.setdefault((r["batch"], rnd), []).append(r)
    return rounds
def fmt(xs):
    return f"{statistics.median(xs):>9,.0f} ({min(xs):,.0f}–{max(xs):,.0f})"
pairs = {}
a, b = results("pair-a-*.json"), results("pair-b-*.json")
for k in a.keys() & b.keys():
    pairs.setdefault(k[0], []).append(a[k][0]["examples_per_s"] + b[k][0]["examples_per_s"])
runs = sorted({re.match(r"(local|hosts)-(.+)-\d+\.json$", os.path.basename(f)).group(1, 2)
               for f in glob.glob(os.path.join(out, "*-*-*.json")) if not os.path.basename(f).startswith("pair")})
print(f"{'run':<24} {'batch':>5}  examples/s median (min–max)   vs pair   computing  all-reduce  waiting")
for batch in sorted(pairs):
    print(f"{'pair (sum)':<24} {batch:>5}  {fmt(pairs[batch])}")
    for kind, mb in runs:
        rs = [r[0] for (b, _), r in results(f"{kind}-{mb}-*.json").items() if b == batch]
        if not rs:
            continue
        eps = [r["examples_per_s"] for r in rs]
        ar = statistics.median(r.get("allreduce_share", 0) for r in rs)
        wt = statistics.median(r.get("wait_share", 0) for r in rs)
        ratio = statistics.median(eps) / statistics.median(pairs[batch])
        print(f"{kind + ' ' + mb.replace('-', ' ') + ' MiB':<24} {batch:>5}  {fmt(eps)}   {ratio:6.2f}×   {1-ar-wt:8.1%}  {ar:10.1%}  {wt:7.1%}")
PY
