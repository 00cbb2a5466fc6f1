package main

import (
	"errors"
	"fmt"

	"github.com/perceptron-go/perceptron/cpu"
	"github.com/perceptron-go/perceptron/engine"
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
