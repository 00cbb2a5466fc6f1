package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/gpu"
)

// TestSweepGroupable: the fits that get a seat in the GPU's group: those
// of --backend cuda always, those of --backend auto at --batch 1 only
// where a GPU is found, never those of cpu or of auto's mini-batches.
func TestSweepGroupable(t *testing.T) {
	fit := func(backend string, batch int) *sweepFit {
		return &sweepFit{flags: &trainFlags{backend: backend, batch: batch}}
	}
	fits := []*sweepFit{fit("cuda", 1), fit("auto", 1), fit("cpu", 1), fit("auto", 16), fit("cuda", 16), fit("auto", 1)}
	assert.Equal(t, []int{0, 4}, groupable(fits, 0), "no GPU: --backend cuda's fits only")
	assert.Equal(t, []int{0, 1, 4, 5}, groupable(fits, 1), "a GPU: and auto's per-example fits")
}

// TestSweepAutoPicksGroup: where a GPU is found, a sweep's --backend auto
// sends W1's per-example fits to the GPU's group when the model says that
// the group's fits at once beat the CPU pool: 512 fits on 2 cores, not 8
// (gpu.H100: ~11 fits is where they cross), nor 512 on a model whose
// launch costs a second; never a fit that does not train per example.
func TestSweepAutoPicksGroup(t *testing.T) {
	moons, err := dataset.Synthetic("moons", 1000, -1, 1)
	require.NoError(t, err)
	layers, err := engine.ParseLayers("6:relu,6:relu,1:sigmoid")
	require.NoError(t, err)
	w1 := engine.Spec{Inputs: 2, Layers: layers, Loss: engine.BCE, DType: engine.Float64}
	plain := engine.Optimizer{}
	assert.True(t, groupPicksGPU(gpu.H100, 512, 2, true, w1, plain, moons), "512 W1 fits: the group")
	assert.True(t, groupPicksGPU(gpu.H100, 16, 2, true, w1, plain, moons), "16 W1 fits: the group")
	assert.False(t, groupPicksGPU(gpu.H100, 8, 2, true, w1, plain, moons), "8 W1 fits: the CPU pool")
	assert.False(t, groupPicksGPU(gpu.H100, 512, 2, false, w1, plain, moons), "not per example: never the group")
	slow := gpu.H100
	slow.Launch = 1
	assert.False(t, groupPicksGPU(slow, 512, 2, true, w1, plain, moons), "a launch of a second: the CPU pool")
}
