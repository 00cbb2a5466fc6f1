"""Reference draws of NumPy's legacy RandomState, for engine/numpy_test.go.

Run with Debian's NumPy from this folder: /usr/bin/python3 numpy_rng.py > numpy_rng.json
"""
import json
import numpy as np

cases = []
for seed in [0, 1, 10, 42, 123456789, 2**32 - 1]:
    case = {'seed': seed}
    rs = np.random.RandomState(seed)
    case['uint32'] = rs.randint(0, 2**32, size=8, dtype=np.uint32).tolist()
    rs = np.random.RandomState(seed)
    case['random_sample'] = rs.random_sample(8).tolist()
    rs = np.random.RandomState(seed)
    case['uniform'] = rs.uniform(-1, 1, (3, 4)).ravel().tolist() + rs.uniform(-0.5, 2, (2, 1)).ravel().tolist()
    rs = np.random.RandomState(seed)
    case['normal'] = rs.normal(0, 1, 7).tolist() + [rs.uniform(0, 1)] + rs.normal(0, 1, 3).tolist()
    rs = np.random.RandomState(seed)
    case['permutations'] = [rs.permutation(n).tolist() for n in [1, 2, 7, 33, 100, 1000]]
    cases.append(case)
print(json.dumps(cases, separators=(',', ':')))
