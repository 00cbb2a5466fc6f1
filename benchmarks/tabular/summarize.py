"""Summarises a folder of benchmarks/tabular/compare-tabular.sh runs as Markdown: per thread count, the median
and min–max of each side's wall seconds (whole processes) and test accuracy over the rounds, the ratio of the
median seconds (scikit-learn / perceptron: how many times faster perceptron is), the difference of the median
accuracies in points, and whether issue 22's check holds (accuracy within 1 point, at least 3× faster). Beside
them the CPU seconds of each side's processes and their ratio, steadier on a shared host. Also scikit-learn's
own split of its seconds (read, fit, score) and the BLAS it ran (threadpoolctl).

usage: /usr/bin/python3 benchmarks/tabular/summarize.py OUT    (OUT holds times.tsv, perceptron-tT-rR.json,
                                                                sklearn-tT-rR.json and machine.txt)
"""
import json
import os
import statistics
import sys

SIDES = ("perceptron", "sklearn")
NAMES = {"perceptron": "perceptron", "sklearn": "scikit-learn"}


def spread(values, fmt):
    """The median and the min–max of values, as text."""
    return f"{fmt(statistics.median(values))} ({fmt(min(values))}–{fmt(max(values))})"


def seconds(v):
    return f"{v:.2f}"


def percent(v):
    return f"{100 * v:.2f}%"


def load(folder):
    """{(side, threads): [(round, seconds, CPU seconds, result JSON), …]} from times.tsv and the result files."""
    runs = {}
    with open(os.path.join(folder, "times.tsv")) as f:
        for line in f:
            if not line.strip():
                continue
            side, threads, rnd, secs, cpu = line.split("\t")
            with open(os.path.join(folder, f"{side}-t{threads}-r{rnd}.json")) as r:
                result = json.load(r)
            runs.setdefault((side, int(threads)), []).append((int(rnd), float(secs), float(cpu), result))
    return runs


def main():
    folder = sys.argv[1]
    runs = load(folder)
    machine_path = os.path.join(folder, "machine.txt")
    if os.path.exists(machine_path):
        print("```\n" + open(machine_path).read().strip() + "\n```\n")
    print("Wall seconds of whole processes (perceptron: train then eval; scikit-learn: import, read, fit, score), "
          "their CPU seconds (user and system), and accuracy on test.csv; median (min–max) over the rounds.\n")
    print("| threads | side | rounds | seconds | CPU seconds | accuracy |")
    print("|---|---|---|---|---|---|")
    for (side, threads), rs in sorted(runs.items(), key=lambda kv: (kv[0][1], SIDES.index(kv[0][0]))):
        print(f"| {threads} | {NAMES[side]} | {len(rs)} | {spread([s for _, s, _, _ in rs], seconds)} | "
              f"{spread([c for _, _, c, _ in rs], seconds)} | {spread([r['accuracy'] for *_, r in rs], percent)} |")
    print()
    for threads in sorted({t for _, t in runs}):
        ours, peer = runs.get(("perceptron", threads)), runs.get(("sklearn", threads))
        if ours and peer:
            ratio = statistics.median(s for _, s, _, _ in peer) / statistics.median(s for _, s, _, _ in ours)
            cpu_ratio = statistics.median(c for _, _, c, _ in peer) / statistics.median(c for _, _, c, _ in ours)
            points = 100 * (statistics.median(r["accuracy"] for *_, r in ours)
                            - statistics.median(r["accuracy"] for *_, r in peer))
            faster = "holds" if ratio >= 3 else "does not hold"
            close = "holds" if abs(points) <= 1 else "does not hold"
            print(f"{threads} thread(s): perceptron is {ratio:.2f}× as fast as scikit-learn (ratio of the median "
                  f"seconds; the check asks ≥ 3×: {faster}); its accuracy is {points:+.2f} points from "
                  f"scikit-learn's (the check asks within 1: {close}). In CPU seconds: {cpu_ratio:.2f}×.\n")
        if peer:
            parts = ", ".join(f"{k[len('seconds_'):]} {spread([r[k] for *_, r in peer], seconds)}"
                              for k in ("seconds_read", "seconds_fit", "seconds_score", "seconds_total"))
            r0 = peer[0][3]
            blas = "; ".join(" ".join(str(p[k]) for k in ("internal_api", "version", "architecture") if p.get(k))
                             + f", {p['num_threads']} thread(s)" for p in r0.get("threadpools", []))
            print(f"{threads} thread(s), scikit-learn inside its process: {parts} s; {r0['features']} features, "
                  f"{r0['epochs_run']} epochs; thread pools: {blas}.\n")


if __name__ == "__main__":
    main()
