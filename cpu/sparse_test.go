package cpu

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
)

// sparseCase runs sparseForward and sparseUpdate on out values of rows of w,
// ldw apart, against their Go twins: z and w where they write, and the
// values past them unchanged.
func sparseCase[T engine.Float](t *testing.T, out, nonzero int, tol float64) {
	rng := rand.New(rand.NewPCG(uint64(out), uint64(nonzero)))
	const rows = 40
	ldw := out + 5
	w, z, dz := randomValues[T](rng, rows*ldw), randomValues[T](rng, out+3), randomValues[T](rng, out+3)
	idx, val := make([]int32, nonzero), randomValues[T](rng, nonzero)
	for k := range idx {
		idx[k] = int32(rng.IntN(rows))
	}
	wantZ, gotZ := append([]T(nil), z...), append([]T(nil), z...)
	sparseForwardGo(wantZ[:out], w, ldw, idx, val)
	sparseForward(gotZ[:out], w, ldw, idx, val)
	wantW, gotW := append([]T(nil), w...), append([]T(nil), w...)
	b := randomValues[T](rng, out+3)
	wantB, gotB := append([]T(nil), b...), append([]T(nil), b...)
	sparseUpdateGo(wantW, ldw, idx, val, -0.375, dz[:out], wantB)
	sparseUpdate(gotW, ldw, idx, val, -0.375, dz[:out], gotB)
	what := fmt.Sprintf("%T out=%d nonzero=%d", z[0], out, nonzero)
	for i := range z {
		require.InDelta(t, float64(wantZ[i]), float64(gotZ[i]), tol*float64(nonzero+1), "%s: z[%d]", what, i)
	}
	for i := range w {
		require.InDelta(t, float64(wantW[i]), float64(gotW[i]), tol*float64(nonzero+1), "%s: w[%d]", what, i)
	}
	same(t, wantB, gotB, what+": b")
}

// TestSparseKernels checks the kernels of sparse inputs on every width
// around their blocks of registers, with and without nonzero inputs.
func TestSparseKernels(t *testing.T) {
	if !haveAVX512 {
		t.Skip("this CPU has no AVX-512: sparse inputs run in Go")
	}
	for _, out := range []int{1, 7, 8, 9, 16, 17, 63, 64, 65, 127, 128, 129, 200, 256, 300} {
		for _, nonzero := range []int{0, 1, 5, 60} {
			sparseCase[float32](t, out, nonzero, 1e-6)
			sparseCase[float64](t, out, nonzero, 1e-15)
		}
	}
	require.Panics(t, func() { sparseForward(make([]float32, 4), make([]float32, 12), 3, nil, nil) })
}

// sparseData returns n examples of in features, about density of them not
// 0, with one-hot targets over k classes.
func sparseData(n, in, k int, density float64) engine.Examples {
	rng := rand.New(rand.NewPCG(5, 6))
	x, y := make([]float64, n*in), make([]float64, n*k)
	for i := range x {
		if rng.Float64() < density {
			x[i] = rng.Float64()
		}
	}
	for i := 0; i < n; i++ {
		y[i*k+rng.IntN(k)] = 1
	}
	return engine.Examples{X: x, Y: y, N: n, Features: in, Outputs: k}
}

// sparseRowsCase checks that newSparseRows keeps each example's nonzero
// inputs, and only those, in their order, with their rows of W, and its
// targets: rows of 0 to 5 nonzeros, odd and even, so that the columns'
// int32s fill a last T or half of it.
func sparseRowsCase[T engine.Float](t *testing.T) {
	const in, k = 9, 3
	var x, y []float64
	for n := range 6 {
		row := make([]float64, in)
		for k := range n {
			row[(k*4+n)%in] = float64(n*10 + k + 1)
		}
		x, y = append(x, row...), append(y, float64(n), 0.5, -1)
	}
	s := newSparseRows[T](engine.Examples{X: x, Y: y, N: len(x) / in, Features: in, Outputs: k})
	for i := range len(x) / in {
		assert.Equal(t, []T{T(i), 0.5, -1}, s.targets(i), "%T example %d: targets", T(0), i)
		wantIdx, wantVal := []int32{}, []T{}
		for j, v := range x[i*in : (i+1)*in] {
			if v != 0 {
				wantIdx, wantVal = append(wantIdx, s.rowOf[j]), append(wantVal, T(v))
			}
		}
		idx, val := s.row(i)
		assert.Equal(t, wantIdx, append([]int32{}, idx...), "%T example %d: columns", T(0), i)
		assert.Equal(t, wantVal, append([]T{}, val...), "%T example %d: values", T(0), i)
		assert.Len(t, s.piece(i), len(wantVal)+(len(wantIdx)+int32sPer[T]()-1)/int32sPer[T]()+k, "%T example %d: its piece", T(0), i)
	}
}

func TestSparseRows(t *testing.T) {
	sparseRowsCase[float32](t)
	sparseRowsCase[float64](t)
}

// TestInputOrder checks that inputOrder gives each input its own row and
// puts inputs that are nonzero together next to each other: 12 inputs in
// pairs (j, j+6), nonzero together and with nothing else, pair j in j+1
// examples of 21 (so the chain starts at the pair seen most, 5 and 11, and
// goes on from pair to pair as the counts fall, ties broken for the input
// seen more). Past orderLimit inputs the order is their own.
func TestInputOrder(t *testing.T) {
	const in, pairs = 12, 6
	var x []float64
	for j := range pairs {
		for range j + 1 {
			row := make([]float64, in)
			row[j], row[j+pairs] = 1, 0.5
			x = append(x, row...)
		}
	}
	rowOf := inputOrder(engine.Examples{X: x, N: len(x) / in, Features: in, Outputs: 1})
	seen := map[int32]bool{}
	for _, r := range rowOf {
		require.True(t, r >= 0 && r < in && !seen[r], "rows %v: each input its own", rowOf)
		seen[r] = true
	}
	for j := range pairs {
		assert.Equal(t, 1, abs(int(rowOf[j])-int(rowOf[j+pairs])), "rows %v: inputs %d and %d, always nonzero together, are neighbours", rowOf, j, j+pairs)
	}
	assert.Equal(t, []int32{0, 1}, []int32{min(rowOf[5], rowOf[11]), max(rowOf[5], rowOf[11])}, "rows %v: the pair seen most comes first", rowOf)

	wide := engine.Examples{X: make([]float64, orderLimit+1), N: 1, Features: orderLimit + 1}
	for j, r := range inputOrder(wide) {
		require.Equal(t, int32(j), r)
	}
}

func abs(v int) int { return max(v, -v) }

// TestToRows checks that fromRows undoes toRows, and that toRows puts input
// j's weights in row rowOf[j].
func TestToRows(t *testing.T) {
	const out, in = 3, 4
	w := []float64{0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23} // [out, in]: w[r·in + j] = 10r + j
	rowOf := []int32{2, 0, 3, 1}
	rows := make([]float32, out*in)
	toRows(rows, w, out, in, rowOf)
	assert.Equal(t, []float32{1, 11, 21, 3, 13, 23, 0, 10, 20, 2, 12, 22}, rows)
	back := make([]float64, out*in)
	fromRows(back, rows, out, in, rowOf)
	assert.Equal(t, w, back)
}

// TestSparseInputsPick checks which inputs AutoInputs takes as sparse.
func TestSparseInputsPick(t *testing.T) {
	sparse, dense := sparseData(50, 30, 3, 0.2), sparseData(50, 30, 3, 0.9)
	assert.Equal(t, haveAVX512, Backend{}.sparseInputs(sparse, 1), "MNIST-like inputs, per example")
	assert.False(t, Backend{}.sparseInputs(dense, 1), "dense inputs")
	assert.False(t, Backend{}.sparseInputs(sparse, 8), "mini-batches")
	assert.True(t, Backend{Inputs: SparseInputs}.sparseInputs(dense, 1))
	assert.False(t, Backend{Inputs: DenseInputs}.sparseInputs(sparse, 1))
}

// TestSparseInputsTrainAsDense trains per example on sparse inputs both
// ways, with each optimizer, and compares the parameters, the optimizer's
// state and the losses.
func TestSparseInputsTrainAsDense(t *testing.T) {
	data := sparseData(300, 50, 4, 0.2)
	spec := engine.Spec{Inputs: 50, Layers: []engine.LayerSpec{{Units: 37, Activation: engine.ReLU}, {Units: 4, Activation: engine.Softmax}},
		Loss: engine.CE, DType: engine.Float64}
	order := make([]int, data.N)
	for i := range order {
		order[i] = (i * 7) % data.N
	}
	momentum := engine.DefaultOptimizer(engine.SGD)
	momentum.Momentum, momentum.WeightDecay = 0.9, 1e-3
	for _, opt := range []engine.Optimizer{{}, momentum, engine.DefaultOptimizer(engine.Adam), engine.DefaultOptimizer(engine.AdamW)} {
		train := func(be Backend) (*engine.Network, engine.OptimizerState, engine.Totals) {
			net, err := engine.NewNetwork(spec, engine.InitAuto, engine.NewRNG(3))
			require.NoError(t, err)
			tr, err := be.NewTrainer(net, data, engine.Hyper{LearningRate: 0.01, BatchSize: 1, Optimizer: opt})
			require.NoError(t, err)
			for range 2 {
				require.NoError(t, tr.BeginEpoch(order))
				require.NoError(t, tr.Steps(context.Background(), 0, data.N))
			}
			totals, err := tr.Totals()
			require.NoError(t, err)
			require.NoError(t, tr.CopyTo(net))
			state := engine.NewOptimizerState(opt, spec)
			require.NoError(t, tr.CopyStateTo(state))
			return net, state, totals
		}
		wantNet, wantState, wantTotals := train(Backend{Inputs: DenseInputs})
		gotNet, gotState, gotTotals := train(Backend{Inputs: SparseInputs})
		assert.InDelta(t, wantTotals.Loss, gotTotals.Loss, 1e-10*wantTotals.Loss, "%s: loss", opt)
		assert.Equal(t, wantTotals.Correct, gotTotals.Correct, "%s: correct", opt)
		for i, want := range append([]*engine.Network{wantNet}, wantState...) {
			got := append([]*engine.Network{gotNet}, gotState...)[i]
			for l := range want.Layers {
				for j, v := range want.Layers[l].W {
					require.InDelta(t, v, got.Layers[l].W[j], 1e-12*(1+math.Abs(v)), "%s: network %d, layer %d, W[%d]", opt, i, l, j)
				}
				for j, v := range want.Layers[l].B {
					require.InDelta(t, v, got.Layers[l].B[j], 1e-12*(1+math.Abs(v)), "%s: network %d, layer %d, b[%d]", opt, i, l, j)
				}
			}
		}
	}
}
