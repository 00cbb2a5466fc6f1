//go:build !cuda && !cudaemu

package gpu

import "github.com/perceptron-go/perceptron/engine"

// New returns the CUDA backend; this build has none, so it returns ErrNotBuilt.
func New() (engine.Backend, error) { return nil, ErrNotBuilt }

// Devices lists the CUDA devices found; this build has no CUDA backend, so it
// returns ErrNotBuilt.
func Devices() ([]string, error) { return nil, ErrNotBuilt }
