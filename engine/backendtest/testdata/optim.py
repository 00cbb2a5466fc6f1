"""Golden runs of torch.optim for the engine's optimizers and learning-rate schedules.

A small network (3 inputs, 6 tanh, 4 relu, 3 softmax, cross-entropy) trained in float64 on 16 fixed
examples from fixed initial weights, per example (batch 1) or in mini-batches, with torch.optim.SGD
(momentum, nesterov, weight decay), Adam and AdamW, stepped by torch.optim.lr_scheduler where a case has
a schedule. Each epoch reorders the examples by a recorded permutation of the previous order, as the
engine's Fit does with its generator. The file records, per case, the initial parameters, the
permutations, every step's summed loss and learning rate, and the final parameters and optimizer state,
for engine/backendtest/optim.go.
clip.py runs more cases on the same network and data (gradient clipping, ReduceLROnPlateau).

Run with Debian's python3-torch from this folder: /usr/bin/python3 optim.py > optim.json
"""
import json
import math

import numpy as np
import torch

torch.set_default_dtype(torch.float64)

FEATURES, CLASSES, EXAMPLES, EPOCHS = 3, 3, 16, 3
rng = np.random.RandomState(7)
X = rng.uniform(-1, 1, (EXAMPLES, FEATURES))
LABELS = rng.randint(0, CLASSES, EXAMPLES)
SIZES = [(6, FEATURES), (4, 6), (CLASSES, 4)]
INIT = [(rng.uniform(-0.5, 0.5, (o, i)), rng.uniform(-0.5, 0.5, o)) for o, i in SIZES]
PERMS = [rng.permutation(EXAMPLES).tolist() for _ in range(EPOCHS)]
# Drawn after the draws above, which the first cases' goldens depend on.
PLATEAU_EPOCHS, VAL = 8, 8
PLATEAU_PERMS = [rng.permutation(EXAMPLES).tolist() for _ in range(PLATEAU_EPOCHS)]
X_VAL = rng.uniform(-1, 1, (VAL, FEATURES))
LABELS_VAL = rng.randint(0, CLASSES, VAL)

CASES = [
    # name, batch, optimizer and its settings as the engine spells them, schedule, warm-up epochs, lr
    ("sgd", 1, dict(optimizer="sgd"), "constant", 0, 0.05),
    ("sgd-momentum", 4, dict(optimizer="sgd", momentum=0.9), "constant", 0, 0.05),
    ("sgd-nesterov-decay", 1, dict(optimizer="sgd", momentum=0.8, nesterov=True, weight_decay=0.01), "constant", 0, 0.02),
    ("sgd-nesterov-decay-batch", 4, dict(optimizer="sgd", momentum=0.9, nesterov=True, weight_decay=0.05), "constant", 0, 0.05),
    ("adam", 1, dict(optimizer="adam", beta1=0.9, beta2=0.999, eps=1e-8), "constant", 0, 0.01),
    ("adam-decay-batch", 4, dict(optimizer="adam", beta1=0.8, beta2=0.99, eps=1e-6, weight_decay=0.01), "constant", 0, 0.02),
    ("adamw", 1, dict(optimizer="adamw", beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.1), "constant", 0, 0.01),
    ("adamw-cosine-warmup", 4, dict(optimizer="adamw", beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01), "cosine", 1, 0.03),
    ("sgd-momentum-step", 2, dict(optimizer="sgd", momentum=0.5), "step:1:0.5", 0, 0.1),
    ("adam-step-warmup", 1, dict(optimizer="adam", beta1=0.9, beta2=0.999, eps=1e-8), "step:2:0.1", 1, 0.01),
]

CLIP_CASES = [
    # name, batch, optimizer, lr, clip by norm (about the median norm, so that some steps clip and some do not), clip by value
    ("sgd-norm", 1, dict(optimizer="sgd"), 0.2, 1.05, 0),
    ("sgd-momentum-norm-batch", 4, dict(optimizer="sgd", momentum=0.9), 0.1, 0.6, 0),
    ("adam-norm", 1, dict(optimizer="adam", beta1=0.9, beta2=0.999, eps=1e-8), 0.01, 1.0, 0),
    ("adam-norm-batch", 4, dict(optimizer="adam", beta1=0.9, beta2=0.999, eps=1e-8), 0.02, 0.1, 0),
    ("sgd-value", 1, dict(optimizer="sgd"), 0.2, 0, 0.05),
    ("adamw-value-batch", 4, dict(optimizer="adamw", beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01), 0.02, 0, 0.02),
]

PLATEAU_CASES = [
    # name, batch, optimizer, lr, schedule as the engine spells it, monitor
    ("plateau-sgd-loss", 1, dict(optimizer="sgd", momentum=0.9), 0.3, "plateau:0:0.5:0.01:0:0", "val_loss"),
    ("plateau-adam-accuracy-batch", 4, dict(optimizer="adam", beta1=0.9, beta2=0.999, eps=1e-8), 0.05, "plateau:1:0.3:0.0001:1:0.004", "val_accuracy"),
]


def plateau(opt, schedule, monitor):
    _, patience, factor, threshold, cooldown, min_lr = schedule.split(":")
    return torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max" if monitor == "val_accuracy" else "min", factor=float(factor),
                                                      patience=int(patience), threshold=float(threshold), cooldown=int(cooldown),
                                                      min_lr=float(min_lr))


def model():
    layers = []
    for (w, b), act in zip(INIT, [torch.nn.Tanh(), torch.nn.ReLU(), torch.nn.Softmax(dim=-1)]):
        lin = torch.nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(w))
            lin.bias.copy_(torch.tensor(b))
        layers += [lin, act]
    return torch.nn.Sequential(*layers)


def optimizer(params, lr, o):
    wd = o.get("weight_decay", 0.0)
    if o["optimizer"] == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=o.get("momentum", 0.0), nesterov=o.get("nesterov", False), weight_decay=wd)
    cls = torch.optim.Adam if o["optimizer"] == "adam" else torch.optim.AdamW
    return cls(params, lr=lr, betas=(o["beta1"], o["beta2"]), eps=o["eps"], weight_decay=wd)


def scheduler(opt, schedule, warmup, per_epoch):
    total = EPOCHS * per_epoch
    w = warmup * per_epoch
    if schedule == "cosine":
        main = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total - w)
    elif schedule.startswith("step:"):
        _, epochs, gamma = schedule.split(":")
        main = torch.optim.lr_scheduler.StepLR(opt, step_size=int(epochs) * per_epoch, gamma=float(gamma))
    else:
        return None
    if w == 0:
        return main
    ramp = torch.optim.lr_scheduler.LinearLR(opt, start_factor=1 / w, end_factor=1.0, total_iters=w - 1)
    return torch.optim.lr_scheduler.SequentialLR(opt, [ramp, main], milestones=[w])


def run(name, batch, o, schedule, warmup, lr, clip_norm=0, clip_value=0, monitor=None):
    net = model()
    opt = optimizer(net.parameters(), lr, o)
    per_epoch = math.ceil(EXAMPLES / batch)
    perms, plateau_sched = PERMS, None
    if monitor is not None:
        perms, plateau_sched, sched = PLATEAU_PERMS, plateau(opt, schedule, monitor), None
    else:
        sched = scheduler(opt, schedule, warmup, per_epoch)
    x, y = torch.tensor(X), torch.nn.functional.one_hot(torch.tensor(LABELS), CLASSES).double()
    x_val, y_val = torch.tensor(X_VAL), torch.nn.functional.one_hot(torch.tensor(LABELS_VAL), CLASSES).double()
    order = list(range(EXAMPLES))
    losses, rates, val = [], [], []
    for perm in perms:
        order = [order[j] for j in perm]
        for s in range(0, EXAMPLES, batch):
            idx = order[s:s + batch]
            out = net(x[idx])
            per_example = -(y[idx] * torch.log(out)).sum(dim=1)
            rates.append(opt.param_groups[0]["lr"])
            opt.zero_grad()
            per_example.mean().backward()
            if clip_norm:
                torch.nn.utils.clip_grad_norm_(net.parameters(), clip_norm)
            if clip_value:
                torch.nn.utils.clip_grad_value_(net.parameters(), clip_value)
            opt.step()
            if sched is not None:
                sched.step()
            losses.append(per_example.sum().item())
        if plateau_sched is not None:
            with torch.no_grad():
                out = net(x_val)
                loss = (-(y_val * torch.log(out)).sum(dim=1)).mean().item()
                accuracy = (out.argmax(dim=1) == torch.tensor(LABELS_VAL)).double().mean().item()
            val.append([loss, accuracy])
            plateau_sched.step(accuracy if monitor == "val_accuracy" else loss)
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    state = {}
    for slot in {"sgd": ["momentum_buffer"], "adam": ["exp_avg", "exp_avg_sq"], "adamw": ["exp_avg", "exp_avg_sq"]}[o["optimizer"]]:
        if o["optimizer"] == "sgd" and o.get("momentum", 0.0) == 0:
            continue
        state[slot] = [{"W": opt.state[m.weight][slot].flatten().tolist(), "B": opt.state[m.bias][slot].tolist()} for m in linears]
    extra = {}
    if clip_norm or clip_value:
        extra = {"ClipNorm": clip_norm, "ClipValue": clip_value}
    if monitor is not None:
        extra = {"Monitor": monitor, "Val": val}
    return {
        "Name": name, "Batch": batch, "LR": lr, "Schedule": schedule, "Warmup": warmup, "Optimizer": o, **extra,
        "Losses": losses, "Rates": rates,
        "Final": [{"W": m.weight.detach().flatten().tolist(), "B": m.bias.detach().tolist()} for m in linears],
        "State": state,
    }


if __name__ == "__main__":
    print(json.dumps({
        "Features": FEATURES, "Classes": CLASSES, "Epochs": EPOCHS, "Layers": "6:tanh,4:relu,3:softmax",
        "X": X.flatten().tolist(), "Labels": LABELS.tolist(), "Perms": PERMS,
        "Init": [{"W": w.flatten().tolist(), "B": b.tolist()} for w, b in INIT],
        "Cases": [run(*c) for c in CASES],
    }, indent=1))
