"""Balanced class weights from scikit-learn's compute_class_weight, for engine/dataset's TestClassWeightsBalanced.

A few label sets (seeded draws with skewed class frequencies, and small hand-made ones) and the weights
n / (k·count(c)) that compute_class_weight("balanced") gives them.

Run with Debian's python3-sklearn from this folder: /usr/bin/python3 class_weights.py > class_weights.json
"""
import json

import numpy as np
from sklearn.utils.class_weight import compute_class_weight

rng = np.random.RandomState(3)
SETS = [
    [0, 1, 1, 1],
    [2, 0, 1, 2, 2, 2, 0],
    rng.choice(3, 50, p=[0.7, 0.2, 0.1]).tolist(),
    rng.choice(5, 97, p=[0.05, 0.15, 0.2, 0.25, 0.35]).tolist(),
]
cases = []
for labels in SETS:
    classes = np.arange(max(labels) + 1)
    w = compute_class_weight("balanced", classes=classes, y=np.array(labels))
    cases.append({"Labels": labels, "Classes": len(classes), "Weights": w.tolist()})
print(json.dumps(cases, indent=1))
