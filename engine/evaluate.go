package engine

import (
	"fmt"
	"math"

	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/distributed"
)

// Predict returns net's outputs for n rows of inputs x, n×outputs row-major.
// The rows are the network's inputs as they are: a model's preprocessing
// (its scaler, its tabular preprocessor) is not applied, so give it
// prepared rows, or use a Predictor, which applies it. Every call lays the
// parameters out anew: a Predictor, built once, is the way to predict often.
func Predict(be Backend, net *Network, x []float64, n int) ([]float64, error) {
	if len(x) != n*net.Spec.Inputs {
		return nil, fmt.Errorf("predict: %d values are not %d rows of %d inputs", len(x), n, net.Spec.Inputs)
	}
	out := make([]float64, n*net.Spec.Outputs())
	if err := be.Predict(net, x, n, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Metrics are a network's figures on a data set. A classifier (see
// Spec.Classifier) on a set with classes gets the accuracy and per-class
// figures, and its regression figures are NaN; a regression network, or any
// network on a set without classes, gets the regression figures, its
// Accuracy is NaN and its per-class slices nil.
type Metrics struct {
	N        int
	Loss     float64 // mean loss: Σ w_i·l_i / N where the set has Weights
	Accuracy float64
	// Per class c: Precision[c], Recall[c], F1[c] (0 where undefined), and
	// Confusion[true][predicted] counts.
	Precision, Recall, F1 []float64
	Confusion             [][]int
	// Regression figures over every output of every example: the mean
	// absolute error, the root mean squared error, and the coefficient of
	// determination R² = 1 − Σ(ŷ−y)²/Σ(y−ȳ)² (NaN when every target is equal).
	MAE, RMSE, R2 float64
}

// Evaluate returns net's loss and, for a classifier on a classification
// set, its accuracy, per-class precision, recall and F1, and confusion
// matrix; otherwise its regression figures. One sigmoid output predicts
// class 1 when it exceeds 0.5. The loss of a set with Weights is their
// weighted mean, Σ w_i·l_i / N, as a fit's; the other figures are
// unweighted. The set's features are the network's inputs as they are,
// prepared already: a model's scaler is not applied (EvaluatePredictor
// applies it).
func Evaluate(be Backend, net *Network, set *dataset.Set) (Metrics, error) {
	return EvaluateDataParallel(be, nil, net, set)
}

// EvaluatePredictor is Evaluate through p, so with the model's
// preprocessing: the set's features are raw, as PredictInto takes them, or
// a tabular model's as its preprocessor's Transform makes them
// (PredictFeatures).
func EvaluatePredictor(p *Predictor, set *dataset.Set) (Metrics, error) {
	y, err := p.net.Spec.Targets(set)
	if err == nil {
		err = set.CheckWeights()
	}
	if err != nil {
		return Metrics{}, err
	}
	out := make([]float64, set.N*p.k)
	predict := p.PredictInto
	if p.pre.Prep != nil {
		predict = p.PredictFeatures
	}
	forward := func(x []float64, _ int, out []float64) error { return predict(out, x) }
	if err := predictRows(forward, p.k, set, 0, set.N, out); err != nil {
		return Metrics{}, err
	}
	return metrics(p.net.Spec, set, out, y), nil
}

// EvaluateDataParallel is Evaluate shared among the processes of comm, each
// of which calls it with the same network and set: each predicts its shard
// of the examples (distributed.Shard), the outputs are gathered everywhere,
// and every process returns the same Metrics. A nil comm, or one of one
// process, is Evaluate.
func EvaluateDataParallel(be Backend, comm distributed.Comm, net *Network, set *dataset.Set) (Metrics, error) {
	comm = dataParallel(comm)
	y, err := net.Spec.Targets(set)
	if err == nil {
		err = set.CheckWeights()
	}
	if comm != nil {
		err = distributed.Agree(comm, err)
	}
	if err != nil {
		return Metrics{}, err
	}
	var out []float64
	if comm == nil {
		out = make([]float64, set.N*net.Spec.Outputs())
		err = predictRows(backendForward(be, net), net.Spec.Outputs(), set, 0, set.N, out)
	} else {
		out, err = predictShard(be, comm, net, set)
	}
	if err != nil {
		return Metrics{}, err
	}
	return metrics(net.Spec, set, out, y), nil
}

// metrics returns the figures of Evaluate for outputs out of a network of
// spec on set, whose targets are y.
func metrics(spec Spec, set *dataset.Set, out, y []float64) Metrics {
	k := spec.Outputs()
	m := Metrics{N: set.N, Accuracy: math.NaN(), MAE: math.NaN(), RMSE: math.NaN(), R2: math.NaN()}
	for i := 0; i < set.N; i++ {
		l := ExampleLoss(spec.Loss, out[i*k:(i+1)*k], y[i*k:(i+1)*k])
		if set.Weights != nil {
			l *= set.Weights[i]
		}
		m.Loss += l
	}
	m.Loss /= float64(max(set.N, 1))
	if set.N == 0 {
		return m
	}
	if set.Classes == 0 || !spec.Classifier() {
		m.MAE, m.RMSE, m.R2 = regression(out, y)
		return m
	}
	classes := max(set.Classes, k)
	m.Confusion = make([][]int, classes)
	for c := range m.Confusion {
		m.Confusion[c] = make([]int, classes)
	}
	correct := 0
	for i := 0; i < set.N; i++ {
		pred := PredictedClass(out[i*k : (i+1)*k])
		truth := int(set.Labels[i])
		m.Confusion[truth][pred]++
		if pred == truth {
			correct++
		}
	}
	m.Accuracy = float64(correct) / float64(set.N)
	m.Precision, m.Recall, m.F1 = make([]float64, classes), make([]float64, classes), make([]float64, classes)
	for c := 0; c < classes; c++ {
		tp, predicted, actual := m.Confusion[c][c], 0, 0
		for o := 0; o < classes; o++ {
			predicted += m.Confusion[o][c]
			actual += m.Confusion[c][o]
		}
		m.Precision[c] = ratio(tp, predicted)
		m.Recall[c] = ratio(tp, actual)
		if p, r := m.Precision[c], m.Recall[c]; p+r > 0 {
			m.F1[c] = 2 * p * r / (p + r)
		}
	}
	return m
}

// predictShard predicts this process's shard of set and returns the outputs
// of the whole set, gathered from every process of comm.
func predictShard(be Backend, comm distributed.Comm, net *Network, set *dataset.Set) ([]float64, error) {
	k := net.Spec.Outputs()
	lo, hi := distributed.Shard(comm.Rank(), comm.Size(), set.N)
	out := make([]float64, set.N*k) // zero but for this shard: the sum over the processes gathers the shards
	err := predictRows(backendForward(be, net), k, set, lo, hi, out[lo*k:hi*k])
	if err := distributed.Agree(comm, err); err != nil {
		return nil, err
	}
	return out, distributed.AllReduce(comm, out)
}

// evalRows is how many examples of a set held as codes predictRows
// converts to float64 at a time.
const evalRows = 1024

// forwardFunc writes the k outputs of each of n rows of inputs x into out.
type forwardFunc func(x []float64, n int, out []float64) error

// backendForward returns be.Predict of net as a forwardFunc.
func backendForward(be Backend, net *Network) forwardFunc {
	return func(x []float64, n int, out []float64) error { return be.Predict(net, x, n, out) }
}

// predictRows writes the k outputs forward gives for examples lo to hi-1 of
// set, whose features Spec.Targets has checked against the network's
// inputs, into out: in one call where the set holds float64 values, and in
// pieces of evalRows examples, converted in turn, where it holds codes.
func predictRows(forward forwardFunc, k int, set *dataset.Set, lo, hi int, out []float64) error {
	step := hi - lo
	if set.X == nil {
		step = evalRows
	}
	var buf []float64
	for r := lo; r < hi; r += step {
		end := min(r+step, hi)
		x := set.Rows(r, end, buf)
		if set.X == nil {
			buf = x
		}
		if err := forward(x, end-r, out[(r-lo)*k:(end-lo)*k]); err != nil {
			return err
		}
	}
	return nil
}

// PredictedClass returns the class an output row predicts: for one output,
// 1 when it exceeds 0.5 and 0 otherwise; for more, the index of the largest.
func PredictedClass(a []float64) int {
	if len(a) == 1 {
		if a[0] > 0.5 {
			return 1
		}
		return 0
	}
	return Argmax(a)
}

// regression returns the mean absolute error, the root mean squared error
// and R² of outputs out against targets y.
func regression(out, y []float64) (mae, rmse, r2 float64) {
	var mean float64
	for _, v := range y {
		mean += v
	}
	mean /= float64(len(y))
	var abs, sq, tot float64
	for i, v := range y {
		d := out[i] - v
		abs += math.Abs(d)
		sq += d * d
		tot += (v - mean) * (v - mean)
	}
	n := float64(len(y))
	r2 = math.NaN()
	if tot > 0 {
		r2 = 1 - sq/tot
	}
	return abs / n, math.Sqrt(sq / n), r2
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
