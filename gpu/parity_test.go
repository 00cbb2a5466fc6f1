//go:build cuda || cudaemu

package gpu

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/perceptron-go/perceptron/cpu"
	"github.com/perceptron-go/perceptron/engine"
)

// Each kernel against its CPU twin, in both precisions, on layers whose
// inputs and outputs range over sizes.

func cpuForwardBatch[T engine.Float](w, b, x []float64, rows int, act engine.Activation) (z, a []float64) {
	zt, at := make([]T, rows*len(b)), make([]T, rows*len(b))
	cpu.DenseForwardBatch(zt, at, typed[T](w), typed[T](b), typed[T](x), rows, act, make([]T, len(x)+len(zt)))
	return floats(zt), floats(at)
}

// tiles are the product kernels' tile sizes, each checked on layers of some
// of the sizes (the small tiles on fewer: they run the same code).
var tiles = []struct {
	tile  int
	sizes []int
}{{largeTile, sizes}, {smallTile, []int{1, 33, 128}}}

func TestDenseForwardBatchParity(t *testing.T) {
	for _, dtype := range dtypes {
		h := newHarness(t, dtype)
		rng := rand.New(rand.NewPCG(3, 4))
		for _, tl := range tiles {
			forward := h.ks.denseForwardBatch
			if tl.tile == smallTile {
				forward = h.ks.denseForwardBatchSmall
			}
			for _, rows := range []int{1, 7, 33} {
				for _, in := range tl.sizes {
					for _, out := range tl.sizes {
						for _, act := range activations {
							testForwardBatch(t, h, rng, forward, tl.tile, rows, in, out, act)
						}
					}
				}
			}
		}
	}
}

// testForwardBatch checks forward, a form of dense_forward_batch with tiles
// of tile×tile, on a random layer of in inputs and out units.
func testForwardBatch(t *testing.T, h *harness, rng *rand.Rand, forward func(launchConfig, devicePtr, devicePtr, devicePtr, devicePtr, devicePtr, int, int, int, int) error,
	tile, rows, in, out int, act engine.Activation) {
	t.Helper()
	dtype := h.dtype
	w, b, x := randoms(rng, out*in, dtype, 0), randoms(rng, out, dtype, 0), randoms(rng, rows*in, dtype, 5)
	dz, da := h.put(make([]float64, rows*out)), h.put(make([]float64, rows*out))
	dw, db, dx := h.put(w), h.put(b), h.put(x)
	h.run(func() error {
		return forward(product(rows, out, tile), dz, da, dw, db, dx, rows, in, out, int(act))
	})
	if act == engine.Softmax {
		h.run(func() error { return h.ks.softmaxRows(perRow(rows), da, dz, rows, out) })
	}
	var z, a []float64
	if dtype == engine.Float32 {
		z, a = cpuForwardBatch[float32](w, b, x, rows, act)
	} else {
		z, a = cpuForwardBatch[float64](w, b, x, rows, act)
	}
	what := fmt.Sprintf("%s %d rows %d→%d %s, tiles %d", dtype, rows, in, out, act, tile)
	assertClose(t, z, h.get(dz, rows*out), rel(dtype), what+" z")
	assertCloseAt(t, a, h.get(da, rows*out), rel(dtype), max(largest(a), largest(z)), what+" a")
}

func cpuBackwardBatch[T engine.Float](w, b, dz, x []float64, rows int, lr float64) (daPrev, w2, b2, gw, gb []float64) {
	wt, bt, dp, dzt, xt := typed[T](w), typed[T](b), make([]T, len(x)), typed[T](dz), typed[T](x)
	gwt, gbt := make([]T, len(w)), make([]T, len(b))
	cpu.DenseGradientBatch(gwt, gbt, dzt, xt, rows, rows)
	cpu.DenseBackwardBatch(dp, wt, bt, dzt, xt, rows, T(lr))
	return floats(dp), floats(wt), floats(bt), floats(gwt), floats(gbt)
}

// TestDenseBackwardBatchParity runs the kernels of a mini-batch's backward
// pass against their CPU twins: dense_backward_data_batch, plain SGD's
// dense_update_batch and bias_update_batch at the step's learning rate,
// which they read at the cursor, and dense_gradient_batch and
// bias_gradient_batch (cpu.DenseGradientBatch), in both tile sizes.
func TestDenseBackwardBatchParity(t *testing.T) {
	const lr, batch, position = 0.05, 40, 80 // the learning rate of the epoch's third step of 40 examples
	for _, dtype := range dtypes {
		h := newHarness(t, dtype)
		rng := rand.New(rand.NewPCG(7, 8))
		rates, cursor := h.rates(engine.Optimizer{}, 1, []float64{1, 2, lr, 4}), h.putInts([]int32{position})
		for _, tl := range tiles {
			data, update, gradient := h.ks.denseBackwardDataBatch, h.ks.denseUpdateBatch, h.ks.denseGradientBatch
			if tl.tile == smallTile {
				data, update, gradient = h.ks.denseBackwardDataBatchSmall, h.ks.denseUpdateBatchSmall, h.ks.denseGradientBatchSmall
			}
			for _, rows := range []int{1, 7, 33} {
				for _, in := range tl.sizes {
					for _, out := range tl.sizes {
						w, b, dz, x := randoms(rng, out*in, dtype, 0), randoms(rng, out, dtype, 0), randoms(rng, rows*out, dtype, 3), randoms(rng, rows*in, dtype, 5)
						dw, db, ddz, dx := h.put(w), h.put(b), h.put(dz), h.put(x)
						dprev, dgw, dgb := h.put(make([]float64, rows*in)), h.put(make([]float64, out*in)), h.put(make([]float64, out))
						h.run(func() error { return data(product(rows, in, tl.tile), dprev, ddz, dw, rows, in, out) })
						h.run(func() error { return gradient(product(out, in, tl.tile), dgw, ddz, dx, rows, in, out) })
						h.run(func() error { return h.ks.biasGradientBatch(flat(out), dgb, ddz, rows, out) })
						h.run(func() error {
							return update(product(out, in, tl.tile), dw, ddz, dx, rates, cursor, batch, rows, in, out)
						})
						h.run(func() error { return h.ks.biasUpdateBatch(flat(out), db, ddz, rates, cursor, batch, rows, out) })
						var daPrev, w2, b2, gw, gb []float64
						if dtype == engine.Float32 {
							daPrev, w2, b2, gw, gb = cpuBackwardBatch[float32](w, b, dz, x, rows, lr)
						} else {
							daPrev, w2, b2, gw, gb = cpuBackwardBatch[float64](w, b, dz, x, rows, lr)
						}
						what := fmt.Sprintf("%s %d rows %d→%d, tiles %d", dtype, rows, in, out, tl.tile)
						assertClose(t, daPrev, h.get(dprev, rows*in), rel(dtype), what+" da_prev")
						assertClose(t, w2, h.get(dw, out*in), rel(dtype), what+" W")
						assertClose(t, b2, h.get(db, out), rel(dtype), what+" b")
						assertClose(t, gw, h.get(dgw, out*in), rel(dtype), what+" gW")
						assertClose(t, gb, h.get(dgb, out), rel(dtype), what+" gb")
					}
				}
			}
		}
	}
}

func cpuDelta[T engine.Float](da, z, a []float64, act engine.Activation) []float64 {
	dz := make([]T, len(da))
	engine.Delta(act, dz, typed[T](da), typed[T](z), typed[T](a))
	return floats(dz)
}

// activated returns act of z, each value rounded to dtype, as a kernel
// reads activations that a layer of that dtype wrote.
func activated(act engine.Activation, z []float64, dtype engine.DType) []float64 {
	a := make([]float64, len(z))
	engine.Activate(act, a, z, len(z))
	for i := range a {
		a[i] = dtype.Round(a[i])
	}
	return a
}

func TestDenseDeltaParity(t *testing.T) {
	for _, dtype := range dtypes {
		h := newHarness(t, dtype)
		rng := rand.New(rand.NewPCG(9, 10))
		for _, n := range sizes {
			for _, act := range activations[:4] {
				da, z := randoms(rng, n, dtype, 0), randoms(rng, n, dtype, 4)
				a := activated(act, z, dtype)
				dd, dz, dact := h.put(da), h.put(z), h.put(a)
				h.run(func() error { return h.ks.denseDelta(flat(n), dd, dd, dz, dact, n, int(act)) })
				var want []float64
				if dtype == engine.Float32 {
					want = cpuDelta[float32](da, z, a, act)
				} else {
					want = cpuDelta[float64](da, z, a, act)
				}
				assertClose(t, want, h.get(dd, n), rel(dtype), fmt.Sprintf("%s %d %s dz", dtype, n, act))
			}
		}
	}
}

// cpuOutputGrad is output_grad's CPU twin: each row's engine.OutputGrad
// and, with w not nil, engine.Weigh by the row's weight w[r].
func cpuOutputGrad[T engine.Float](l engine.Loss, act engine.Activation, z, a, y, w []float64, rows, k int) (dz, losses []float64, correct []bool) {
	dzt, zt, at, yt := make([]T, len(z)), typed[T](z), typed[T](a), typed[T](y)
	for r := 0; r < rows; r++ {
		span := r * k
		loss, ok := engine.OutputGrad(l, act, dzt[span:span+k], zt[span:span+k], at[span:span+k], yt[span:span+k])
		if w != nil {
			loss = engine.Weigh(dzt[span:span+k], loss, w[r])
		}
		losses, correct = append(losses, loss), append(correct, ok)
	}
	return floats(dzt), losses, correct
}

func TestOutputGradParity(t *testing.T) {
	heads := []struct {
		loss engine.Loss
		act  engine.Activation
	}{{engine.BCE, engine.Sigmoid}, {engine.CE, engine.Softmax}, {engine.MSE, engine.Linear}, {engine.MSE, engine.Sigmoid},
		{engine.MSE, engine.Tanh}, {engine.MSE, engine.ReLU}}
	for _, dtype := range dtypes {
		h := newHarness(t, dtype)
		rng := rand.New(rand.NewPCG(11, 12))
		for _, hd := range heads {
			for _, k := range []int{1, 7, 10, 33} {
				if hd.act == engine.Softmax && k == 1 {
					continue
				}
				for _, rows := range []int{1, 7} {
					z := randoms(rng, rows*k, dtype, 0)
					for i := range z {
						z[i] *= 4
					}
					a := make([]float64, rows*k)
					engine.Activate(hd.act, a, z, k)
					y := make([]float64, rows*k)
					for r := 0; r < rows; r++ {
						switch {
						case hd.loss == engine.MSE:
							copy(y[r*k:(r+1)*k], randoms(rng, k, dtype, 0))
						case k == 1:
							y[r] = float64(rng.IntN(2))
						default:
							y[r*k+rng.IntN(k)] = 1
						}
					}
					for i := range a {
						a[i] = dtype.Round(a[i])
					}
					for _, weighted := range []bool{false, true} {
						const step = 3 // the rows' position in the epoch
						ddz, dz, da, dy := h.put(make([]float64, rows*k)), h.put(z), h.put(a), h.put(y)
						dloss, dcorrect := h.raw(8*(step+rows)), h.raw(4*(step+rows))
						cursor := h.putInts([]int32{step})
						// With weights, position p of the epoch is example order[p],
						// of weight weights[order[p]]; 0 is one of them.
						var dweights, dorder devicePtr
						var rowWeights []float64
						if weighted {
							order, weights := make([]int32, step+rows), make([]float64, step+rows)
							for p, i := range rng.Perm(step + rows) {
								order[p], weights[p] = int32(i), 2*rng.Float64()
							}
							weights[order[step]] = 0
							for r := 0; r < rows; r++ {
								rowWeights = append(rowWeights, weights[order[step+r]])
							}
							dweights, dorder = h.putDoubles(weights), h.putInts(order)
						}
						h.run(func() error {
							return h.ks.outputGrad(perRow(rows), ddz, dloss, dcorrect, dz, da, dy, cursor, dweights, dorder,
								rows, k, int(hd.loss), int(hd.act))
						})
						var wantDz, wantLoss []float64
						var wantCorrect []bool
						if dtype == engine.Float32 {
							wantDz, wantLoss, wantCorrect = cpuOutputGrad[float32](hd.loss, hd.act, z, a, y, rowWeights, rows, k)
						} else {
							wantDz, wantLoss, wantCorrect = cpuOutputGrad[float64](hd.loss, hd.act, z, a, y, rowWeights, rows, k)
						}
						what := fmt.Sprintf("%s %s+%s k=%d rows=%d weighted=%t", dtype, hd.act, hd.loss, k, rows, weighted)
						assertClose(t, wantDz, h.get(ddz, rows*k), rel(dtype), what+" dz")
						losses, correct := h.doubles(dloss, step+rows), h.ints(dcorrect, step+rows)
						assertClose(t, wantLoss, losses[step:], 1e-12, what+" loss")
						for r, ok := range wantCorrect {
							assert.Equal(t, ok, correct[step+r] == 1, "%s: correct of row %d", what, r)
						}
					}
				}
			}
		}
	}
}
