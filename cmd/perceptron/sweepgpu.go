package main

import (
	"fmt"
	"io"
	"sync"

	"github.com/perceptron-go/perceptron/engine"
)

// fitSeat is a fit's seat in a GPU's group of fits trained in one launch
// (gpu.Seat): the backend the fit trains through, which it leaves when it
// ends, and why, if it did, the fit trained alone.
type fitSeat interface {
	engine.Backend
	Leave()
	Alone() string
}

// gpuGroup runs the fits that have a seat (those of --backend cuda) all at
// once, each in a goroutine of its own through its seat of one gpu.Group,
// which launches their steps together, a block a fit; the other fits run
// on the CPU pool beside them. Every seated fit must run at once: a seat's
// steps wait for every other seat's.
type gpuGroup struct {
	cpu   cpuPool
	seats []fitSeat // fit i's, or nil: the pool's
}

var _ fitRunner = gpuGroup{}

func (g gpuGroup) run(n int, train func(i int)) {
	var wg sync.WaitGroup
	var rest []int
	for i := range n {
		if s := g.seats[i]; s != nil {
			wg.Go(func() {
				defer s.Leave()
				train(i)
			})
		} else {
			rest = append(rest, i)
		}
	}
	g.cpu.run(len(rest), func(j int) { train(rest[j]) })
	wg.Wait()
}

// seatFits gives each fit of fits that trains with --backend cuda a seat
// of one group on the GPU, where there are two or more and this binary has
// the CUDA backend, and returns the runner of the sweep and the group's
// close (nil: none).
func seatFits(fits []*sweepFit, threads int) (fitRunner, func() error, error) {
	pool := cpuPool{threads: threads}
	var gpuFits []int
	for i, f := range fits {
		if f.flags.backend == "cuda" {
			gpuFits = append(gpuFits, i)
		}
	}
	if len(gpuFits) < 2 {
		return pool, nil, nil
	}
	seat, closeGroup, err := openGPUGroup(len(gpuFits))
	if err != nil || seat == nil {
		return pool, nil, err
	}
	g := gpuGroup{cpu: pool, seats: make([]fitSeat, len(fits))}
	for _, i := range gpuFits {
		g.seats[i] = seat()
	}
	return g, closeGroup, nil
}

// sayAlone tells, for each fit that asked for the GPU but trained alone
// rather than in the group's launches, why.
func (g gpuGroup) sayAlone(fits []*sweepFit, stderr io.Writer) {
	for i, s := range g.seats {
		if s == nil {
			continue
		}
		if why := s.Alone(); why != "" {
			fmt.Fprintf(stderr, "perceptron: fit %d (%s) trained alone on the GPU, not in one launch with the others: %s\n", fits[i].n, fits[i].label, why)
		}
	}
}
