#!/bin/sh
# Regenerates the course goldens: three data sets, and the per-epoch losses that the course's unmodified
# NumPy code (shared/reference/seed_perceptron.py) prints for them. Run from this folder with Debian's
# python3-numpy; the reference lives in the shared/ folder beside the repository.
set -eu
ref=${REF:-../../../../../shared/reference/seed_perceptron.py}
/usr/bin/python3 - <<'PY'
import numpy as np
rs = np.random.RandomState(2024)
def save(name, x, y):
    with open(name, 'w') as f:
        for row, label in zip(x, y):
            f.write(','.join(repr(float(v)) for v in row) + ',' + repr(float(label)) + '\n')
t = rs.uniform(0, np.pi, 150)
upper = rs.uniform(size=150) < 0.5
x = np.where(upper[:, None], np.c_[np.cos(t), np.sin(t)], np.c_[1 - np.cos(t), 0.5 - np.sin(t)]) + rs.normal(0, 0.1, (150, 2))
save('moons.csv', x, ~upper)
x = rs.normal(0, 1, (90, 3))
save('plane.csv', x, x @ [0.5, -1, 0.25] > 0.2)
x = rs.uniform(-2, 2, (70, 4))
save('ring.csv', x, (x[:, :2] ** 2).sum(axis=1) < 1.5)
PY
run() { # data layers seed lr epochs
  /usr/bin/python3 "$ref" "$1" --layers "$2" --seed "$3" --lr "$4" --epochs "$5" > "${1%.csv}.losses"
  echo "$1 $2 $3 $4 $5"
}
{
  run moons.csv 6:relu,6:relu,1:sigmoid 10 0.01 10
  run plane.csv 8:relu,1:sigmoid 3 0.05 6
  run ring.csv 5:sigmoid,4:relu,1:sigmoid 7 0.1 8
} > cases.txt
