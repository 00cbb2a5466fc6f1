"""Checks ONNX models exported by perceptron with ONNX's own checker.

Usage: /usr/bin/python3 check.py MODEL.onnx...  (Debian: python3-onnx)

For each model: onnx.checker.check_model with full_check (which also runs
shape inference), then the graph's contract: one input "input" and one
output "output", each [N, size] with a named (dynamic) batch dimension, and
the metadata perceptron writes. Prints "ok PATH" per model; exits 1 with the
first thing wrong.
"""
import sys

import onnx


def check(path):
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    graph = model.graph
    inits = {t.name for t in graph.initializer}
    inputs = [i for i in graph.input if i.name not in inits]
    assert [i.name for i in inputs] == ["input"], f"inputs {[i.name for i in inputs]}"
    assert [o.name for o in graph.output] == ["output"], f"outputs {[o.name for o in graph.output]}"
    for v in (inputs[0], graph.output[0]):
        dims = v.type.tensor_type.shape.dim
        assert len(dims) == 2, f"{v.name}: {len(dims)} dimensions, expected 2"
        assert dims[0].dim_param == "N", f"{v.name}: batch dimension {dims[0]}, expected the name N"
        assert dims[1].dim_value > 0, f"{v.name}: size {dims[1]}"
    meta = {p.key: p.value for p in model.metadata_props}
    for key in ("perceptron_version", "perceptron_format", "layers", "dtype"):
        assert key in meta, f"metadata {key} missing: found {sorted(meta)}"
    print("ok", path)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for path in sys.argv[1:]:
        try:
            check(path)
        except (onnx.checker.ValidationError, AssertionError, onnx.shape_inference.InferenceError) as e:
            sys.exit(f"{path}: {e}")


if __name__ == "__main__":
    main()
