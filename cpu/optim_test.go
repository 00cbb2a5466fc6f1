package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/perceptron-go/perceptron/engine"
)

// TestOptimize checks optimize against engine.Update, its reference, bit for
// bit: Adam and AdamW (with or without weight decay), SGD with momentum
// (heavy ball or Nesterov, with or without weight decay), which run on the
// vector kernels, and Adam with weight decay and SGD with weight decay alone,
// which run on engine.Update; on lengths around the registers' widths, over
// steps whose state carries on, with gradients that overflow the state to
// +Inf and give NaN among them.
func TestOptimize(t *testing.T) {
	optimizers := []engine.Optimizer{
		engine.DefaultOptimizer(engine.Adam),
		{Kind: engine.AdamW, Beta1: 0.8, Beta2: 0.99, Eps: 1e-6, WeightDecay: 0.1},
		{Kind: engine.Adam, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01},
		{Kind: engine.SGD, Momentum: 0.9},
		{Kind: engine.SGD, Momentum: 0.9, Nesterov: true},
		{Kind: engine.SGD, Momentum: 0.5, WeightDecay: 0.01},
		{Kind: engine.SGD, Momentum: 0.5, Nesterov: true, WeightDecay: 0.01},
		{Kind: engine.SGD, WeightDecay: 0.01},
	}
	for _, o := range optimizers {
		name := fmt.Sprintf("%s/momentum%g/nesterov%t/wd%g", o.Kind, o.Momentum, o.Nesterov, o.WeightDecay)
		for _, n := range []int{0, 1, 3, 4, 5, 7, 8, 9, 16, 31, 100, 1027} {
			t.Run(fmt.Sprintf("%s/n=%d", name, n), func(t *testing.T) {
				checkOptimize[float32](t, o, n)
				checkOptimize[float64](t, o, n)
			})
		}
	}
}

func checkOptimize[T engine.Float](t *testing.T, o engine.Optimizer, n int) {
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	p := randomValues[T](rng, n)
	want, got := slices.Clone(p), slices.Clone(p)
	wantState, gotState := make([][]T, o.Slots()), make([][]T, o.Slots())
	for k := range wantState {
		wantState[k], gotState[k] = make([]T, n), make([]T, n)
	}
	for step := 1; step <= 5; step++ {
		g := randomValues[T](rng, n)
		if n > 2 && step == 3 {
			g[1] = T(math.Inf(1))
			g[2] = T(math.MaxFloat32) * 2 // +Inf in float32, huge in float64: v overflows
		}
		lr := 0.01 / float64(step)
		engine.Update(o, want, slices.Clone(g), wantState, step, lr)
		optimize(o, got, slices.Clone(g), gotState, step, lr)
		same(t, want, got, fmt.Sprintf("parameters after step %d", step))
		for k := range wantState {
			same(t, wantState[k], gotState[k], fmt.Sprintf("state slot %d after step %d", k, step))
		}
	}
}
