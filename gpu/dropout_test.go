//go:build cuda || cudaemu

package gpu

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/cpu"
	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/backendtest"
	"github.com/perceptron-go/perceptron/engine/dataset"
)

// TestBackendDropout runs the suite's dropout checks: the gradient with the
// masks fixed, per example and in a mini-batch, resuming bit for bit,
// dropout the identity in prediction, and the data-parallel fits (on the
// emulator; a GPU skips them, as TestBackend's).
func TestBackendDropout(t *testing.T) { backendtest.Dropout(t, suiteBackend(newBackend(t))) }

// masks returns n dropout masks of probability p, rounded to dtype, with
// some entries 0 and the others 1/(1−p).
func masks(n int, p float64, dtype engine.DType, seed uint64) []float64 {
	m := make([]float64, n)
	engine.DropoutMask(m, p, engine.NewRNG(seed))
	for i := range m {
		m[i] = dtype.Round(m[i])
	}
	return m
}

// mulMask is the CPU twin of the mask's product (the cpu trainer's
// dropouts.apply and dropouts.backward): x[i]·m[i] in T.
func mulMask[T engine.Float](x, m []float64) []float64 {
	out := make([]float64, len(x))
	for i := range x {
		out[i] = float64(T(x[i]) * T(m[i]))
	}
	return out
}

// TestDenseForwardDropoutBatchParity runs dense_forward_dropout_batch, in
// both tile sizes, against cpu.DenseForwardBatch followed by the mask's
// product: Z as without dropout, A = f(Z) ⊙ M.
func TestDenseForwardDropoutBatchParity(t *testing.T) {
	for _, dtype := range dtypes {
		h := newHarness(t, dtype)
		rng := rand.New(rand.NewPCG(11, 12))
		for _, tl := range tiles {
			forward := h.ks.denseForwardDropoutBatch
			if tl.tile == smallTile {
				forward = h.ks.denseForwardDropoutBatchSmall
			}
			for _, rows := range []int{1, 7, 33} {
				for _, in := range tl.sizes[:min(4, len(tl.sizes))] {
					for _, out := range tl.sizes {
						for _, act := range activations[:4] {
							w, b, x := randoms(rng, out*in, dtype, 0), randoms(rng, out, dtype, 0), randoms(rng, rows*in, dtype, 5)
							m := masks(rows*out, 0.3, dtype, uint64(rows*out))
							dz, da := h.put(make([]float64, rows*out)), h.put(make([]float64, rows*out))
							dw, db, dx, dm := h.put(w), h.put(b), h.put(x), h.put(m)
							h.run(func() error {
								return forward(product(rows, out, tl.tile), dz, da, dw, db, dx, dm, rows, in, out, int(act))
							})
							var z, a []float64
							if dtype == engine.Float32 {
								z, a = cpuForwardBatch[float32](w, b, x, rows, act)
								a = mulMask[float32](a, m)
							} else {
								z, a = cpuForwardBatch[float64](w, b, x, rows, act)
								a = mulMask[float64](a, m)
							}
							what := fmt.Sprintf("%s %d rows %d→%d %s, tiles %d", dtype, rows, in, out, act, tl.tile)
							assertClose(t, z, h.get(dz, rows*out), rel(dtype), what+" z")
							assertCloseAt(t, a, h.get(da, rows*out), rel(dtype), max(largest(a), largest(z)), what+" a")
							got := h.get(da, rows*out)
							for i, v := range m {
								if v == 0 {
									require.Zero(t, got[i], "%s: a[%d] dropped", what, i)
								}
							}
						}
					}
				}
			}
		}
	}
}

// TestDropoutDeltaParity runs dropout_delta against engine.Delta on the
// activations before the mask, followed by the mask's product.
func TestDropoutDeltaParity(t *testing.T) {
	for _, dtype := range dtypes {
		h := newHarness(t, dtype)
		rng := rand.New(rand.NewPCG(13, 14))
		for _, n := range sizes {
			for _, act := range activations[:4] {
				da, z := randoms(rng, n, dtype, 0), randoms(rng, n, dtype, 4)
				a := activated(act, z, dtype)
				m := masks(n, 0.5, dtype, uint64(n))
				dd, dz, dm := h.put(da), h.put(z), h.put(m)
				h.run(func() error { return h.ks.dropoutDelta(flat(n), dd, dd, dz, dm, n, int(act)) })
				var want []float64
				if dtype == engine.Float32 {
					want = mulMask[float32](cpuDelta[float32](da, z, a, act), m)
				} else {
					want = mulMask[float64](cpuDelta[float64](da, z, a, act), m)
				}
				assertClose(t, want, h.get(dd, n), rel(dtype), fmt.Sprintf("%s %d %s dz", dtype, n, act))
			}
		}
	}
}

// TestDropoutMatchesCPU trains networks with dropout for two epochs on both
// backends from the same parameters and seed, per example (mini-batch
// steps of one row on the GPU) and in batches of 16 with a short last one,
// with plain SGD and Adam: the masks are the same draws of the fit's
// generator, so the parameters and losses agree as closely as without
// dropout (TestEpochMatchesCPU), where other masks would part them at once.
func TestDropoutMatchesCPU(t *testing.T) {
	gpu := newBackend(t)
	all, err := dataset.Synthetic("blobs", 200, -1, 7)
	require.NoError(t, err)
	layers, err := engine.ParseLayers("16:tanh:dropout=0.3,8:relu:dropout=0.5,3:softmax")
	require.NoError(t, err)
	for _, dtype := range dtypes {
		tol := 1e-9
		if dtype == engine.Float32 {
			tol = 1e-4
		}
		for _, opt := range []engine.Optimizer{{}, engine.DefaultOptimizer(engine.Adam)} {
			for _, batch := range []int{1, 16} {
				spec := engine.Spec{Inputs: 2, Layers: layers, Loss: engine.CE, DType: dtype}
				start, err := engine.NewNetwork(spec, engine.InitAuto, engine.NewRNG(5))
				require.NoError(t, err)
				fit := func(be engine.Backend) (*engine.Network, engine.History) {
					net := start.Clone()
					hist, err := engine.Fit(context.Background(), net, all, engine.Config{Epochs: 2, LearningRate: 0.02, BatchSize: batch,
						Optimizer: opt, Seed: 9, Backend: be})
					require.NoError(t, err)
					return net, hist
				}
				want, wantHist := fit(cpu.New())
				got, gotHist := fit(gpu)
				what := fmt.Sprintf("%s %s, batch %d", dtype, opt, batch)
				for e := range wantHist {
					assert.InEpsilon(t, wantHist[e].Loss, gotHist[e].Loss, tol, "%s: epoch %d's loss", what, e+1)
				}
				for l := range want.Layers {
					assertClose(t, want.Layers[l].W, got.Layers[l].W, tol, what+": W")
					assertClose(t, want.Layers[l].B, got.Layers[l].B, tol, what+": b")
				}
			}
		}
	}
}

// TestDropoutNeedsGenerator checks that a trainer of a network with dropout
// and no generator is refused, saying where the masks come from.
func TestDropoutNeedsGenerator(t *testing.T) {
	be := newBackend(t)
	spec := engine.Spec{Inputs: 2, Layers: []engine.LayerSpec{{Units: 4, Activation: engine.ReLU, Dropout: 0.5}, {Units: 1, Activation: engine.Sigmoid}},
		Loss: engine.BCE, DType: engine.Float32}
	net, err := engine.NewNetwork(spec, engine.InitAuto, engine.NewRNG(1))
	require.NoError(t, err)
	_, err = be.NewTrainer(net, engine.Examples{X: []float64{0.5, -1, 2, 0.25}, Y: []float64{1, 0}, N: 2, Features: 2, Outputs: 1},
		engine.Hyper{LearningRate: 0.1, BatchSize: 4})
	require.EqualError(t, err, "gpu: the layers 4:relu:dropout=0.5,1:sigmoid have dropout but Hyper.RNG is nil: the masks are drawn from the fit's generator")
}
