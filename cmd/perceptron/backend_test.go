package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
)

// TestAutoPicksByModel: --backend auto keeps W1 (2-6-6-1 per example) on
// the CPU, whose step the GPU's model does not beat, and sends W3
// (784-512-512-10) to the GPU, per example and at batch 64, and W2
// (784-128-10) per example on mostly zero inputs.
func TestAutoPicksByModel(t *testing.T) {
	spec := func(inputs int, layers string) engine.Spec {
		ls, err := engine.ParseLayers(layers)
		require.NoError(t, err)
		return engine.Spec{Inputs: inputs, Layers: ls, Loss: engine.BCE, DType: engine.Float32}
	}
	moons, err := dataset.Synthetic("moons", 1000, -1, 1)
	require.NoError(t, err)
	assert.False(t, autoPicksGPU(spec(2, "6:relu,6:relu,1:sigmoid"), engine.Optimizer{}, 1, moons), "W1")

	// 12,000 examples of 784 inputs, 150 of them nonzero, in the middle.
	mnist := &dataset.Set{N: 12000, Features: 784, X: make([]float64, 12000*784)}
	for r := range mnist.N {
		for j := 300; j < 450; j++ {
			mnist.X[r*784+j] = 0.5
		}
	}
	assert.True(t, autoPicksGPU(spec(784, "128:relu,10:sigmoid"), engine.Optimizer{}, 1, mnist), "W2")
	w3 := spec(784, "512:relu,512:relu,10:softmax")
	assert.True(t, autoPicksGPU(w3, engine.Optimizer{}, 1, mnist), "W3 per example")
	assert.True(t, autoPicksGPU(w3, engine.Optimizer{}, 64, mnist), "W3 at batch 64")
}
