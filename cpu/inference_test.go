package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/backendtest"
	"github.com/perceptron-go/perceptron/engine/dataset"
)

// gatherCase runs gather on n values of x, about a fraction zeros of them
// 0 (and a NaN and -0 among them), from offset off of their slice, against
// gatherGo: the count and the values and columns it wrote.
func gatherCase[T engine.Float](t *testing.T, n, off int, zeros float64) {
	rng := rand.New(rand.NewPCG(uint64(n), uint64(off)))
	x := make([]T, off+n)
	for i := range x {
		if rng.Float64() >= zeros {
			x[i] = T(rng.Float64()*2 - 1)
		}
	}
	if n > 2 {
		x[off+n/2], x[off+n/3] = T(math.NaN()), T(math.Copysign(0, -1))
	}
	wantIdx, gotIdx := make([]int32, n+gatherSlack), make([]int32, n+gatherSlack)
	wantVal, gotVal := make([]T, n+gatherSlack), make([]T, n+gatherSlack)
	want := gatherGo(wantIdx, wantVal, x[off:])
	got := gather(gotIdx, gotVal, x[off:])
	what := fmt.Sprintf("%T n=%d offset=%d zeros=%g", T(0), n, off, zeros)
	require.Equal(t, want, got, "%s: count", what)
	require.Equal(t, wantIdx[:want], gotIdx[:got], "%s: columns", what)
	for i := range want {
		require.Equal(t, math.Float64bits(float64(wantVal[i])), math.Float64bits(float64(gotVal[i])), "%s: value %d", what, i)
	}
}

// TestGatherKernels checks the gather kernels against gatherGo on every
// length around their registers, slices that start off a register, and
// rows of every density; and that gather refuses buffers without its slack.
func TestGatherKernels(t *testing.T) {
	if !haveAVX512 {
		t.Skip("this CPU has no AVX-512: gather runs in Go")
	}
	for n := range 70 {
		for _, zeros := range []float64{0, 0.5, 0.8, 1} {
			gatherCase[float32](t, n, n%5, zeros)
			gatherCase[float64](t, n, n%3, zeros)
		}
	}
	gatherCase[float32](t, 784, 0, 0.81)
	gatherCase[float64](t, 784, 1, 0.81)
	assert.Panics(t, func() { gather(make([]int32, 20), make([]float32, 20), make([]float32, 5)) })
}

// TestForwardGroup checks forwardGroup (four rows on sparseForward4RowsF32)
// against forwardRow on each row, on widths with and without columns past
// the kernel's blocks, rows of every density, a row of zeros, -0 and NaN.
func TestForwardGroup(t *testing.T) {
	if !groupable[float32]() {
		t.Skip("this CPU has no AVX-512: rows run one at a time")
	}
	rng := rand.New(rand.NewPCG(4, 5))
	for _, out := range []int{1, 63, 64, 65, 128, 150, 200} {
		const in = 77
		ly := inferLayer[float32]{act: engine.ReLU, wt: randomValues[float32](rng, in*out), b: randomValues[float32](rng, out)}
		x := make([]float32, groupRows*in)
		for i := range x {
			if rng.Float64() < []float64{0.8, 0.3, 1, 0.95}[i/in] {
				continue
			}
			x[i] = float32(rng.Float64()*2 - 1)
		}
		x[2*in+5], x[3*in+7] = float32(math.Copysign(0, -1)), float32(math.NaN())
		s := &inferScratch[float32]{idx: make([]int32, in+gatherSlack), val: make([]float32, in+gatherSlack), groupVal: make([]float32, groupRows*(in+gatherSlack))}
		gotZ, gotA := make([]float32, groupRows*out), make([]float32, groupRows*out)
		ly.forwardGroup(s, gotZ, gotA, x)
		for r := range groupRows {
			wantZ, wantA := make([]float32, out), make([]float32, out)
			n := gatherGo(s.idx, s.val, x[r*in:(r+1)*in])
			ly.forwardRow(wantZ, wantA, s.idx[:n], s.val[:n])
			for j := range wantZ {
				if math.IsNaN(float64(wantZ[j])) {
					require.True(t, math.IsNaN(float64(gotZ[r*out+j])), "out=%d row %d z[%d]", out, r, j)
					continue
				}
				require.InDelta(t, wantZ[j], gotZ[r*out+j], 1e-5, "out=%d row %d z[%d]", out, r, j)
				require.InDelta(t, wantA[j], gotA[r*out+j], 1e-5, "out=%d row %d a[%d]", out, r, j)
			}
		}
	}
}

// TestInferenceSparseRows checks NewInference against Predict on a network
// of W2's widths (784-128-10) and a wider one (300-150-70-10), in both dtypes,
// at batch 1 to 5 and on chunks of rows whose first-layer inputs are mostly
// 0 (the rows of nonzero inputs), half 0 or all nonzero (the product),
// hidden layers' relus making their own zeros. TestBackendWithoutAVX512
// runs it as on a CPU without AVX-512 (axpys over the nonzero inputs).
func TestInferenceSparseRows(t *testing.T) { inferenceSparseRows(t) }

// inferenceSparseRows is TestInferenceSparseRows's body.
func inferenceSparseRows(t *testing.T) {
	for _, layers := range []string{"128:relu,10:sigmoid", "150:relu,70:tanh,10:softmax"} {
		for _, dtype := range []engine.DType{engine.Float64, engine.Float32} {
			ls, err := engine.ParseLayers(layers)
			require.NoError(t, err)
			in := 784
			if len(ls) == 3 {
				in = 300
			}
			loss := engine.BCE
			if ls[len(ls)-1].Activation == engine.Softmax {
				loss = engine.CE
			}
			net, err := engine.NewNetwork(engine.Spec{Inputs: in, Layers: ls, Loss: loss, DType: dtype}, engine.InitAuto, engine.NewRNG(5))
			require.NoError(t, err)
			inf, err := Backend{}.NewInference(net)
			require.NoError(t, err)
			rng := rand.New(rand.NewPCG(1, 2))
			const rows = 3 * predictRows
			x := make([]float64, rows*in)
			for i := range x {
				// chunk 0 81% zeros, chunk 1 50%, chunk 2 none
				if rng.Float64() >= []float64{0.81, 0.5, 0}[i/(predictRows*in)] {
					x[i] = float64(float32(rng.Float64()))
				}
			}
			k := net.Spec.Outputs()
			tol := 1e-12
			if dtype == engine.Float32 {
				tol = 2e-5
			}
			for _, n := range []int{1, 2, 3, 4, 5, rows} {
				for _, first := range []int{0, predictRows, 2 * predictRows} {
					if first+n > rows {
						continue
					}
					rx := x[first*in : (first+n)*in]
					want, err := engine.Predict(Backend{}, net, rx, n)
					require.NoError(t, err)
					got := make([]float64, n*k)
					require.NoError(t, inf.Forward64(got, rx, n))
					for i := range want {
						require.InDelta(t, want[i], got[i], tol, "%s %s, %d rows from row %d: output %d", layers, dtype, n, first, i)
					}
				}
			}
		}
	}
}

// mnistRows returns MNIST's 10,000 test images as float32 rows of 784
// pixels in [0, 1], about 81% of them 0.
func mnistRows(tb testing.TB) []float32 {
	_, test, err := dataset.LoadMNIST(backendtest.MNISTDir(tb))
	require.NoError(tb, err)
	x := make([]float32, test.N*test.Features)
	for i, v := range test.Float64s() {
		x[i] = float32(v)
	}
	return x
}

// denseRows returns n rows of 784 inputs drawn uniformly from [0, 1), none 0.
func denseRows(n int) []float32 {
	rng := rand.New(rand.NewPCG(2, 3))
	x := make([]float32, n*784)
	for i := range x {
		x[i] = max(rng.Float32(), 1e-6)
	}
	return x
}

// batch1Rows is how many rows the batch-1 benchmarks take in turn: a
// server's row is in the cache, having just been read.
const batch1Rows = 100

// BenchmarkInference runs the float32 inference of W2 (784-128-10) and W3
// (784-512-512-10) at batch 1 (ns/row) and on 10,000 rows (rows/s), on
// MNIST's test images and on dense rows: run it with GOMAXPROCS=1.
func BenchmarkInference(b *testing.B) {
	inputs := map[string][]float32{"mnist": mnistRows(b), "dense": denseRows(10_000)}
	for _, shape := range []struct {
		id, layers string
		loss       engine.Loss
	}{{"W2", "128:relu,10:sigmoid", engine.BCE}, {"W3", "512:relu,512:relu,10:softmax", engine.CE}} {
		layers, err := engine.ParseLayers(shape.layers)
		require.NoError(b, err)
		net, err := engine.NewNetwork(engine.Spec{Inputs: 784, Layers: layers, Loss: shape.loss, DType: engine.Float32}, engine.InitAuto, engine.NewRNG(1))
		require.NoError(b, err)
		inf, err := Backend{}.NewInference(net)
		require.NoError(b, err)
		k := net.Spec.Outputs()
		out := make([]float32, 10_000*k)
		for _, data := range []string{"mnist", "dense"} {
			x := inputs[data]
			b.Run(shape.id+"/"+data+"/batch1", func(b *testing.B) {
				for i := range b.N {
					row := i % batch1Rows
					if err := inf.Forward32(out[:k], x[row*784:(row+1)*784], 1); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/row")
			})
			b.Run(fmt.Sprintf("%s/%s/batch10000", shape.id, data), func(b *testing.B) {
				for range b.N {
					if err := inf.Forward32(out, x, 10_000); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*10_000)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}
