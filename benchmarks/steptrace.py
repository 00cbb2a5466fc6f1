#!/usr/bin/python3
"""Per-step timings of a 2-process data-parallel fit, merged across the ranks
(issue 28: where the waiting comes from).

benchmarks/steptrace.patch instruments perceptron bench's timedComm: with
STEPTRACE=PREFIX each rank writes PREFIX-RANK.txt, one event a line, "KIND
UNIX_NANOSECONDS": S a step's first all-reduce started (its forward pass and
last layer's gradient done), T0/T1 a Test (Buckets.Progress) began/ended,
W0/W1 a Wait began/ended, B0/B1/B2 a blocking collective's barrier began,
barrier ended, collective ended (the totals' and the stop flag's). Both ranks
run on one machine, so their wall clocks agree.

    git apply benchmarks/steptrace.patch
    go build -tags mpi -o /tmp/pt ./cmd/perceptron && git checkout benchmarks/workloads.go
    mpirun -np 2 -x GOMAXPROCS=1 -x STEPTRACE=/tmp/st /tmp/pt bench --workload W3 --dtype float32 --batch 256 --out ""
    benchmarks/steptrace.py /tmp/st-0.txt /tmp/st-1.txt

A step runs from its S to the next S. Its MPI time is that in Tests, Waits
and blocking collectives; its computation the rest. It prints, per rank, the
median, 10th and 90th percentiles and mean of the step, its computation and
its MPI time (µs); the skew of the ranks' arrival at the step's Wait and of
their leaving it; how much the slower rank's computation costs beyond the
mean (what a step that waits for the slowest loses to noise), and the
longest steps.
"""
import statistics
import sys


def load(path):
    return [(kind, int(ns) / 1e3) for kind, ns in (line.split() for line in open(path) if line.strip())]


def steps(events):
    starts = [i for i, (kind, _) in enumerate(events) if kind == "S"]
    out = []
    for a, b in zip(starts, starts[1:]):
        mpi, opened, arrive, done = 0.0, 0.0, None, None
        for kind, t in events[a + 1:b]:
            if kind in ("T0", "W0", "B0"):
                opened = t
            if kind in ("T1", "W1", "B2"):
                mpi += t - opened
            if kind == "W0":
                arrive = t
            if kind == "W1":
                done = t
        dur = events[b][1] - events[a][1]
        out.append(dict(dur=dur, mpi=mpi, compute=dur - mpi, arrive=arrive, done=done))
    return out


def spread(xs):
    xs = sorted(xs)
    if not xs:
        return "-"
    return (f"median {statistics.median(xs):7.0f}  p10 {xs[len(xs) // 10]:7.0f}  "
            f"p90 {xs[9 * len(xs) // 10]:7.0f}  mean {statistics.mean(xs):7.0f}")


def main(paths):
    ranks = [steps(load(p)) for p in paths]
    n = min(len(r) for r in ranks)
    print(f"steps: {n}")
    for i, r in enumerate(ranks):
        for what in ("dur", "compute", "mpi"):
            print(f"rank {i} {what:<8} µs  {spread([s[what] for s in r[:n]])}")
    both = [k for k in range(n) if all(r[k]["arrive"] is not None for r in ranks)]
    print(f"arrival at Wait, rank 1 − rank 0 µs ({len(both)} steps)  {spread([ranks[1][k]['arrive'] - ranks[0][k]['arrive'] for k in both])}")
    print(f"leaving Wait, rank 1 − rank 0 µs               {spread([ranks[1][k]['done'] - ranks[0][k]['done'] for k in both])}")
    slower = statistics.mean(max(r[k]["compute"] for r in ranks) for k in range(n))
    mean = statistics.mean(r[k]["compute"] for r in ranks for k in range(n))
    print(f"computation: slower rank's mean {slower:.0f} µs, both ranks' mean {mean:.0f} µs: {slower - mean:.0f} µs a step lost to the slower")
    print(f"rank 0 computes longer in {sum(ranks[0][k]['compute'] > ranks[1][k]['compute'] for k in range(n)) / n:.0%} of the steps")
    print("longest steps (rank 0's): dur, compute 0, compute 1, mpi 0, mpi 1 (µs)")
    for k in sorted(range(n), key=lambda k: ranks[0][k]["dur"])[-8:]:
        print("  ", [round(x) for x in (ranks[0][k]["dur"], ranks[0][k]["compute"], ranks[1][k]["compute"], ranks[0][k]["mpi"], ranks[1][k]["mpi"])])


if __name__ == "__main__":
    main(sys.argv[1:3])
