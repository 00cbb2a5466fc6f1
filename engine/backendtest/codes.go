package backendtest

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/distributed"
)

// codedSets returns the same n examples of 20 features and 3 classes,
// about 70% of the features 0 (sparse, as MNIST's pixels are), held as
// codes and as their float64 values.
func codedSets(n int) (coded, float *dataset.Set) {
	const features = 20
	rng := rand.New(rand.NewPCG(11, uint64(n)))
	var levels [256]float64
	for b := 1; b < 256; b++ {
		levels[b] = float64(b)/255*1.7 - 0.2
	}
	codes, labels := make([]byte, n*features), make([]float64, n)
	for i := range labels {
		sum := 0
		for j := range features {
			if rng.IntN(10) >= 7 {
				codes[i*features+j] = byte(1 + rng.IntN(255))
				sum += j % 3
			}
		}
		labels[i] = float64(sum % 3)
	}
	x := make([]float64, len(codes))
	for i, b := range codes {
		x[i] = levels[b]
	}
	return dataset.NewCoded(codes, &levels, labels, features), dataset.New(x, slices.Clone(labels), features)
}

// Codes trains on a set held as codes (dataset.Codes, as MNIST's pixels
// are) and on the same values held as float64, split the same way, in both
// dtypes, per example and in mini-batches, and checks that the parameters,
// the epochs' losses and accuracies and the test metrics are the same, bit
// for bit. A data-parallel fit on codes ends with the parameters of one on
// the float64 values, and processes that hold the data in different ways
// are refused (the data's checksum is of the bytes it is held in, so that
// MNIST's takes 6 ms, not 75). A set of more than a million values, which Evaluate
// and a backend's upload convert in pieces, trains and evaluates the same
// way too.
func Codes(t *testing.T, be engine.Backend) {
	coded, float := codedSets(240)
	codedTrain, codedTest, err := coded.Split(0.25, 5)
	require.NoError(t, err)
	floatTrain, floatTest, err := float.Split(0.25, 5)
	require.NoError(t, err)
	spec := engine.Spec{Inputs: 20, Layers: []engine.LayerSpec{{Units: 12, Activation: engine.ReLU}, {Units: 3, Activation: engine.Softmax}}, Loss: engine.CE}
	run := func(train, test *dataset.Set, dtype engine.DType, batch int, epochs int) (*engine.Network, engine.History, engine.Metrics) {
		spec := spec
		spec.DType = dtype
		rng := engine.NewRNG(9)
		net, err := engine.NewNetwork(spec, engine.InitAuto, rng)
		require.NoError(t, err)
		hist, err := engine.Fit(context.Background(), net, train, engine.Config{Epochs: epochs, LearningRate: 0.05, BatchSize: batch, RNG: rng, Validation: test, Backend: be})
		require.NoError(t, err)
		m, err := engine.Evaluate(be, net, test)
		require.NoError(t, err)
		return net, hist, m
	}
	for _, dtype := range []engine.DType{engine.Float64, engine.Float32} {
		for _, batch := range []int{1, 8} {
			netC, histC, mC := run(codedTrain, codedTest, dtype, batch, 2)
			netF, histF, mF := run(floatTrain, floatTest, dtype, batch, 2)
			assert.Equal(t, netF.Layers, netC.Layers, "%s batch %d: parameters", dtype, batch)
			assert.Equal(t, []float64{mF.Loss, mF.Accuracy}, []float64{mC.Loss, mC.Accuracy}, "%s batch %d: test loss and accuracy", dtype, batch)
			assert.Equal(t, mF.Confusion, mC.Confusion, "%s batch %d: confusion matrix", dtype, batch)
			for e := range histF {
				f, c := histF[e], histC[e]
				assert.Equal(t, []float64{f.Loss, f.TrainAccuracy, f.ValLoss, f.ValAccuracy}, []float64{c.Loss, c.TrainAccuracy, c.ValLoss, c.ValAccuracy},
					"%s batch %d epoch %d", dtype, batch, e+1)
			}
		}
	}
	t.Run("a million values", func(t *testing.T) {
		coded, float := codedSets(53000)
		netC, _, mC := run(coded, coded, engine.Float32, 256, 1)
		netF, _, mF := run(float, float, engine.Float32, 256, 1)
		assert.Equal(t, netF.Layers, netC.Layers, "parameters")
		assert.Equal(t, []float64{mF.Loss, mF.Accuracy}, []float64{mC.Loss, mC.Accuracy}, "loss and accuracy")
	})
	t.Run("data parallel", func(t *testing.T) {
		skipShared(t, be)
		spec := spec
		spec.DType = engine.Float64
		fit := func(coded func(rank int) bool) ([]*engine.Network, []error) {
			errs := make([]error, 2)
			nets := distributed.RunLocal(2, func(comm distributed.Comm) *engine.Network {
				train, test := floatTrain, floatTest
				if coded(comm.Rank()) {
					train, test = codedTrain, codedTest
				}
				rng := engine.NewRNG(9)
				net, err := engine.NewNetwork(spec, engine.InitAuto, rng)
				require.NoError(t, err)
				_, errs[comm.Rank()] = engine.Fit(context.Background(), net, train, engine.Config{Epochs: 1, LearningRate: 0.05, BatchSize: 8, RNG: rng, Validation: test, Backend: be, Comm: comm})
				return net
			})
			return nets, errs
		}
		codedNets, errs := fit(func(int) bool { return true })
		require.Equal(t, []error{nil, nil}, errs)
		floatNets, errs := fit(func(int) bool { return false })
		require.Equal(t, []error{nil, nil}, errs)
		assert.Equal(t, floatNets[0].Layers, codedNets[0].Layers)
		assert.Equal(t, codedNets[0].Layers, codedNets[1].Layers)
		_, errs = fit(func(rank int) bool { return rank == 0 })
		for rank, err := range errs {
			require.Error(t, err, "process %d", rank)
			assert.Contains(t, err.Error(), "the data-parallel fit differs from process 0's", "process %d", rank)
		}
	})
}
