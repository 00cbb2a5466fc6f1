"""Learning rates of torch.optim.lr_scheduler.ReduceLROnPlateau for given series of epoch figures.

Each case steps the scheduler once per figure (mode "min" for a loss, "max" for an accuracy) and records
the learning rate after each step, and the scheduler's state at the end (best, num_bad_epochs,
cooldown_counter), for engine's TestPlateauTorch. The series cover improvements within and beyond the
threshold, ties, cooldown and a min lr that stops the reductions.

Run with Debian's python3-torch from this folder: /usr/bin/python3 plateau.py > plateau.json
"""
import json
import math

import torch

LOSSES = [1.0, 0.9, 0.95, 0.9, 0.89995, 0.91, 0.7, 0.7, 0.71, 0.72, 0.73, 0.69, 0.6999, 0.7, 0.8, 0.9, 1.0, 0.5, 0.5, 0.5]
ACCURACIES = [0.5, 0.6, 0.6, 0.59, 0.60005, 0.7, 0.7, 0.7, 0.71, 0.71, 0.71, 0.71, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.95]

CASES = [
    # name, monitor, series, lr, schedule as the engine spells it: plateau:PATIENCE:FACTOR:THRESHOLD:COOLDOWN:MIN_LR
    ("defaults-loss", "val_loss", LOSSES, 0.1, "plateau:1:0.5:0.0001:0:0"),
    ("patience0-loss", "val_loss", LOSSES, 0.1, "plateau:0:0.1:0.0001:0:0"),
    ("cooldown-loss", "val_loss", LOSSES, 1.0, "plateau:0:0.5:0.01:2:0"),
    ("minlr-loss", "val_loss", LOSSES, 0.1, "plateau:0:0.3:0.0001:0:0.004"),
    ("accuracy", "val_accuracy", ACCURACIES, 0.1, "plateau:1:0.5:0.0001:0:0"),
    ("accuracy-cooldown-minlr", "val_accuracy", ACCURACIES, 0.01, "plateau:0:0.2:0.001:1:0.0005"),
]


def run(name, monitor, series, lr, schedule):
    _, patience, factor, threshold, cooldown, min_lr = schedule.split(":")
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    s = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max" if monitor == "val_accuracy" else "min", factor=float(factor),
                                                   patience=int(patience), threshold=float(threshold), cooldown=int(cooldown),
                                                   min_lr=float(min_lr))
    rates = []
    for v in series:
        s.step(v)
        rates.append(opt.param_groups[0]["lr"])
    best = s.best if math.isfinite(s.best) else str(s.best)
    return {"Name": name, "Monitor": monitor, "Series": series, "LR": lr, "Schedule": schedule, "Rates": rates,
            "Best": best, "BadEpochs": s.num_bad_epochs, "Cooldown": s.cooldown_counter}


print(json.dumps([run(*c) for c in CASES], indent=1))
