package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/perceptron-go/perceptron/engine"
)

// baseBytes is what the program itself takes beside a fit's arrays: the Go
// runtime, the code, the plot.
const baseBytes = 64 << 20

// fitBytes estimates the most memory a fit of spec takes, with n examples
// in all (training and test) and batch examples per step: the parameters on
// the host (float64) and twice on the backend (training and evaluation
// copies), a step's activations, and the examples as read (float64 values:
// MNIST's bytes take less), the permutation of a split (which reorders them
// in place), as targets, and copied to the backend.
func fitBytes(spec engine.Spec, params, n, batch int) uint64 {
	s := uint64(spec.DType.Size())
	units, widest, in := 0, 0, spec.Inputs
	for _, l := range spec.Layers {
		units += l.Units
		widest = max(widest, in+l.Units)
		in = l.Units
	}
	f, k := uint64(spec.Inputs), uint64(spec.Outputs())
	return baseBytes + uint64(params)*(8+2*s) + uint64(batch)*s*uint64(3*units+widest) + uint64(batch)*s*(f+k) +
		uint64(n)*(8*(f+1)+splitBytes+8*k+s*(f+k))
}

// splitBytes is what Set.Split takes per example: its permutation (an int)
// and a flag per example of the rows moved into place.
const splitBytes = 8 + 1

// syntheticBytes estimates the memory n synthetic examples (two features and
// a label) take as drawn and while they are split.
func syntheticBytes(n int) uint64 { return baseBytes + uint64(n)*(8*3+splitBytes) }

// checkFits returns an error naming what and the figures when need bytes
// exceed the memory this process can use, so that a size that cannot fit is
// refused before anything is allocated, not met by the kernel's OOM killer.
// Its hint is advice(room), what to ask for to fit in room bytes.
func checkFits(what string, need uint64, advice func(room uint64) string) error {
	room, source := memoryRoom()
	if need <= room {
		return nil
	}
	return withHint(fmt.Errorf("%s needs about %s of memory, more than the %s this process can use (%s)", what, gigabytes(need), gigabytes(room), source),
		advice(room))
}

// mostThatFit returns the largest n in [0, most] whose bytes(n), growing
// with n, is at most room; -1 if none is.
func mostThatFit(room uint64, most int, bytes func(n int) uint64) int {
	return sort.Search(most+1, func(n int) bool { return bytes(n) > room }) - 1
}

// gcPercent is the garbage collector's GOGC that the program runs with
// unless the environment sets one. A fit's heap is mostly its data and the
// backend's copy of it, held from start to end, and it makes little
// garbage: at Go's default of 100 the heap grows to twice that data before
// a collection, at 50 to one and a half times. On the default MNIST job
// (5 epochs, 2 cores, 2026-12-05) the peak resident memory went from 300 MB
// to 238 MB, in 15 collections instead of 9, a few milliseconds each
// (benchmarks/results/2026-12-05-memory.md).
const gcPercent = 50

// setGCPercent sets the garbage collector's target to gcPercent, unless
// the environment's GOGC sets it.
func setGCPercent() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
}

// gigabytes writes a byte count in GB with two decimals.
func gigabytes(b uint64) string { return fmt.Sprintf("%.2f GB", float64(b)/1e9) }

// samplesHint advises --samples n, the most synthetic examples that fit (-1:
// none do).
func samplesHint(n int) string {
	if n < 1 {
		return "the program alone needs more: free some memory, or raise the limit"
	}
	return fmt.Sprintf("give --samples %d or fewer", n)
}

// fitAdvice returns checkFits' advice for the fit of a params-parameter
// network on examples examples: the most examples that fit (--samples for
// synthetic data, a smaller file otherwise), or, where the network alone
// does not fit, fewer units.
func (t *training) fitAdvice(params, examples int) func(room uint64) string {
	return func(room uint64) string {
		n := mostThatFit(room, examples, func(n int) uint64 { return fitBytes(t.spec, params, n, min(t.batch, max(n, 1))) })
		switch {
		case n < 1:
			return "the network alone needs more: ask for fewer units in --layers"
		case strings.HasPrefix(t.data.spec, "synthetic:"):
			return samplesHint(n)
		}
		return fmt.Sprintf("train on %d examples or fewer (a smaller file), or ask for fewer units in --layers", n)
	}
}
