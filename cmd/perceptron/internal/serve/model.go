package serve

import (
	"fmt"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// Predictor computes a model's outputs: engine.Predictor, or a stub in the
// tests. The server calls it from one goroutine, its batching worker, so it
// need not be safe for concurrent use.
type Predictor interface {
	// Inputs is the number of numeric features a row has.
	Inputs() int
	// Outputs is the number of outputs a row gets.
	Outputs() int
	// ClassNames are the classes by output index, or nil.
	ClassNames() []string
	// PredictInto writes the outputs of the rows x (raw features, the
	// model's preprocessing applied) to dst.
	PredictInto(dst, x []float64) error
	// PredictInto32 is PredictInto in float32.
	PredictInto32(dst, x []float32) error
	// PredictRow writes the outputs of one row of a tabular model, its raw
	// cells by column name, to dst.
	PredictRow(dst []float64, row map[string]string) error
}

// Model is what the server serves: a predictor, and how clients address it.
type Model struct {
	// Predictor computes the outputs.
	Predictor Predictor
	// Columns are a tabular model's input columns, one BYTES tensor each;
	// nil for a model of numeric rows, which takes one FP32 or FP64 tensor.
	Columns []string
	// Datatype is the network's own, FP32 or FP64, which the metadata
	// lists for the numeric tensors; requests may send either.
	Datatype string
}

// Load reads a model file for serving on be, through its engine.Predictor:
// the file's scaler or tabular preprocessing applied to every request.
func Load(path string, be engine.Backend) (Model, error) {
	m, err := modelfile.Load(path)
	if err != nil {
		return Model{}, err
	}
	p, err := m.Predictor(be)
	if err != nil {
		return Model{}, fmt.Errorf("%s: %w", path, err)
	}
	out := Model{Predictor: p, Datatype: "FP32"}
	if m.Network.Spec.DType == engine.Float64 {
		out.Datatype = "FP64"
	}
	if m.Prep != nil {
		out.Columns = m.Prep.InputNames()
	}
	return out, nil
}
