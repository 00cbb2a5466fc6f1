package engine

import (
	"fmt"
	"math"

	"github.com/perceptron-go/perceptron/engine/dataset"
)

// Predict returns net's outputs for n rows of inputs x, n×outputs row-major.
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

// Metrics are a network's figures on a data set. For a regression set only
// N and Loss are set, and Accuracy is NaN.
type Metrics struct {
	N        int
	Loss     float64 // mean loss
	Accuracy float64
	// Per class c: Precision[c], Recall[c], F1[c] (0 where undefined), and
	// Confusion[true][predicted] counts.
	Precision, Recall, F1 []float64
	Confusion             [][]int
}

// Evaluate returns net's loss and, for a classification set, its accuracy,
// per-class precision, recall and F1, and confusion matrix. One sigmoid
// output predicts class 1 when it exceeds 0.5.
func Evaluate(be Backend, net *Network, set *dataset.Set) (Metrics, error) {
	y, err := net.Spec.Targets(set)
	if err != nil {
		return Metrics{}, err
	}
	out, err := Predict(be, net, set.X, set.N)
	if err != nil {
		return Metrics{}, err
	}
	k := net.Spec.Outputs()
	m := Metrics{N: set.N, Accuracy: math.NaN()}
	for i := 0; i < set.N; i++ {
		m.Loss += ExampleLoss(net.Spec.Loss, out[i*k:(i+1)*k], y[i*k:(i+1)*k])
	}
	m.Loss /= float64(max(set.N, 1))
	if set.Classes == 0 || set.N == 0 {
		return m, nil
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
	return m, nil
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

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
