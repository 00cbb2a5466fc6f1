package cpu

import (
	"gonum.org/v1/gonum/blas"

	"github.com/perceptron-go/perceptron/engine"
)

// The ops of one dense layer. Each is the CPU twin of a CUDA kernel of the
// same name in kernels/ and is the reference its parity test checks against.
// Matrices are row-major; W is out×in.

// DenseForward computes one example's pre-activation and activation:
//
//	z = W·x + b
//	a = f(z)
func DenseForward[T engine.Float](z, a []T, w, b, x []T, act engine.Activation) {
	in := len(x)
	if haveAVX512 && len(z) > 0 && in > 0 {
		_, _ = w[len(z)*in-1], b[len(z)-1]
		v := lanes[T]()
		if is64[T]() {
			gemvF64(&f64(z)[0], elem(f64(w), 0), in, len(z), elem(f64(x), 0), in/v, 1<<(in%v)-1, &f64(b)[0])
		} else {
			gemvF32(&f32(z)[0], elem(f32(w), 0), in, len(z), elem(f32(x), 0), in/v, 1<<(in%v)-1, &f32(b)[0])
		}
	} else {
		for i := range z {
			z[i] = b[i] + dot(w[i*in:(i+1)*in], x)
		}
	}
	activate(act, a, z)
}

// DenseBackward runs one example's backward step through a layer given
// dz = ∂L/∂z: it sets daPrev = Wᵀ·dz with W as it was before the step (unless
// daPrev is nil, as for the input layer), then applies the update
//
//	W -= lr·dz·xᵀ
//	b -= lr·dz
//
// Row i of W is read for daPrev and updated in the same pass; rows whose dz
// is zero (inactive relu units) are skipped, as they change nothing.
func DenseBackward[T engine.Float](daPrev, w, b []T, dz, x []T, lr T) {
	in := len(x)
	if haveAVX512 && len(dz) > 0 && in > 0 {
		denseBackwardAVX512(daPrev, w, b, dz, x, lr)
		return
	}
	clear(daPrev)
	for i, g := range dz {
		if g == 0 {
			continue
		}
		row := w[i*in : (i+1)*in]
		if daPrev != nil {
			axpy(g, row, daPrev)
		}
		axpy(-lr*g, x, row)
		b[i] -= lr * g
	}
}

// denseBackwardAVX512 is DenseBackward on the AVX-512 kernels, a block of
// columns at a time, with the same roundings.
func denseBackwardAVX512[T engine.Float](daPrev, w, b []T, dz, x []T, lr T) {
	in, rows := len(x), len(dz)
	_, _ = w[rows*in-1], b[rows-1]
	if daPrev != nil {
		_ = daPrev[in-1]
	}
	v := lanes[T]()
	for j := 0; j < in; {
		dp := elem(daPrev, j)
		switch {
		case j+8*v <= in && is64[T]():
			rank1Rows8F64(f64p(dp), &f64(x)[j], &f64(w)[j], in, rows, &f64(dz)[0], float64(-lr))
			j += 8 * v
		case j+8*v <= in:
			rank1Rows8F32(f32p(dp), &f32(x)[j], &f32(w)[j], in, rows, &f32(dz)[0], float32(-lr))
			j += 8 * v
		case is64[T]():
			rank1Rows1F64(f64p(dp), &f64(x)[j], &f64(w)[j], in, rows, &f64(dz)[0], float64(-lr), 1<<min(v, in-j)-1)
			j += v
		default:
			rank1Rows1F32(f32p(dp), &f32(x)[j], &f32(w)[j], in, rows, &f32(dz)[0], float32(-lr), 1<<min(v, in-j)-1)
			j += v
		}
	}
	for i, g := range dz {
		if g != 0 {
			b[i] -= lr * g
		}
	}
}

// DenseForwardBatch computes rows examples' pre-activations and activations,
// x rows×in, z and a rows×out:
//
//	Z = X·Wᵀ + 1·bᵀ
//	A = f(Z)        (softmax row by row)
//
// On CPUs with FMA the product runs on the micro-kernels (gemm.go), which
// add the bias and apply a relu in their epilogue. scratch is not used (the
// product packs W in buffers of its own) and may be nil; it stays for the
// callers that pass it.
func DenseForwardBatch[T engine.Float](z, a []T, w, b, x []T, rows int, act engine.Activation, scratch []T) {
	denseForwardBatch(z, a, w, true, b, x, rows, act)
}

// denseForwardBatch is DenseForwardBatch on a W held [out, in] (transB) or
// input-major, [in, out] (as inference holds it, which the product packs
// by copying rows rather than transposing blocks).
func denseForwardBatch[T engine.Float](z, a []T, w []T, transB bool, b, x []T, rows int, act engine.Activation) {
	out, in := len(b), len(w)/len(b)
	ldw, tB := out, blas.NoTrans
	if transB {
		ldw, tB = in, blas.Trans
	}
	if haveFMA {
		ep := epilogue[T]{flags: addBias, bias: b}
		if act == engine.ReLU {
			ep.flags, ep.aux = ep.flags|reluOut, a
		}
		gemm(gemmArgs[T]{m: rows, n: out, k: in, alpha: 1, a: x, ars: in, acs: 1, b: w, ldb: ldw, transB: transB, c: z, ldc: out, ep: ep})
		if act == engine.ReLU {
			return
		}
	} else {
		for r := 0; r < rows; r++ {
			copy(z[r*out:(r+1)*out], b)
		}
		gonumGemm(blas.NoTrans, tB, rows, out, in, 1, x, in, w, ldw, 1, z, out)
	}
	engine.Activate(act, a[:rows*out], z[:rows*out], out)
}

// DenseBackwardBatch runs a mini-batch's backward step through a layer given
// dz (rows×out): it sets daPrev = dZ·W (rows×in) with W as it was before the
// step, unless daPrev is nil, then applies the update averaged over the rows:
//
//	W -= (lr/rows)·dZᵀ·X
//	b -= (lr/rows)·Σ_r dZ_r
func DenseBackwardBatch[T engine.Float](daPrev, w, b []T, dz, x []T, rows int, lr T) {
	if daPrev != nil {
		DenseBackwardDataBatch(daPrev, w, dz, rows, len(b))
	}
	denseUpdateBatch(w, b, dz, x, rows, lr)
}

// denseUpdateBatch applies the update of DenseBackwardBatch.
func denseUpdateBatch[T engine.Float](w, b []T, dz, x []T, rows int, lr T) {
	out, in := len(b), len(w)/len(b)
	step := lr / T(rows)
	if haveFMA {
		gemm(gemmArgs[T]{m: out, n: in, k: rows, alpha: -step, a: dz, ars: 1, acs: out, b: x, ldb: in, c: w, ldc: in, ep: epilogue[T]{flags: loadC}})
	} else {
		gonumGemm(blas.Trans, blas.NoTrans, out, in, rows, -step, dz, out, x, in, 1, w, in)
	}
	addColumnSums(b, -step, dz, rows, out)
}

// addColumnSums sets dst[j] += scale·Σ_r m[r·cols + j] for a rows×cols
// matrix m, summing each column in the order of the rows.
func addColumnSums[T engine.Float](dst []T, scale T, m []T, rows, cols int) {
	var sums [256]T
	for j0 := 0; j0 < cols; j0 += len(sums) {
		s := sums[:min(len(sums), cols-j0)]
		clear(s)
		for r := 0; r < rows; r++ {
			add(s, m[r*cols+j0:r*cols+j0+len(s)])
		}
		for j, v := range s {
			dst[j0+j] += scale * v
		}
	}
}

// The ops below serve the optimizers that keep state (momentum, Adam): the
// backward pass computes daPrev and the gradients, and engine.Update, the
// twin of the optimizer kernels, applies them.

// DenseBackwardData sets one example's daPrev = Wᵀ·dz (W is out×in,
// daPrev in long), the part of DenseBackward that reads W.
func DenseBackwardData[T engine.Float](daPrev, w, dz []T) {
	in := len(daPrev)
	clear(daPrev)
	for i, g := range dz {
		if g != 0 {
			axpy(g, w[i*in:(i+1)*in], daPrev)
		}
	}
}

// DenseBackwardDataBatch sets daPrev = dZ·W for rows examples (W out×in,
// dZ rows×out, daPrev rows×in), the part of DenseBackwardBatch that reads W.
func DenseBackwardDataBatch[T engine.Float](daPrev, w, dz []T, rows, out int) {
	in := len(w) / out
	if haveFMA {
		gemm(gemmArgs[T]{m: rows, n: in, k: out, alpha: 1, a: dz, ars: out, acs: 1, b: w, ldb: in, c: daPrev, ldc: in})
	} else {
		gonumGemm(blas.NoTrans, blas.NoTrans, rows, in, out, 1, dz, out, w, in, 0, daPrev, in)
	}
}

// backwardDeltaBatch sets dzPrev = (dZ·W) ⊙ f'(zPrev), the gradient of the
// layer below given its pre-activations zPrev, activations aPrev and
// activation act: DenseBackwardDataBatch then engine.Delta, with a relu's
// gradient fused into the product's epilogue on CPUs with FMA.
func backwardDeltaBatch[T engine.Float](dzPrev, w, dz []T, rows, out int, act engine.Activation, zPrev, aPrev []T) {
	in := len(w) / out
	if haveFMA && act == engine.ReLU {
		gemm(gemmArgs[T]{m: rows, n: in, k: out, alpha: 1, a: dz, ars: out, acs: 1, b: w, ldb: in, c: dzPrev, ldc: in,
			ep: epilogue[T]{flags: reluMask, aux: zPrev}})
		return
	}
	DenseBackwardDataBatch(dzPrev, w, dz, rows, out)
	units := rows * in
	engine.Delta(act, dzPrev[:units], dzPrev[:units], zPrev[:units], aPrev[:units])
}

// DenseGradient sets one example's gradients of a layer given dz = ∂L/∂z
// and its input x:
//
//	gW = dz·xᵀ
//	gb = dz
func DenseGradient[T engine.Float](gw, gb []T, dz, x []T) {
	in := len(x)
	for i, g := range dz {
		row := gw[i*in : (i+1)*in]
		for j, v := range x {
			row[j] = g * v
		}
	}
	copy(gb, dz)
}

// DenseGradientBatch sets a layer's gradients over rows examples, given dZ
// (rows×out) and X (rows×in), as their share of the mean over a batch of
// batch examples: the rows are the whole batch (batch = rows), or one
// process's shard of it in a data-parallel fit, whose sum over the
// processes is the batch's mean.
//
//	gW = (1/batch)·dZᵀ·X
//	gb = (1/batch)·Σ_r dZ_r
func DenseGradientBatch[T engine.Float](gw, gb []T, dz, x []T, rows, batch int) {
	out, in := len(gb), len(gw)/len(gb)
	scale := 1 / T(batch)
	if haveFMA {
		gemm(gemmArgs[T]{m: out, n: in, k: rows, alpha: scale, a: dz, ars: 1, acs: out, b: x, ldb: in, c: gw, ldc: in})
	} else {
		gonumGemm(blas.Trans, blas.NoTrans, out, in, rows, scale, dz, out, x, in, 0, gw, in)
	}
	clear(gb)
	addColumnSums(gb, scale, dz, rows, out)
}
