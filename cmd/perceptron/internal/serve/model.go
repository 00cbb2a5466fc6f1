package serve

import (
	"errors"
	"fmt"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// Predictor computes a model's outputs. The server calls it from one
// goroutine, its batching worker, so it need not be safe for concurrent
// use; engine.Predictor will stand for it.
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

// Load reads a model file for serving on be.
func Load(path string, be engine.Backend) (Model, error) {
	m, err := modelfile.Load(path)
	if err != nil {
		return Model{}, err
	}
	out := Model{Predictor: &filePredictor{be: be, m: m}, Datatype: "FP32"}
	if m.Network.Spec.DType == engine.Float64 {
		out.Datatype = "FP64"
	}
	if m.Prep != nil {
		out.Columns = m.Prep.InputNames()
	}
	return out, nil
}

// filePredictor is a Predictor over engine.Predict and a model file's
// scaler or preprocessing.
type filePredictor struct {
	be engine.Backend
	m  modelfile.Model
}

func (p *filePredictor) Inputs() int  { return p.m.Network.Spec.Inputs }
func (p *filePredictor) Outputs() int { return p.m.Network.Spec.Outputs() }

func (p *filePredictor) ClassNames() []string {
	if p.m.Prep == nil {
		return nil
	}
	return p.m.Prep.ClassNames
}

func (p *filePredictor) PredictInto(dst, x []float64) error {
	if p.m.Prep != nil {
		return errors.New("a tabular model takes rows by column name")
	}
	in, out := p.Inputs(), p.Outputs()
	n := len(x) / in
	if len(x) != n*in || len(dst) != n*out {
		return fmt.Errorf("%d inputs and %d outputs are not rows of %d inputs and %d outputs", len(x), len(dst), in, out)
	}
	if p.m.Scaler != nil {
		x = append([]float64(nil), x...)
		p.m.Scaler.Apply(x)
	}
	y, err := engine.Predict(p.be, p.m.Network, x, n)
	if err != nil {
		return err
	}
	copy(dst, y)
	return nil
}

func (p *filePredictor) PredictInto32(dst, x []float32) error {
	x64, dst64 := make([]float64, len(x)), make([]float64, len(dst))
	for i, v := range x {
		x64[i] = float64(v)
	}
	if err := p.PredictInto(dst64, x64); err != nil {
		return err
	}
	for i, v := range dst64 {
		dst[i] = float32(v)
	}
	return nil
}

func (p *filePredictor) PredictRow(dst []float64, row map[string]string) error {
	prep := p.m.Prep
	if prep == nil {
		return errors.New("the model has no named columns: it takes rows of numbers")
	}
	x := make([]float64, prep.Features())
	if err := prep.TransformRow(row, x); err != nil {
		return err
	}
	y, err := engine.Predict(p.be, p.m.Network, x, 1)
	if err != nil {
		return err
	}
	copy(dst, y)
	return nil
}
