package engine

import (
	"errors"
	"fmt"
	"sync"

	"github.com/perceptron-go/perceptron/engine/dataset"
)

// Preprocessing is what a model applies to raw inputs before its network: a
// scaler of numeric features, or a tabular preprocessor of raw columns (at
// most one of them).
type Preprocessing struct {
	Scaler *dataset.Scaler
	Prep   *dataset.Preprocessor
}

// predictChunk is how many rows a Predictor scales at a time into its
// scratch before handing them to the backend.
const predictChunk = 256

// Predictor runs a trained network on new inputs with the model's
// preprocessing: built once (the parameters converted and laid out on the
// backend once), then used from any number of goroutines. Its float64 and
// float32 methods take the network's inputs as raw numeric features, which
// the model's scaler (if any) transforms first; PredictRow takes a row's raw
// cells by column name through the model's tabular preprocessor. On the CPU
// backend a warm Predictor allocates nothing per call.
type Predictor struct {
	inf   Inference
	net   *Network
	pre   Preprocessing
	in, k int
	f64   sync.Pool // *[]float64 of predictChunk rows of inputs
	f32   sync.Pool // *[]float32 of predictChunk rows of inputs
}

// NewPredictor returns a Predictor of net on be that applies pre. It refuses
// a preprocessing of both kinds, a scaler or preprocessor whose features are
// not the network's inputs, and an invalid network.
func NewPredictor(be Backend, net *Network, pre Preprocessing) (*Predictor, error) {
	if net == nil {
		return nil, errors.New("predictor: no network")
	}
	if err := net.Spec.Validate(); err != nil {
		return nil, fmt.Errorf("predictor: %w", err)
	}
	if err := checkShapes(net); err != nil {
		return nil, fmt.Errorf("predictor: %w", err)
	}
	in := net.Spec.Inputs
	switch {
	case pre.Scaler != nil && pre.Prep != nil:
		return nil, errors.New("predictor: a model has a scaler or a tabular preprocessor, not both")
	case pre.Scaler != nil && (len(pre.Scaler.Offset) != in || len(pre.Scaler.Scale) != in):
		return nil, fmt.Errorf("predictor: the scaler has %d offsets and %d scales, expected one per input of the network (%d)",
			len(pre.Scaler.Offset), len(pre.Scaler.Scale), in)
	case pre.Prep != nil && pre.Prep.Features() != in:
		return nil, fmt.Errorf("predictor: the preprocessor makes %d features, but the network takes %d inputs", pre.Prep.Features(), in)
	}
	inf, err := be.NewInference(net)
	if err != nil {
		return nil, err
	}
	p := &Predictor{inf: inf, net: net, pre: pre, in: in, k: net.Spec.Outputs()}
	p.f64.New = func() any { b := make([]float64, predictChunk*in); return &b }
	p.f32.New = func() any { b := make([]float32, predictChunk*in); return &b }
	return p, nil
}

// checkShapes reports a layer whose parameters are not shaped as net's Spec says.
func checkShapes(net *Network) error {
	if len(net.Layers) != len(net.Spec.Layers) {
		return fmt.Errorf("the network has %d layers of parameters, its spec %d", len(net.Layers), len(net.Spec.Layers))
	}
	in := net.Spec.Inputs
	for i, l := range net.Layers {
		units := net.Spec.Layers[i].Units
		if l.Inputs != in || l.Units != units || len(l.W) != units*in || len(l.B) != units || l.Activation != net.Spec.Layers[i].Activation {
			return fmt.Errorf("layer %d: %d weights and %d biases (%d×%d, %s), expected %d×%d and %d (%s) as the spec says",
				i+1, len(l.W), len(l.B), l.Units, l.Inputs, l.Activation, units, in, units, net.Spec.Layers[i].Activation)
		}
		in = units
	}
	return nil
}

// Inputs returns the number of raw numeric features a row has: the network's inputs.
func (p *Predictor) Inputs() int { return p.in }

// Outputs returns the number of outputs a row gets.
func (p *Predictor) Outputs() int { return p.k }

// ClassNames returns the names of the classes the outputs stand for, as the
// tabular preprocessor read them from the labels, or nil where the classes
// are their indices (or the network is a regression).
func (p *Predictor) ClassNames() []string {
	if p.pre.Prep == nil {
		return nil
	}
	return p.pre.Prep.ClassNames
}

// rows checks that x holds whole rows of inputs and dst their outputs, and
// returns the number of rows.
func (p *Predictor) rows(dst, x int) (int, error) {
	if x%p.in != 0 {
		return 0, fmt.Errorf("predict: %d values are not whole rows of %d inputs", x, p.in)
	}
	n := x / p.in
	if dst != n*p.k {
		return 0, fmt.Errorf("predict: dst holds %d values, expected %d (%d rows × %d outputs)", dst, n*p.k, n, p.k)
	}
	return n, nil
}

// errTabular is PredictInto's error for a tabular model, whose raw rows are
// cells by column name, not numbers.
var errTabular = errors.New("predict: the model has a tabular preprocessor: give a row's raw cells to PredictRow, or the features its Transform makes to PredictFeatures")

// PredictInto writes the outputs of the rows of x (len(x)/Inputs rows of raw
// features, row-major) into dst (rows×Outputs), scaling a copy of the rows
// where the model has a scaler. A tabular model refuses it (see PredictRow
// and PredictFeatures): numbers that look like its features but were not
// made by its preprocessor would be predicted wrongly without a word.
func (p *Predictor) PredictInto(dst, x []float64) error {
	if p.pre.Prep != nil {
		return errTabular
	}
	return predictInto(p, dst, x, &p.f64)
}

// PredictInto32 is PredictInto in float32: a scaler computes in float64 and
// rounds each scaled value to float32.
func (p *Predictor) PredictInto32(dst, x []float32) error {
	if p.pre.Prep != nil {
		return errTabular
	}
	return predictInto(p, dst, x, &p.f32)
}

// PredictFeatures writes the outputs of rows of a tabular model's features,
// as its preprocessor's Transform makes them (imputed, scaled, one-hot), into
// dst. A model without a tabular preprocessor refuses it: its raw rows go to
// PredictInto, which applies its scaler.
func (p *Predictor) PredictFeatures(dst, x []float64) error {
	if p.pre.Prep == nil {
		return errors.New("predict: the model has no tabular preprocessor: give its raw rows to PredictInto")
	}
	n, err := p.rows(len(dst), len(x))
	if err != nil || n == 0 {
		return err
	}
	return p.inf.Forward64(dst, x, n)
}

// predictInto is PredictInto in T: the rows of x go through the network,
// scaled first, predictChunk at a time, into a scratch from pool, where the
// model has a scaler.
func predictInto[T Float](p *Predictor, dst, x []T, pool *sync.Pool) error {
	forward := func(out, x []T, n int) error { return forwardT(p.inf, out, x, n) }
	n, err := p.rows(len(dst), len(x))
	if err != nil || n == 0 {
		return err
	}
	sc := p.pre.Scaler
	if sc == nil {
		return forward(dst, x, n)
	}
	buf := pool.Get().(*[]T)
	defer pool.Put(buf)
	for r := 0; r < n; r += predictChunk {
		m := min(predictChunk, n-r)
		piece := (*buf)[:m*p.in]
		for i, v := range x[r*p.in : (r+m)*p.in] {
			j := i % p.in
			piece[i] = T((float64(v) - sc.Offset[j]) * sc.Scale[j])
		}
		if err := forward(dst[r*p.k:(r+m)*p.k], piece, m); err != nil {
			return err
		}
	}
	return nil
}

// forwardT runs n rows of x through inf into out, in T.
func forwardT[T Float](inf Inference, out, x []T, n int) error {
	switch out := any(out).(type) {
	case []float64:
		return inf.Forward64(out, any(x).([]float64), n)
	case []float32:
		return inf.Forward32(out, any(x).([]float32), n)
	}
	panic("unreachable: T is float32 or float64")
}

// PredictRow writes the outputs of one row of raw cells, by column name,
// into dst (Outputs values) through the model's tabular preprocessor, as
// dataset.Preprocessor.TransformRow reads them. A model without one has no
// column names: it returns an error saying to use PredictInto.
func (p *Predictor) PredictRow(dst []float64, row map[string]string) error {
	if p.pre.Prep == nil {
		return errors.New("predict: the model has no tabular preprocessor, so its rows have no column names: give its features to PredictInto")
	}
	if len(dst) != p.k {
		return fmt.Errorf("predict: dst holds %d values, expected the model's %d outputs", len(dst), p.k)
	}
	buf := p.f64.Get().(*[]float64)
	defer p.f64.Put(buf)
	features := (*buf)[:p.in]
	if err := p.pre.Prep.TransformRow(row, features); err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	return p.inf.Forward64(dst, features, 1)
}

// Close frees what the Predictor holds on its backend's device (nothing on
// the CPU). The Predictor must not be used after.
func (p *Predictor) Close() error { return p.inf.Close() }
