"""Writes identity.onnx: Identity on "input" [N, 784] float32, the model that
measures onnxruntime-node's own cost per call (bench.js).

Usage: /usr/bin/python3 identity.py  (Debian: python3-onnx), in benchmarks/onnx.
"""
import onnx
from onnx import TensorProto, helper

x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 784])
y = helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 784])
graph = helper.make_graph([helper.make_node("Identity", ["input"], ["output"])], "identity", [x], [y])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="perceptron benchmarks")
model.ir_version = 8
onnx.checker.check_model(model, full_check=True)
onnx.save(model, "identity.onnx")
