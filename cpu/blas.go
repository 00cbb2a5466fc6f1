package cpu

import (
	"unsafe"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/perceptron-go/perceptron/engine"
)

// The generic code of this package reaches gonum's float32 and float64
// kernels through these helpers, which pick the kernel by the element size.
// A type switch on the slices would box them and allocate on every call.

var impl gonum.Implementation

func is64[T engine.Float]() bool {
	var zero T
	return unsafe.Sizeof(zero) == 8
}

func f64[T engine.Float](s []T) []float64 {
	return unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

func f32[T engine.Float](s []T) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// axpy sets y += alpha·x (fused multiply-adds where the CPU has them).
func axpy[T engine.Float](alpha T, x, y []T) {
	y = y[:len(x)]
	switch {
	case is64[T]() && haveFMA:
		axpyF64(float64(alpha), f64(x), f64(y))
	case is64[T]():
		impl.Daxpy(len(x), float64(alpha), f64(x), 1, f64(y), 1)
	case haveFMA:
		axpyF32(float32(alpha), f32(x), f32(y))
	default:
		impl.Saxpy(len(x), float32(alpha), f32(x), 1, f32(y), 1)
	}
}

// add sets dst += src (dst as long as src), with the AVX2 kernels where
// they run: unlike axpy's gonum path, it keeps a dst on the stack there.
func add[T engine.Float](dst, src []T) {
	switch {
	case is64[T]() && haveFMA:
		axpyF64(1, f64(src), f64(dst))
	case haveFMA:
		axpyF32(1, f32(src), f32(dst))
	default:
		for i, v := range src {
			dst[i] += v
		}
	}
}

// activate sets a = f(z) for one example's values, as engine.Activate does:
// a relu on the AVX2 kernels where they run, a sigmoid on sigmoid's.
func activate[T engine.Float](act engine.Activation, a, z []T) {
	switch {
	case act == engine.Sigmoid:
		sigmoid(a, z)
	case act != engine.ReLU || !haveFMA:
		engine.Activate(act, a, z, len(z))
	case is64[T]():
		reluF64(f64(a), f64(z))
	default:
		reluF32(f32(a), f32(z))
	}
}

// delta sets d = d ⊙ f'(z) given z and a = f(z), as engine.Delta(act, d, d,
// z, a) does: a relu's on the AVX2 kernels where they run, free of the
// branches that its random signs mispredict.
func delta[T engine.Float](act engine.Activation, d, z, a []T) {
	switch {
	case act != engine.ReLU || !haveFMA:
		engine.Delta(act, d, d, z, a)
	case is64[T]():
		reluGradF64(f64(d), f64(z))
	default:
		reluGradF32(f32(d), f32(z))
	}
}

// dot returns Σ x[i]·y[i] (with fused multiply-adds where the CPU has them).
func dot[T engine.Float](x, y []T) T {
	y = y[:len(x)]
	switch {
	case is64[T]() && haveFMA:
		return T(dotF64(f64(x), f64(y)))
	case is64[T]():
		return T(impl.Ddot(len(x), f64(x), 1, f64(y), 1))
	case haveFMA:
		return T(dotF32(f32(x), f32(y)))
	default:
		return T(impl.Sdot(len(x), f32(x), 1, f32(y), 1))
	}
}

// gonumGemm sets C = alpha·op(A)·op(B) + beta·C, with C m×n and the inner size k,
// all row-major with leading dimensions lda, ldb, ldc.
func gonumGemm[T engine.Float](tA, tB blas.Transpose, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if is64[T]() {
		impl.Dgemm(tA, tB, m, n, k, float64(alpha), f64(a), lda, f64(b), ldb, float64(beta), f64(c), ldc)
	} else {
		impl.Sgemm(tA, tB, m, n, k, float32(alpha), f32(a), lda, f32(b), ldb, float32(beta), f32(c), ldc)
	}
}

// f64p and f32p return p as a pointer to float64 or float32.
func f64p[T engine.Float](p *T) *float64 { return (*float64)(unsafe.Pointer(p)) }
func f32p[T engine.Float](p *T) *float32 { return (*float32)(unsafe.Pointer(p)) }

// convertInto returns src as []T: src itself for float64, for float32 its
// values rounded into buf (made anew where it is too short), and the
// buffer, for the next call.
func convertInto[T engine.Float](buf []T, src []float64) (converted, next []T) {
	if is64[T]() {
		return convert[T](src), buf
	}
	if len(buf) < len(src) {
		buf = make([]T, len(src))
	}
	for i, v := range src {
		buf[i] = T(v)
	}
	return buf[:len(src)], buf
}

// convert returns src as []T: src itself for float64, a rounded copy for float32.
func convert[T engine.Float](src []float64) []T {
	if is64[T]() {
		return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(src))), len(src))
	}
	return convertCopy[T](src)
}
