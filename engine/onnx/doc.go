// Package onnx writes a perceptron model as an ONNX model, for ONNX Runtime
// and the other tools that read ONNX.
//
// The protobuf is written by hand with protowire: the few messages of
// onnx/onnx.proto3 that an export needs (ModelProto, GraphProto, NodeProto,
// TensorProto, ValueInfoProto, AttributeProto, OperatorSetIdProto,
// StringStringEntryProto), with that file's field numbers. A model is IR
// version 8 and imports one operator set of the default domain, 13 to 17
// (DefaultOpset 13); every op it uses means the same in each of them.
//
// The graph takes "input", [N, inputs] with a dynamic batch dimension N, in
// the model's dtype (FLOAT for float32, DOUBLE for float64: ONNX Runtime has
// kernels in both for every op used, so no Cast is needed), and gives
// "output", [N, outputs]. Its nodes:
//
//	scaler (x' = (x - offset)·scale):    Sub, Mul
//	preprocessing (numeric features):    IsNaN, Where (the fill), Sub, Mul
//	each layer:                           Gemm (transB = 1), then Relu, Sigmoid,
//	                                      Tanh or Softmax (axis -1); none for linear
//
// Weights and biases are initializers in the model's dtype, named as in the
// model file ("0.weight", "0.bias", "2.weight", ...: nn.Sequential's).
//
// A tabular model (a dataset.Preprocessor) is exported from its features
// on: the input is the row of features the preprocessor makes, except that
// a numeric feature is given as read, NaN where missing, and the graph fills
// and scales it. Its categorical columns are one-hot encoded by the caller
// (a missing cell is the category "", an unseen one all zeros): ai.onnx.ml's
// OneHotEncoder could do it from strings, but a column of numeric codes is
// matched by value ("3" and "3.0" are one category), which it cannot do,
// and string inputs would need one graph input per column, which the
// serving tools handle unevenly. The metadata names every feature
// (feature_names) and holds the preprocessing's JSON, so a caller can make
// the features.
//
// The model's metadata_props: perceptron_version, perceptron_format (the
// model file's format version), inputs, layers, loss, dtype, class_names
// (JSON, for a classifier: the preprocessing's class names, else the class
// numbers), scaler (JSON) or feature_names and preprocessing (JSON).
package onnx
