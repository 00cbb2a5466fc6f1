package cpu_test

import (
	"testing"

	"github.com/perceptron-go/perceptron/cpu"
	"github.com/perceptron-go/perceptron/engine/backendtest"
)

func TestBackend(t *testing.T) { backendtest.Run(t, cpu.New()) }

// TestBackendSparseInputs runs the suite with per-example SGD taking every
// data set's inputs as sparse, the path AutoInputs takes for MNIST.
func TestBackendSparseInputs(t *testing.T) { backendtest.Run(t, cpu.Backend{Inputs: cpu.SparseInputs}) }

// TestBackendDropout runs the dropout checks on both per-example paths
// (dense and sparse inputs) and on mini-batches (the products').
func TestBackendDropout(t *testing.T) {
	t.Run("dense", func(t *testing.T) { backendtest.Dropout(t, cpu.New()) })
	t.Run("sparse", func(t *testing.T) { backendtest.Dropout(t, cpu.Backend{Inputs: cpu.SparseInputs}) })
}

// TestClipping checks gradient clipping against torch's, per example and
// in mini-batches, and data parallel.
func TestClipping(t *testing.T) {
	backendtest.Clipping(t, cpu.New())
	backendtest.DataParallelClipping(t, cpu.New())
	backendtest.ResumeClipping(t, cpu.New())
}
