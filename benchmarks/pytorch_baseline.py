"""The benchmark workloads of WORKLOADS.md in PyTorch, for comparison with `perceptron bench`.

Same networks, losses and optimisers as perceptron: nn.Sequential + optim.SGD (optim.Adam for W2a),
per example (batch 1, in a shuffled order every epoch) or in mini-batches with the gradient averaged
over the batch. It prints
(or writes with --out) a JSON list with the fields of perceptron's bench.json, the backend named
pytorch-cpu or pytorch-cuda, so that `perceptron bench --compare-json torch.json` shows both with the ratios,
and what ran the products: the BLAS library and the kernel it chose (OpenBLAS's core name, which
OPENBLAS_CORETYPE forces), and ATen's CPU capability (which ATEN_CPU_CAPABILITY sets).
Training only is timed: data loading and the test evaluation are outside.

usage: python3 pytorch_baseline.py [--workload W1,W2,W2s,W3,W2a,W2d] [--device cpu|cuda] [--threads N]
                                   [--dtype float32|float64] [--mnist-dir DIR] [--out torch.json]
With Debian 12: apt-get install python3-torch python3-numpy libopenblas0-pthread
"""
import argparse
import ctypes
import gzip
import json
import os
import platform
import time

import numpy as np
import torch
from torch import nn

WORKLOADS = {
    # id: (data, hidden and output layers, loss, optimiser, lr, epochs, batches)
    'W1': ('moons', [(6, 'relu'), (6, 'relu'), (1, 'sigmoid')], 'bce', 'sgd', 0.01, 10, [1]),
    'W2': ('mnist', [(128, 'relu'), (10, 'sigmoid')], 'bce', 'sgd', 0.01, 1, [1, 64]),
    'W2s': ('mnist', [(128, 'relu'), (10, 'softmax')], 'ce', 'sgd', 0.01, 1, [1]),
    'W3': ('mnist', [(512, 'relu'), (512, 'relu'), (10, 'softmax')], 'ce', 'sgd', 0.05, 1, [64, 256]),
    'W2a': ('mnist', [(128, 'relu'), (10, 'softmax')], 'ce', 'adam', 0.001, 1, [1, 64]),
    'W2d': ('mnist-noise', [(128, 'relu'), (10, 'sigmoid')], 'bce', 'sgd', 0.01, 1, [1]),
}


def read_idx(path):
    with gzip.open(path, 'rb') as f:
        data = f.read()
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(data[3])]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * len(dims)).reshape(dims)


def mnist(folder):
    def load(images, labels):
        x = read_idx(os.path.join(folder, images)).reshape(-1, 784).astype(np.float64) / 255
        return x, read_idx(os.path.join(folder, labels)).astype(np.int64)
    return (load('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'),
            load('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'))


def with_noise(data, seed=3, scale=1e-3):
    """MNIST whose zero pixels are U(0, scale) noise, as perceptron's mnist-noise (other random draws)."""
    rng = np.random.RandomState(seed)
    return tuple((np.where(x == 0, scale * rng.uniform(size=x.shape), x), y) for x, y in data)


def flops(inputs, layers):
    """The floating-point operations of one example's step, as perceptron's benchmarks.FLOPs counts them."""
    total = 0
    for i, (units, _) in enumerate(layers):
        total += (2 if i == 0 else 3) * 2 * inputs * units
        inputs = units
    return total


def blas():
    """The BLAS library this process loaded and, for OpenBLAS, its configuration and the kernel it chose."""
    try:
        with open('/proc/self/maps') as f:
            libs = sorted({line.split()[-1] for line in f if 'blas' in line.split()[-1].lower() and '.so' in line})
    except OSError:
        libs = []
    for lib in libs:
        try:
            so = ctypes.CDLL(lib)
            so.openblas_get_corename.restype = so.openblas_get_config.restype = ctypes.c_char_p
            return f"{so.openblas_get_config().decode()}; kernel {so.openblas_get_corename().decode()} ({lib})"
        except (OSError, AttributeError):
            continue
    return ', '.join(libs) or 'unknown'


def cpu_capability():
    """ATen's CPU capability, as torch.__config__.show() reports it."""
    for line in torch.__config__.show().splitlines():
        if 'CPU capability usage' in line:
            return line.split(':', 1)[1].strip()
    return 'unknown'


def moons(n, seed, noise=0.1):
    """Two interleaving half circles, as perceptron's synthetic:moons (other random draws)."""
    rng = np.random.RandomState(seed)
    t = np.pi * rng.uniform(size=n)
    lower = np.arange(n) % 2 == 1
    x = np.where(lower[:, None], np.c_[1 - np.cos(t), 0.5 - np.sin(t)], np.c_[np.cos(t), np.sin(t)])
    return x + noise * rng.normal(size=(n, 2)), lower.astype(np.int64)


def network(inputs, layers):
    modules = []
    for units, act in layers:
        modules.append(nn.Linear(inputs, units))
        # softmax is folded into nn.CrossEntropyLoss, which takes the logits
        modules += {'relu': [nn.ReLU()], 'sigmoid': [nn.Sigmoid()], 'tanh': [nn.Tanh()]}.get(act, [])
        inputs = units
    return nn.Sequential(*modules)


def targets(labels, outputs, loss):
    if loss == 'ce':
        return torch.from_numpy(labels)
    if outputs == 1:
        return torch.from_numpy(labels.astype(np.float64)).reshape(-1, 1)
    return nn.functional.one_hot(torch.from_numpy(labels), outputs).double()


def run(workload, batch, data, device, dtype):
    kind, layers, loss_name, optimiser, lr, epochs, _ = WORKLOADS[workload]
    (x, labels), (tx, tlabels) = data
    outputs = layers[-1][0]
    torch.manual_seed(1)
    model = network(x.shape[1], layers).to(device=device, dtype=dtype)
    x_t = torch.from_numpy(x).to(device=device, dtype=dtype)
    y_t = targets(labels, outputs, loss_name).to(device=device)
    if loss_name == 'bce':
        y_t = y_t.to(dtype)
        # BCE summed over the outputs, averaged over the batch, as perceptron's bce
        loss_fn = lambda out, y: nn.functional.binary_cross_entropy(out, y, reduction='sum') / out.shape[0]
    else:
        loss_fn = nn.CrossEntropyLoss()
    opt = (torch.optim.Adam if optimiser == 'adam' else torch.optim.SGD)(model.parameters(), lr=lr)
    n = x_t.shape[0]
    seconds, last = 0.0, 0.0
    for _ in range(epochs):
        order = torch.randperm(n, device=device)
        total = torch.zeros((), device=device, dtype=torch.float64)
        if device == 'cuda':
            torch.cuda.synchronize()
        start = time.perf_counter()
        for i in range(0, n, batch):
            idx = order[i:i + batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x_t[idx]), y_t[idx])
            loss.backward()
            opt.step()
            total += loss.detach() * idx.shape[0]
        last = total.item() / n  # synchronises
        seconds += time.perf_counter() - start
    with torch.no_grad():
        out = model(torch.from_numpy(tx).to(device=device, dtype=dtype)).cpu()
    pred = out.argmax(dim=1) if outputs > 1 else (out[:, 0] > 0.5).long()
    accuracy = (pred.numpy() == tlabels).mean()
    per_s, step_flops = epochs * n / seconds, flops(x.shape[1], layers)
    return {'workload': workload, 'backend': 'pytorch-' + device, 'device': device_name(device), 'dtype': str(dtype).replace('torch.', ''),
            'batch': batch, 'threads': torch.get_num_threads(), 'epochs': epochs,
            'examples_per_s': per_s, 'flops_per_example': step_flops, 'gflops': per_s * step_flops / 1e9,
            'seconds_per_epoch': seconds / epochs, 'loss': last, 'test_accuracy': float(accuracy),
            'blas': blas(), 'cpu_capability': cpu_capability()}


def device_name(device):
    """The GPU's name, or the CPU's model as Linux reports it (as perceptron's bench.json has them)."""
    if device == 'cuda':
        return torch.cuda.get_device_name(0)
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                key, _, value = line.partition(':')
                if key.strip() == 'model name':
                    return value.strip()
    except OSError:
        pass
    return platform.machine()


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--workload', default='W1,W2,W2s,W3,W2a,W2d')
    p.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    p.add_argument('--threads', type=int, default=os.cpu_count())
    p.add_argument('--dtype', default='float32', choices=['float32', 'float64'])
    p.add_argument('--mnist-dir', default=os.environ.get('PERCEPTRON_MNIST_DIR', ''))
    p.add_argument('--out', default='')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    dtype = getattr(torch, a.dtype)
    cache = {}
    results = []
    for workload in a.workload.split(','):
        kind, _, _, _, _, _, batches = WORKLOADS[workload]
        if kind not in cache:
            if kind == 'moons':
                cache[kind] = (moons(1000, 1), moons(1000, 2))
            else:
                cache[kind] = mnist(a.mnist_dir) if kind == 'mnist' else with_noise(mnist(a.mnist_dir))
        for batch in batches:
            r = run(workload, batch, cache[kind], a.device, dtype)
            print(f"{r['workload']} {r['backend']} {r['dtype']} batch {r['batch']}: "
                  f"{r['examples_per_s']:.0f} examples/s, loss {r['loss']:.4f}, test accuracy {r['test_accuracy']:.4f}",
                  file=__import__('sys').stderr)
            results.append(r)
    text = json.dumps(results, indent=2)
    if a.out:
        with open(a.out, 'w') as f:
            f.write(text + '\n')
    else:
        print(text)


main()
