#!/usr/bin/python3
"""Writes the .npy and .npz files the tests of engine/dataset read, with NumPy.

Run from this folder: /usr/bin/python3 make_npy.py. Beside the arrays it writes
values.json: for each .npy file (and each key of each .npz, as "file.npz/key"),
the shape and the values in C order, as Python floats (exact: every value of
these dtypes is a float64), which the tests compare with what they read.
"""
import json
import numpy as np

expected = {}


def record(name, a):
    expected[name] = {"shape": list(a.shape), "values": [float(v) for v in np.asarray(a, dtype=np.float64).ravel(order="C")]}


def save(name, a, version=None):
    if version is None:
        np.save(name, a)
    else:
        with open(name, "wb") as f:
            np.lib.format.write_array(f, a, version=version)
    record(name, a)


# Each dtype, little-endian, C order, shape (2, 3): the extremes each holds.
signed = np.array([[-128, -1, 0], [1, 2, 127]])
unsigned = np.array([[0, 1, 2], [100, 200, 255]])
save("int8.npy", signed.astype("<i1"))
save("int16.npy", (signed * 256).astype("<i2"))
save("int32.npy", np.array([[-2**31, -1, 0], [1, 7, 2**31 - 1]], dtype="<i4"))
save("int64.npy", np.array([[-2**53 + 1, -1, 0], [1, 7, 2**53 - 1]], dtype="<i8"))
save("uint8.npy", unsigned.astype("<u1"))
save("uint16.npy", np.array([[0, 1, 2], [3, 4, 2**16 - 1]], dtype="<u2"))
save("uint32.npy", np.array([[0, 1, 2], [3, 4, 2**32 - 1]], dtype="<u4"))
save("uint64.npy", np.array([[0, 1, 2], [3, 4, 2**53 - 1]], dtype="<u8"))
save("bool.npy", np.array([[True, False, True], [False, False, True]]))
save("float32.npy", np.array([[0.1, -2.5, 1e-30], [3.4e38, -0.0, 1.0 / 3]], dtype="<f4"))
save("float64.npy", np.array([[0.1, -2.5, 1e-300], [1.7e308, -0.0, 1.0 / 3]], dtype="<f8"))

# Big-endian.
save("float64-be.npy", np.array([[0.1, -2.5, 6.0], [7.0, 8.5, 1.0 / 3]], dtype=">f8"))
save("float32-be.npy", np.array([[0.1, -2.5, 6.0], [7.0, 8.5, 1.0 / 3]], dtype=">f4"))
save("int32-be.npy", np.array([[-2**31, -1, 0], [1, 7, 2**31 - 1]], dtype=">i4"))
save("uint16-be.npy", np.array([[0, 1, 2], [3, 4, 2**16 - 1]], dtype=">u2"))

# Fortran order: the file holds the first index fastest.
save("fortran-3d.npy", np.asfortranarray(np.arange(24, dtype="<f8").reshape(2, 3, 4) * 1.5 - 7))
save("fortran-int16.npy", np.asfortranarray(np.arange(6, dtype="<i2").reshape(3, 2) - 3))

# Format versions 2.0 and 3.0 (1.0 is every other file).
save("version2.npy", np.arange(6, dtype="<f8").reshape(3, 2) / 4, version=(2, 0))
save("version3.npy", np.arange(6, dtype="<i4").reshape(2, 3) - 2, version=(3, 0))

# A 3-D array of pixels, as MNIST's x arrays.
save("images-3d.npy", (np.arange(24, dtype=np.uint8) * 10).reshape(4, 2, 3))
# Labels: classes, (N, 1) classes, a regression, and several outputs.
save("labels.npy", np.array([0, 1, 2, 1], dtype="<i8"))
save("labels-column.npy", np.array([[0], [1], [2], [1]], dtype="<u1"))
save("labels-float.npy", np.array([0.5, 1.25, -2.0, 3.0], dtype="<f4"))
save("labels-onehot.npy", np.eye(3, dtype="<f4")[[0, 1, 2, 1]])

# Refused: Python objects, text, complex numbers, half precision, a record.
np.save("object.npy", np.array([1, "two", None], dtype=object), allow_pickle=True)
np.save("unicode.npy", np.array(["a", "bc"]))
np.save("complex.npy", np.array([1 + 2j, 3j], dtype="<c16"))
np.save("float16.npy", np.array([1.5, 2.0], dtype="<f2"))
np.save("structured.npy", np.zeros(2, dtype=[("a", "<f8"), ("b", "<i4")]))
# Non-finite values, refused with their index.
np.save("nan.npy", np.array([[0.0, 1.0, 2.0], [3.0, 4.0, np.nan]], dtype="<f8"))
np.save("inf-fortran.npy", np.asfortranarray(np.array([[0.0, np.inf], [2.0, 3.0], [4.0, 5.0]], dtype="<f4")))


def savez(name, compressed=False, **arrays):
    (np.savez_compressed if compressed else np.savez)(name, **arrays)
    for key, a in arrays.items():
        record(name + "/" + key, a)


x_train = (np.arange(24, dtype=np.uint8) * 7).reshape(6, 2, 2)
y_train = np.array([0, 1, 2, 0, 1, 2], dtype=np.int64)
x_test = (np.arange(12, dtype=np.uint8) * 3 + 1).reshape(3, 2, 2)
y_test = np.array([[2], [0], [1]], dtype=np.int64)
savez("mnist-like.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
savez("compressed.npz", compressed=True, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
savez("train-only.npz", x_train=np.arange(10, dtype="<f4").reshape(5, 2) / 8, y_train=np.array([1, 0, 1, 1, 0], dtype="<i2"))
savez("test-without-labels.npz", x_train=x_train, y_train=y_train, x_test=x_test)
savez("other-key.npz", x_train=x_train, y_train=y_train, weights=np.ones(6))
savez("other-test-shape.npz", x_train=x_train, y_train=y_train, x_test=np.zeros((3, 4), dtype=np.uint8), y_test=y_test[:, 0])
np.savez("object.npz", x_train=np.array([[1, "a"]], dtype=object), y_train=np.array([0]))

with open("values.json", "w") as f:
    f.write("{\n" + ",\n".join(json.dumps(k) + ": " + json.dumps(expected[k]) for k in sorted(expected)) + "\n}\n")
