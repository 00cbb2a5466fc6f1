"""Loads a perceptron model file into PyTorch and prints its outputs for CSV rows, one line per row.

It reads the safetensors file with its own few lines (Debian has no python3-safetensors; the format is
an 8-byte little-endian header length, a JSON header, then the raw tensors), builds the nn.Sequential
named in the metadata (with nn.Dropout modules where layers have dropout, in eval mode), and loads the tensors with load_state_dict(strict=True), which is what
safetensors.torch.load_file + load_state_dict do.

usage: python3 torch_load.py MODEL.safetensors ROWS.csv
"""
import json
import struct
import sys

import numpy as np
import torch
from torch import nn


def load_file(path):
    with open(path, 'rb') as f:
        data = f.read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop('__metadata__')
    body = data[8 + n:]
    dtypes = {'F32': np.float32, 'F64': np.float64}
    state = {}
    for name, info in header.items():
        begin, end = info['data_offsets']
        array = np.frombuffer(body[begin:end], dtype=dtypes[info['dtype']]).reshape(info['shape'])
        state[name] = torch.from_numpy(array.copy())
    return state, meta


state, meta = load_file(sys.argv[1])
model = eval(meta['torch'])
if meta['dtype'] == 'float64':
    model = model.double()
model.load_state_dict(state, strict=True)
model.eval()  # nn.Dropout is the identity
x = np.loadtxt(sys.argv[2], delimiter=',', ndmin=2)
if 'scaler' in meta:
    scaler = json.loads(meta['scaler'])
    x = (x - np.array(scaler['Offset'])) * np.array(scaler['Scale'])
with torch.no_grad():
    out = model(torch.tensor(x, dtype=torch.float32 if meta['dtype'] == 'float32' else torch.float64))
for row in out.numpy():
    print(','.join(repr(float(v)) for v in row))
