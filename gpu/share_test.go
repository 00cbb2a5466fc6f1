//go:build cuda || cudaemu

package gpu

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/distributed"
)

// shareGradients is share_gradients' CPU twin: of the step's Sums g, n
// gradients and the verdict, the values [from, to) — the gradients
// weighted by rows/batch (zeroes for an empty shard), the verdict on the
// first of the shard's losses that is not finite, or 0 — and the others as
// they were.
func shareGradients[T engine.Float](g, losses []float64, cursor, rows, batch, from, to, n int) []float64 {
	s := distributed.NewSums[T](n, distributed.StepFlags)
	for i := range s.Values() {
		if rows > 0 {
			s.Values()[i] = T(g[i]) * (T(rows) / T(batch))
		}
	}
	for _, l := range losses[cursor : cursor+rows] {
		if v := distributed.Verdict(l); v != 0 {
			s.SetFlag(0, v)
			break
		}
	}
	out := slices.Clone(g)
	for i, v := range s.Buffer()[from:to] {
		out[from+i] = float64(v)
	}
	return out
}

// TestShareGradientsParity weights a shard's gradients by its share of the
// batch and finds its first loss that is not finite, against the CPU twin,
// bit for bit: full, partial and empty shards, over the whole Sums and
// over buckets of it, with the verdict and without, leaving the values
// outside as they were.
func TestShareGradientsParity(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, dtype := range dtypes {
		h := newHarness(t, dtype)
		const n, cursor = 300, 3
		losses := []float64{9, 9, 9, 0.5, 1.5, math.Inf(-1), 2, math.NaN(), 3}
		for _, c := range []struct{ rows, batch int }{{2, 16}, {5, 16}, {0, 16}, {1, 3}} {
			for _, span := range [][2]int{{0, n + 1}, {17, 290}, {250, n + 1}, {n, n + 1}, {0, 1}} {
				g := randoms(rng, n+1, dtype, 7)
				dg, dl, dc := h.put(g), h.putDoubles(losses), h.putInts([]int32{cursor})
				from, to := span[0], span[1]
				h.run(func() error { return h.ks.shareGradients(flat(to-from), dg, dl, dc, c.rows, c.batch, from, to, n) })
				want := shareGradients[float64](g, losses, cursor, c.rows, c.batch, from, to, n)
				if dtype == engine.Float32 {
					want = shareGradients[float32](g, losses, cursor, c.rows, c.batch, from, to, n)
				}
				got := h.get(dg, n+1)
				what := fmt.Sprintf("%s, %d rows of %d, values [%d, %d)", dtype, c.rows, c.batch, from, to)
				assert.Equal(t, want[:n], got[:n], "%s: the gradients", what)
				assert.Equal(t, fmt.Sprint(want[n]), fmt.Sprint(got[n]), "%s: the verdict on the losses", what)
			}
		}
	}
}

// flagStep is flag_step's CPU twin: flags[cursor/batch] = g[n].
func flagStep(flags, g []float64, cursor, batch, n int) { flags[cursor/batch] = g[n] }

// TestFlagStep keeps a step's verdict as the flag of the step at the
// cursor, as the CPU twin does.
func TestFlagStep(t *testing.T) {
	const cursor, batch, n = 2*16 + 5, 16, 2
	g := []float64{1, 2, math.Inf(1)}
	want := make([]float64, 4)
	flagStep(want, g, cursor, batch, n)
	for _, dtype := range dtypes {
		h := newHarness(t, dtype)
		flags, dg, dc := h.putDoubles(make([]float64, 4)), h.put(g), h.putInts([]int32{cursor})
		h.run(func() error {
			return h.ks.flagStep(oneThread, flags, dg, dc, batch, n)
		})
		got := h.doubles(flags, 4)
		assert.Equal(t, want, got, "%s: as the CPU twin", dtype)
		assert.Equal(t, []float64{0, 0, math.Inf(1), 0}, got, "%s: step 2's flag", dtype)
	}
}

// shareAlone makes tr data parallel over a group of this process alone,
// or skips the test where NCCL is missing.
func shareAlone(t *testing.T, tr engine.Trainer) {
	t.Helper()
	err := distributed.RunLocal(1, func(c distributed.Comm) error { return tr.ShareBatches(c) })[0]
	skipWithoutNCCL(t, err)
	require.NoError(t, err)
}

// TestShareBatchesAlone trains a data-parallel trainer on a group of one
// process, every call of the all-reduce included (on a GPU, NCCL's: a
// communicator of one rank, the all-reduces on the second stream), in
// batches that leave a smaller last one, with plain SGD and Adam, in one
// bucket, in buckets of one value and of 5 values (two segments of
// several buckets): it ends where a trainer alone does, to rounding, with
// the same totals.
func TestShareBatchesAlone(t *testing.T) {
	be := newBackend(t)
	all, err := dataset.Synthetic("moons", 70, -1, 3)
	require.NoError(t, err)
	spec := engine.Spec{Inputs: 2, Layers: []engine.LayerSpec{{Units: 5, Activation: engine.Tanh}, {Units: 1, Activation: engine.Sigmoid}},
		Loss: engine.BCE, DType: engine.Float64}
	y, err := spec.Targets(all)
	require.NoError(t, err)
	data := engine.Examples{X: all.X, Y: y, N: all.N, Features: 2, Outputs: 1}
	order := rand.New(rand.NewPCG(1, 2)).Perm(all.N)
	for _, opt := range []engine.Optimizer{{}, engine.DefaultOptimizer(engine.Adam)} {
		train := func(shared bool, bucketBytes int) (*engine.Network, []engine.Totals) {
			net, err := engine.NewNetwork(spec, engine.InitAuto, engine.NewRNG(4))
			require.NoError(t, err)
			tr, err := be.NewTrainer(net, data, engine.Hyper{LearningRate: 0.05, BatchSize: 16, Optimizer: opt, BucketBytes: bucketBytes})
			require.NoError(t, err)
			defer func() { require.NoError(t, tr.Close()) }()
			if shared {
				shareAlone(t, tr)
			}
			var totals []engine.Totals
			for range 2 {
				require.NoError(t, tr.BeginEpoch(order))
				require.NoError(t, tr.Steps(context.Background(), 0, 32))
				require.NoError(t, tr.Steps(context.Background(), 32, all.N))
				sums, err := tr.Totals()
				require.NoError(t, err)
				totals = append(totals, sums)
			}
			require.NoError(t, tr.CopyTo(net))
			return net, totals
		}
		want, wantTotals := train(false, 0)
		for _, bucketBytes := range []int{0, 8, 40} {
			got, totals := train(true, bucketBytes)
			what := fmt.Sprintf("%s, buckets of %d bytes", opt, bucketBytes)
			for i, w := range wantTotals {
				assert.InDelta(t, w.Loss, totals[i].Loss, 1e-12*w.Loss, "%s: epoch %d's loss", what, i+1)
				assert.Equal(t, [2]int{w.Correct, w.Examples}, [2]int{totals[i].Correct, totals[i].Examples}, "%s: epoch %d", what, i+1)
			}
			for l := range want.Layers {
				assertClose(t, want.Layers[l].W, got.Layers[l].W, 1e-12, fmt.Sprintf("%s: W%d", what, l+1))
				assertClose(t, want.Layers[l].B, got.Layers[l].B, 1e-12, fmt.Sprintf("%s: b%d", what, l+1))
			}
		}
	}
}

// TestShareBatchesNonFinite drives a data-parallel trainer of one process
// to overflow: Totals names the step, as a trainer alone does.
func TestShareBatchesNonFinite(t *testing.T) {
	be := newBackend(t)
	spec := engine.Spec{Inputs: 1, Layers: []engine.LayerSpec{{Units: 1, Activation: engine.Linear}}, Loss: engine.MSE, DType: engine.Float64}
	data := engine.Examples{X: []float64{1, 2, 1e200, 3, 4}, Y: []float64{1, 2, 3, 4, 5}, N: 5, Features: 1, Outputs: 1}
	net, err := engine.NewNetwork(spec, engine.InitXavier, engine.NewRNG(1))
	require.NoError(t, err)
	tr, err := be.NewTrainer(net, data, engine.Hyper{LearningRate: 0.01, BatchSize: 2})
	require.NoError(t, err)
	defer tr.Close()
	shareAlone(t, tr)
	require.NoError(t, tr.BeginEpoch([]int{0, 1, 3, 2, 4}))
	require.NoError(t, tr.Steps(context.Background(), 0, 5))
	_, err = tr.Totals()
	var nf *engine.NonFiniteError
	require.ErrorAs(t, err, &nf)
	assert.Equal(t, 3, nf.Step, "the second batch, from the third example")
	assert.True(t, math.IsInf(nf.Loss, 1), "%v", nf.Loss)
}
