//go:build cuda || cudaemu

package gpu

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/perceptron-go/perceptron/engine"
)

// optimizers are the optimizers the kernels are checked with: each kind,
// with and without weight decay, momentum and Nesterov's momentum.
var optimizers = []engine.Optimizer{
	{Kind: engine.SGD, WeightDecay: 0.1},
	{Kind: engine.SGD, Momentum: 0.9},
	{Kind: engine.SGD, Momentum: 0.8, Nesterov: true, WeightDecay: 0.05},
	engine.DefaultOptimizer(engine.Adam),
	{Kind: engine.Adam, Beta1: 0.8, Beta2: 0.95, Eps: 1e-6, WeightDecay: 0.1},
	engine.DefaultOptimizer(engine.AdamW),
}

// cpuUpdates runs engine.Update in T on p with state s over the gradients
// of several steps, step i (from first) at learning rate lrs[i].
func cpuUpdates[T engine.Float](o engine.Optimizer, p []float64, s [][]float64, grads [][]float64, first int, lrs []float64) ([]float64, [][]float64) {
	pt, st := typed[T](p), make([][]T, len(s))
	for k := range s {
		st[k] = typed[T](s[k])
	}
	for i, g := range grads {
		engine.Update(o, pt, typed[T](g), st, first+i, lrs[i])
	}
	out := make([][]float64, len(st))
	for k := range st {
		out[k] = floats(st[k])
	}
	return floats(pt), out
}

// TestOptimizerStepParity runs optimizer_step against its CPU twin,
// engine.Update, for every optimizer, over three steps from step 1 and from
// step 1000 (Adam's bias corrections near 1), each at its own learning
// rate, which the kernel reads at the cursor's batch.
func TestOptimizerStepParity(t *testing.T) {
	const batch = 5
	lrs := []float64{0.01, 0.03, 0.002}
	for _, dtype := range dtypes {
		h := newHarness(t, dtype)
		rng := rand.New(rand.NewPCG(13, 14))
		for _, o := range optimizers {
			settings := h.settings(o)
			for _, first := range []int{1, 1000} {
				rates := h.rates(o, first, lrs)
				for _, n := range []int{1, 33, 1000} {
					p := randoms(rng, n, dtype, 0)
					s := [][]float64{randoms(rng, n, dtype, 0), randoms(rng, n, dtype, 0)}
					for i := range s[1] {
						s[1][i] *= s[1][i] // Adam's v is a mean of squares
					}
					s = s[:o.Slots()]
					grads := [][]float64{randoms(rng, n, dtype, 4), randoms(rng, n, dtype, 0), randoms(rng, n, dtype, 3)}
					dp := h.put(p)
					ds := [2]devicePtr{h.put(make([]float64, 1)), h.put(make([]float64, 1))}
					for k := range s {
						ds[k] = h.put(s[k])
					}
					for i, g := range grads {
						dg := h.put(g)
						cursor := h.putInts([]int32{int32(i * batch)})
						h.run(func() error {
							return h.ks.optimizerStep(flat(n), dp, ds[0], ds[1], dg, settings, rates, cursor, batch, n)
						})
					}
					var wantP []float64
					var wantS [][]float64
					if dtype == engine.Float32 {
						wantP, wantS = cpuUpdates[float32](o, p, s, grads, first, lrs)
					} else {
						wantP, wantS = cpuUpdates[float64](o, p, s, grads, first, lrs)
					}
					what := fmt.Sprintf("%s %s from step %d, %d parameters", dtype, o, first, n)
					assertClose(t, wantP, h.get(dp, n), rel(dtype), what+": p")
					for k, name := range o.SlotNames() {
						assertClose(t, wantS[k], h.get(ds[k], n), rel(dtype), what+": "+name)
					}
				}
			}
		}
	}
}
