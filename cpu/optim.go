package cpu

import (
	"unsafe"

	"github.com/perceptron-go/perceptron/engine"
)

// adamCoefficients are the numbers every parameter of an Adam or AdamW step
// shares, in the element type, in the order the assembly kernel reads them.
type adamCoefficients[T engine.Float] struct {
	decay, b1, c1, b2, c2, stepSize, bc2Sqrt, eps T
}

// momentumCoefficients are those of a step of SGD with momentum.
type momentumCoefficients[T engine.Float] struct {
	wd, mu, lr T
}

// Flags of the momentum kernel.
const (
	momentumDecay    = 1 << iota // add wd·p to the gradient
	momentumNesterov             // Nesterov's momentum
)

// optimize applies one step of o to the parameters p from their gradients
// g, as engine.Update does (same arguments, same bits). Where the vector
// kernels run (haveFMA), Adam and AdamW (but Adam with weight decay) and SGD
// with momentum run on them, and engine.Update takes the last values, which
// fill no register; other optimizers run on engine.Update.
func optimize[T engine.Float](o engine.Optimizer, p, g []T, s [][]T, t int, lr float64) {
	g = g[:len(p)]
	done := 0
	if haveFMA {
		switch {
		case o.Kind == engine.AdamW || o.Kind == engine.Adam && o.WeightDecay == 0:
			done = adam(o, p, g, s[0][:len(p)], s[1][:len(p)], t, lr)
		case o.Kind == engine.SGD && o.Momentum != 0:
			done = momentum(o, p, g, s[0][:len(p)], lr)
		}
	}
	var rest [2][]T // the state past done, on the stack: an optimizer keeps at most 2 slots
	for k := range s {
		rest[k] = s[k][done:]
	}
	engine.Update(o, p[done:], g[done:], rest[:len(s)], t, lr)
}

// registers returns how many values of T an AVX2 register holds, and how
// many whole registers n values fill.
func registers[T engine.Float](n int) (width, count int) {
	width = 8
	if is64[T]() {
		width = 4
	}
	return width, n / width
}

// adam runs Adam's or AdamW's step on the values of p that fill whole
// registers, and returns how many it updated.
func adam[T engine.Float](o engine.Optimizer, p, g, m, v []T, t int, lr float64) int {
	width, n := registers[T](len(p))
	if n == 0 {
		return 0
	}
	co := o.Coefficients(t, lr)
	c := adamCoefficients[T]{decay: 1, b1: T(o.Beta1), c1: T(1 - o.Beta1), b2: T(o.Beta2), c2: T(1 - o.Beta2),
		stepSize: T(co.StepSize), bc2Sqrt: T(co.BiasCorrection2), eps: T(o.Eps)}
	if o.Kind == engine.AdamW {
		c.decay = T(co.Decay)
	}
	if is64[T]() {
		adamF64(&f64(p)[0], &f64(g)[0], &f64(m)[0], &f64(v)[0], n, (*adamCoefficients[float64])(unsafe.Pointer(&c)))
	} else {
		adamF32(&f32(p)[0], &f32(g)[0], &f32(m)[0], &f32(v)[0], n, (*adamCoefficients[float32])(unsafe.Pointer(&c)))
	}
	return n * width
}

// momentum runs SGD's step with momentum on the values of p that fill whole
// registers, and returns how many it updated.
func momentum[T engine.Float](o engine.Optimizer, p, g, buf []T, lr float64) int {
	width, n := registers[T](len(p))
	if n == 0 {
		return 0
	}
	c := momentumCoefficients[T]{wd: T(o.WeightDecay), mu: T(o.Momentum), lr: T(lr)}
	flags := 0
	if c.wd != 0 {
		flags |= momentumDecay
	}
	if o.Nesterov {
		flags |= momentumNesterov
	}
	if is64[T]() {
		momentumF64(&f64(p)[0], &f64(g)[0], &f64(buf)[0], n, flags, (*momentumCoefficients[float64])(unsafe.Pointer(&c)))
	} else {
		momentumF32(&f32(p)[0], &f32(g)[0], &f32(buf)[0], n, flags, (*momentumCoefficients[float32])(unsafe.Pointer(&c)))
	}
	return n * width
}
