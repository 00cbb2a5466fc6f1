//go:build !cuda && !cudaemu

package main

// openGPUGroup returns no group: this binary has no CUDA backend, so each
// fit of --backend cuda fails as perceptron train's would.
func openGPUGroup(int) (func() fitSeat, func() error, error) { return nil, nil, nil }
