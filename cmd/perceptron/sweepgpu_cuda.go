//go:build cuda || cudaemu

package main

import "github.com/perceptron-go/perceptron/gpu"

// openGPUGroup opens the GPU (as --backend cuda does) and a group of seats
// seats on it: it returns what gives each seat, and the group's close.
func openGPUGroup(seats int) (func() fitSeat, func() error, error) {
	be, err := openBackend("cuda")
	if err != nil {
		return nil, nil, err
	}
	g := be.(*gpu.Backend).Group(seats)
	return func() fitSeat { return g.Seat() }, g.Close, nil
}
