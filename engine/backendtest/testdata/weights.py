"""Golden runs of torch for the weighted loss: class weights and per-example weights.

Small float64 networks trained from fixed initial weights on 16 fixed examples, in a recorded order (each
epoch reorders the previous order by a recorded permutation, as the engine's Fit does with its generator),
per example (batch 1) and in mini-batches, with plain SGD, momentum and Adam. The loss of a batch of B
examples is sum_i w_i * l_i / B (Keras' sample_weight convention; the batch mean divides by B):

  ce   3 inputs, 6 tanh, 4 relu, 3 softmax; class weights CW, through
       nn.CrossEntropyLoss(weight=CW, reduction='none') on the logits, then .mean()
  bce  3 inputs, 5 sigmoid, 1 sigmoid; per-example weights W, through
       nn.BCELoss(weight=W, reduction='none'), summed over the outputs, then .mean()
  mse  3 inputs, 5 tanh, 1 linear; per-example weights W times each example's mean squared error, then .mean()

The file records, per case, the data, weights, initial parameters and permutations, every step's summed
weighted loss, the final parameters, and the weighted mean loss sum_i w_i * l_i / N of the final network on
all the examples, for engine/backendtest/weights.go.

Run with Debian's python3-torch from this folder: /usr/bin/python3 weights.py > weights.json
"""
import json

import numpy as np
import torch

torch.set_default_dtype(torch.float64)

FEATURES, EXAMPLES, EPOCHS = 3, 16, 3
rng = np.random.RandomState(11)
X = rng.uniform(-1, 1, (EXAMPLES, FEATURES))
CLASSES3 = rng.randint(0, 3, EXAMPLES)
BINARY = rng.randint(0, 2, EXAMPLES)
REGRESSION = rng.uniform(-1, 1, EXAMPLES)
CLASS_WEIGHTS = [0.5, 2.0, 1.25]
EXAMPLE_WEIGHTS = rng.uniform(0, 2, EXAMPLES)
EXAMPLE_WEIGHTS[[3, 9]] = 0  # weight 0: the example does not count
PERMS = [rng.permutation(EXAMPLES).tolist() for _ in range(EPOCHS)]

HEADS = {
    # layers (units, activation), labels (engine's Set.Labels), targets
    "ce": ([(6, "tanh"), (4, "relu"), (3, "softmax")], CLASSES3),
    "bce": ([(5, "sigmoid"), (1, "sigmoid")], BINARY),
    "mse": ([(5, "tanh"), (1, "linear")], REGRESSION),
}
CASES = [
    # name, head, batch, optimizer, lr
    ("ce-sgd", "ce", 1, dict(optimizer="sgd"), 0.05),
    ("ce-adam-batch", "ce", 4, dict(optimizer="adam", beta1=0.9, beta2=0.999, eps=1e-8), 0.01),
    ("bce-sgd", "bce", 1, dict(optimizer="sgd"), 0.1),
    ("bce-momentum-batch", "bce", 5, dict(optimizer="sgd", momentum=0.9), 0.1),
    ("mse-sgd-batch", "mse", 3, dict(optimizer="sgd"), 0.05),
    ("mse-adam", "mse", 1, dict(optimizer="adam", beta1=0.9, beta2=0.999, eps=1e-8), 0.01),
]
ACTS = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid}


def initial(layers):
    sizes, inputs = [], FEATURES
    for units, _ in layers:
        sizes.append((rng.uniform(-0.5, 0.5, (units, inputs)), rng.uniform(-0.5, 0.5, units)))
        inputs = units
    return sizes


INITS = {head: initial(layers) for head, (layers, _) in HEADS.items()}


def model(head):
    layers, mods = HEADS[head][0], []
    for (w, b), (_, act) in zip(INITS[head], layers):
        lin = torch.nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(w))
            lin.bias.copy_(torch.tensor(b))
        mods.append(lin)
        if act in ACTS:
            mods.append(ACTS[act]())
    # ce's softmax is inside nn.CrossEntropyLoss, which takes the logits.
    return torch.nn.Sequential(*mods)


def weighted_losses(head, out, idx):
    """Each example's loss times its weight."""
    labels = HEADS[head][1]
    if head == "ce":
        ce = torch.nn.CrossEntropyLoss(weight=torch.tensor(CLASS_WEIGHTS), reduction="none")
        return ce(out, torch.tensor(labels[idx]))
    w = torch.tensor(EXAMPLE_WEIGHTS[idx])
    if head == "bce":
        y = torch.tensor(labels[idx], dtype=torch.float64).reshape(-1, 1)
        return torch.nn.BCELoss(weight=w.reshape(-1, 1), reduction="none")(out, y).sum(dim=1)
    y = torch.tensor(labels[idx]).reshape(-1, 1)
    return w * ((out - y) ** 2).mean(dim=1)


def optimizer(params, lr, o):
    if o["optimizer"] == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=o.get("momentum", 0.0))
    return torch.optim.Adam(params, lr=lr, betas=(o["beta1"], o["beta2"]), eps=o["eps"])


def weights_of(head):
    labels = HEADS[head][1]
    return [CLASS_WEIGHTS[c] for c in labels] if head == "ce" else EXAMPLE_WEIGHTS.tolist()


def run(name, head, batch, o, lr):
    net = model(head)
    opt = optimizer(net.parameters(), lr, o)
    x = torch.tensor(X)
    order = list(range(EXAMPLES))
    losses = []
    for perm in PERMS:
        order = [order[j] for j in perm]
        for s in range(0, EXAMPLES, batch):
            idx = order[s:s + batch]
            per_example = weighted_losses(head, net(x[idx]), idx)
            opt.zero_grad()
            per_example.mean().backward()
            opt.step()
            losses.append(per_example.sum().item())
    with torch.no_grad():
        final_loss = weighted_losses(head, net(x), list(range(EXAMPLES))).mean().item()
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    layers = HEADS[head][0]
    labels = HEADS[head][1]
    return {
        "Name": name, "Layers": ",".join(f"{u}:{a}" for u, a in layers), "Loss": head,
        "Batch": batch, "LR": lr, "Optimizer": o,
        "Labels": labels.tolist(),
        "ClassWeights": CLASS_WEIGHTS if head == "ce" else None,
        "Weights": weights_of(head),
        "Init": [{"W": w.flatten().tolist(), "B": b.tolist()} for w, b in INITS[head]],
        "Losses": losses, "FinalLoss": final_loss,
        "Final": [{"W": m.weight.detach().flatten().tolist(), "B": m.bias.detach().tolist()} for m in linears],
    }


print(json.dumps({
    "Features": FEATURES, "Epochs": EPOCHS, "X": X.flatten().tolist(), "Perms": PERMS,
    "Cases": [run(*c) for c in CASES],
}, indent=1))
