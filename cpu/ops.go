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
	for i := range z {
		z[i] = b[i] + dot(w[i*in:(i+1)*in], x)
	}
	engine.Activate(act, a, z, len(z))
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

// DenseForwardBatch computes rows examples' pre-activations and activations,
// x rows×in, z and a rows×out:
//
//	Z = X·Wᵀ + 1·bᵀ
//	A = f(Z)        (softmax row by row)
//
// scratch holds at least rows·(in+out) values: on CPUs with FMA the product
// runs as Zᵀ = W·Xᵀ on the micro-kernels, through transposed copies.
func DenseForwardBatch[T engine.Float](z, a []T, w, b, x []T, rows int, act engine.Activation, scratch []T) {
	out, in := len(b), len(w)/len(b)
	if haveFMA {
		xT, zT := scratch[:rows*in], scratch[rows*in:rows*(in+out)]
		transpose(xT, x[:rows*in], rows, in)
		clear(zT)
		gemmNN(out, rows, in, 1, w, in, 1, xT, rows, zT, rows)
		transpose(z, zT, out, rows)
		for r := 0; r < rows; r++ {
			zr := z[r*out : (r+1)*out]
			for i := range zr {
				zr[i] += b[i]
			}
		}
	} else {
		for r := 0; r < rows; r++ {
			copy(z[r*out:(r+1)*out], b)
		}
		gemm(blas.NoTrans, blas.Trans, rows, out, in, 1, x, in, w, in, 1, z, out)
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
	out, in := len(b), len(w)/len(b)
	step := lr / T(rows)
	if daPrev != nil {
		DenseBackwardDataBatch(daPrev, w, dz, rows, out)
	}
	if haveFMA {
		gemmNN(out, in, rows, -step, dz, 1, out, x, in, w, in)
	} else {
		gemm(blas.Trans, blas.NoTrans, out, in, rows, -step, dz, out, x, in, 1, w, in)
	}
	for i := range b {
		b[i] -= step * columnSum(dz, i, out, rows)
	}
}

// columnSum returns Σ_r m[r·cols+i], the sum of column i of a rows×cols matrix.
func columnSum[T engine.Float](m []T, i, cols, rows int) T {
	var sum T
	for r := 0; r < rows; r++ {
		sum += m[r*cols+i]
	}
	return sum
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
		clear(daPrev[:rows*in])
		gemmNN(rows, in, out, 1, dz, out, 1, w, in, daPrev, in)
	} else {
		gemm(blas.NoTrans, blas.NoTrans, rows, in, out, 1, dz, out, w, in, 0, daPrev, in)
	}
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

// DenseGradientBatch sets a layer's gradients averaged over rows examples,
// given dZ (rows×out) and X (rows×in):
//
//	gW = (1/rows)·dZᵀ·X
//	gb = (1/rows)·Σ_r dZ_r
func DenseGradientBatch[T engine.Float](gw, gb []T, dz, x []T, rows int) {
	out, in := len(gb), len(gw)/len(gb)
	scale := 1 / T(rows)
	if haveFMA {
		clear(gw)
		gemmNN(out, in, rows, scale, dz, 1, out, x, in, gw, in)
	} else {
		gemm(blas.Trans, blas.NoTrans, out, in, rows, scale, dz, out, x, in, 0, gw, in)
	}
	for i := range gb {
		gb[i] = scale * columnSum(dz, i, out, rows)
	}
}
