package benchmarks

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/perceptron-go/perceptron/cpu"
	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/backendtest"
	"github.com/perceptron-go/perceptron/gpu"
)

// Layer shapes of the workloads (inputs × units) and the mini-batch sizes the op benchmarks run.
var (
	opShapes  = []struct{ in, out int }{{784, 128}, {128, 10}, {784, 512}, {512, 512}}
	opBatches = []int{64, 256}
	opDTypes  = []engine.DType{engine.Float32, engine.Float64}
)

// values returns n fixed-seed values from U(-1, 1) as T.
func values[T engine.Float](n int, seed uint64) []T {
	rng := rand.New(rand.NewPCG(seed, 7))
	v := make([]T, n)
	for i := range v {
		v[i] = T(rng.Float64()*2 - 1)
	}
	return v
}

// forEachShape runs body for every op shape and dtype, as a sub-benchmark
// named like 784x128/float32.
func forEachShape(b *testing.B, body func(b *testing.B, dtype engine.DType, in, out int)) {
	for _, s := range opShapes {
		for _, dtype := range opDTypes {
			b.Run(fmt.Sprintf("%dx%d/%s", s.in, s.out, dtype), func(b *testing.B) { body(b, dtype, s.in, s.out) })
		}
	}
}

func benchForward[T engine.Float](b *testing.B, in, out, rows int) {
	w, bias, x := values[T](in*out, 1), values[T](out, 2), values[T](rows*in, 3)
	z, a, scratch := make([]T, rows*out), make([]T, rows*out), make([]T, rows*(in+out))
	b.ResetTimer()
	for range b.N {
		if rows == 1 {
			cpu.DenseForward(z, a, w, bias, x, engine.ReLU)
		} else {
			cpu.DenseForwardBatch(z, a, w, bias, x, rows, engine.ReLU, scratch)
		}
	}
	report(b, rows, 1, in, out)
}

// report reports examples/s and the GFLOP/s of products products of rows×in×out multiply-adds.
func report(b *testing.B, rows, products, in, out int) {
	b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "examples/s")
	b.ReportMetric(float64(b.N*products*2*rows*in*out)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func benchBackward[T engine.Float](b *testing.B, in, out, rows int) {
	w, bias, dz, x := values[T](in*out, 1), values[T](out, 2), values[T](rows*out, 3), values[T](rows*in, 4)
	daPrev := make([]T, rows*in)
	b.ResetTimer()
	for range b.N {
		if rows == 1 {
			cpu.DenseBackward(daPrev, w, bias, dz, x, 1e-6)
		} else {
			cpu.DenseBackwardBatch(daPrev, w, bias, dz, x, rows, 1e-6)
		}
	}
	report(b, rows, 2, in, out)
}

func benchGradient[T engine.Float](b *testing.B, in, out, rows int) {
	dz, x := values[T](rows*out, 3), values[T](rows*in, 4)
	gw, gb := make([]T, in*out), make([]T, out)
	b.ResetTimer()
	for range b.N {
		cpu.DenseGradientBatch(gw, gb, dz, x, rows, rows)
	}
	report(b, rows, 1, in, out)
}

// dispatch runs the float32 or float64 instance of a generic benchmark.
func dispatch(b *testing.B, dtype engine.DType, f32, f64 func(*testing.B)) {
	if dtype == engine.Float32 {
		f32(b)
	} else {
		f64(b)
	}
}

// BenchmarkDenseForward is one example's z = W·x + b, a = relu(z) on the CPU.
func BenchmarkDenseForward(b *testing.B) {
	forEachShape(b, func(b *testing.B, dtype engine.DType, in, out int) {
		dispatch(b, dtype, func(b *testing.B) { benchForward[float32](b, in, out, 1) }, func(b *testing.B) { benchForward[float64](b, in, out, 1) })
	})
}

// BenchmarkDenseBackward is one example's da_prev = Wᵀ·dz and rank-1 update on the CPU.
func BenchmarkDenseBackward(b *testing.B) {
	forEachShape(b, func(b *testing.B, dtype engine.DType, in, out int) {
		dispatch(b, dtype, func(b *testing.B) { benchBackward[float32](b, in, out, 1) }, func(b *testing.B) { benchBackward[float64](b, in, out, 1) })
	})
}

// BenchmarkDenseForwardBatch is a mini-batch's Z = X·Wᵀ + b, A = relu(Z) on the CPU.
func BenchmarkDenseForwardBatch(b *testing.B) {
	for _, rows := range opBatches {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			forEachShape(b, func(b *testing.B, dtype engine.DType, in, out int) {
				dispatch(b, dtype, func(b *testing.B) { benchForward[float32](b, in, out, rows) }, func(b *testing.B) { benchForward[float64](b, in, out, rows) })
			})
		})
	}
}

// BenchmarkDenseBackwardBatch is a mini-batch's dA_prev = dZ·W and averaged update on the CPU.
func BenchmarkDenseBackwardBatch(b *testing.B) {
	for _, rows := range opBatches {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			forEachShape(b, func(b *testing.B, dtype engine.DType, in, out int) {
				dispatch(b, dtype, func(b *testing.B) { benchBackward[float32](b, in, out, rows) }, func(b *testing.B) { benchBackward[float64](b, in, out, rows) })
			})
		})
	}
}

// BenchmarkDenseGradientBatch is a mini-batch's averaged gradients gW = dZᵀ·X/rows, gb on the CPU.
func BenchmarkDenseGradientBatch(b *testing.B) {
	for _, rows := range opBatches {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			forEachShape(b, func(b *testing.B, dtype engine.DType, in, out int) {
				dispatch(b, dtype, func(b *testing.B) { benchGradient[float32](b, in, out, rows) }, func(b *testing.B) { benchGradient[float64](b, in, out, rows) })
			})
		})
	}
}

// BenchmarkStep is per-example SGD on W2's shape (784-128 relu-10 sigmoid,
// bce), on inputs of which a share density is not 0 (MNIST's is about 0.19),
// taken as sparse or dense by the CPU backend: BenchmarkStep/density=0.2/sparse.
func BenchmarkStep(b *testing.B) {
	const n, in, k = 4096, 784, 10
	spec := engine.Spec{Inputs: in, Layers: []engine.LayerSpec{{Units: 128, Activation: engine.ReLU}, {Units: k, Activation: engine.Sigmoid}},
		Loss: engine.BCE, DType: engine.Float32}
	for _, density := range []float64{0.2, 0.35, 0.5, 0.65, 0.8, 1} {
		rng := rand.New(rand.NewPCG(1, 2))
		x, y := make([]float64, n*in), make([]float64, n*k)
		for i := range x {
			if rng.Float64() < density {
				x[i] = rng.Float64()
			}
		}
		for i := 0; i < n; i++ {
			y[i*k+rng.IntN(k)] = 1
		}
		order := rng.Perm(n)
		for _, inputs := range []struct {
			name string
			be   cpu.Backend
		}{{"sparse", cpu.Backend{Inputs: cpu.SparseInputs}}, {"dense", cpu.Backend{Inputs: cpu.DenseInputs}}} {
			b.Run(fmt.Sprintf("density=%g/%s", density, inputs.name), func(b *testing.B) {
				net, err := engine.NewNetwork(spec, engine.InitAuto, engine.NewRNG(1))
				if err != nil {
					b.Fatal(err)
				}
				tr, err := inputs.be.NewTrainer(net, engine.Examples{X: x, Y: y, N: n, Features: in, Outputs: k}, engine.Hyper{LearningRate: 0.01, BatchSize: 1})
				if err != nil {
					b.Fatal(err)
				}
				if err := tr.BeginEpoch(order); err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				for i := range b.N {
					if err := tr.Steps(context.Background(), i%n, i%n+1); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "examples/s")
			})
		}
	}
}

var loaded struct {
	sync.Mutex
	data map[string]Data
}

func data(b *testing.B, name string) Data {
	loaded.Lock()
	defer loaded.Unlock()
	if d, ok := loaded.data[name]; ok {
		return d
	}
	d, err := LoadData(name, backendtest.MNISTDir(b))
	if err != nil {
		b.Fatal(err)
	}
	if loaded.data == nil {
		loaded.data = map[string]Data{}
	}
	loaded.data[name] = d
	return d
}

// BenchmarkEpoch trains each workload for its epochs (W1: 10, the others: 1)
// per backend, dtype and batch size: BenchmarkEpoch/W2/cpu/float32/batch=1.
// The CUDA rows run in a cuda build on a machine with a GPU.
func BenchmarkEpoch(b *testing.B) {
	backends := []engine.Backend{cpu.New()}
	if be, err := gpu.New(); err == nil {
		backends = append(backends, be)
	}
	for _, w := range Workloads {
		for _, be := range backends {
			for _, dtype := range opDTypes {
				for _, batch := range w.Batches {
					b.Run(fmt.Sprintf("%s/%s/%s/batch=%d", w.ID, be.Name(), dtype, batch), func(b *testing.B) {
						d := data(b, w.Data)
						b.ResetTimer()
						var r Result
						for range b.N {
							var err error
							if r, err = Run(context.Background(), w, d, be, dtype, batch, nil, 0); err != nil {
								b.Fatal(err)
							}
						}
						b.ReportMetric(r.ExamplesPerSec, "examples/s")
						b.ReportMetric(r.TestAccuracy, "test_acc")
					})
				}
			}
		}
	}
}

// BenchmarkPredictor runs a Predictor of W2 and W3 (float32) at batch 1,
// reporting ns/row, and on a batch of PredictBatch rows, reporting rows/s:
// run it with GOMAXPROCS=1 for the single-thread figures.
func BenchmarkPredictor(b *testing.B) {
	for _, id := range []string{"W2", "W3"} {
		ws, err := Find(id)
		if err != nil {
			b.Fatal(err)
		}
		p, x, err := PredictorFor(cpu.New(), ws[0], engine.Float32)
		if err != nil {
			b.Fatal(err)
		}
		in, k := p.Inputs(), p.Outputs()
		out := make([]float32, PredictBatch*k)
		b.Run(id+"/batch1", func(b *testing.B) {
			b.ReportAllocs()
			for i := range b.N {
				row := i % PredictBatch
				if err := p.PredictInto32(out[:k], x[row*in:(row+1)*in]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/row")
		})
		b.Run(fmt.Sprintf("%s/batch%d", id, PredictBatch), func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if err := p.PredictInto32(out, x); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*PredictBatch)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
