"""Writes lrfind.json, the golden of engine.RangeTest.Curve: loss curves of
range tests smoothed, stopped and suggested as fastai's lr_find (exponential
smoothing, beta 0.98, with bias correction; stop when the smoothed loss
exceeds 4 times its minimum, from step 10 on) and PyTorch Lightning's suggestion (the most
negative np.gradient of the smoothed loss, the first 10 and the last step
left out). Run: /usr/bin/python3 engine/testdata/lrfind.py"""
import json
import os

import numpy as np


def curve(losses, beta=0.98, stop=4.0):
    avg, best, smoothed = 0.0, None, []
    for i, loss in enumerate(losses):
        avg = beta * avg + (1 - beta) * loss
        s = avg / (1 - beta ** (i + 1))
        smoothed.append(s)
        if best is None or s < best:
            best = s
        if not np.isfinite(s) or (i >= 10 and s > stop * best):
            break
    sm = np.array(smoothed)
    grads = np.gradient(sm[10:-1])
    return smoothed, 10 + int(grads.argmin())


rng = np.random.RandomState(0)
steps = 100
rates = 1e-7 * (10 / 1e-7) ** (np.arange(steps) / (steps - 1))
cases = []
# a loss that falls around rate 1e-2 and explodes above 1
falls = 0.7 - 0.6 / (1 + np.exp(-(np.log10(rates) + 2) * 2.5)) + np.where(rates > 1, (rates - 1) ** 2, 0)
cases.append({"name": "falls then explodes", "losses": list(falls * (1 + 0.05 * rng.randn(steps)))})
# a loss that falls in two stages and never explodes
two = 1.0 - 0.3 / (1 + np.exp(-(np.log10(rates) + 5) * 3)) - 0.5 / (1 + np.exp(-(np.log10(rates) + 1) * 3))
cases.append({"name": "two stages", "losses": list(two * (1 + 0.02 * rng.randn(steps)))})
for c in cases:
    c["smoothed"], c["index"] = curve(c["losses"])
    c["suggested"] = float(rates[c["index"]])
with open(os.path.join(os.path.dirname(__file__), "lrfind.json"), "w") as f:
    json.dump(cases, f, indent=1)
