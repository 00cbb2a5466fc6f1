package main

import (
	"errors"
	"fmt"

	"github.com/perceptron-go/perceptron/cpu"
	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/gpu"
)

// openBackend returns the backend named by --backend: cpu, cuda, or auto,
// which picks CUDA when the binary has it and a GPU is present, and the CPU
// when the binary has no CUDA or the machine no driver or no GPU. Any other
// CUDA failure is an error, not a silent fall back.
func openBackend(name string) (engine.Backend, error) {
	switch name {
	case "cpu":
		return cpu.New(), nil
	case "cuda", "auto":
		be, err := gpu.New()
		if err == nil {
			return be, nil
		}
		if name == "auto" && (errors.Is(err, gpu.ErrNotBuilt) || errors.Is(err, gpu.ErrNoDevice)) {
			return cpu.New(), nil
		}
		hint := "use --backend cpu, or --backend auto, which trains on the GPU where there is one and on the CPU elsewhere"
		if errors.Is(err, gpu.ErrNotBuilt) {
			hint = "use --backend cpu, or build with go build -tags cuda ./cmd/perceptron on a machine with the CUDA toolkit"
		} else if !errors.Is(err, gpu.ErrNoDevice) {
			hint = "use --backend cpu"
		}
		return nil, withHint(fmt.Errorf("--backend %s: %w", name, err), hint)
	}
	return nil, fmt.Errorf("--backend: unknown backend %q: expected auto, cpu or cuda", name)
}

// openTrainingBackend is openBackend for a fit of spec by opt at batch on
// set: --backend auto, where there is a GPU, trains on the CPU where the
// GPU's cost model (gpu.H100, a model of an H100 beside 2 CPU cores, not a
// measurement) says that the CPU is faster, as for W1's 2-6-6-1 per
// example, and otherwise where openBackend's auto does. The model, which
// counts the inputs' nonzeros over the data, is asked only where there is
// a GPU to choose.
func openTrainingBackend(name string, spec engine.Spec, opt engine.Optimizer, batch int, set *dataset.Set) (engine.Backend, error) {
	if name == "auto" && gpuPresent() && !autoPicksGPU(spec, opt, batch, set) {
		return cpu.New(), nil
	}
	return openBackend(name)
}

// gpuPresent reports whether this binary has the CUDA backend and finds a
// GPU.
func gpuPresent() bool {
	names, err := gpu.Devices()
	return err == nil && len(names) > 0
}

// autoPicksGPU reports whether --backend auto trains a fit of spec by opt
// at batch on set on the GPU, where there is one: where gpu.H100 says the
// GPU's step is faster than the CPU's.
func autoPicksGPU(spec engine.Spec, opt engine.Optimizer, batch int, set *dataset.Set) bool {
	faster, _, _ := gpu.H100.Faster(spec, opt, batch, engine.Examples{X: set.X, Codes: set.Codes, N: set.N, Features: set.Features})
	return faster
}
