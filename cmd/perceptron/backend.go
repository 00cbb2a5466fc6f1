package main

import (
	"fmt"

	"github.com/perceptron-go/perceptron/cpu"
	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/gpu"
)

// openBackend returns the backend named by --backend: cpu, cuda, or auto,
// which picks CUDA when the binary has it and a GPU is present.
func openBackend(name string) (engine.Backend, error) {
	switch name {
	case "cpu":
		return cpu.New(), nil
	case "cuda":
		be, err := gpu.New()
		if err != nil {
			return nil, withHint(fmt.Errorf("--backend cuda: %w", err), "use --backend cpu, or build with go build -tags cuda ./cmd/perceptron on a machine with the CUDA toolkit")
		}
		return be, nil
	case "auto":
		if be, err := gpu.New(); err == nil {
			return be, nil
		}
		return cpu.New(), nil
	}
	return nil, fmt.Errorf("--backend: unknown backend %q: expected auto, cpu or cuda", name)
}
