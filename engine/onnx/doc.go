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
// serving tools handle unevenly. A date-time column is likewise given as
// its parts, each a number as read (NaN where missing), which the graph
// fills and scales: COL:year, COL:month (1-12), COL:day, COL:weekday
// (Monday 0) and, where feature_names lists it, COL:hour (hours since
// midnight, fractional), of the wall-clock time as written (a zone not
// applied). The metadata names every feature
// (feature_names) and holds the preprocessing's JSON, so a caller can make
// the features.
//
// The model's metadata_props: perceptron_version, perceptron_format (the
// model file's format version), inputs, layers, loss, dtype, class_names
// (JSON, for a classifier: the preprocessing's class names, else the class
// numbers), scaler (JSON) or feature_names and preprocessing (JSON).
//
// # Testing
//
// go test ./engine/onnx decodes its own output with protowire and checks the
// model's IR version, producer and opset; the nodes in order, each taking
// the one before's output, Gemm's transB = 1 and Softmax's axis -1, no node
// for a linear activation or for dropout (whose nn.Dropout still takes a
// module index in the initializers' names, as in the model file) and the
// last node giving "output"; the input and
// output with element type FLOAT or DOUBLE and shape [N, size], N named;
// the initializers' shapes and values, exactly, in float32 and float64; the
// scaler's and a preprocessing's fill, offset and scale per feature
// (one-hot features passing unchanged, a date-time's parts filled and
// scaled each); the metadata (class names, feature
// names, the preprocessing reading back); each error (opsets 12 and 18, no
// network, a scaler or preprocessing that does not fit the network, an
// invalid spec), with nothing written; and that Save writes what Encode does
// and keeps the old file when the export fails.
//
// The command's TestExportRunsInONNXRuntime (cmd/perceptron) trains small
// models, float32 and float64, with relu, tanh, sigmoid and linear hidden
// layers, sigmoid and softmax outputs, each scaling, opsets 13 to 17, and a
// table with missing numbers and text columns; exports them; checks each
// with onnx.checker.check_model(full_check=True) and the graph's contract
// (testdata/check.py, python3-onnx); runs them in ONNX Runtime 1.30
// (benchmarks/onnx/run.js, onnxruntime-node) and compares the outputs with
// perceptron predict's within 1e-5. It skips, saying what to install,
// without /usr/bin/python3's onnx, node or benchmarks/onnx/node_modules.
// A change that drops the preprocessing's fill made it fail.
package onnx
