"""Summarises a folder of benchmarks/compare.sh runs as Markdown: per workload, batch and thread count,
the median and min–max of perceptron's and PyTorch's examples/s over the rounds, the ratio of the medians,
perceptron's and PyTorch's GFLOP/s and their shares of the FMA peak (benchmarks.FLOPs; cpu.Peak of the
threads together, the best of the rounds), and for W2 batch 1 the plain C loop's. PyTorch's figure is the faster of its runs with ATen's
default and AVX-512 kernels, where both ran.

A round's figure of ours is the mean of its runs (ours-tT-rR-K.json, K = 1, 2, …).

usage: python3 benchmarks/compare.py OUT    (OUT holds ours-tT-rR-K.json, torch-tT-rR.json,
                                             torch512-tT-rR.json, c-rR.txt and machine.txt)
"""
import glob
import json
import os
import re
import statistics
import sys


def load(folder, prefix):
    """{(workload, dtype, batch, threads): [result, …]}, one result a round, from the files
    OUT/prefix-tT-rR.json or, where a round ran several times, OUT/prefix-tT-rR-K.json: their mean."""
    rounds = {}
    for path in sorted(glob.glob(os.path.join(folder, prefix + '-t*-r*.json'))):
        m = re.match(re.escape(prefix) + r'-t(\d+)-r(\d+)(?:-\d+)?\.json$', os.path.basename(path))
        if not m:
            continue
        with open(path) as f:
            for r in json.load(f):
                key = (r['workload'], r['dtype'], r['batch'], r['threads'])
                rounds.setdefault((key, m.group(2)), []).append(r)
    runs = {}
    for (key, _), rs in sorted(rounds.items()):
        mean = dict(rs[0])
        for field in ('examples_per_s', 'gflops'):
            if field in mean:
                mean[field] = statistics.mean(r[field] for r in rs)
        runs.setdefault(key, []).append(mean)
    return runs


def spread(values):
    """The median and the min–max of values, as text."""
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}–{max(values):,.0f})"


def rate(gflops, peak):
    """GFLOP/s as text, with its share of peak where there is one."""
    return f"{gflops:.1f} ({100 * gflops / peak:.0f}%)" if peak else f"{gflops:.1f}"


def main():
    folder = sys.argv[1]
    ours, torch, torch512 = load(folder, 'ours'), load(folder, 'torch'), load(folder, 'torch512')
    c_loop = []
    for path in sorted(glob.glob(os.path.join(folder, 'c-r*.txt'))):
        with open(path) as f:
            m = re.search(r'examples_per_s=([0-9.]+)', f.read())
            if m:
                c_loop.append(float(m.group(1)))
    machine = open(os.path.join(folder, 'machine.txt')).read().strip() if os.path.exists(os.path.join(folder, 'machine.txt')) else ''
    print('```\n' + machine + '\n```\n')
    peaks = {}
    for k, rs in ours.items():
        for r in rs:
            if r.get('peak_gflops'):
                peaks[(k[1], k[3])] = max(peaks.get((k[1], k[3]), 0), r['peak_gflops'])
    for (dtype, t), p in sorted(peaks.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        print(f"FMA peak, {t} thread(s) together, {dtype}: {p:.1f} GFLOP/s (cpu.Peak, best of 500 rounds, best of the runs)")
    print()
    print('| workload | dtype | batch | threads | perceptron ex/s, median (min–max) | PyTorch ex/s, median (min–max) | ratio | '
          'perceptron GFLOP/s (% of peak) | PyTorch GFLOP/s (% of peak) | FLOP/example |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    ratios = {}
    for key in sorted(ours, key=lambda k: (k[0], k[1], k[2], k[3])):
        workload, dtype, batch, threads = key
        mine = [r['examples_per_s'] for r in ours[key]]
        flops = ours[key][0]['flops_per_example']
        peak = peaks.get((dtype, threads))
        peer_text, ratio, peer_gflops = '', '', ''
        candidates = [(torch.get(key), 'ATen default'), (torch512.get(key), 'ATen AVX-512')]
        candidates = [(rs, how) for rs, how in candidates if rs]
        if candidates:
            rs, how = max(candidates, key=lambda c: statistics.median(r['examples_per_s'] for r in c[0]))
            theirs = [r['examples_per_s'] for r in rs]
            peer_text = f"{spread(theirs)}, {how}, {rs[0]['cpu_capability']}"
            ratios[key] = statistics.median(mine) / statistics.median(theirs)
            ratio = f"{ratios[key]:.2f}×"
            peer_gflops = rate(flops * statistics.median(theirs) / 1e9, peak)
        gflops = statistics.median(r['gflops'] for r in ours[key])
        print(f"| {workload} | {dtype} | {batch} | {threads} | {spread(mine)} | {peer_text} | {ratio} | {rate(gflops, peak)} | "
              f"{peer_gflops} | {flops:,.0f} |")
    blas = sorted({r['blas'] for rs in list(torch.values()) + list(torch512.values()) for r in rs})
    print('\nPyTorch\'s BLAS: ' + '; '.join(blas))
    if c_loop:
        print(f"\nPlain C loop (w2_loop.c, -O3 -march=native -ffast-math, 1 thread), W2 batch 1: {spread(c_loop)} examples/s")
        for key, rs in sorted(ours.items()):
            if key[0] in ('W2', 'W2d') and key[2] == 1 and key[3] == 1:
                mine = statistics.median(r['examples_per_s'] for r in rs)
                print(f"- {key[0]} {key[1]} batch 1, 1 thread: {mine / statistics.median(c_loop):.2f}× the C loop")
    if ratios:
        print('\nRatios of medians (perceptron / PyTorch):')
        for (workload, dtype, batch, threads), ratio in sorted(ratios.items()):
            print(f"- {workload} {dtype} batch {batch}, {threads} thread(s): {ratio:.2f}×")


main()
