package main

import (
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/perceptron-go/perceptron/cpu"
	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/gpu"
)

// fitSeat is a fit's seat in a GPU's group of fits trained in one launch
// (gpu.Seat): the backend the fit trains through, which it leaves when it
// ends, and why, if it did, the fit trained alone.
type fitSeat interface {
	engine.Backend
	Leave()
	Alone() string
}

// fitBackend gives a sweep's fit the backend it trains through, once its
// network (spec), optimizer and training set are known; perExample is
// whether it trains per example (--batch 1, no dropout, no clipping).
type fitBackend func(perExample bool, spec engine.Spec, opt engine.Optimizer, set *dataset.Set) (engine.Backend, error)

// gpuGroup runs the fits that have a seat (those of --backend cuda, and
// where there is a GPU those of --backend auto at --batch 1) all at once,
// each in a goroutine of its own through its seat of one gpu.Group, which
// launches their steps together, a block a fit; the other fits run on the
// CPU pool beside them. Every seated fit must run at once: a seat's steps
// wait for every other seat's.
type gpuGroup struct {
	cpu   cpuPool
	seats []fitSeat // fit i's, or nil: the pool's
	model gpu.Model // what --backend auto's fits ask
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

// seatFits gives a seat of one group on the GPU to each fit of fits that
// may train in it (groupable), where there are two or more and this binary
// has the CUDA backend, and returns the runner of the sweep and the group's
// close (nil: none). It looks for a GPU (gpu.Devices) only where a fit
// asks for --backend auto.
func seatFits(fits []*sweepFit, threads int) (fitRunner, func() error, error) {
	pool := cpuPool{threads: threads}
	devices := 0
	if slices.ContainsFunc(fits, func(f *sweepFit) bool { return f.flags.backend == "auto" && f.flags.batch == 1 }) && gpuPresent() {
		devices = 1
	}
	gpuFits := groupable(fits, devices)
	if len(gpuFits) < 2 {
		return pool, nil, nil
	}
	seat, closeGroup, err := openGPUGroup(len(gpuFits))
	if err != nil || seat == nil {
		return pool, nil, err
	}
	g := gpuGroup{cpu: pool, seats: make([]fitSeat, len(fits)), model: gpu.H100}
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

// groupable returns the fits that may train in a GPU's group, devices the
// GPUs found: those of --backend cuda, and, where there is a GPU, those of
// --backend auto at --batch 1, which the model sends to the group or to
// the CPU once their networks are known (backendOf).
func groupable(fits []*sweepFit, devices int) []int {
	var out []int
	for i, f := range fits {
		if f.flags.backend == "cuda" || f.flags.backend == "auto" && f.flags.batch == 1 && devices > 0 {
			out = append(out, i)
		}
	}
	return out
}

// backendOf is how fit i, of --backend backend, picks its backend: its
// seat where it asked for cuda; for auto, its seat where the model says
// that the group's fits train faster together on the GPU than on the CPU
// pool (groupPicksGPU), else, its seat left, the CPU, or, for a fit that
// does not train per example (dropout, clipping), what train's --backend
// auto picks.
func (g gpuGroup) backendOf(i int, backend string) fitBackend {
	s := g.seats[i]
	return func(perExample bool, spec engine.Spec, opt engine.Optimizer, set *dataset.Set) (engine.Backend, error) {
		if backend == "cuda" || groupPicksGPU(g.model, g.size(), g.cpu.threads, perExample, spec, opt, set) {
			return s, nil
		}
		s.Leave()
		if !perExample {
			return openTrainingBackend(backend, spec, opt, 1, set)
		}
		return cpu.New(), nil
	}
}

// size is how many fits have a seat in the group.
func (g gpuGroup) size() int {
	n := 0
	for _, s := range g.seats {
		if s != nil {
			n++
		}
	}
	return n
}

// groupPicksGPU reports whether --backend auto trains a sweep's fit of
// spec by opt on set in the GPU's group of n fits rather than on the CPU
// pool of threads cores: where it trains per example and the model says
// that n such fits at once on the GPU beat the pool (m.Fits).
func groupPicksGPU(m gpu.Model, n, threads int, perExample bool, spec engine.Spec, opt engine.Optimizer, set *dataset.Set) bool {
	if !perExample {
		return false
	}
	data := engine.Examples{X: set.X, Codes: set.Codes, N: set.N, Features: set.Features}
	return m.Fits(spec, opt, data, n, threads).GPUFaster()
}
