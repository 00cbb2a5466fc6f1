package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
)

// kernels returns the micro-kernel sets this CPU runs, by name.
func kernels(t *testing.T) []*kernel {
	if !haveFMA {
		t.Skip("this CPU has no AVX2 and FMA")
	}
	ks := []*kernel{&avx2Kernel}
	if haveAVX512 {
		ks = append(ks, &avx512Kernel)
	}
	return ks
}

// withKernel makes k the active kernel set until the test ends.
func withKernel(t *testing.T, k *kernel) {
	saved := active
	active = k
	t.Cleanup(func() { active = saved })
}

// same requires got to be want to the bit: NaN for the same NaN, -0 for -0.
func same[T engine.Float](t *testing.T, want, got []T, what string) {
	t.Helper()
	require.Len(t, got, len(want), what)
	for i, v := range want {
		if math.Float64bits(float64(v)) != math.Float64bits(float64(got[i])) {
			require.Failf(t, "values differ", "%s[%d] = %v, want %v", what, i, got[i], v)
		}
	}
}

func randomValues[T engine.Float](rng *rand.Rand, n int) []T {
	v := make([]T, n)
	for i := range v {
		v[i] = T(rng.Float64()*2 - 1)
	}
	return v
}

// epilogueFlags are the flag sets a product uses: reluOut and reluMask never together.
var epilogueFlags = []int{0, loadC, addBias, loadC | addBias, reluOut, addBias | reluOut, loadC | reluOut,
	loadC | addBias | reluOut, reluMask, loadC | reluMask, addBias | reluMask, loadC | addBias | reluMask}

// microGo is the micro-kernels' twin: a rows×cols block (cols in elements of
// T) of alpha·A·B, B packed cols wide, then finish's epilogue.
func microGo[T engine.Float](rows, cols, k int, alpha T, a []T, ars, acs int, b, c []T, ldc, flags int, bias, aux []T) {
	acc := make([]T, rows*cols)
	for l := 0; l < k; l++ {
		for i := 0; i < rows; i++ {
			ail := a[i*ars+l*acs]
			for j := 0; j < cols; j++ {
				acc[i*cols+j] += ail * b[l*cols+j]
			}
		}
	}
	for i := range acc {
		acc[i] *= alpha
	}
	finish(c, ldc, acc, cols, rows, cols, flags, bias, aux)
}

// microCase runs a kernel set's micro-kernel on a block with A read directly
// or transposed and odd strides, and compares C and aux with microGo's,
// and the values around the block with what they were.
func microCase[T engine.Float](t *testing.T, kern *kernel, k, flags int, transposedA bool, tol float64) {
	rng := rand.New(rand.NewPCG(uint64(k), uint64(flags)))
	rows, cols := kern.rows, kern.width(is64[T]())
	ars, acs := k+3, 1
	if transposedA {
		ars, acs = 1, rows+5
	}
	ldc := cols + 7
	a := randomValues[T](rng, rows*ars+k*acs+1)
	b := randomValues[T](rng, k*cols+1)
	bias := randomValues[T](rng, cols)
	c, aux := randomValues[T](rng, rows*ldc), randomValues[T](rng, rows*ldc)
	wantC, wantAux := append([]T(nil), c...), append([]T(nil), aux...)
	const alpha = -0.375
	microGo(rows, cols, k, T(alpha), a, ars, acs, b, wantC, ldc, flags, bias, wantAux)
	if is64[T]() {
		kern.f64(k, alpha, &f64(a)[0], ars, acs, &f64(b)[0], &f64(c)[0], ldc, flags, &f64(bias)[0], &f64(aux)[0])
	} else {
		kern.f32(k, alpha, &f32(a)[0], ars, acs, &f32(b)[0], &f32(c)[0], ldc, flags, &f32(bias)[0], &f32(aux)[0])
	}
	what := fmt.Sprintf("%s %T k=%d flags=%b transposed=%v", kern.name, c[0], k, flags, transposedA)
	for i := range c {
		require.InDelta(t, float64(wantC[i]), float64(c[i]), tol*math.Sqrt(float64(k)+1), "%s: C[%d]", what, i)
		require.InDelta(t, float64(wantAux[i]), float64(aux[i]), tol*math.Sqrt(float64(k)+1), "%s: aux[%d]", what, i)
	}
}

// TestMicroKernels checks each micro-kernel against microGo for every
// epilogue, on inner sizes from 0 up.
func TestMicroKernels(t *testing.T) {
	for _, kern := range kernels(t) {
		for _, k := range []int{0, 1, 2, 7, 16, 33, 300} {
			for _, flags := range epilogueFlags {
				for _, tr := range []bool{false, true} {
					microCase[float32](t, kern, k, flags, tr, 1e-5)
					microCase[float64](t, kern, k, flags, tr, 1e-13)
				}
			}
		}
	}
}

// TestTransposes checks the AVX-512 block transpositions on odd strides.
func TestTransposes(t *testing.T) {
	if !haveAVX512 {
		t.Skip("this CPU has no AVX-512")
	}
	const lds, ldd = 37, 21
	src32, src64 := randomValues[float32](rand.New(rand.NewPCG(1, 2)), 16*lds), randomValues[float64](rand.New(rand.NewPCG(3, 4)), 8*lds)
	dst32, dst64 := make([]float32, 16*ldd), make([]float64, 8*ldd)
	transpose16F32(&dst32[0], ldd, &src32[0], lds)
	transpose8F64(&dst64[0], ldd, &src64[0], lds)
	for l := 0; l < ldd; l++ {
		for j := 0; j < ldd && l < 16; j++ {
			want := float32(0)
			if j < 16 {
				want = src32[j*lds+l]
			}
			require.Equal(t, want, dst32[l*ldd+j], "transpose16F32 [%d, %d]", l, j)
		}
		for j := 0; j < ldd && l < 8; j++ {
			want := float64(0)
			if j < 8 {
				want = src64[j*lds+l]
			}
			require.Equal(t, want, dst64[l*ldd+j], "transpose8F64 [%d, %d]", l, j)
		}
	}
}

// gemmCase checks gemm against a plain triple loop in float64, with A read
// directly or transposed, B direct or transposed, and an epilogue.
func gemmCase[T engine.Float](t *testing.T, m, n, k int, transA, transB bool, flags int, tol float64) {
	rng := rand.New(rand.NewPCG(uint64(m*1000+n), uint64(k*100+flags)))
	ars, acs := k, 1
	if transA {
		ars, acs = 1, m
	}
	ldb, bl, bj := n+1, n+1, 1
	if transB {
		ldb, bl, bj = k+2, 1, k+2
	}
	ldc := n + 3
	a, b := randomValues[T](rng, m*k), randomValues[T](rng, max(k, n)*(max(k, n)+2))
	c, aux, bias := randomValues[T](rng, m*ldc), randomValues[T](rng, m*ldc), randomValues[T](rng, n)
	const alpha = -0.375
	want, wantAux := make([]float64, len(c)), make([]float64, len(aux))
	for i := range c {
		want[i], wantAux[i] = float64(c[i]), float64(aux[i])
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for l := 0; l < k; l++ {
				s += float64(a[i*ars+l*acs]) * float64(b[l*bl+j*bj])
			}
			v := alpha * s
			if flags&loadC != 0 {
				v += want[i*ldc+j]
			}
			if flags&addBias != 0 {
				v += float64(bias[j])
			}
			if flags&reluMask != 0 && !(aux[i*ldc+j] > 0) {
				v = 0
			}
			want[i*ldc+j] = v
			if flags&reluOut != 0 {
				wantAux[i*ldc+j] = max(v, 0)
			}
		}
	}
	gemm(gemmArgs[T]{m: m, n: n, k: k, alpha: alpha, a: a, ars: ars, acs: acs, b: b, ldb: ldb, transB: transB, c: c, ldc: ldc,
		ep: epilogue[T]{flags: flags, bias: bias, aux: aux}})
	what := fmt.Sprintf("%s %T %dx%dx%d transA=%v transB=%v flags=%b", active.name, c[0], m, n, k, transA, transB, flags)
	for i := range c {
		require.InDelta(t, want[i], float64(c[i]), tol*math.Sqrt(float64(k)+1), "%s: C[%d]", what, i)
		require.InDelta(t, wantAux[i], float64(aux[i]), tol*math.Sqrt(float64(k)+1), "%s: aux[%d]", what, i)
	}
}

// TestGemm checks the products on sizes that leave edges in every
// direction, inner sizes cut into several blocks, and each epilogue.
func TestGemm(t *testing.T) {
	for _, kern := range kernels(t) {
		withKernel(t, kern)
		for _, m := range []int{1, 3, 8, 9, 67} {
			for _, n := range []int{1, 7, 16, 33, 100} {
				for _, k := range []int{0, 1, 5, 64, 300, 530} {
					for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}} {
						for _, flags := range []int{0, loadC, addBias | reluOut, loadC | reluMask} {
							gemmCase[float32](t, m, n, k, tr[0], tr[1], flags, 1e-5)
							gemmCase[float64](t, m, n, k, tr[0], tr[1], flags, 1e-13)
						}
					}
				}
			}
		}
	}
	require.Panics(t, func() {
		gemm(gemmArgs[float32]{m: 2, n: 2, k: 2, alpha: 1, a: make([]float32, 3), ars: 2, acs: 1, b: make([]float32, 4), ldb: 2, c: make([]float32, 4), ldc: 2})
	})
	require.Panics(t, func() {
		gemm(gemmArgs[float32]{m: 2, n: 2, k: 2, alpha: 1, a: make([]float32, 4), ars: 2, acs: 1, b: make([]float32, 4), ldb: 2, c: make([]float32, 4), ldc: 2,
			ep: epilogue[float32]{flags: reluOut, aux: make([]float32, 3)}})
	})
}

// TestBlocks checks how the inner size is cut.
func TestBlocks(t *testing.T) {
	require.Equal(t, 1, blocks[float32](0))
	require.Equal(t, 256, blocks[float32](256))
	for _, k := range []int{257, 512, 784, 1000, 4096} {
		kc := blocks[float32](k)
		require.LessOrEqual(t, kc, kcMax, "k=%d", k)
		require.Zero(t, kc%16, "k=%d", k)
		require.Zero(t, blocks[float64](k)%8, "k=%d", k)
	}
}

// TestGemmConcurrent runs large products from several goroutines at once,
// as the processes of a data-parallel fit in one program do: one of them has
// the workers, the others run on their own, and each gets what it gets alone.
func TestGemmConcurrent(t *testing.T) {
	if !haveFMA {
		t.Skip("this CPU has no AVX2 and FMA")
	}
	const m, n, k = 64, 256, 200
	rng := rand.New(rand.NewPCG(9, 9))
	a, b := randomValues[float32](rng, m*k), randomValues[float32](rng, k*n)
	product := func() []float32 {
		c := make([]float32, m*n)
		gemm(gemmArgs[float32]{m: m, n: n, k: k, alpha: 1, a: a, ars: k, acs: 1, b: b, ldb: n, c: c, ldc: n})
		return c
	}
	want := product()
	done := make(chan []float32)
	for range 4 {
		go func() {
			var c []float32
			for range 50 {
				c = product()
			}
			done <- c
		}()
	}
	for range 4 {
		require.Equal(t, want, <-done)
	}
}
